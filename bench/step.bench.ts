// One DeepDream step on GoogLeNet — forward to inception_4c/output, then the input gradient of
// ½Σa² — the unit of work a dream repeats (octaves × iterations times), per GEMM backend, on
// one thread and on every core. Validated first, for each backend: at 224² on the golden cat
// input the loss must match the independent implementation's, and the threaded gradient must
// equal the one-thread gradient bit for bit.
import { readFileSync } from "node:fs";
import { inputGradient } from "../src/dream/objective.js";
import { gemmBackend, setGemmBackend } from "../src/layers/gemm.js";
import { simdFlavour } from "../src/layers/wasm/gemm-simd.js";
import { loadGoogLeNet } from "../src/models/load.js";
import { Tensor } from "../src/tensor/tensor.js";
import "../src/threads/node-host.js";
import { defaultThreads, withThreads } from "../src/threads/pool.js";
import { fillRandom, medianMs, printTable, type BenchOptions } from "./util.js";

const LAYER = "inception_4c/output";

export async function run({ quick }: BenchOptions): Promise<void> {
  const net = await loadGoogLeNet();
  const golden = JSON.parse(readFileSync(new URL("../test/fixtures/golden/manifest.json", import.meta.url), "utf8"));
  const cat = golden.cases[0];
  const bytes = readFileSync(new URL(`../test/fixtures/golden/${cat.input}`, import.meta.url));
  const x = new Tensor(new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength)), cat.inputShape);
  const backends = simdFlavour() === null ? (["js"] as const) : (["js", "wasm"] as const);
  const many = defaultThreads();
  const threadCounts = many > 1 ? [1, many] : [1];
  const initial = gemmBackend();
  const sizes = quick ? [224] : [224, 448, 512];
  const ms = new Map<string, number>(); // "backend threads side" → median ms
  try {
    for (const backend of backends) {
      setGemmBackend(backend);
      const one = withThreads(1, () => inputGradient(net, x, { layer: LAYER }));
      const rel = Math.abs(one.loss - cat.gradient.loss) / cat.gradient.loss;
      console.log(
        `validate (${backend}): loss at ${LAYER} on golden cat ${one.loss.toFixed(0)} vs ${cat.gradient.loss.toFixed(0)} (rel ${rel.toExponential(1)})`,
      );
      if (!(rel < 1e-4)) throw new Error(`step bench (${backend}): the loss does not match the golden value; not timing a wrong net`);
      const split = withThreads(many, () => inputGradient(net, x, { layer: LAYER }));
      if (split.loss !== one.loss || split.grad.some((v, i) => v !== one.grad[i])) {
        throw new Error(`step bench (${backend}): ${many} threads do not reproduce the 1-thread step`);
      }
      console.log(`validate (${backend}): ${many} threads give the 1-thread gradient bit for bit`);
    }
    for (const side of sizes) {
      const input = new Tensor(
        fillRandom(new Float32Array(3 * side * side), side).map((v) => v * 100),
        [1, 3, side, side],
      );
      for (const backend of backends) {
        setGemmBackend(backend);
        for (const threads of threadCounts) {
          const t = withThreads(threads, () => medianMs(() => inputGradient(net, input, { layer: LAYER }), quick ? 3 : 5));
          ms.set(`${backend} ${threads} ${side}`, t);
        }
      }
    }
  } finally {
    setGemmBackend(initial);
  }
  const columns = backends.flatMap((b) => threadCounts.map((t) => [b, t] as const));
  const rows = sizes.map((side) => {
    const row: string[] = [`${side}²`];
    for (const [b, t] of columns) row.push(ms.get(`${b} ${t} ${side}`)!.toFixed(0));
    const best = ms.get(`${backends[backends.length - 1]} ${many} ${side}`)!;
    row.push((best / 1000 / ((side * side) / (224 * 224))).toFixed(2));
    for (const b of backends) if (many > 1) row.push(`${(ms.get(`${b} 1 ${side}`)! / ms.get(`${b} ${many} ${side}`)!).toFixed(2)}×`);
    return row;
  });
  const last = backends[backends.length - 1]!;
  console.log(`\nDeepDream step (forward to ${LAYER} + input gradient), Float32, median ms; wasm SIMD: ${simdFlavour() ?? "unavailable"}`);
  printTable(
    [
      "input",
      ...columns.map(([b, t]) => `${b}, ${t} thread${t > 1 ? "s" : ""}`),
      `${last}-${many} s per 224²-eq.`,
      ...(many > 1 ? backends.map((b) => `${b}: ${many} threads vs 1`) : []),
    ],
    rows,
  );
}
