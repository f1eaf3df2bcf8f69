import { afterAll, beforeAll, describe, expect, it } from "vitest";
import "../../src/threads/node-host.js";
import { randomTensor } from "../../src/autograd/gradcheck.js";
import { backward } from "../../src/autograd/tape.js";
import type { Conv2dOptions } from "../../src/layers/conv.js";
import {
  deconv2d,
  deconv2dBackward,
  deconv2dBackwardNaive,
  deconv2dForward,
  deconv2dForwardNaive,
  deconvGeometry,
} from "../../src/layers/deconv.js";
import { allocFloats } from "../../src/tensor/buffers.js";
import { Tensor } from "../../src/tensor/tensor.js";
import { shutdownThreads, threadsReady, withThreads } from "../../src/threads/pool.js";
import { random } from "../random.js";

const size = (s: readonly number[]): number => s.reduce((a, d) => a * d, 1);

// x [N, C, H, W], wt [C, K/G, R, S]: every option, the adjoint convolution's 1×1 path (no
// im2col) and its Winograd path (3×3, stride 1, one group), awkward sizes.
const cases: Array<{ name: string; x: number[]; w: number[]; p: Conv2dOptions; bias: boolean }> = [
  { name: "1×1 on 1×1", x: [1, 1, 1, 1], w: [1, 1, 1, 1], p: {}, bias: true },
  {
    name: "4×4 stride 2 pad 1 (the 2× upsampler), batch 2",
    x: [2, 3, 5, 4],
    w: [3, 4, 4, 4],
    p: { stride: [2, 2], pad: [1, 1] },
    bias: true,
  },
  { name: "3×3 stride 1 pad 1 (Winograd's adjoint)", x: [1, 5, 7, 6], w: [5, 3, 3, 3], p: { pad: [1, 1] }, bias: true },
  { name: "3×3 stride 1 no pad: the output grows by 2", x: [2, 2, 9, 5], w: [2, 4, 3, 3], p: {}, bias: false },
  { name: "1×1 pointwise, 63 → 65 channels", x: [1, 63, 3, 5], w: [63, 65, 1, 1], p: {}, bias: true },
  { name: "groups 2", x: [2, 4, 5, 6], w: [4, 3, 3, 3], p: { group: 2, stride: [2, 2], pad: [1, 0] }, bias: true },
  { name: "depthwise groups (C = K = G = 6)", x: [1, 6, 4, 4], w: [6, 1, 3, 3], p: { group: 6, stride: [2, 2] }, bias: true },
  { name: "dilation 2", x: [1, 2, 6, 7], w: [2, 3, 3, 3], p: { dilation: [2, 2], pad: [1, 2] }, bias: true },
  { name: "non-square everything", x: [2, 3, 4, 7], w: [3, 2, 5, 2], p: { stride: [3, 1], pad: [2, 0], dilation: [1, 3] }, bias: true },
  { name: "stride larger than the kernel (gaps)", x: [1, 2, 3, 3], w: [2, 2, 2, 2], p: { stride: [3, 3] }, bias: false },
];

describe("deconv2d kernels vs their naive scatter twins", () => {
  for (const [Type, rtol] of [
    [Float32Array, 2e-5],
    [Float64Array, 1e-12],
  ] as const) {
    for (const { name, x: xShape, w: wShape, p, bias: hasBias } of cases) {
      it(`${Type.name}: ${name}`, () => {
        const g = deconvGeometry(xShape, wShape, p);
        const x = random(size(xShape), 1, Type),
          w = random(size(wShape), 2, Type);
        const bias = hasBias ? random(g.C, 3, Type) : null;
        const outSize = g.N * g.C * g.H * g.W;
        const atol = rtol * 10;
        const out = random(outSize, 4, Type),
          outRef = new Type(outSize); // garbage must be overwritten
        deconv2dForward(out, x, w, bias, g);
        deconv2dForwardNaive(outRef, x, w, bias, g);
        expect(out).toBeAllClose(outRef, { rtol, atol });

        const dout = random(outSize, 5, Type);
        const dx = random(x.length, 6, Type),
          dw = random(w.length, 7, Type),
          db = random(g.C, 8, Type); // accumulates: start from the same non-zero values
        const dxRef = dx.slice(),
          dwRef = dw.slice(),
          dbRef = db.slice();
        deconv2dBackward(dx, dw, db, dout, x, w, g);
        deconv2dBackwardNaive(dxRef, dwRef, dbRef, dout, x, w, g);
        expect(dx).toBeAllClose(dxRef, { rtol, atol });
        expect(dw).toBeAllClose(dwRef, { rtol, atol });
        expect(db).toBeAllClose(dbRef, { rtol, atol });
      });
    }
  }

  it("stamps each input value's filter into the output: stride 2, 2×2 kernel tiles a 4×4 picture", () => {
    // One channel: x = [[1, 2], [3, 4]], wt = [[1, 10], [100, 1000]]; each value times wt, placed 2 apart.
    const y = deconv2d(
      new Tensor(Float64Array.from([1, 2, 3, 4]), [1, 1, 2, 2]),
      new Tensor(Float64Array.from([1, 10, 100, 1000]), [1, 1, 2, 2]),
      null,
      {
        stride: [2, 2],
      },
    );
    expect(y.shape).toEqual([1, 1, 4, 4]);
    expect(Array.from(y.data)).toEqual([1, 10, 2, 20, 100, 1000, 200, 2000, 3, 30, 4, 40, 300, 3000, 400, 4000]);
  });

  it("sums where filters overlap, trims the padding, and adds the bias per output channel", () => {
    // 1×3 input, 1×3 kernel of ones, stride 1: the output [1, 3, 6, 5, 3] loses one value each side to pad 1.
    const y = deconv2d(
      new Tensor(Float64Array.from([1, 2, 3]), [1, 1, 1, 3]),
      new Tensor(Float64Array.from([1, 1, 1, 2, 2, 2]), [1, 2, 1, 3]),
      new Tensor(Float64Array.from([0.5, -1]), [2]),
      { pad: [0, 1] },
    );
    expect(y.shape).toEqual([1, 2, 1, 3]);
    expect(Array.from(y.data)).toEqual([3.5, 6.5, 5.5, 5, 11, 9]);
  });

  it("has Caffe's output size stride·(in − 1) + dilation·(k − 1) + 1 − 2·pad", () => {
    const g = deconvGeometry([1, 8, 10, 7], [8, 2, 4, 3], { stride: [2, 3], pad: [1, 0], dilation: [1, 2], group: 2 });
    expect([g.N, g.C, g.H, g.W]).toEqual([1, 4, 2 * 9 + 3 + 1 - 2, 3 * 6 + 4 + 1]);
    expect([g.K, g.OH, g.OW]).toEqual([8, 10, 7]); // the adjoint convolution gives back the input size
  });

  it("names what is wrong: channels, an empty output, a bias of the wrong size", () => {
    expect(() => deconvGeometry([1, 3, 4, 4], [4, 2, 3, 3])).toThrow(
      "deconv2d: weights [4, 2, 3, 3] are for 4 input channels, but the input [1, 3, 4, 4] has 3",
    );
    expect(() => deconvGeometry([1, 2, 1, 1], [2, 2, 2, 2], { pad: [1, 1] })).toThrow(
      "deconv2d: output would be empty (0×0): pad 1×1 trims more than the 1×1 input spreads to",
    );
    expect(() => deconvGeometry([1, 3, 4, 4], [3, 2, 3, 3], { group: 2 })).toThrow(
      "deconv2d: input has 3 channels, not divisible by group 2",
    );
    const x = randomTensor([1, 2, 3, 3], 1);
    expect(() => deconv2d(x, randomTensor([2, 3, 3, 3], 2), randomTensor([2], 3))).toThrow(
      "deconv2d: bias must be [3] for weights [2, 3, 3, 3], got [2]",
    );
  });
});

describe("deconv2d op", () => {
  it("computes only dx when the weights do not require a gradient, equal to the naive twin's", () => {
    const x = randomTensor([1, 2, 3, 4], 1, -1, 1, true);
    const w = randomTensor([2, 3, 3, 3], 2),
      b = randomTensor([3], 3);
    const p: Conv2dOptions = { stride: [2, 2], pad: [1, 1] };
    const y = deconv2d(x, w, b, p);
    const dy = random(y.size, 4, Float64Array);
    backward(y, dy);
    expect(w.grad).toBeNull();
    expect(b.grad).toBeNull();
    const dxRef = new Float64Array(x.size);
    deconv2dBackwardNaive(dxRef, null, null, dy, x.data, w.data, deconvGeometry(x.shape, w.shape, p));
    expect(x.grad).toBeAllClose(dxRef, { rtol: 1e-12, atol: 1e-12 });
  });
});

describe("deconv2d on threads", () => {
  beforeAll(() => threadsReady(2));
  afterAll(() => shutdownThreads());

  it("gives the same bits on 1 and 2 threads, forward and every gradient", () => {
    // Large enough for the adjoint convolution's GEMM and col2im to be split.
    const g = deconvGeometry([1, 24, 30, 29], [24, 16, 4, 4], { stride: [2, 2], pad: [1, 1] });
    const float32s = (n: number): Float32Array => allocFloats("float32", n) as Float32Array;
    const compute = (): Float32Array[] => {
      const x = random(24 * 30 * 29, 1, float32s),
        w = random(24 * 16 * 16, 2, float32s),
        b = random(16, 3, float32s);
      const out = float32s(16 * g.H * g.W);
      deconv2dForward(out, x, w, b, g);
      const dx = float32s(x.length),
        dw = float32s(w.length),
        db = float32s(16);
      deconv2dBackward(dx, dw, db, random(out.length, 4, float32s), x, w, g);
      return [out, dx, dw, db];
    };
    const one = withThreads(1, compute).map((a) => Array.from(a));
    withThreads(2, compute).forEach((a, k) => {
      expect(Array.from(a), `output ${k} at 2 threads`).toEqual(one[k]);
    });
  });
});

describe("deconv2d in the package entries", () => {
  it("is exported beside conv2d, from the Node entry and the browser one", async () => {
    expect((await import("../../src/index.js")).deconv2d).toBe(deconv2d);
    expect((await import("../../src/browser.js")).deconv2d).toBe(deconv2d);
  });
});
