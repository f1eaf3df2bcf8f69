// Node's `dream()` for the demo test (./demo.test.ts), in a process of its own so that it runs
// with the V8 flags the test chooses: the GEMM takes relaxed SIMD's fused multiply–add where the
// runtime has it, and a browser's result can equal Node's bit for bit only on the same flavour.
//
//     node [--experimental-wasm-relaxed-simd] --import tsx test/web/node-dream.ts IN OPTIONS.json OUT
//
// It dreams IN (read as the CLI reads it) with the JSON options, writes the result's floats to
// OUT as raw little-endian Float32 bytes, and prints { flavour, width, height } as JSON.
import { readFileSync, writeFileSync } from "node:fs";
import { dream, readImage } from "../../src/index.js";
import { simdFlavour } from "../../src/layers/wasm/gemm-simd.js";

const [input, optionsFile, output] = process.argv.slice(2);
if (input === undefined || optionsFile === undefined || output === undefined) {
  throw new Error("usage: node --import tsx test/web/node-dream.ts IN OPTIONS.json OUT");
}
const options = JSON.parse(readFileSync(optionsFile, "utf8"));
// One thread: the result is the same for any count, and no helper keeps the process alive.
const result = await dream(await readImage(input), { ...options, threads: 1 });
writeFileSync(output, new Uint8Array(result.data.buffer, result.data.byteOffset, result.data.byteLength));
console.log(JSON.stringify({ flavour: simdFlavour(), width: result.width, height: result.height }));
