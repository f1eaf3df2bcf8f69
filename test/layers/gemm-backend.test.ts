import { afterEach, describe, expect, it, vi } from "vitest";

// A runtime without WebAssembly SIMD, simulated: the SIMD module reports no support. Module
// mocks apply to this whole file, hence its own file.
vi.mock("../../src/layers/wasm/gemm-simd.js", () => ({
  SIMD_TILE_COLUMNS: 8,
  SIMD_DEPTH_BLOCK: 256,
  simdFlavour: () => null,
  supportsSimdFlavour: () => false,
  gemmSimd: () => {
    throw new Error("gemmSimd must not be called without SIMD");
  },
}));

afterEach(() => {
  vi.unstubAllEnvs();
  vi.resetModules();
});

describe("gemm without WebAssembly SIMD", () => {
  it("falls back to plain JS on auto and refuses to force wasm", async () => {
    vi.stubEnv("INCEPTIONISM_GEMM", "auto");
    const { gemm, gemmBackend, setGemmBackend } = await import("../../src/layers/gemm.js");
    expect(gemmBackend()).toBe("js");
    const C = new Float32Array(1);
    gemm(C, Float32Array.from([2]), Float32Array.from([3]), 1, 1, 1);
    expect(C[0]).toBe(6);
    for (const backend of ["wasm", "wasm-plain", "wasm-relaxed"] as const) {
      expect(() => setGemmBackend(backend)).toThrow(
        `setGemmBackend("${backend}"): this runtime has no WebAssembly SIMD (simd128); use "js" or "auto"`,
      );
    }
  });

  it("fails at the first GEMM when INCEPTIONISM_GEMM forces wasm, not at import", async () => {
    vi.stubEnv("INCEPTIONISM_GEMM", "wasm");
    const { gemm } = await import("../../src/layers/gemm.js");
    expect(() => gemm(new Float32Array(1), Float32Array.from([2]), Float32Array.from([3]), 1, 1, 1)).toThrow(
      "INCEPTIONISM_GEMM=wasm: this runtime has no WebAssembly SIMD (simd128)",
    );
  });
});

describe("INCEPTIONISM_GEMM", () => {
  it("rejects a value that is not a backend at the first GEMM; the package still imports", async () => {
    vi.stubEnv("INCEPTIONISM_GEMM", "fast");
    await expect(import("../../src/index.js")).resolves.toHaveProperty("dream");
    const { gemmBackend } = await import("../../src/layers/gemm.js");
    expect(() => gemmBackend()).toThrow('INCEPTIONISM_GEMM="fast": expected one of auto, js, wasm, wasm-plain, wasm-relaxed');
  });

  it("is not read when setGemmBackend chose first", async () => {
    vi.stubEnv("INCEPTIONISM_GEMM", "fast");
    const { gemmBackend, setGemmBackend } = await import("../../src/layers/gemm.js");
    setGemmBackend("js");
    expect(gemmBackend()).toBe("js");
  });

  it("forces wasm-plain", async () => {
    vi.stubEnv("INCEPTIONISM_GEMM", "wasm-plain");
    vi.doUnmock("../../src/layers/wasm/gemm-simd.js");
    const { gemmBackend } = await import("../../src/layers/gemm.js");
    expect(gemmBackend()).toBe("wasm-plain");
  });

  it("forces js", async () => {
    vi.stubEnv("INCEPTIONISM_GEMM", "js");
    const { gemmBackend } = await import("../../src/layers/gemm.js");
    expect(gemmBackend()).toBe("js");
  });
});
