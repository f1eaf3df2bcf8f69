// Node's `dream()` for ./dreamer-chromium.test.ts, run as a child process so that it can be
// started with the V8 flags that give it the same WebAssembly SIMD as the browser: Chromium has
// relaxed SIMD, whose fused multiply–add rounds once where plain simd128 rounds twice, and Node 20
// has it only with --experimental-wasm-relaxed-simd (src/layers/wasm/gemm-simd.ts). A picture is
// bit for bit the same only between runtimes with the same flavour, so this refuses to run with
// another than the one it is told.
//
//   node [--experimental-wasm-relaxed-simd] --import tsx node-reference.ts \
//        FLAVOUR INPUT.f32 WIDTH HEIGHT OPTIONS-JSON OUTPUT.f32
import { readFileSync, writeFileSync } from "node:fs";
import { dream } from "../../src/index.js";
import { simdFlavour } from "../../src/layers/wasm/gemm-simd.js";
import { shutdownThreads } from "../../src/threads/pool.js";

const [flavour, input, width, height, options, output] = process.argv.slice(2) as [string, string, string, string, string, string];
const have = simdFlavour() ?? "none";
if (have !== flavour) {
  console.error(`node-reference: this Node has WebAssembly SIMD "${have}", not the "${flavour}" asked for`);
  process.exit(1);
}
const bytes = readFileSync(input);
const data = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
const out = await dream({ width: Number(width), height: Number(height), data }, JSON.parse(options));
writeFileSync(output, new Uint8Array(out.data.buffer, out.data.byteOffset, out.data.byteLength));
shutdownThreads();
