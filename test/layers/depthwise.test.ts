import "../../src/threads/node-host.js";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { randomTensor } from "../../src/autograd/gradcheck.js";
import { backward } from "../../src/autograd/tape.js";
import {
  conv2d,
  conv2dBackward,
  conv2dBackwardNaive,
  conv2dForward,
  conv2dForwardNaive,
  convGeometry,
  setConvAlgorithm,
  type Conv2dOptions,
} from "../../src/layers/conv.js";
import { depthwiseEligible, usesDepthwise } from "../../src/layers/depthwise.js";
import { gemmBackend, setGemmBackend } from "../../src/layers/gemm.js";
import { depthwiseSimdAvailable } from "../../src/layers/wasm/depthwise-simd.js";
import { relu } from "../../src/layers/relu.js";
import { allocFloats } from "../../src/tensor/buffers.js";
import { shutdownThreads, threadsReady, withThreads } from "../../src/threads/pool.js";
import { random } from "../random.js";

const size = (s: readonly number[]): number => s.reduce((a, d) => a * d, 1);

// x [N, C, H, W], w [K, 1, R, S] with group C: the unrolled 3×3 interior and the checked border,
// other windows, strides, pads, dilations, a channel multiplier, planes smaller than the window.
const cases: Array<{ name: string; x: number[]; w: number[]; p: Conv2dOptions }> = [
  { name: "3×3 pad 1 on 7×5, batch 2", x: [2, 3, 7, 5], w: [3, 1, 3, 3], p: { pad: [1, 1] } },
  { name: "3×3 stride 2 pad 1 on 65×63", x: [1, 2, 65, 63], w: [2, 1, 3, 3], p: { stride: [2, 2], pad: [1, 1] } },
  { name: "3×3 no pad", x: [1, 4, 6, 9], w: [4, 1, 3, 3], p: {} },
  { name: "3×3 pad 2 (wider than the window's reach)", x: [1, 2, 5, 4], w: [2, 1, 3, 3], p: { pad: [2, 2] } },
  { name: "3×3 on a 1×1 plane, pad 1", x: [1, 3, 1, 1], w: [3, 1, 3, 3], p: { pad: [1, 1] } },
  { name: "3×3 dilation 2 pad 2", x: [1, 2, 9, 8], w: [2, 1, 3, 3], p: { dilation: [2, 2], pad: [2, 2] } },
  { name: "channel multiplier 3 (K = 3·C), stride 2", x: [2, 2, 8, 7], w: [6, 1, 3, 3], p: { stride: [2, 2], pad: [1, 1] } },
  { name: "5×3 window, stride [2, 1], pad [2, 1]", x: [1, 3, 9, 10], w: [3, 1, 5, 3], p: { stride: [2, 1], pad: [2, 1] } },
  { name: "1×1 (a per-channel scale)", x: [1, 5, 4, 3], w: [5, 1, 1, 1], p: {} },
  { name: "stride 3, dilation [1, 2]", x: [1, 2, 11, 12], w: [2, 1, 3, 3], p: { stride: [3, 3], pad: [1, 2], dilation: [1, 2] } },
];

describe("depthwise kernels (conv2d with group = C) vs the naive twin and the grouped path", () => {
  // The kernels under test run unless im2col is forced, as CI's INCEPTIONISM_CONV=im2col run
  // does (there the grouped path is what every other test exercises): choose them here.
  beforeAll(() => setConvAlgorithm("auto"));
  for (const [Type, rtol] of [
    [Float32Array, 1e-5],
    [Float64Array, 1e-12],
  ] as const) {
    for (const { name, x: xShape, w: wShape, p } of cases) {
      it(`${Type.name}: ${name}`, () => {
        const g = convGeometry(xShape, wShape, { ...p, group: xShape[1]! });
        expect(usesDepthwise(g)).toBe(true);
        const x = random(size(xShape), 1, Type),
          w = random(size(wShape), 2, Type),
          bias = random(g.K, 3, Type);
        const outSize = g.N * g.K * g.OH * g.OW;
        const atol = rtol * 10;
        // The grouped path (im2col + GEMM) is what a caller's column buffer asks for.
        const columns = new Type(g.R * g.S * g.OH * g.OW);

        const out = random(outSize, 4, Type), // garbage must be overwritten
          outNaive = new Type(outSize),
          outGrouped = new Type(outSize);
        conv2dForward(out, x, w, bias, g);
        conv2dForwardNaive(outNaive, x, w, bias, g);
        conv2dForward(outGrouped, x, w, bias, g, columns);
        // In Float64, the same terms in the same order as the naive sum: the same bits. In
        // Float32 the interior may run on SIMD, which rounds each step to Float32.
        expect(out).toBeAllClose(outNaive, Type === Float64Array ? { rtol: 0, atol: 0 } : { rtol, atol });
        expect(out).toBeAllClose(outGrouped, { rtol, atol });

        const dout = random(outSize, 5, Type);
        const dx = random(x.length, 6, Type); // accumulates
        const dxNaive = dx.slice(),
          dxGrouped = dx.slice();
        conv2dBackward(dx, null, null, dout, x, w, g);
        conv2dBackwardNaive(dxNaive, null, null, dout, x, w, g);
        conv2dBackward(dxGrouped, null, null, dout, x, w, g, columns);
        expect(dx).toBeAllClose(dxNaive, { rtol, atol });
        expect(dx).toBeAllClose(dxGrouped, { rtol, atol });
      });
    }
  }

  it("applies only where every group has one input channel, and not when im2col is forced", () => {
    expect(depthwiseEligible(convGeometry([1, 4, 5, 5], [4, 1, 3, 3], { group: 4 }))).toBe(true);
    expect(depthwiseEligible(convGeometry([1, 4, 5, 5], [8, 1, 3, 3], { group: 4 }))).toBe(true);
    expect(depthwiseEligible(convGeometry([1, 4, 5, 5], [4, 2, 3, 3], { group: 2 }))).toBe(false);
    expect(depthwiseEligible(convGeometry([1, 1, 5, 5], [4, 1, 3, 3]))).toBe(false); // one channel, one group: a plain conv
    setConvAlgorithm("im2col");
    try {
      expect(usesDepthwise(convGeometry([1, 4, 5, 5], [4, 1, 3, 3], { group: 4 }))).toBe(false);
    } finally {
      setConvAlgorithm("auto");
    }
  });
});

describe.skipIf(!depthwiseSimdAvailable())("the depthwise 3×3 interior on WebAssembly SIMD", () => {
  const kernel = gemmBackend();
  afterEach(() => setGemmBackend(kernel));

  // Planes wide enough for several quads and a ragged tail; stride 1 for the input gradient's gather.
  for (const [name, xShape, wShape, p] of [
    ["pad 1 on 9×23, multiplier 2", [1, 3, 9, 23], [6, 1, 3, 3], { pad: [1, 1] }],
    ["no pad on 12×37", [2, 2, 12, 37], [2, 1, 3, 3], {}],
    ["dilation [2, 1] pad [2, 1] on 11×18", [1, 2, 11, 18], [2, 1, 3, 3], { dilation: [2, 1], pad: [2, 1] }],
    ["stride [2, 1] on 13×21", [1, 3, 13, 21], [3, 1, 3, 3], { stride: [2, 1], pad: [1, 1] }],
  ] as const) {
    it(`${name}: within Float32 rounding of the JS kernel, which gives the naive twin's bits`, () => {
      const g = convGeometry(xShape, wShape, { ...p, group: xShape[1] });
      const x = random(size(xShape), 1, Float32Array),
        w = random(size(wShape), 2, Float32Array),
        b = random(g.K, 3, Float32Array),
        dout = random(g.N * g.K * g.OH * g.OW, 4, Float32Array);
      const run = (backend: "js" | "auto") => {
        setGemmBackend(backend);
        const out = new Float32Array(dout.length),
          dx = random(x.length, 5, Float32Array);
        conv2dForward(out, x, w, b, g, undefined, true); // with the fused ReLU
        conv2dBackward(dx, null, null, dout, x, w, g);
        return [out, dx] as const;
      };
      const [outJs, dxJs] = run("js"),
        [outSimd, dxSimd] = run("auto");
      const outNaive = new Float32Array(dout.length);
      conv2dForwardNaive(outNaive, x, w, b, g);
      expect(outJs).toBeAllClose(
        outNaive.map((v) => Math.max(v, 0)),
        { rtol: 0, atol: 0 },
      );
      expect(outSimd).toBeAllClose(outJs, { rtol: 1e-6, atol: 1e-6 });
      expect(outSimd).not.toEqual(outJs); // the SIMD kernel did run: its Float32 sums round differently
      expect(dxSimd).toBeAllClose(dxJs, { rtol: 1e-6, atol: 1e-6 });
    });
  }
});

describe("depthwise conv2d op", () => {
  afterEach(() => setConvAlgorithm("auto"));

  it("fuses a ReLU, forward and backward, as relu(conv2d(·)) does", () => {
    const p: Conv2dOptions = { pad: [1, 1], group: 3 };
    const run = (fused: boolean) => {
      const x = randomTensor([1, 3, 6, 5], 1, -1, 1, true);
      const w = randomTensor([3, 1, 3, 3], 2),
        b = randomTensor([3], 3);
      const y = fused ? conv2d(x, w, b, { ...p, relu: 0 }) : relu(conv2d(x, w, b, p));
      backward(y, random(y.size, 4, Float64Array));
      return [Array.from(y.data), Array.from(x.grad!)];
    };
    const [yFused, dxFused] = run(true),
      [y, dx] = run(false);
    expect(yFused).toEqual(y);
    expect(dxFused).toBeAllClose(dx!, { rtol: 1e-12, atol: 1e-12 });
  });

  it("gives the weights' and bias's gradients through the grouped path, equal to the naive twin's", () => {
    const x = randomTensor([2, 4, 5, 6], 1, -1, 1, true);
    const w = randomTensor([4, 1, 3, 3], 2, -1, 1, true),
      b = randomTensor([4], 3, -1, 1, true);
    const p: Conv2dOptions = { stride: [2, 2], pad: [1, 1], group: 4 };
    const y = conv2d(x, w, b, p);
    const dy = random(y.size, 4, Float64Array);
    backward(y, dy);
    const g = convGeometry(x.shape, w.shape, p);
    const dx = new Float64Array(x.size),
      dw = new Float64Array(w.size),
      db = new Float64Array(4);
    conv2dBackwardNaive(dx, dw, db, dy, x.data, w.data, g);
    expect(x.grad).toBeAllClose(dx, { rtol: 1e-12, atol: 1e-12 });
    expect(w.grad).toBeAllClose(dw, { rtol: 1e-12, atol: 1e-12 });
    expect(b.grad).toBeAllClose(db, { rtol: 1e-12, atol: 1e-12 });
  });
});

describe("depthwise on threads", () => {
  beforeAll(() => threadsReady(2));
  afterAll(() => shutdownThreads());

  for (const stride of [1, 2]) {
    it(`gives the same bits on 1 and 2 threads, forward and input gradient, stride ${stride}`, () => {
      // 64 planes of 40×40: large enough to be split.
      const g = convGeometry([1, 64, 40, 40], [64, 1, 3, 3], { pad: [1, 1], stride: [stride, stride], group: 64 });
      const float32s = (n: number): Float32Array => allocFloats("float32", n) as Float32Array;
      const compute = (): Float32Array[] => {
        const x = random(64 * 40 * 40, 1, float32s),
          w = random(64 * 9, 2, float32s),
          b = random(64, 3, float32s);
        const out = float32s(64 * g.OH * g.OW),
          dx = random(x.length, 5, float32s);
        conv2dForward(out, x, w, b, g, undefined, true);
        conv2dBackward(dx, null, null, random(out.length, 4, float32s), x, w, g);
        return [out, dx];
      };
      const one = withThreads(1, compute).map((a) => Array.from(a));
      withThreads(2, compute).forEach((a, k) => {
        expect(Array.from(a), `output ${k} at 2 threads`).toEqual(one[k]);
      });
    });
  }
});
