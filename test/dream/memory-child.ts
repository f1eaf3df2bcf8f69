// Run by ./memory.test.ts as a child process: one dream step on a W×H picture of noise, then
// the process's peak RSS beside the dream's own estimate of it, as one line of JSON.
//   node --import tsx memory-child.ts W H TILE|- THREADS OCTAVES
import "../../src/threads/node-host.js";
import { dream } from "../../src/dream/dream.js";
import { estimateDreamMemory } from "../../src/dream/memory.js";
import { loadGoogLeNet } from "../../src/models/load.js";
import { fillUniform } from "../../src/tensor/random.js";

const [w, h, tileArg, threadsArg, octavesArg] = process.argv.slice(2);
const width = Number(w),
  height = Number(h),
  threads = Number(threadsArg),
  octaves = Number(octavesArg);
const tile = tileArg === "-" ? undefined : Number(tileArg);
const net = await loadGoogLeNet();
const image = { width, height, data: fillUniform(new Float32Array(width * height * 3), 1, 0, 255) };
const layers = ["inception_4c/output"];
await dream(image, { model: net, layer: layers, tile, threads, octaves, iterations: 1, maxMemory: 2 ** 40 });
const estimate = estimateDreamMemory(net, layers, height, width, { tile, threads }).bytes;
console.log(JSON.stringify({ estimate, peak: process.resourceUsage().maxRSS * 1024 }));
