// A ReLU's backward folded into the GEMM that reads its gradient (GemmOptions.maskB), as a
// convolution's fused ReLU uses it when only dx is wanted: the same bits as masking B first
// (reluMask) and multiplying after, on both GEMM backends, plain and accumulating, for slope 0
// and a leaky slope, with NaN, ±0 and negative values in the mask's source; and the op no longer
// writes into the gradient it is handed.
import { afterEach, describe, expect, it } from "vitest";
import { gemm, gemmNaive, setGemmBackend, type GemmOptions } from "../../src/layers/gemm.js";
import { conv2d, conv2dBackward, convGeometry, setConvAlgorithm } from "../../src/layers/conv.js";
import { reluMask } from "../../src/layers/relu.js";
import { Tensor } from "../../src/tensor/tensor.js";
import { random } from "../random.js";
import { sameBits } from "../same-bits.js";

afterEach(() => setGemmBackend("auto"));

/** by: the ReLU's output, with zeros, −0, negatives (a leaky ReLU's) and a NaN. */
function reluOutput(n: number, seed: number): Float32Array {
  const by = random(n, seed, Float32Array);
  for (let i = 0; i < n; i += 7) by[i] = 0;
  for (let i = 3; i < n; i += 11) by[i] = -0;
  by[n >> 1] = NaN;
  return by;
}

describe.each(["js", "wasm"] as const)("gemm with maskB (%s)", (backend) => {
  it.each([
    [7, 65, 13],
    [33, 200, 9],
    [1, 1, 1],
    [20, 300, 300],
  ])("equals reluMask on B, then the product: M=%i N=%i K=%i", (M, N, K) => {
    setGemmBackend(backend);
    // 0.1 is not a float32, so its mask is applied in JS; Math.fround(0.1) is, in WebAssembly.
    for (const slope of [0, 0.1, Math.fround(0.1)]) {
      for (const opts of [{}, { transA: true }, { accumulate: true }] as GemmOptions[]) {
        const A = random(M * K, 1, Float32Array),
          B = random(K * N, 2, Float32Array),
          by = reluOutput(K * N, 3);
        const C = random(M * N, 4, Float32Array),
          CRef = C.slice();
        const masked = B.slice();
        reluMask(masked, by, slope, 0, masked.length);
        gemm(CRef, A, masked, M, N, K, opts);
        const before = B.slice();
        gemm(C, A, B, M, N, K, { ...opts, maskB: { by, slope } });
        expect(sameBits(C, CRef)).toBe(true);
        expect(sameBits(B, before)).toBe(true); // B is read, not written
        const naive = random(M * N, 4, Float32Array);
        gemmNaive(naive, A, B, M, N, K, { ...opts, maskB: { by, slope } });
        expect(C).toBeAllClose(naive, { rtol: 1e-4, atol: 1e-5 });
      }
    }
  });
});

describe("maskB's arguments", () => {
  it("refuses a transposed B and a mask of the wrong size", () => {
    const one = new Float32Array(4);
    expect(() => gemm(one, one, one, 2, 2, 2, { transB: true, maskB: { by: one, slope: 0 } })).toThrow(
      "gemm: maskB cannot be combined with transB",
    );
    expect(() => gemm(one, one, one, 2, 2, 2, { maskB: { by: new Float32Array(3), slope: 0 } })).toThrow(
      "gemm: maskB.by has 3 values, expected 2×2 = 4",
    );
  });
});

describe("a convolution's fused ReLU, backward", () => {
  afterEach(() => setConvAlgorithm("auto"));
  for (const [what, pad, algorithm] of [
    ["3×3 (im2col)", 1, "im2col"],
    ["1×1 (no im2col)", 0, "auto"],
    ["3×3 (Winograd)", 1, "auto"],
  ] as const) {
    it(`${what}: gives reluMask's bits, folding the mask into the dx GEMM where there is one`, () => {
      setConvAlgorithm(algorithm);
      const R = pad === 1 ? 3 : 1;
      const x = new Tensor(random(2 * 5 * 9 * 8, 5, Float32Array), [1, 10, 9, 8], true);
      const w = new Tensor(random(6 * 10 * R * R, 6, Float32Array), [6, 10, R, R]);
      const y = conv2d(x, w, null, { pad: [pad, pad], relu: 0 });
      const dy = random(y.size, 7, Float32Array),
        dyBefore = dy.slice();
      const [dx] = y.node!.backward(dy, []);
      if (algorithm === "im2col" || R === 1) expect(sameBits(dy, dyBefore)).toBe(true); // Winograd masks dy in place first
      const g = convGeometry(x.shape, w.shape, { pad: [pad, pad] });
      const masked = dy.slice(),
        dxRef = new Float32Array(x.size);
      reluMask(masked, y.data, 0, 0, masked.length);
      conv2dBackward(dxRef, null, null, masked, x.data, w.data, g);
      expect(sameBits(dx as Float32Array, dxRef)).toBe(true);
    });
  }

  it("refuses doutRelu when dw or db is wanted", () => {
    const g = convGeometry([1, 1, 3, 3], [1, 1, 1, 1], {});
    const a = new Float32Array(9),
      one = new Float32Array(1);
    expect(() => conv2dBackward(a, one, null, a, a, one, g, undefined, { by: a, slope: 0 })).toThrow(
      "conv2dBackward: doutRelu is only for dx alone",
    );
  });
});
