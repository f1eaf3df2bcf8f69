// GEMM with `imageB`: B given as the image whose im2col it is. Each kernel must give exactly the
// bits of building im2col first and multiplying after (the WebAssembly kernel gathers the block
// from the image as it packs it; the plain-JS kernel builds the matrix), across column blocks and
// depth slabs, for strides, pads, dilations and groups, plain, with a bias and with the ReLU
// epilogue; and gemmNaive, the oracle, agrees.
import { afterEach, describe, expect, it } from "vitest";
import { convGeometry, type Conv2dOptions } from "../../src/layers/conv-geometry.js";
import { gemm, gemmKernels, gemmNaive, setGemmBackend, type GemmOptions } from "../../src/layers/gemm.js";
import { im2col } from "../../src/layers/im2col.js";
import { random } from "../random.js";
import { sameBits } from "../same-bits.js";

afterEach(() => setGemmBackend("auto"));

const cases: Array<[name: string, x: number[], w: number[], o: Conv2dOptions]> = [
  ["7×7 stride 2 pad 3 (conv1), 3 blocks of columns", [1, 3, 141, 127], [16, 3, 7, 7], { stride: [2, 2], pad: [3, 3] }],
  ["5×5 pad 2, 12 channels: K = 300, two slabs", [1, 12, 23, 19], [9, 12, 5, 5], { pad: [2, 2] }],
  ["3×3 dilation 2 pad 1", [1, 4, 17, 15], [5, 4, 3, 3], { pad: [1, 1], dilation: [2, 2] }],
  ["2×3 stride (2, 1) pad (1, 0)", [1, 3, 11, 13], [7, 3, 2, 3], { stride: [2, 1], pad: [1, 0] }],
  ["1×1 stride 2", [1, 6, 9, 10], [4, 6, 1, 1], { stride: [2, 2] }],
  ["3×3 pad 4: whole rows of padding", [1, 2, 3, 4], [3, 2, 3, 3], { pad: [4, 4] }],
  ["groups 2", [1, 6, 12, 12], [8, 3, 3, 3], { pad: [1, 1], group: 2 }],
];

describe.each(gemmKernels())("gemm with imageB (%s)", (kernel) => {
  it.each(cases)("%s: the bits of im2col then gemm", (_name, xShape, wShape, o) => {
    setGemmBackend(kernel);
    const g = convGeometry(xShape, wShape, o);
    const Cg = g.C / g.groups,
      K = Cg * g.R * g.S,
      N = g.OH * g.OW,
      M = g.K / g.groups;
    const x = random(g.C * g.H * g.W, 1, Float32Array);
    const image = x.subarray((g.groups - 1) * Cg * g.H * g.W); // the last group's channels
    const A = random(M * K, 2, Float32Array);
    const col = new Float32Array(K * N);
    im2col(col, image, g, 0, g.OH);
    const rowBias = random(M, 3, Float32Array);
    for (const opts of [{}, { rowBias }, { rowBias, relu: true }, { accumulate: true }] as GemmOptions[]) {
      const start = random(M * N, 4, Float32Array);
      const expected = start.slice(),
        C = start.slice();
      gemm(expected, A, col, M, N, K, opts);
      gemm(C, A, image, M, N, K, { ...opts, imageB: g });
      expect(sameBits(C, expected)).toBe(true);
      const naive = start.slice();
      gemmNaive(naive, A, image, M, N, K, { ...opts, imageB: g });
      expect(C).toBeAllClose(naive, { rtol: 1e-4, atol: 1e-5 });
    }
  });
});

describe("imageB's arguments", () => {
  it("must agree with the geometry, and refuse transB and maskB", () => {
    const g = convGeometry([1, 2, 5, 5], [3, 2, 3, 3], { pad: [1, 1] });
    const x = new Float32Array(2 * 25),
      A = new Float32Array(3 * 18),
      C = new Float32Array(3 * 25);
    expect(() => gemm(C, new Float32Array(3 * 17), x, 3, 25, 17, { imageB: g })).toThrow(
      "with imageB, K must be C/G·R·S = 18 and N must be OH·OW = 25",
    );
    expect(() => gemm(C, A, x.subarray(1), 3, 25, 18, { imageB: g })).toThrow("B (the image, imageB) has 49 values");
    expect(() => gemm(C, A, x, 3, 25, 18, { imageB: g, transB: true })).toThrow("imageB cannot be combined with transB or maskB");
  });
});
