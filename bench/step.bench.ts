// One DeepDream step on GoogLeNet — forward to inception_4c/output, then the input gradient of
// ½Σa² — the unit of work a dream repeats (octaves × iterations times), per GEMM backend.
// Validated first, for each backend: at 224² on the golden cat input the loss must match the
// independent implementation's.
import { readFileSync } from "node:fs";
import { inputGradient } from "../src/dream/objective.js";
import { gemmBackend, setGemmBackend } from "../src/layers/gemm.js";
import { simdFlavour } from "../src/layers/wasm/gemm-simd.js";
import { loadGoogLeNet } from "../src/models/load.js";
import { Tensor } from "../src/tensor/tensor.js";
import { fillRandom, medianMs, printTable, type BenchOptions } from "./util.js";

const LAYER = "inception_4c/output";

export async function run({ quick }: BenchOptions): Promise<void> {
  const net = await loadGoogLeNet();
  const golden = JSON.parse(readFileSync(new URL("../test/fixtures/golden/manifest.json", import.meta.url), "utf8"));
  const cat = golden.cases[0];
  const bytes = readFileSync(new URL(`../test/fixtures/golden/${cat.input}`, import.meta.url));
  const x = new Tensor(new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength)), cat.inputShape);
  const backends = simdFlavour() === null ? (["js"] as const) : (["js", "wasm"] as const);
  const initial = gemmBackend();
  const sizes = quick ? [224] : [224, 448, 512];
  const ms = new Map<string, number>(); // "backend side" → median ms
  try {
    for (const backend of backends) {
      setGemmBackend(backend);
      const { loss } = inputGradient(net, x, { layer: LAYER });
      const rel = Math.abs(loss - cat.gradient.loss) / cat.gradient.loss;
      console.log(`validate (${backend}): loss at ${LAYER} on golden cat ${loss.toFixed(0)} vs ${cat.gradient.loss.toFixed(0)} (rel ${rel.toExponential(1)})`);
      if (!(rel < 1e-4)) throw new Error(`step bench (${backend}): the loss does not match the golden value; not timing a wrong net`);
    }
    for (const side of sizes) {
      const input = new Tensor(fillRandom(new Float32Array(3 * side * side), side).map((v) => v * 100), [1, 3, side, side]);
      for (const backend of backends) {
        setGemmBackend(backend);
        ms.set(`${backend} ${side}`, medianMs(() => inputGradient(net, input, { layer: LAYER }), quick ? 3 : 5));
      }
    }
  } finally {
    setGemmBackend(initial);
  }
  const rows = sizes.map((side) => {
    const row: (string | number)[] = [`${side}²`];
    for (const b of backends) {
      const t = ms.get(`${b} ${side}`)!;
      row.push(t.toFixed(0), (t / 1000 / ((side * side) / (224 * 224))).toFixed(2));
    }
    if (backends.length === 2) row.push((ms.get(`js ${side}`)! / ms.get(`wasm ${side}`)!).toFixed(1) + "×");
    return row;
  });
  console.log(`\nDeepDream step (forward to ${LAYER} + input gradient), Float32, single thread, median; wasm SIMD: ${simdFlavour() ?? "unavailable"}`);
  const header = ["input"];
  for (const b of backends) header.push(`${b} ms / step`, `${b} s per 224²-eq.`);
  printTable(backends.length === 2 ? [...header, "wasm vs js"] : header, rows);
}
