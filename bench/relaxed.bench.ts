// Relaxed SIMD's fused multiply–add against plain SIMD's multiply-then-add, in the unit that
// matters: one DeepDream step at 448² (forward to inception_4c/output + input gradient), on one
// thread and on every core. The decision it informs is src/node-relaxed-simd.ts's: whether the
// package should turn on Node 20's relaxed SIMD by itself.
//
// Both kernels run in one process (the flag set first, as src/node-relaxed-simd.ts does), in
// alternating rounds whose order flips each round, so that the machine's drift hits both alike;
// medians of the rounds. On one thread the process's CPU time is reported too: on a shared
// machine it is less disturbed than wall time by other tenants. Validated first: the two
// gradients differ by rounding only, and each kernel's threaded step equals its 1-thread step.
import { inputGradient, type InputGradient } from "../src/dream/objective.js";
import { gemmBackend, setGemmBackend, type GemmKernel } from "../src/layers/gemm.js";
import { loadGoogLeNet } from "../src/models/load.js";
import { enableRelaxedSimd } from "../src/node-relaxed-simd.js";
import { Tensor } from "../src/tensor/tensor.js";
import "../src/threads/node-host.js";
import { defaultThreads, threadsReady, withThreads } from "../src/threads/pool.js";
import { fillRandom, median, printTable, type BenchOptions } from "./util.js";

const LAYER = "inception_4c/output";
const KERNELS: readonly GemmKernel[] = ["wasm-plain", "wasm-relaxed"];

export async function run({ quick }: BenchOptions): Promise<void> {
  if (!enableRelaxedSimd()) {
    console.log(`skipped: Node ${process.version} has no relaxed SIMD, even with --experimental-wasm-relaxed-simd`);
    return;
  }
  const side = quick ? 224 : 448,
    rounds = quick ? 3 : 9;
  const many = defaultThreads();
  const threadCounts = many > 1 ? [1, many] : [1];
  await threadsReady(many);
  const net = await loadGoogLeNet();
  const input = new Tensor(
    fillRandom(new Float32Array(3 * side * side), side).map((v) => v * 100),
    [1, 3, side, side],
  );
  const step = (): InputGradient => inputGradient(net, input, { layer: LAYER });
  const initial = gemmBackend();
  const wall = new Map<string, number[]>(),
    cpu = new Map<GemmKernel, number[]>();
  try {
    const grads = new Map<GemmKernel, InputGradient>();
    for (const k of KERNELS) {
      setGemmBackend(k);
      const one = withThreads(1, step),
        split = withThreads(many, step);
      if (split.loss !== one.loss || split.grad.some((v, i) => v !== one.grad[i])) {
        throw new Error(`relaxed bench (${k}): ${many} threads do not reproduce the 1-thread step`);
      }
      grads.set(k, one);
    }
    const [plain, fused] = KERNELS.map((k) => grads.get(k)!);
    // Rounding differences reach the gradient amplified where a max-pooling or ReLU decision
    // flips, so the gradient is compared on the whole (mean |Δ| against mean |g|) and at its worst (printed).
    let largest = 0,
      sumAbs = 0,
      sumDiff = 0,
      worst = 0;
    plain!.grad.forEach((v, i) => {
      const d = Math.abs(fused!.grad[i]! - v);
      largest = Math.max(largest, Math.abs(v));
      sumAbs += Math.abs(v);
      sumDiff += d;
      worst = Math.max(worst, d);
    });
    const lossDiff = Math.abs(fused!.loss - plain!.loss) / plain!.loss;
    console.log(`validate: ${many} threads reproduce 1 thread bit for bit for each kernel`);
    console.log(
      `validate: relaxed vs plain at ${side}²: loss rel. ${lossDiff.toExponential(1)}; gradient mean |Δ| ${(sumDiff / sumAbs).toExponential(1)} ` +
        `of mean |g|, max |Δ| ${(worst / largest).toExponential(1)} of max |g|`,
    );
    if (!(lossDiff < 1e-5 && sumDiff / sumAbs < 1e-3)) throw new Error("relaxed bench: the two kernels differ by more than rounding");

    for (let r = 0; r < rounds; r++) {
      for (const k of r % 2 === 0 ? KERNELS : [...KERNELS].reverse()) {
        setGemmBackend(k);
        for (const t of threadCounts) {
          const c0 = process.cpuUsage(),
            t0 = performance.now();
          withThreads(t, step);
          const ms = performance.now() - t0,
            c = process.cpuUsage(c0);
          wall.set(`${k} ${t}`, [...(wall.get(`${k} ${t}`) ?? []), ms]);
          if (t === 1) cpu.set(k, [...(cpu.get(k) ?? []), (c.user + c.system) / 1000]);
        }
      }
    }
  } finally {
    setGemmBackend(initial);
  }
  const rows = threadCounts.map((t) => {
    const [p, f] = KERNELS.map((k) => median(wall.get(`${k} ${t}`)!));
    return [`wall, ${t} thread${t > 1 ? "s" : ""}`, p!.toFixed(0), f!.toFixed(0), `${(p! / f!).toFixed(3)}×`];
  });
  const [pc, fc] = KERNELS.map((k) => median(cpu.get(k)!));
  rows.push(["CPU time, 1 thread", pc!.toFixed(0), fc!.toFixed(0), `${(pc! / fc!).toFixed(3)}×`]);
  console.log(`\nDeepDream step at ${side}² (forward to ${LAYER} + input gradient), ms, median of ${rounds} alternating rounds`);
  printTable(["", "wasm-plain", "wasm-relaxed", "plain / relaxed"], rows);
}
