import { describe, expect, it } from "vitest";
import { backward } from "../../src/autograd/tape.js";
import { randomTensor } from "../../src/autograd/gradcheck.js";
import {
  avePoolBackward,
  avePoolBackwardNaive,
  avePoolForward,
  avePoolForwardNaive,
  maxPoolBackward,
  maxPoolForward,
  maxPoolForwardNaive,
  pool2d,
  poolGeometry,
  type PoolParams,
} from "../../src/layers/pooling.js";
import { Tensor, type DType } from "../../src/tensor/tensor.js";

const params = (k: number, s: number, p: number, method: "max" | "ave" = "max"): PoolParams => ({
  method,
  kernel: [k, k],
  stride: [s, s],
  pad: [p, p],
});
const outHW = (H: number, W: number, p: PoolParams): [number, number] => {
  const g = poolGeometry([1, 1, H, W], p);
  return [g.OH, g.OW];
};

describe("poolGeometry: Caffe's rounding", () => {
  it("rounds up: H = 6, kernel 3, stride 2 gives 3 (convolution would give 2)", () => {
    expect(outHW(6, 6, params(3, 2, 0))).toEqual([3, 3]);
  });
  it("5×5, kernel 3, stride 2, pad 1 gives 3×3; H = 7 gives 4", () => {
    expect(outHW(5, 5, params(3, 2, 1))).toEqual([3, 3]);
    expect(outHW(7, 7, params(3, 2, 1))).toEqual([4, 4]);
  });
  it("drops a last window that would start in the padding", () => {
    // ceil((5 + 2 − 2) / 2) + 1 = 4, but window 3 would start at 3·2 − 1 = 5 = H: dropped.
    expect(outHW(5, 5, params(2, 2, 1))).toEqual([3, 3]);
    // ceil((4 + 4 − 3) / 2) + 1 = 4; window 3 starts at 6 − 2 = 4 = H: dropped.
    expect(outHW(4, 4, params(3, 2, 2))).toEqual([3, 3]);
    // Kept when it starts inside the image: ceil((6 + 2 − 3) / 2) + 1 = 4, window 3 starts at 5.
    expect(outHW(6, 6, params(3, 2, 1))).toEqual([4, 4]);
  });
  it("GoogLeNet's pool1 (3×3/2) on a 112×112 conv1 output gives 56×56, and a window may hang over", () => {
    expect(outHW(112, 112, params(3, 2, 0))).toEqual([56, 56]);
    expect(outHW(113, 111, params(3, 2, 0))).toEqual([56, 55]);
  });
  it("treats each axis separately", () => {
    expect(outHW(7, 5, { method: "max", kernel: [3, 2], stride: [2, 1], pad: [1, 0] })).toEqual([4, 4]);
  });
  it("names its sizes as a convolution's geometry does", () => {
    const g = poolGeometry([1, 2, 7, 5], { method: "max", kernel: [3, 2], stride: [2, 1], pad: [1, 0] });
    expect(g).toEqual({ N: 1, C: 2, H: 7, W: 5, kernelH: 3, kernelW: 2, strideH: 2, strideW: 1, padH: 1, padW: 0, OH: 4, OW: 4 });
  });
  it("global pooling covers the whole plane", () => {
    const g = poolGeometry([2, 3, 13, 11], { method: "ave", kernel: [0, 0], stride: [1, 1], pad: [0, 0], global: true });
    expect([g.kernelH, g.kernelW, g.OH, g.OW]).toEqual([13, 11, 1, 1]);
  });
});

describe("poolGeometry: bad arguments", () => {
  it("rejects pad ≥ kernel, as Caffe does", () => {
    expect(() => poolGeometry([1, 1, 8, 8], params(2, 2, 2))).toThrow("pool2d: pad [2, 2] must be smaller than kernel [2, 2]");
  });
  it("rejects non-4-D input", () => {
    expect(() => poolGeometry([3, 8, 8], params(2, 2, 0))).toThrow("pool2d: input must be 4-D [N, C, H, W], got [3, 8, 8]");
  });
  it("rejects zero or fractional sizes", () => {
    expect(() => poolGeometry([1, 1, 8, 8], params(3, 0, 0))).toThrow(
      /pool2d: kernel and stride must be positive integers .* stride \[0, 0\]/,
    );
    expect(() => poolGeometry([1, 1, 8, 8], params(1.5, 1, 0))).toThrow(/kernel \[1.5, 1.5\]/);
  });
  it("rejects an input too small for the kernel", () => {
    expect(() => poolGeometry([1, 2, 2, 9], params(5, 1, 0))).toThrow(
      "pool2d: input [1, 2, 2, 9] is too small for kernel [5, 5] with pad [0, 0]",
    );
  });
  it("rejects global pooling with a stride or pad", () => {
    expect(() => poolGeometry([1, 1, 4, 4], { method: "max", kernel: [1, 1], stride: [2, 2], pad: [0, 0], global: true })).toThrow(
      "pool2d: global pooling needs stride [1, 1] and pad [0, 0], got stride [2, 2] and pad [0, 0]",
    );
  });
  it("rejects an unknown method", () => {
    const p = { ...params(2, 2, 0), method: "stochastic" } as unknown as PoolParams;
    expect(() => pool2d(Tensor.zeros([1, 1, 4, 4]), p)).toThrow('pool2d: unknown method "stochastic"');
  });
});

// x[h, w] = 5h + w on a 5×5 plane.
const ramp5 = (): Tensor =>
  new Tensor(
    Float64Array.from({ length: 25 }, (_, i) => i),
    [1, 1, 5, 5],
  );

describe("pool2d: hand-computed Caffe examples", () => {
  it("max 3×3/2 pad 1 on a 5×5 ramp picks each clipped window's bottom-right cell", () => {
    const y = pool2d(ramp5(), params(3, 2, 1, "max"));
    expect(y.shape).toEqual([1, 1, 3, 3]);
    // Window rows (and columns): [−1, 2) → {0, 1}, [1, 4) → {1, 2, 3}, [3, 6) → {3, 4}.
    expect(y.data).toBeAllClose([6, 8, 9, 16, 18, 19, 21, 23, 24], { atol: 0, rtol: 0 });
  });

  it("max never picks padding, even when every value is negative", () => {
    const x = new Tensor(
      Float64Array.from({ length: 25 }, (_, i) => -1 - i),
      [1, 1, 5, 5],
    );
    const y = pool2d(x, params(3, 2, 1, "max"));
    // The maximum is each clipped window's top-left cell, rows and columns starting at 0, 1, 3.
    expect(y.data).toBeAllClose([-1, -2, -4, -6, -7, -9, -16, -17, -19], { atol: 0, rtol: 0 });
  });

  it("ave 3×3/2 pad 1 on a 5×5 ramp divides by 9 everywhere: padding cells count as zeros", () => {
    const y = pool2d(ramp5(), params(3, 2, 1, "ave"));
    const sum = (rows: number[], cols: number[]): number => rows.reduce((a, r) => a + cols.reduce((b, c) => b + 5 * r + c, 0), 0);
    const windows = [
      [0, 1],
      [1, 2, 3],
      [3, 4],
    ];
    const expected = windows.flatMap((rows) => windows.map((cols) => sum(rows, cols) / 9));
    expect(y.data).toBeAllClose(expected, { atol: 1e-12, rtol: 0 });
  });

  it("ave divisor: counts padding, but not cells past the padded edge", () => {
    // H = W = 6, kernel 3, stride 2, pad 1 → 4 windows per axis: [−1,2) [1,4) [3,6) [5,8).
    // In-image cells per window: 2, 3, 3, 1. Divisors: 3, 3, 3 and 2 (the last window is cut
    // at H + pad = 7). On a plane of ones the output is the ratio, per axis.
    const y = pool2d(new Tensor(new Float64Array(36).fill(1), [1, 1, 6, 6]), params(3, 2, 1, "ave"));
    const r = [2 / 3, 1, 1, 1 / 2];
    expect(y.data).toBeAllClose(
      r.flatMap((a) => r.map((b) => a * b)),
      { atol: 1e-15, rtol: 0 },
    );
  });

  it("ave without padding: a window hanging over the edge averages only its in-image cells", () => {
    // H = 6, kernel 3, stride 2: windows [0,3) [2,5) [4,7) → the last holds rows 4, 5 and divides by 2.
    const x = new Tensor(
      Float64Array.from({ length: 6 }, (_, i) => i),
      [1, 1, 6, 1],
    );
    const y = pool2d(x, { method: "ave", kernel: [3, 1], stride: [2, 1], pad: [0, 0] });
    expect(y.data).toBeAllClose([1, 3, 4.5], { atol: 1e-15, rtol: 0 });
  });

  it("max on ties routes the gradient to the first maximum in scan order", () => {
    const x = new Tensor(new Float64Array(16).fill(1), [1, 1, 4, 4], true);
    const y = pool2d(x, params(2, 2, 0, "max"));
    backward(y);
    // Windows start at (0,0) (0,2) (2,0) (2,2): flat indices 0, 2, 8, 10.
    const expected = new Float64Array(16);
    for (const i of [0, 2, 8, 10]) expected[i] = 1;
    expect(x.grad).toBeAllClose(expected, { atol: 0, rtol: 0 });
  });

  it("max with overlapping windows sums the gradients routed to a shared maximum", () => {
    // The centre of a 3×3 plane is the maximum of all four 2×2/1 windows.
    const x = new Tensor(Float64Array.from([0, 1, 0, 1, 9, 1, 0, 1, 0]), [1, 1, 3, 3], true);
    backward(pool2d(x, params(2, 1, 0, "max")), Float64Array.from([1, 2, 3, 4]));
    expect(x.grad).toBeAllClose([0, 0, 0, 0, 10, 0, 0, 0, 0], { atol: 0, rtol: 0 });
  });

  it("a window wholly past the image (no pad, stride > kernel) gives 0 and no gradient", () => {
    // H = 5, kernel 1, stride 3: ceil(4 / 3) + 1 = 3 windows at rows 0, 3, 6 — Caffe keeps row 6.
    for (const method of ["max", "ave"] as const) {
      const x = new Tensor(Float64Array.from([1, 2, 3, 4, 5]), [1, 1, 5, 1], true);
      const y = pool2d(x, { method, kernel: [1, 1], stride: [3, 1], pad: [0, 0] });
      expect(y.data).toBeAllClose([1, 4, 0], { atol: 0, rtol: 0 });
      backward(y);
      expect(x.grad).toBeAllClose([1, 0, 0, 1, 0], { atol: 0, rtol: 0 });
    }
  });

  it("global average pooling is the mean of each plane", () => {
    const x = randomTensor([2, 3, 5, 4], 3);
    const y = pool2d(x, { method: "ave", kernel: [1, 1], stride: [1, 1], pad: [0, 0], global: true });
    expect(y.shape).toEqual([2, 3, 1, 1]);
    const means = Array.from({ length: 6 }, (_, p) => Array.from(x.data.subarray(p * 20, p * 20 + 20)).reduce((a, b) => a + b, 0) / 20);
    expect(y.data).toBeAllClose(means, { atol: 1e-15, rtol: 1e-12 });
  });

  it("keeps the input's dtype and records nothing for a constant input", () => {
    const y = pool2d(Tensor.zeros([1, 2, 4, 4], "float32"), params(2, 2, 0));
    expect(y.data).toBeInstanceOf(Float32Array);
    expect(y.node).toBeNull();
  });
});

// Awkward shapes: sizes 1, 3, 7, 63, 65; kernels 1–5; strides 1–3; pads up to kernel − 1;
// non-square kernels; partial and dropped last windows.
const awkward: Array<[number[], PoolParams]> = [
  [[1, 1, 1, 1], params(1, 1, 0)],
  [[2, 3, 7, 7], params(3, 2, 0)],
  [[1, 3, 7, 7], params(3, 2, 1)],
  [[1, 2, 7, 3], params(3, 3, 2)],
  [[1, 2, 63, 65], params(3, 2, 0)],
  [[1, 2, 65, 63], params(3, 2, 1)],
  [[1, 1, 65, 65], params(5, 3, 4)],
  [[1, 2, 63, 7], { method: "max", kernel: [2, 5], stride: [1, 3], pad: [1, 2] }],
  [[3, 1, 7, 65], { method: "max", kernel: [4, 1], stride: [3, 2], pad: [0, 0] }],
  [[1, 1, 3, 63], params(2, 2, 1)],
  [[1, 4, 13, 13], { method: "max", kernel: [1, 1], stride: [1, 1], pad: [0, 0], global: true }],
];

describe.each(["float32", "float64"] as DType[])("fast kernels match the naive twins (%s)", (dtype) => {
  it.each(awkward)("max %j %j", (shape, p) => {
    const x = randomTensor(shape, 5).to(dtype).data;
    const g = poolGeometry(shape, p);
    const n = g.N * g.C * g.OH * g.OW;
    const y = x.constructor === Float32Array ? new Float32Array(n) : new Float64Array(n);
    const yRef = y.slice(),
      arg = new Int32Array(n),
      argRef = new Int32Array(n);
    maxPoolForward(y, arg, x, g, 0, g.N * g.C);
    maxPoolForwardNaive(yRef, argRef, x, g);
    expect(y).toBeAllClose(yRef, { atol: 0, rtol: 0 });
    expect(Array.from(arg)).toEqual(Array.from(argRef));
    // The backward routes dy to the argmax cells; summing dy·x over them must give Σ dy·y.
    const dy = randomTensor([n], 6).to(dtype).data;
    const dx = x.slice().fill(0);
    maxPoolBackward(dx, dy, arg, g, 0, g.N * g.C);
    let viaDx = 0,
      viaY = 0;
    for (let i = 0; i < x.length; i++) viaDx += dx[i]! * x[i]!;
    for (let o = 0; o < n; o++) viaY += dy[o]! * y[o]!;
    expect(viaDx).toBeCloseTo(viaY, dtype === "float32" ? 3 : 10);
  });

  it.each(awkward.map(([shape, p]): [number[], PoolParams] => [shape, { ...p, method: "ave" }]))("ave %j %j", (shape, p) => {
    const x = randomTensor(shape, 7).to(dtype).data;
    const g = poolGeometry(shape, p);
    const n = g.N * g.C * g.OH * g.OW;
    const y = x.constructor === Float32Array ? new Float32Array(n) : new Float64Array(n);
    const yRef = y.slice();
    avePoolForward(y, x, g);
    avePoolForwardNaive(yRef, x, g);
    expect(y).toBeAllClose(yRef, { rtol: 1e-5, atol: 1e-6 });

    const dy = randomTensor([n], 8).to(dtype).data;
    const dx = x.slice().fill(0.5),
      dxRef = x.slice().fill(0.5); // non-zero: backward accumulates
    avePoolBackward(dx, dy, g);
    avePoolBackwardNaive(dxRef, dy, g);
    expect(dx).toBeAllClose(dxRef, { rtol: 1e-5, atol: 1e-6 });
  });
});
