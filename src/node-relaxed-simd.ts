// Relaxed SIMD on Node 20, the Node side's half of choosing the GEMM's flavour.
//
// The WebAssembly GEMM (./layers/wasm/gemm-simd.ts) has a relaxed-SIMD flavour whose
// multiply–adds are one f32x4.relaxed_madd (fused where the CPU has FMA). Node ≥ 21 and
// Chrome ≥ 114 have relaxed SIMD on by default; Node 20 has it behind V8's
// --experimental-wasm-relaxed-simd, which `v8.setFlagsFromString` can also set from inside a
// running process. V8 reads it whenever a module is validated or compiled, and the GEMM probes
// and compiles lazily, at its first call, so setting it at import is in time. The core never
// imports node:*, so this file is on the Node side: the package entry and the CLI import it.
//
// Not by default. Measured side by side (bench/relaxed.bench.ts, 2026-12-01, bench/README.md),
// the fused kernel saves 6–12% of the CPU time of a 448² step on Node 20 — real, but small — and
// flipping a V8 flag from inside changes the whole host process (Node documents that changing
// flags after start-up may misbehave), on a Node line that is past its end of life and whose
// successors have relaxed SIMD on anyway. A library that is imported into someone else's process
// should not do that for 6–12%. It does it when asked: INCEPTIONISM_GEMM=wasm-relaxed on Node 20
// turns the flag on (without this the request would fail: no relaxed SIMD).

import { setFlagsFromString } from "node:v8";
import { validates } from "./layers/wasm/assembler.js";
import { gemmModuleBytes } from "./layers/wasm/gemm-simd-module.js";

/**
 * Turns on V8's relaxed SIMD if this runtime has it behind a flag (Node 20); returns whether
 * WebAssembly relaxed SIMD validates now. Call before the first GEMM: the GEMM's choice of
 * flavour is made once, at its first call.
 */
export function enableRelaxedSimd(): boolean {
  const relaxed = gemmModuleBytes("relaxed-madd");
  if (validates(relaxed)) return true;
  setFlagsFromString("--experimental-wasm-relaxed-simd");
  return validates(relaxed);
}

if (globalThis.process?.env?.INCEPTIONISM_GEMM === "wasm-relaxed") enableRelaxedSimd();
