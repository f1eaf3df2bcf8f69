// The relaxed-SIMD flavour of the WebAssembly GEMM (src/layers/wasm/gemm-simd.ts): on a runtime
// with relaxed SIMD (on by default from Node 22; behind a flag on Node 20) the kernel must really
// be built with f32x4.relaxed_madd, and stay within tolerance of gemmNaive.
//
// Relaxed SIMD is probed here independently of the library, with a hand-written module: f(a, b, c)
// = lane 0 of f32x4.relaxed_madd(splat a, splat b, splat c). Whether the runtime fuses it is
// seen with a = b = 1 + 2⁻¹², c = −(1 + 2⁻¹¹): the exact a·b + c is 2⁻²⁴, but a·b rounded to
// float32 first (a tie, to even) is 1 + 2⁻¹¹, which leaves 0. The GEMM with K = 2 and
// A = [−(1 + 2⁻¹¹), a], B = [1, b] computes the same madd in its micro-kernel, so it must give
// what the probe gives — 2⁻²⁴ on a CPU with FMA, where the mul-add flavour gives 0.
//
// .ci/run sets INCEPTIONISM_EXPECT_RELAXED_SIMD=1 for its Node 24 run, where these tests must
// not be skipped: that is what makes CI exercise the relaxed path.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { gemm, gemmBackend, gemmNaive, setGemmBackend, type GemmKernel } from "../../src/layers/gemm.js";
import { simdFlavour } from "../../src/layers/wasm/gemm-simd.js";
import { fillUniform } from "../../src/tensor/random.js";

// prettier-ignore
const PROBE = new Uint8Array([
  0x00,
  0x61,
  0x73,
  0x6d,
  0x01,
  0x00,
  0x00,
  0x00, // "\0asm", version 1
  0x01,
  0x08,
  0x01,
  0x60,
  0x03,
  0x7d,
  0x7d,
  0x7d,
  0x01,
  0x7d, // types: (f32, f32, f32) → f32
  0x03,
  0x02,
  0x01,
  0x00, // functions: one, of type 0
  0x07,
  0x05,
  0x01,
  0x01,
  0x66,
  0x00,
  0x00, // exports: "f" = function 0
  0x0a,
  0x16,
  0x01,
  0x14,
  0x00, // code: one body of 20 bytes, no locals
  0x20,
  0x00,
  0xfd,
  0x13, // local.get 0, f32x4.splat
  0x20,
  0x01,
  0xfd,
  0x13, // local.get 1, f32x4.splat
  0x20,
  0x02,
  0xfd,
  0x13, // local.get 2, f32x4.splat
  0xfd,
  0x85,
  0x02, // f32x4.relaxed_madd (0x105)
  0xfd,
  0x1f,
  0x00, // f32x4.extract_lane 0
  0x0b, // end
]);

// The global's types are not in this project's lib (ES2022, no DOM); the few members used here:
const wasm = (
  globalThis as unknown as {
    WebAssembly: {
      validate(bytes: Uint8Array): boolean;
      Module: new (bytes: Uint8Array) => object;
      Instance: new (module: object) => { exports: Record<string, unknown> };
    };
  }
).WebAssembly;

const relaxed = wasm.validate(PROBE);
const expectRelaxed = process.env.INCEPTIONISM_EXPECT_RELAXED_SIMD === "1";

describe("relaxed SIMD", () => {
  it("is what this run was meant to have", () => {
    if (expectRelaxed) expect(relaxed, `${process.version} has no relaxed SIMD, but INCEPTIONISM_EXPECT_RELAXED_SIMD=1`).toBe(true);
    // Where the probe validates the library must choose relaxed-madd; where not, it cannot.
    expect(simdFlavour() === "relaxed-madd").toBe(relaxed);
  });
});

describe.runIf(relaxed)("gemm with relaxed SIMD", () => {
  let previous: GemmKernel;
  beforeAll(() => {
    previous = gemmBackend();
    setGemmBackend("wasm");
  });
  afterAll(() => setGemmBackend(previous));

  it("builds its kernel with f32x4.relaxed_madd", () => {
    expect(simdFlavour()).toBe("relaxed-madd");
  });

  it("rounds its multiply–adds exactly as one relaxed_madd does on this runtime", () => {
    const madd = new wasm.Instance(new wasm.Module(PROBE)).exports.f as (a: number, b: number, c: number) => number;
    const a = 1 + 2 ** -12,
      c = -(1 + 2 ** -11);
    const fused = madd(a, a, c);
    expect([0, 2 ** -24]).toContain(fused); // unfused or fused, nothing else
    const C = new Float32Array(1);
    gemm(C, new Float32Array([c, a]), new Float32Array([1, a]), 1, 1, 2);
    expect(C[0]).toBe(fused);
    const exact = new Float32Array(1);
    gemmNaive(exact, new Float32Array([c, a]), new Float32Array([1, a]), 1, 1, 2);
    expect(exact[0]).toBe(2 ** -24); // the naive twin sums in double precision
  });

  it("keeps separate multiplies and adds when wasm-plain is forced", () => {
    const a = 1 + 2 ** -12,
      c = -(1 + 2 ** -11);
    const C = new Float32Array(1);
    setGemmBackend("wasm-plain");
    try {
      expect(gemmBackend()).toBe("wasm-plain");
      gemm(C, new Float32Array([c, a]), new Float32Array([1, a]), 1, 1, 2);
      expect(C[0]).toBe(0); // a·a rounded to 1 + 2⁻¹¹ before the add, whatever this CPU could fuse
    } finally {
      setGemmBackend("wasm");
    }
  });

  it("stays within tolerance of gemmNaive on a convolution's shapes", () => {
    // inception_3a/3x3: K = 96·3·3 input taps, M = 128 filters, N = 28·28 pixels; with bias and ReLU.
    const [M, N, K] = [128, 784, 864];
    const A = fillUniform(new Float32Array(M * K), 11),
      B = fillUniform(new Float32Array(K * N), 12);
    const rowBias = fillUniform(new Float32Array(M), 13);
    const C = new Float32Array(M * N),
      expected = new Float32Array(M * N);
    gemm(C, A, B, M, N, K, { rowBias, relu: true });
    gemmNaive(expected, A, B, M, N, K, { rowBias, relu: true });
    expect(C).toBeAllClose(expected, { rtol: 1e-5, atol: 1e-5 * Math.sqrt(K) });
  });
});

describe.runIf(!relaxed && simdFlavour() !== null)("gemm without relaxed SIMD", () => {
  it("refuses to force wasm-relaxed, saying how to get it", () => {
    expect(() => setGemmBackend("wasm-relaxed")).toThrow(
      'setGemmBackend("wasm-relaxed"): this runtime has no relaxed SIMD (on Node 20, start node with --experimental-wasm-relaxed-simd); use "wasm-plain" or "auto"',
    );
  });
});
