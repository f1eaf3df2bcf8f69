import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { gemm, gemmBackend, gemmKernels, gemmNaive, setGemmBackend, type GemmKernel, type GemmOptions } from "../../src/layers/gemm.js";
import { packAForSimd, packedALength, simdFlavour } from "../../src/layers/wasm/gemm-simd.js";
import { fillUniform } from "../../src/tensor/random.js";

// The WebAssembly SIMD GEMM against gemmNaive, through `gemm` with the backend forced.
// Sizes around the register tile (4×8), the blocks (MC = 128, KC = 256, NC = 2048) and 1.
const shapes: Array<[M: number, N: number, K: number]> = [
  [1, 1, 1],
  [1, 7, 3],
  [3, 1, 65],
  [7, 63, 5],
  [63, 65, 7],
  [65, 3, 130],
  [130, 17, 257],
  [257, 9, 63],
  [127, 8, 256],
  [128, 16, 255],
  [129, 33, 513],
  [5, 2049, 3],
  [9, 4103, 2],
];
const transCombos: GemmOptions[] = [{}, { transA: true }, { transB: true }, { transA: true, transB: true }];

// Every SIMD flavour this runtime has, each forced in turn.
describe.each(gemmKernels().filter((k) => k !== "js"))("gemm on WebAssembly SIMD (%s) vs gemmNaive", (kernel) => {
  let previous: GemmKernel;
  beforeAll(() => {
    previous = gemmBackend();
    setGemmBackend(kernel);
  });
  afterAll(() => setGemmBackend(previous));

  for (const [M, N, K] of shapes) {
    for (const trans of transCombos) {
      it(`M=${M} N=${N} K=${K} transA=${!!trans.transA} transB=${!!trans.transB}`, () => {
        expect(gemmBackend()).toBe(kernel);
        const A = fillUniform(new Float32Array(M * K), 1),
          B = fillUniform(new Float32Array(K * N), 2);
        const C = fillUniform(new Float32Array(M * N), 3),
          expected = new Float32Array(M * N);
        const tol = { rtol: 1e-5, atol: 1e-5 * Math.sqrt(K) };
        gemm(C, A, B, M, N, K, trans); // overwrite: the garbage in C must disappear
        gemmNaive(expected, A, B, M, N, K, trans);
        expect(C).toBeAllClose(expected, tol);
        gemm(C, A, B, M, N, K, { ...trans, accumulate: true });
        gemmNaive(expected, A, B, M, N, K, { ...trans, accumulate: true });
        expect(C).toBeAllClose(expected, tol);
        const rowBias = fillUniform(new Float32Array(M), 4);
        gemm(C, A, B, M, N, K, { ...trans, rowBias });
        gemmNaive(expected, A, B, M, N, K, { ...trans, rowBias });
        expect(C).toBeAllClose(expected, tol);
        gemm(C, A, B, M, N, K, { ...trans, rowBias, relu: true });
        gemmNaive(expected, A, B, M, N, K, { ...trans, rowBias, relu: true });
        expect(C).toBeAllClose(expected, tol);
      });
    }
  }

  it("gives bit-identical results on repeated calls, whatever ran in between", () => {
    const [M, N, K] = [70, 300, 600];
    const A = fillUniform(new Float32Array(M * K), 4),
      B = fillUniform(new Float32Array(K * N), 5);
    const first = new Float32Array(M * N),
      second = new Float32Array(M * N);
    gemm(first, A, B, M, N, K);
    gemm(new Float32Array(9 * 4103), fillUniform(new Float32Array(9 * 2), 6), fillUniform(new Float32Array(2 * 4103), 7), 9, 4103, 2);
    gemm(second, A, B, M, N, K);
    expect(second).toEqual(first);
  });

  it("keeps a NaN or an infinity in one column of B to that column of C, whichever way B is copied in", () => {
    // N = 65 is copied in as one run (a panel past column 64 reads the next row's column 0), N = 64
    // also copies C as one run, N = 2100 row by row; a mask (maskB) is applied on the way in.
    for (const N of [65, 64, 2100]) {
      const [M, K] = [6, 20];
      const A = fillUniform(new Float32Array(M * K), 11),
        B = fillUniform(new Float32Array(K * N), 12),
        by = fillUniform(new Float32Array(K * N), 13);
      for (let p = 0; p < K; p++) B[p * N] = p % 2 === 0 ? Number.NaN : Number.POSITIVE_INFINITY;
      for (const opts of [{}, { accumulate: true }, { maskB: { by, slope: 0 } }] as GemmOptions[]) {
        const C = fillUniform(new Float32Array(M * N), 14);
        gemm(C, A, B, M, N, K, opts);
        for (let i = 0; i < M; i++) {
          expect(Number.isFinite(C[i * N]!)).toBe(false);
          expect(C.subarray(i * N + 1, (i + 1) * N).every(Number.isFinite)).toBe(true);
        }
      }
    }
  });

  it("leaves subarray neighbours alone and handles empty products", () => {
    const big = fillUniform(new Float32Array(100), 8);
    const before = big.slice();
    gemm(big.subarray(10, 16), fillUniform(new Float32Array(8), 9), fillUniform(new Float32Array(12), 10), 2, 3, 4);
    expect(big.subarray(0, 10)).toEqual(before.subarray(0, 10));
    expect(big.subarray(16)).toEqual(before.subarray(16));
    const C = Float32Array.from([1, 2, 3, 4]);
    gemm(C, new Float32Array(0), new Float32Array(0), 2, 2, 0, { accumulate: true });
    expect([...C]).toEqual([1, 2, 3, 4]);
    gemm(C, new Float32Array(0), new Float32Array(0), 2, 2, 0);
    expect([...C]).toEqual([0, 0, 0, 0]);
  });

  it("still runs Float64 in plain JS, in double precision", () => {
    const A = Float64Array.from([1 + 1e-12, 1]),
      B = Float64Array.from([1, -1]);
    const C = new Float64Array(1);
    gemm(C, A, B, 1, 1, 2);
    expect(C[0]).toBe(A[0]! - 1); // ≈ 1e-12, which float32 sums would round away to 0
    expect(C[0]).not.toBe(0);
  });
});

describe("gemm backend choice", () => {
  it("reports what auto picks and can be forced to js and back", () => {
    const previous = gemmBackend();
    try {
      setGemmBackend("auto");
      expect(gemmBackend()).toBe(gemmKernels().at(-1)); // the fastest kernel this runtime has
      if (simdFlavour() !== null) {
        setGemmBackend("wasm"); // the better SIMD flavour
        expect(gemmBackend()).toBe(simdFlavour() === "relaxed-madd" ? "wasm-relaxed" : "wasm-plain");
        setGemmBackend("wasm-plain");
        expect(gemmBackend()).toBe("wasm-plain");
      }
      setGemmBackend("js");
      expect(gemmBackend()).toBe("js");
    } finally {
      setGemmBackend(previous);
    }
  });

  it("rejects an unknown backend by name", () => {
    expect(() => setGemmBackend("gpu" as "js")).toThrow(
      'setGemmBackend: unknown backend "gpu"; choose from auto, js, wasm, wasm-plain, wasm-relaxed',
    );
  });
});

describe.each(gemmKernels().filter((k) => k !== "js"))("gemm with A packed once (packedA, %s)", (kernel) => {
  afterAll(() => setGemmBackend("auto"));
  it.each([
    [7, 65, 13],
    [130, 49, 257],
    [129, 2100, 300],
  ])("gives the bits of packing A in the call: M=%i N=%i K=%i", (M, N, K) => {
    setGemmBackend(kernel);
    const A = fillUniform(new Float32Array(M * K), 21),
      B = fillUniform(new Float32Array(K * N), 22);
    const packed = new Float32Array(packedALength(M, K));
    packAForSimd(packed, A, M, K);
    for (const opts of [{}, { accumulate: true }, { rowBias: fillUniform(new Float32Array(M), 23), relu: true }] as GemmOptions[]) {
      const start = fillUniform(new Float32Array(M * N), 24);
      const expected = start.slice(),
        C = start.slice();
      gemm(expected, A, B, M, N, K, opts);
      gemm(C, packed, B, M, N, K, { ...opts, packedA: true });
      expect(new Uint32Array(C.buffer)).toEqual(new Uint32Array(expected.buffer));
    }
  });

  it("is refused where it cannot be meant: the plain-JS kernel, transA, the wrong length, the oracle", () => {
    const packed = new Float32Array(packedALength(6, 3));
    const B = new Float32Array(3 * 5),
      C = new Float32Array(6 * 5);
    setGemmBackend("js");
    expect(() => gemm(C, packed, B, 6, 5, 3, { packedA: true })).toThrow("gemm: packedA needs a WebAssembly kernel");
    setGemmBackend(kernel);
    expect(() => gemm(C, packed, B, 6, 5, 3, { packedA: true, transA: true })).toThrow("packedA cannot be combined with transA");
    expect(() => gemm(C, packed.subarray(1), B, 6, 5, 3, { packedA: true })).toThrow("gemm: packed A has 23 values, expected 24");
    expect(() => gemmNaive(C, packed, B, 6, 5, 3, { packedA: true })).toThrow("gemmNaive: packedA is the WebAssembly kernel's form of A");
  });
});
