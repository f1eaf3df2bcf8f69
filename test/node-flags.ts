// The Node flags a child process needs to run the GEMM with a given SIMD flavour, for the tests
// that compare a browser's picture with Node's bit for bit. Relaxed SIMD is on by default from
// Node 21; Node 20 needs the V8 flag, which later Nodes no longer accept ("bad option"). The
// child runs this very Node (process.execPath), so this process's own flavour tells.
import { simdFlavour } from "../src/layers/wasm/gemm-simd.js";
import type { SimdFlavour } from "../src/layers/wasm/gemm-simd-module.js";

export function nodeFlagsFor(flavour: SimdFlavour | null): string[] {
  return flavour === "relaxed-madd" && simdFlavour() !== "relaxed-madd" ? ["--experimental-wasm-relaxed-simd"] : [];
}
