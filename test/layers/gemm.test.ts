import { afterAll, describe, expect, it } from "vitest";
import { gemm, gemmBackend, gemmKernels, gemmNaive, setGemmBackend, type GemmKernel, type GemmOptions } from "../../src/layers/gemm.js";
import { random } from "../random.js";

type ArrayType = Float32ArrayConstructor | Float64ArrayConstructor;

// Sizes around the register tile (4), the packed blocks (MC = 96, KC = 256, NC = 2048) and 1.
const shapes: Array<[M: number, N: number, K: number]> = [
  [1, 1, 1],
  [1, 7, 3],
  [3, 1, 65],
  [7, 63, 5],
  [63, 65, 7],
  [65, 3, 130],
  [130, 17, 300],
  [5, 2050, 3],
];
afterAll(() => setGemmBackend("auto"));

const transCombos: GemmOptions[] = [{}, { transA: true }, { transB: true }, { transA: true, transB: true }];

// Each kernel pinned: Float32 on the plain-JS kernel and on each WebAssembly SIMD flavour the
// runtime has, Float64 always on plain JS. Under "auto" Float32 would only ever reach the fastest,
// and the JS kernel's block edges would go untested in Float32.
const runs: Array<{ Type: ArrayType; backend: GemmKernel; rtol: number }> = [
  ...gemmKernels().map((backend) => ({ Type: Float32Array, backend, rtol: 1e-5 })),
  { Type: Float64Array, backend: "js", rtol: 1e-12 },
];

describe("gemm vs gemmNaive", () => {
  for (const { Type, backend, rtol } of runs) {
    for (const [M, N, K] of shapes) {
      for (const trans of transCombos) {
        const label = `${Type.name} (${backend}) M=${M} N=${N} K=${K} transA=${!!trans.transA} transB=${!!trans.transB}`;
        it(label, () => {
          setGemmBackend(backend);
          expect(gemmBackend()).toBe(backend);
          const A = random(M * K, 1, Type),
            B = random(K * N, 2, Type);
          // Overwrite: C starts as garbage that must disappear.
          const C = random(M * N, 3, Type),
            expected = new Type(M * N);
          gemm(C, A, B, M, N, K, trans);
          gemmNaive(expected, A, B, M, N, K, trans);
          expect(C).toBeAllClose(expected, { rtol, atol: rtol * Math.sqrt(K) });
          // Accumulate: C += op(A)·op(B) on top of the previous result.
          gemm(C, A, B, M, N, K, { ...trans, accumulate: true });
          gemmNaive(expected, A, B, M, N, K, { ...trans, accumulate: true });
          expect(C).toBeAllClose(expected, { rtol, atol: rtol * Math.sqrt(K) });
          // Row bias: C = bias[i] + op(A)·op(B).
          const rowBias = random(M, 4, Type);
          gemm(C, A, B, M, N, K, { ...trans, rowBias });
          gemmNaive(expected, A, B, M, N, K, { ...trans, rowBias });
          expect(C).toBeAllClose(expected, { rtol, atol: rtol * Math.sqrt(K) });
          // ReLU epilogue: C = max(bias[i] + op(A)·op(B), 0).
          gemm(C, A, B, M, N, K, { ...trans, rowBias, relu: true });
          gemmNaive(expected, A, B, M, N, K, { ...trans, rowBias, relu: true });
          expect(C).toBeAllClose(expected, { rtol, atol: rtol * Math.sqrt(K) });
          expect(C.some((v) => v < 0)).toBe(false);
        });
      }
    }
  }

  it("gives the textbook answer on a 2×3 · 3×2 product", () => {
    const A = Float64Array.from([1, 2, 3, 4, 5, 6]);
    const B = Float64Array.from([7, 8, 9, 10, 11, 12]);
    const C = new Float64Array(4);
    gemm(C, A, B, 2, 2, 3);
    expect(C).toBeAllClose([58, 64, 139, 154], { rtol: 0, atol: 0 });
  });

  it("zeroes C when K = 0 and leaves it alone when accumulating", () => {
    const C = Float32Array.from([1, 2, 3, 4]);
    gemm(C, new Float32Array(0), new Float32Array(0), 2, 2, 0, { accumulate: true });
    expect(C).toBeAllClose([1, 2, 3, 4], { rtol: 0, atol: 0 });
    gemm(C, new Float32Array(0), new Float32Array(0), 2, 2, 0);
    expect(C).toBeAllClose([0, 0, 0, 0], { rtol: 0, atol: 0 });
  });

  it("works on subarray views without touching their neighbours", () => {
    const big = random(100, 4, Float32Array);
    const before = big.slice();
    const C = big.subarray(10, 16); // 2×3
    gemm(C, random(8, 5, Float32Array), random(12, 6, Float32Array), 2, 3, 4);
    expect(big.subarray(0, 10)).toBeAllClose(before.subarray(0, 10), { rtol: 0, atol: 0 });
    expect(big.subarray(16)).toBeAllClose(before.subarray(16), { rtol: 0, atol: 0 });
  });
});

describe("gemm argument errors", () => {
  it("names the array whose size is wrong", () => {
    const f = (): void => gemm(new Float32Array(6), new Float32Array(5), new Float32Array(12), 2, 3, 4);
    expect(f).toThrow("gemm: A has 5 values, expected 2×4 = 8");
    expect(() => gemmNaive(new Float32Array(5), new Float32Array(8), new Float32Array(12), 2, 3, 4)).toThrow(
      "gemmNaive: C has 5 values, expected 2×3 = 6",
    );
  });

  it("keeps NaN and turns −0 into +0 in the ReLU epilogue, like WebAssembly's f32x4.max", () => {
    for (const Type of [Float32Array, Float64Array]) {
      const C = new Type(3);
      gemm(C, Type.from([1]), Type.from([Number.NaN, -0, -2]), 1, 3, 1, { relu: true });
      expect(Number.isNaN(C[0])).toBe(true);
      expect(Object.is(C[1], 0)).toBe(true);
      expect(C[2]).toBe(0);
    }
  });

  it("refuses relu with accumulate", () => {
    const [A, B, C] = [new Float32Array(6), new Float32Array(6), new Float32Array(4)];
    expect(() => gemm(C, A, B, 2, 2, 3, { relu: true, accumulate: true })).toThrow("gemm: relu cannot be combined with accumulate");
  });

  it("refuses a row bias of the wrong length, or with accumulate", () => {
    const [A, B, C] = [new Float32Array(6), new Float32Array(6), new Float32Array(4)];
    expect(() => gemm(C, A, B, 2, 2, 3, { rowBias: new Float32Array(3) })).toThrow("gemm: rowBias has 3 values, expected 2×1 = 2");
    expect(() => gemm(C, A, B, 2, 2, 3, { rowBias: new Float32Array(2), accumulate: true })).toThrow(
      "gemm: rowBias cannot be combined with accumulate",
    );
  });

  it("rejects mixed Float32/Float64 arrays", () => {
    const f = (): void => gemm(new Float32Array(1), new Float64Array(1), new Float32Array(1), 1, 1, 1);
    expect(f).toThrow("gemm: C, A and B must all be Float32Array or all Float64Array, got Float32Array, Float64Array, Float32Array");
  });

  it("rejects negative or fractional sizes", () => {
    expect(() => gemm(new Float32Array(0), new Float32Array(0), new Float32Array(0), -1, 0, 0)).toThrow(
      "gemm: M must be a non-negative integer, got -1",
    );
    expect(() => gemm(new Float32Array(0), new Float32Array(0), new Float32Array(0), 0, 0, 1.5)).toThrow(
      "gemm: K must be a non-negative integer, got 1.5",
    );
  });
});
