// GEMM throughput per backend: the plain-JS packed kernel and the WebAssembly SIMD kernel that
// `gemm` dispatches Float32 calls to, side by side, against the textbook `gemmNaive`.
//
// Napkin math: C[M×N] = op(A)[M×K]·op(B)[K×N] is M·N·K multiply–adds, FLOPs = 2·M·N·K.
// Shapes: 1024³, and the im2col GEMMs of GoogLeNet at a 224² input, as M×K×N =
// (K/G filters) × (C/G·R·S) × (OH·OW) for the forward, plus the transposed products the conv
// backward runs: dcol = Wᵀ·dout (transA) and dW = dout·colᵀ (transB).
// Every shape and backend is first validated against gemmNaive on the same inputs; that one
// naive run is also the naive timing (a single run: naive is slow). Each backend runs on one
// thread and on every core (../src/threads/pool.ts), in shared memory, and the threaded product
// must equal the one-thread product bit for bit.

import { gemm, gemmBackend, gemmNaive, setGemmBackend, type GemmOptions } from "../src/layers/gemm.js";
import { simdFlavour } from "../src/layers/wasm/gemm-simd.js";
import { allocFloats } from "../src/tensor/buffers.js";
import "../src/threads/node-host.js";
import { defaultThreads, withThreads } from "../src/threads/pool.js";
import { fillRandom, maxRelDiff, medianMs, printTable, type BenchOptions } from "./util.js";

interface Shape {
  name: string;
  M: number;
  K: number;
  N: number;
  opts: GemmOptions;
}

const square: Shape = { name: "square", M: 1024, K: 1024, N: 1024, opts: {} };
const googlenet: Shape[] = [
  { name: "conv2/3x3 fwd", M: 192, K: 576, N: 3136, opts: {} },
  { name: "4d/3x3 fwd", M: 288, K: 1296, N: 196, opts: {} },
  { name: "4a/3x3 fwd", M: 208, K: 864, N: 196, opts: {} },
  { name: "3b/3x3 fwd", M: 192, K: 1152, N: 784, opts: {} },
  { name: "3x3 of 128 ch on 32²", M: 256, K: 1152, N: 1024, opts: {} },
  { name: "576×192×3136", M: 576, K: 192, N: 3136, opts: {} },
  { name: "conv2/3x3 dx (transA)", M: 576, K: 192, N: 3136, opts: { transA: true } },
  { name: "4a/3x3 dx (transA)", M: 864, K: 208, N: 196, opts: { transA: true } },
  { name: "conv2/3x3 dW (transB)", M: 192, K: 3136, N: 576, opts: { transB: true } },
];

export async function run(opts: BenchOptions): Promise<void> {
  const reps = opts.quick ? 3 : 7;
  const shapes = opts.quick ? [square, googlenet[0]!, googlenet[6]!] : [square, ...googlenet];
  const backends = simdFlavour() === null ? (["js"] as const) : (["js", "wasm"] as const);
  const many = defaultThreads();
  const threadCounts = many > 1 ? [1, many] : [1];
  const initial = gemmBackend();
  const rows: (string | number)[][] = [];
  try {
    for (const s of shapes) {
      const { M, K, N } = s;
      // In shared memory, which threads need (one thread works on it as on any other).
      const [A, B, C] = withThreads(many, () => [
        allocFloats("float32", M * K),
        allocFloats("float32", K * N),
        allocFloats("float32", M * N),
      ]);
      fillRandom(A as Float32Array, 1);
      fillRandom(B as Float32Array, 2);
      const reference = new Float32Array(M * N);
      const flops = 2 * M * N * K;

      const t0 = performance.now();
      gemmNaive(reference, A, B, M, N, K, s.opts);
      const naiveMs = performance.now() - t0;
      const cells: (string | number)[] = [];
      const ms: number[] = [];
      let worst = 0;
      for (const backend of backends) {
        setGemmBackend(backend);
        withThreads(1, () => gemm(C, A, B, M, N, K, s.opts));
        const diff = maxRelDiff(C, reference);
        if (diff > 1e-4) throw new Error(`gemm (${backend}) ${s.name} ${M}×${K}×${N}: max relative difference ${diff} vs gemmNaive`);
        worst = Math.max(worst, diff);
        const one = C.slice();
        withThreads(many, () => gemm(C, A, B, M, N, K, s.opts));
        if (C.some((v, i) => v !== one[i])) throw new Error(`gemm (${backend}) ${s.name}: ${many} threads differ from 1`);
        for (const threads of threadCounts) {
          const t = withThreads(threads, () => medianMs(() => gemm(C, A, B, M, N, K, s.opts), reps));
          ms.push(t);
          cells.push((flops / t / 1e6).toFixed(2));
        }
      }
      // wasm vs js, each on one thread
      const speedUp = ms.length > threadCounts.length ? `${(ms[0]! / ms[threadCounts.length]!).toFixed(1)}×` : "—";
      rows.push([s.name, `${M}×${K}×${N}`, (flops / naiveMs / 1e6).toFixed(2), ...cells, speedUp, worst.toExponential(1)]);
    }
  } finally {
    setGemmBackend(initial);
  }
  const flavour = simdFlavour() ?? "unavailable";
  console.log(
    `gemm, Float32; GFLOP/s = 2·M·N·K / time; median of ${reps}, naive one run; wasm SIMD: ${flavour}; threads equal to 1 thread bit for bit`,
  );
  const header = ["shape", "M×K×N", "naive GFLOP/s"];
  for (const b of backends) for (const t of threadCounts) header.push(`${b}, ${t} thread${t > 1 ? "s" : ""}`);
  printTable([...header, "wasm vs js (1 thread)", "max rel diff"], rows);
}
