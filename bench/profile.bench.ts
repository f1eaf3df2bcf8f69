// Where a DeepDream step's time goes, by kernel: the 448² step (forward to inception_4c/output
// plus the input gradient; 224² with --quick) on one thread and on every core, through the
// pool's profiler seam (src/threads/pool.ts `setProfiler`), which is told about every job and
// every op the tape records.
//
// - A job's time is the calling thread's, from the job's start to the last worker's flag: the
//   wall time the step spends in it. Of that, "wait" is the caller's time at the barrier after
//   its own pieces, waiting for the slowest worker.
// - Work outside jobs is attributed to ops: in the forward pass, the time between one recorded
//   op and the next (the op's own forward, less the jobs it ran); in the backward pass, each op's
//   backward less its jobs. What is left — the tape's walk, the loss, garbage collection — is
//   "outside any op".
// Jobs are grouped into kinds by name (KINDS); a job no kind claims (a new kernel, such as a
// Winograd transform) is listed under its own name, so the table never hides one.
import { inputGradient } from "../src/dream/objective.js";
import { gemmBackend } from "../src/layers/gemm.js";
import { loadGoogLeNet } from "../src/models/load.js";
import { Tensor } from "../src/tensor/tensor.js";
import "../src/threads/node-host.js";
import { defaultThreads, setProfiler, threadsReady, withThreads, type Profiler } from "../src/threads/pool.js";
import { fillRandom, printTable, type BenchOptions } from "./util.js";

const LAYER = "inception_4c/output";

/** Job names → the kind of kernel they are, first match wins. */
const KINDS: ReadonlyArray<[RegExp, string]> = [
  [/^gemm/i, "GEMM"],
  [/^winogradProduct/, "Winograd element-wise GEMMs"],
  [/winograd/i, "Winograd transforms"],
  [/^im2col/i, "im2col"],
  [/^col2im/i, "col2im"],
  [/^lrn/i, "LRN"],
  [/pool/i, "pooling"],
  [/^relu/i, "ReLU / mask"],
  [/^concat/i, "concat"],
  [/^addInto$/, "tape: gradient sums"],
  [/^zero$/, "zeroing"],
];

const kindOf = (job: string): string => KINDS.find(([re]) => re.test(job))?.[1] ?? `job ${job}`;

/** Sums per step, in ms. */
interface Totals {
  steps: number;
  stepMs: number;
  cpuMs: number; // the process's CPU time (every thread's) over the profiled steps
  jobs: Map<string, { ms: number; wait: number; count: number; threaded: number }>;
  forward: Map<string, number>; // op → self time outside jobs
  backward: Map<string, number>;
}

/** A Profiler that sums what it is told into `totals`. */
function summingProfiler(totals: Totals): Profiler & { startStep(): void } {
  const spans: Array<[number, number]> = []; // every job's [start, end] this step
  let mark = 0; // when the last forward op was recorded (or the step began)
  const jobTimeIn = (t0: number, t1: number): number => spans.reduce((sum, [s, e]) => sum + (s >= t0 && e <= t1 ? e - s : 0), 0);
  const add = (m: Map<string, number>, key: string, v: number): void => void m.set(key, (m.get(key) ?? 0) + v);
  return {
    startStep() {
      spans.length = 0;
      mark = performance.now();
    },
    job(name, _pieces, helpers, ms, waitMs) {
      const end = performance.now();
      spans.push([end - ms, end]);
      const j = totals.jobs.get(name) ?? { ms: 0, wait: 0, count: 0, threaded: 0 };
      j.ms += ms;
      j.wait += waitMs;
      j.count += 1;
      j.threaded += helpers > 0 ? 1 : 0;
      totals.jobs.set(name, j);
    },
    forward(op) {
      const now = performance.now();
      add(totals.forward, op, now - mark - jobTimeIn(mark, now));
      mark = now;
    },
    backward(op, ms) {
      const end = performance.now();
      add(totals.backward, op, ms - jobTimeIn(end - ms, end));
    },
  };
}

async function profile(threads: number, step: () => void, reps: number): Promise<Totals> {
  const totals: Totals = { steps: reps, stepMs: 0, cpuMs: 0, jobs: new Map(), forward: new Map(), backward: new Map() };
  const p = summingProfiler(totals);
  withThreads(threads, step); // warm-up, unprofiled
  withThreads(threads, step);
  const previous = setProfiler(p);
  try {
    for (let r = 0; r < reps; r++) {
      p.startStep();
      const t0 = performance.now(),
        c0 = process.cpuUsage();
      withThreads(threads, step);
      totals.stepMs += performance.now() - t0;
      const c = process.cpuUsage(c0);
      totals.cpuMs += (c.user + c.system) / 1000;
    }
  } finally {
    setProfiler(previous);
  }
  return totals;
}

/** Rows of [label, ms per step, count per step, wait per step] by kind, biggest first by `order`. */
function byKind(t: Totals): Map<string, { ms: number; count: number; wait: number }> {
  const kinds = new Map<string, { ms: number; count: number; wait: number }>();
  const add = (kind: string, ms: number, count: number, wait: number): void => {
    const k = kinds.get(kind) ?? { ms: 0, count: 0, wait: 0 };
    k.ms += ms / t.steps;
    k.count += count / t.steps;
    k.wait += wait / t.steps;
    kinds.set(kind, k);
  };
  let accounted = 0;
  for (const [name, j] of t.jobs) {
    add(kindOf(name), j.ms, j.count, j.wait);
    accounted += j.ms;
  }
  for (const [phase, m] of [
    ["forward", t.forward],
    ["backward", t.backward],
  ] as const) {
    for (const [op, ms] of m) {
      add(`outside jobs: ${op} ${phase}`, ms, 0, 0);
      accounted += ms;
    }
  }
  add("outside any op (tape, loss, GC)", t.stepMs - accounted, 0, 0);
  return kinds;
}

export async function run({ quick }: BenchOptions): Promise<void> {
  const side = quick ? 224 : 448,
    reps = quick ? 2 : 5;
  const many = defaultThreads();
  const threadCounts = many > 1 ? [1, many] : [1];
  await threadsReady(many);
  const net = await loadGoogLeNet();
  const input = new Tensor(
    fillRandom(new Float32Array(3 * side * side), side).map((v) => v * 100),
    [1, 3, side, side],
  );
  const step = (): void => void inputGradient(net, input, { layer: LAYER });

  const results = new Map<number, Map<string, { ms: number; count: number; wait: number }>>();
  const totals = new Map<number, Totals>();
  for (const threads of threadCounts) {
    const t = await profile(threads, step, reps);
    totals.set(threads, t);
    results.set(threads, byKind(t));
  }
  const first = results.get(threadCounts[0]!)!,
    last = results.get(threadCounts.at(-1)!)!;
  const kinds = [...new Set([...first.keys(), ...last.keys()])]
    .filter((k) => threadCounts.some((n) => (results.get(n)!.get(k)?.ms ?? 0) >= 0.5))
    .sort((a, b) => (first.get(b)?.ms ?? 0) - (first.get(a)?.ms ?? 0));
  const fmt = (v: number | undefined, digits = 0): string => (v === undefined ? "" : v.toFixed(digits));
  const whole = threadCounts.map((n) => totals.get(n)!.stepMs / totals.get(n)!.steps);
  const share = (ms: number | undefined, i: number): string => (ms === undefined ? "" : `${((100 * ms) / whole[i]!).toFixed(1)}%`);
  const rows = kinds.map((k) => [
    k,
    ...threadCounts.flatMap((n, i) => {
      const r = results.get(n)!.get(k);
      return [
        fmt(r?.ms),
        share(r?.ms, i),
        r === undefined || r.count === 0 ? "" : fmt(r.count),
        ...(n > 1 ? [r === undefined || r.count === 0 ? "" : fmt(r.wait)] : []),
      ];
    }),
    ...(threadCounts.length > 1
      ? [first.get(k) && last.get(k) && last.get(k)!.ms > 0.5 ? `${(first.get(k)!.ms / last.get(k)!.ms).toFixed(2)}×` : ""]
      : []),
  ]);
  const jobCount = (n: number): number => [...totals.get(n)!.jobs.values()].reduce((s, j) => s + j.count, 0) / totals.get(n)!.steps;
  const threadedCount = (n: number): number => [...totals.get(n)!.jobs.values()].reduce((s, j) => s + j.threaded, 0) / totals.get(n)!.steps;
  const waits = (n: number): number => [...totals.get(n)!.jobs.values()].reduce((s, j) => s + j.wait, 0) / totals.get(n)!.steps;
  rows.push([
    "whole step",
    ...threadCounts.flatMap((n, i) => [fmt(whole[i]), "100%", fmt(jobCount(n)), ...(n > 1 ? [fmt(waits(n))] : [])]),
    ...(threadCounts.length > 1 ? [`${(whole[0]! / whole.at(-1)!).toFixed(2)}×`] : []),
  ]);
  console.log(
    `DeepDream step at ${side}² (forward to ${LAYER} + input gradient), GEMM ${gemmBackend()}, mean of ${reps} profiled steps after 2 unprofiled`,
  );
  printTable(
    [
      "kind",
      ...threadCounts.flatMap((n) =>
        n === 1 ? ["1 thread, ms a step", "share", "jobs"] : [`${n} threads, ms a step`, "share", "jobs", "of it waiting at barriers"],
      ),
      ...(threadCounts.length > 1 ? [`${many} threads vs 1`] : []),
    ],
    rows,
  );
  // CPU time against wall time says how much of the wall time other tenants took from this process.
  for (const n of threadCounts) {
    const t = totals.get(n)!;
    console.log(
      `${n} thread${n > 1 ? "s" : ""}: the process's CPU time ${fmt(t.cpuMs / t.steps)} ms a step (all threads) for ${fmt(t.stepMs / t.steps)} ms of wall time`,
    );
  }
  for (const n of threadCounts.filter((n) => n > 1)) {
    console.log(
      `\n${n} threads: ${fmt(threadedCount(n))} of ${fmt(jobCount(n))} jobs a step went to workers (the rest were too small to split and ran inline)`,
    );
  }
  console.log("\nBy job name (ms a step / jobs a step), 1 thread:");
  const t1 = totals.get(1)!;
  printTable(
    ["job", "ms", "jobs"],
    [...t1.jobs].sort((a, b) => b[1].ms - a[1].ms).map(([name, j]) => [name, fmt(j.ms / t1.steps, 1), fmt(j.count / t1.steps)]),
  );
}
