// Winograd F(m×m, 3×3) against im2col + GEMM at GoogLeNet's 3×3 shapes (batch 1, the network
// input at 224² and 448²), forward and input gradient, on one thread: the measurement behind
// src/layers/winograd.ts's choice of F(4, 3).
//
// Napkin math: the direct convolution's FLOPs, 2·N·K·OH·OW·C·9 for the forward and the same for
// dx, are the yardstick for every column ("effective GFLOP/s"), so a faster algorithm shows as
// more GFLOP/s than the machine does. Each candidate is validated against the im2col path first
// (to 1e-2: F(6, 3) rounds to ~1e-3 in Float32; the error table is bench/winograd-error.ts's).

import { conv2dBackward, conv2dForward, convGeometry, setConvAlgorithm } from "../src/layers/conv.js";
import { winogradBackwardData, winogradForward } from "../src/layers/winograd.js";
import { fillRandom, maxRelDiff, medianMs, printTable, type BenchOptions } from "./util.js";

/** GoogLeNet's 3×3 convolutions up to inception_4c, C→K at the 224² input's size. */
const layers = [
  { name: "conv2/3x3", C: 64, K: 192, size: 56 },
  { name: "inception_3a/3x3", C: 96, K: 128, size: 28 },
  { name: "inception_3b/3x3", C: 128, K: 192, size: 28 },
  { name: "inception_4a/3x3", C: 96, K: 208, size: 14 },
  { name: "inception_4b/3x3", C: 112, K: 224, size: 14 },
  { name: "inception_4c/3x3", C: 128, K: 256, size: 14 },
];

const CANDIDATES = [2, 4, 6];

export async function run(opts: BenchOptions): Promise<void> {
  const reps = opts.quick ? 3 : 7;
  const rows: (string | number)[][] = [];
  const totals = new Map<string, number>();
  for (const scale of [1, 2]) {
    for (const l of layers) {
      const size = l.size * scale;
      const g = convGeometry([1, l.C, size, size], [l.K, l.C, 3, 3], { pad: [1, 1] });
      const x = fillRandom(new Float32Array(l.C * size * size), 1);
      const w = fillRandom(new Float32Array(l.K * l.C * 9), 2);
      const bias = fillRandom(new Float32Array(l.K), 3);
      const dout = fillRandom(new Float32Array(l.K * size * size), 4);
      const ref = new Float32Array(dout.length),
        dxRef = new Float32Array(x.length);
      const out = new Float32Array(dout.length),
        dx = new Float32Array(x.length);
      setConvAlgorithm("im2col");
      conv2dForward(ref, x, w, bias, g);
      conv2dBackward(dxRef, null, null, dout, x, w, g);
      const flops = 2 * l.K * size * size * l.C * 9;
      const cells: string[] = [];
      const time = (label: string, fwd: () => void, back: () => void): void => {
        const f = medianMs(fwd, reps),
          b = medianMs(() => {
            dx.fill(0);
            back();
          }, reps);
        cells.push(`${f.toFixed(1)} / ${b.toFixed(1)}`);
        totals.set(`${scale} ${label}`, (totals.get(`${scale} ${label}`) ?? 0) + f + b);
      };
      time(
        "im2col",
        () => conv2dForward(out, x, w, bias, g),
        () => conv2dBackward(dx, null, null, dout, x, w, g),
      );
      for (const m of CANDIDATES) {
        winogradForward(out, x, w, bias, g, false, m);
        dx.fill(0);
        winogradBackwardData(dx, dout, w, g, m);
        const err = Math.max(maxRelDiff(out, ref), maxRelDiff(dx, dxRef));
        if (err > 1e-2) throw new Error(`winograd F(${m},3) ${l.name}: max relative difference ${err} vs im2col`);
        time(
          `F(${m},3)`,
          () => winogradForward(out, x, w, bias, g, false, m),
          () => winogradBackwardData(dx, dout, w, g, m),
        );
      }
      setConvAlgorithm("auto");
      rows.push([`${l.name} @${224 * scale}²`, `${l.C}→${l.K} on ${size}²`, (flops / 1e6).toFixed(0), ...cells]);
    }
  }
  console.log(`3×3 convolutions, Float32, batch 1, single thread, ms forward / dx, median of ${reps}; validated vs im2col`);
  printTable(["layer", "shape", "MFLOP each", "im2col", ...CANDIDATES.map((m) => `F(${m},3)`)], rows);
  for (const scale of [1, 2]) {
    const base = totals.get(`${scale} im2col`)!;
    const line = ["im2col", ...CANDIDATES.map((m) => `F(${m},3)`)].map(
      (k) => `${k} ${totals.get(`${scale} ${k}`)!.toFixed(0)} ms (${(base / totals.get(`${scale} ${k}`)!).toFixed(2)}×)`,
    );
    console.log(`sum at ${224 * scale}², forward + dx: ${line.join(", ")}`);
  }
}
