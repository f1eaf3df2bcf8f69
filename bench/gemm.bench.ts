// GEMM throughput per backend: the plain-JS packed kernel and the WebAssembly SIMD kernel that
// `gemm` dispatches Float32 calls to, side by side, against the textbook `gemmNaive`.
//
// Napkin math: C[M×N] = op(A)[M×K]·op(B)[K×N] is M·N·K multiply–adds, FLOPs = 2·M·N·K.
// Shapes: 1024³, and the im2col GEMMs of GoogLeNet at a 224² input, as M×K×N =
// (K/G filters) × (C/G·R·S) × (OH·OW) for the forward, plus the transposed products the conv
// backward runs: dcol = Wᵀ·dout (transA) and dW = dout·colᵀ (transB).
// Every shape and backend is first validated against gemmNaive on the same inputs; that one
// naive run is also the naive timing (a single run: naive is slow).

import { gemm, gemmBackend, gemmNaive, setGemmBackend, type GemmOptions } from "../src/layers/gemm.js";
import { simdFlavour } from "../src/layers/wasm/gemm-simd.js";
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
  const initial = gemmBackend();
  const rows: (string | number)[][] = [];
  try {
    for (const s of shapes) {
      const { M, K, N } = s;
      const A = fillRandom(new Float32Array(M * K), 1);
      const B = fillRandom(new Float32Array(K * N), 2);
      const C = new Float32Array(M * N), reference = new Float32Array(M * N);
      const flops = 2 * M * N * K;

      const t0 = performance.now();
      gemmNaive(reference, A, B, M, N, K, s.opts);
      const naiveMs = performance.now() - t0;
      const cells: (string | number)[] = [];
      const ms: number[] = [];
      let worst = 0;
      for (const backend of backends) {
        setGemmBackend(backend);
        gemm(C, A, B, M, N, K, s.opts);
        const diff = maxRelDiff(C, reference);
        if (diff > 1e-4) throw new Error(`gemm (${backend}) ${s.name} ${M}×${K}×${N}: max relative difference ${diff} vs gemmNaive`);
        worst = Math.max(worst, diff);
        const t = medianMs(() => gemm(C, A, B, M, N, K, s.opts), reps);
        ms.push(t);
        cells.push(t.toFixed(1), (flops / t / 1e6).toFixed(2));
      }
      const speedUp = ms.length === 2 ? (ms[0]! / ms[1]!).toFixed(1) + "×" : "—";
      rows.push([s.name, `${M}×${K}×${N}`, (flops / naiveMs / 1e6).toFixed(2), ...cells, speedUp, worst.toExponential(1)]);
    }
  } finally {
    setGemmBackend(initial);
  }
  const flavour = simdFlavour() ?? "unavailable";
  console.log(`gemm, Float32, single thread; FLOPs = 2·M·N·K; median of ${reps}, naive one run; wasm SIMD: ${flavour}`);
  const header = ["shape", "M×K×N", "naive GFLOP/s"];
  for (const b of backends) header.push(`${b} ms`, `${b} GFLOP/s`);
  printTable([...header, "wasm vs js", "max rel diff"], rows);
}
