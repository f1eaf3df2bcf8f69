import { describe, expect, it } from "vitest";
import { randomTensor } from "../../src/autograd/gradcheck.js";
import { backward } from "../../src/autograd/tape.js";
import {
  conv2d,
  conv2dBackward,
  conv2dBackwardNaive,
  conv2dForward,
  conv2dForwardNaive,
  convGeometry,
  type Conv2dOptions,
} from "../../src/layers/conv.js";
import { fillUniform } from "../../src/tensor/random.js";
import { Tensor } from "../../src/tensor/tensor.js";
import { relu } from "../../src/layers/relu.js";
import { random } from "../random.js";

function params(p: Conv2dOptions = {}): Conv2dOptions {
  return { stride: [1, 1], pad: [0, 0], dilation: [1, 1], group: 1, ...p };
}

// x [N, C, H, W], w [K, C/G, R, S]: awkward sizes, every option, and the 1×1 fast path.
const cases: Array<{ name: string; x: number[]; w: number[]; p: Conv2dOptions; bias: boolean }> = [
  { name: "1×1 on 1×1, one channel", x: [1, 1, 1, 1], w: [1, 1, 1, 1], p: params(), bias: true },
  { name: "3×3 pad 1, 7×7 input", x: [1, 3, 7, 7], w: [5, 3, 3, 3], p: params({ pad: [1, 1] }), bias: true },
  {
    name: "7×7 stride 2 pad 3 on odd size, batch 2",
    x: [2, 3, 13, 11],
    w: [4, 3, 7, 7],
    p: params({ stride: [2, 2], pad: [3, 3] }),
    bias: true,
  },
  { name: "pad > kernel/2, no bias", x: [1, 2, 5, 6], w: [3, 2, 3, 2], p: params({ pad: [3, 2] }), bias: false },
  { name: "1×1 pointwise, 63 → 65 channels", x: [2, 63, 3, 5], w: [65, 63, 1, 1], p: params(), bias: true },
  { name: "1×1 with stride 2 (not pointwise)", x: [1, 4, 7, 7], w: [3, 4, 1, 1], p: params({ stride: [2, 2] }), bias: true },
  { name: "groups 2 (AlexNet-style)", x: [2, 4, 6, 5], w: [6, 2, 3, 3], p: params({ group: 2, pad: [1, 1] }), bias: true },
  { name: "pointwise groups 3", x: [1, 6, 4, 4], w: [9, 2, 1, 1], p: params({ group: 3 }), bias: false },
  { name: "dilation 2", x: [1, 2, 9, 8], w: [3, 2, 3, 3], p: params({ dilation: [2, 2], pad: [1, 2] }), bias: true },
  {
    name: "non-square everything",
    x: [2, 3, 10, 7],
    w: [2, 3, 5, 2],
    p: params({ stride: [3, 1], pad: [2, 0], dilation: [1, 3] }),
    bias: true,
  },
  { name: "more output rows than a GEMM block (130 filters)", x: [1, 5, 6, 6], w: [130, 5, 3, 3], p: params(), bias: true },
];

describe("conv2d kernels vs naive twins", () => {
  for (const [Type, rtol] of [
    [Float32Array, 1e-5],
    [Float64Array, 1e-12],
  ] as const) {
    for (const { name, x: xShape, w: wShape, p, bias: hasBias } of cases) {
      it(`${Type.name}: ${name}`, () => {
        const g = convGeometry(xShape, wShape, p);
        const size = (s: number[]): number => s.reduce((a, d) => a * d, 1);
        const x = random(size(xShape), 1, Type),
          w = random(size(wShape), 2, Type);
        const bias = hasBias ? random(g.K, 3, Type) : null;
        const outSize = g.N * g.K * g.OH * g.OW;
        const atol = rtol * 10;

        const out = random(outSize, 4, Type),
          outRef = new Type(outSize); // garbage must be overwritten
        conv2dForward(out, x, w, bias, g);
        conv2dForwardNaive(outRef, x, w, bias, g);
        expect(out).toBeAllClose(outRef, { rtol, atol });

        // Backward accumulates: start every gradient from the same non-zero values.
        const dout = random(outSize, 5, Type);
        const dx = random(x.length, 6, Type),
          dw = random(w.length, 7, Type),
          db = random(g.K, 8, Type);
        const dxRef = dx.slice(),
          dwRef = dw.slice(),
          dbRef = db.slice();
        conv2dBackward(dx, dw, db, dout, x, w, g);
        conv2dBackwardNaive(dxRef, dwRef, dbRef, dout, x, w, g);
        expect(dx).toBeAllClose(dxRef, { rtol, atol });
        expect(dw).toBeAllClose(dwRef, { rtol, atol });
        expect(db).toBeAllClose(dbRef, { rtol, atol });
      });
    }
  }

  it("computes dx alone, leaving the skipped gradients untouched", () => {
    const g = convGeometry([1, 2, 5, 5], [3, 2, 3, 3], params({ pad: [1, 1] }));
    const x = random(50, 1, Float64Array),
      w = random(54, 2, Float64Array),
      dout = random(75, 3, Float64Array);
    const dx = new Float64Array(50),
      dxRef = new Float64Array(50);
    conv2dBackward(dx, null, null, dout, x, w, g);
    conv2dBackwardNaive(dxRef, null, null, dout, x, w, g);
    expect(dx).toBeAllClose(dxRef, { rtol: 1e-12, atol: 1e-12 });
  });

  it("uses a caller's scratch buffer and rejects one that is too small", () => {
    const g = convGeometry([1, 2, 5, 5], [3, 2, 3, 3], params({ pad: [1, 1] }));
    const x = random(50, 1, Float32Array),
      w = random(54, 2, Float32Array);
    const out = new Float32Array(75),
      outRef = new Float32Array(75);
    conv2dForward(out, x, w, null, g, new Float32Array(2 * 9 * 25 + 3));
    conv2dForwardNaive(outRef, x, w, null, g);
    expect(out).toBeAllClose(outRef);
    expect(() => conv2dForward(out, x, w, null, g, new Float32Array(10))).toThrow(
      "conv2d: scratch must be a Float32Array of at least 450 values, got a Float32Array of 10",
    );
    expect(() => conv2dForward(out, x, w, null, g, new Float64Array(450))).toThrow(/scratch must be a Float32Array/);
  });

  it("names the kernel and the buffer whose size is wrong", () => {
    const g = convGeometry([1, 2, 5, 5], [3, 2, 3, 3], params());
    const x = new Float32Array(50),
      w = new Float32Array(54);
    expect(() => conv2dForward(new Float32Array(10), x, w, null, g)).toThrow(
      "conv2dForward: out has 10 values, expected [1, 3, 3, 3] = 27",
    );
    expect(() => conv2dBackward(null, null, new Float32Array(2), new Float32Array(27), x, w, g)).toThrow(
      "conv2dBackward: db has 2 values, expected [3] = 3",
    );
    expect(() => conv2dForward(new Float64Array(27), x, w, null, g)).toThrow(
      "conv2dForward: out is a Float64Array but x is a Float32Array",
    );
  });
});

describe("conv2d op", () => {
  it("returns [N, K, OH, OW] in the input's dtype with Caffe's defaults", () => {
    const x = new Tensor(new Float32Array(2 * 3 * 10 * 9), [2, 3, 10, 9]);
    const y = conv2d(x, new Tensor(new Float32Array(4 * 3 * 3 * 3), [4, 3, 3, 3]), null);
    expect(y.shape).toEqual([2, 4, 8, 7]);
    expect(y.data).toBeInstanceOf(Float32Array);
    expect(y.node).toBeNull(); // nothing requires a gradient: nothing is recorded
    const z = conv2d(x, new Tensor(new Float32Array(6 * 1 * 3 * 3), [6, 1, 3, 3]), null, { stride: [2, 2], pad: [1, 1], group: 3 });
    expect(z.shape).toEqual([2, 6, 5, 5]);
  });

  it("computes only dx when the weights do not require a gradient", () => {
    const x = randomTensor([1, 2, 5, 5], 1, -1, 1, true);
    const w = randomTensor([3, 2, 3, 3], 2),
      b = randomTensor([3], 3);
    backward(conv2d(x, w, b, { pad: [1, 1] }));
    expect(x.grad).not.toBeNull();
    expect(w.grad).toBeNull();
    expect(b.grad).toBeNull();
    const g = convGeometry([1, 2, 5, 5], [3, 2, 3, 3], params({ pad: [1, 1] }));
    const dxRef = new Float64Array(50);
    conv2dBackwardNaive(dxRef, null, null, new Float64Array(75).fill(1), x.data, w.data, g);
    expect(x.grad!).toBeAllClose(dxRef, { rtol: 1e-12, atol: 1e-12 });
  });

  it("gives the right gradient when other convs ran between forward and backward", () => {
    // The column scratch is shared; a backward must not trust what a forward left there.
    const x = randomTensor([1, 2, 6, 6], 1, -1, 1, true),
      w = randomTensor([3, 2, 3, 3], 2);
    const y = conv2d(x, w, null, { pad: [1, 1] });
    conv2d(randomTensor([1, 4, 9, 9], 3), randomTensor([2, 4, 5, 5], 4), null, { pad: [2, 2] });
    const seed = randomTensor(y.shape, 5).data;
    backward(y, seed);
    const g = convGeometry([1, 2, 6, 6], [3, 2, 3, 3], params({ pad: [1, 1] }));
    const dxRef = new Float64Array(72);
    conv2dBackwardNaive(dxRef, null, null, seed, x.data, w.data, g);
    expect(x.grad!).toBeAllClose(dxRef, { rtol: 1e-12, atol: 1e-12 });
  });

  it("with a fused ReLU gives relu(conv) and the ReLU's gradient, in Float32 and Float64", () => {
    for (const dtype of ["float32", "float64"] as const) {
      for (const slope of [0, 0.2]) {
        const make = (): Tensor[] => [
          randomTensor([1, 3, 9, 8], 41, -1, 1, true).to(dtype),
          randomTensor([5, 3, 3, 3], 42).to(dtype),
          randomTensor([5], 43).to(dtype),
        ];
        const [x1, w, b] = make(),
          [x2] = make();
        x1!.requiresGrad = x2!.requiresGrad = true;
        const fused = conv2d(x1!, w!, b!, { pad: [1, 1], relu: slope });
        const plain = relu(conv2d(x2!, w!, b!, { pad: [1, 1] }), slope);
        expect(fused.data).toBeAllClose(plain.data, { rtol: 0, atol: 0 });
        const seed = fillUniform(fused.data.slice(), 44);
        backward(fused, seed);
        backward(plain, seed);
        expect(x1!.grad!).toBeAllClose(x2!.grad!, { rtol: 1e-6, atol: 1e-6 });
      }
    }
    expect(() => conv2d(randomTensor([1, 1, 3, 3]), randomTensor([1, 1, 1, 1]), null, { relu: -1 })).toThrow(
      "conv2d: relu's negative slope must be ≥ 0, got -1",
    );
  });

  it("explains bad biases and mixed dtypes", () => {
    const x = new Tensor(new Float32Array(75), [1, 3, 5, 5]),
      w = new Tensor(new Float32Array(54), [2, 3, 3, 3]);
    expect(() => conv2d(x, w, new Tensor(new Float32Array(2), [1, 2]))).toThrow(
      "conv2d: bias must be [2] for weights [2, 3, 3, 3], got [1, 2]",
    );
    expect(() => conv2d(x, w.to("float64"), null)).toThrow("conv2d: inputs must share a dtype, got float32, float64");
  });
});

describe("conv2dBackward with overwriteDx", () => {
  // The op's backward hands in an unzeroed dx: each path sets it, or zeroes it first and adds.
  for (const [name, xShape, wShape, options] of [
    ["pointwise (a GEMM that sets dx)", [1, 6, 5, 7], [4, 6, 1, 1], {}],
    ["3×3 (Winograd, set by its output transform)", [1, 5, 9, 8], [4, 5, 3, 3], { pad: [1, 1] }],
    ["5×5 (col2im adds: zeroed first)", [1, 3, 9, 9], [4, 3, 5, 5], { pad: [2, 2] }],
    ["depthwise (adds: zeroed first)", [1, 4, 7, 7], [4, 1, 3, 3], { pad: [1, 1], group: 4 }],
    ["two images, two groups", [2, 4, 6, 6], [6, 2, 1, 1], { group: 2 }],
  ] as const) {
    it(`gives what adding into zeros gives, whatever dx held: ${name}`, () => {
      const g = convGeometry([...xShape], [...wShape], options as Conv2dOptions);
      const size = (s: readonly number[]): number => s.reduce((a, b) => a * b, 1);
      const x = random(size(xShape), 1, Float32Array),
        w = random(size(wShape), 2, Float32Array);
      const dout = random(g.N * g.K * g.OH * g.OW, 3, Float32Array);
      const added = new Float32Array(x.length),
        set = random(x.length, 4, Float32Array, [-9, 9]);
      conv2dBackward(added, null, null, dout, x, w, g);
      conv2dBackward(set, null, null, dout, x, w, g, undefined, undefined, true);
      expect(Array.from(set)).toEqual(Array.from(added));
    });
  }
});

describe("a 1×1 convolution's dx added in place into a gathered gradient", () => {
  it("gives the bits of adding it afterwards (a fan-out into two 1×1 convolutions and a 3×3 one)", () => {
    const x = new Tensor(random(1 * 8 * 6 * 7, 1, Float32Array), [1, 8, 6, 7], true);
    const weights = [
      [5, 8, 1, 1],
      [3, 8, 3, 3],
      [4, 8, 1, 1],
    ].map(
      (s, k) =>
        new Tensor(
          random(
            s.reduce((a, b) => a * b, 1),
            2 + k,
            Float32Array,
          ),
          s,
        ),
    );
    const branches = (): Tensor[] => weights.map((w) => conv2d(x, w, null, { pad: w.shape[2] === 3 ? [1, 1] : [0, 0], relu: 0 }));
    // Each branch's dx alone, summed in the tape's order afterwards (reverse of recording).
    const alone = weights.map((_, k) => {
      x.grad = null;
      backward(branches()[k]!);
      return x.grad!.slice();
    });
    const summed = alone[2]!.map((v, i) => v + alone[1]![i]!).map((v, i) => v + alone[0]![i]!);
    x.grad = null;
    const ys = branches();
    backward(ys);
    expect(Array.from(x.grad!)).toEqual(Array.from(summed));
  });
});
