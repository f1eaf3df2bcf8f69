// The optical flow of a video frame pair (src/video/flow.ts) against the unit of work it sits
// beside: one dream step at the same size (forward to inception_4c/output, gradient to the input),
// on one thread and on every core, alternating so that the machine's drift falls on both. Validated first:
// on a texture shifted by (2.3, −1.7) px the flow must be right (median error < 0.05 px) and
// the fast flow must equal its naive twin (to 1e-4 px) at a small size.
//
// Napkin math for 320×240, 5 levels, 4 steps per level, window σ = 2 (13 taps): per step and
// pixel, 16 multiply–adds of bicubic sampling and 2 sums × 2 passes × 13 taps = 52 of windowing;
// per level once, 3 sums × 2 × 13 = 78 for the matrix: (4 × 68 + 78) × 76 800 pixels × 4/3 (the
// pyramid) ≈ 36 M multiply–adds per pair.
import { inputGradient } from "../src/dream/objective.js";
import { loadGoogLeNet } from "../src/models/load.js";
import { Tensor } from "../src/tensor/tensor.js";
import { defaultThreads, threadsReady, withThreads } from "../src/threads/pool.js";
import "../src/threads/node-host.js";
import { opticalFlow } from "../src/video/flow.js";
import { opticalFlowNaive } from "../src/video/flow-naive.js";
import { endpointErrors, frame, knownFlow, quantile, smoothTexture } from "../test/video/synthetic-motion.js";
import { fillRandom, median, printTable, type BenchOptions } from "./util.js";

const where = (x: number, y: number): [number, number] => [x + 2.3, y - 1.7];

export async function run({ quick }: BenchOptions): Promise<void> {
  const texture = smoothTexture(7);
  const small = [frame(61, 47, texture), frame(61, 47, texture, where)] as const;
  const fast = opticalFlow(...small),
    naive = opticalFlowNaive(...small);
  let twin = 0;
  for (let p = 0; p < fast.dx.length; p++)
    twin = Math.max(twin, Math.abs(fast.dx[p]! - naive.dx[p]!), Math.abs(fast.dy[p]! - naive.dy[p]!));
  console.log(`validate: fast vs naive flow at 61×47, max |Δ| ${twin.toExponential(1)} px`);
  if (!(twin < 1e-4)) throw new Error("flow bench: the fast flow does not match its naive twin; not timing a wrong flow");

  const net = await loadGoogLeNet();
  const rows: (string | number)[][] = [];
  const sizes: [number, number][] = quick
    ? [[320, 240]]
    : [
        [320, 240],
        [640, 480],
      ];
  for (const [W, H] of sizes) {
    const from = frame(W, H, texture),
      to = frame(W, H, texture, where);
    const error = quantile(endpointErrors(opticalFlow(from, to), knownFlow(W, H, where), 16), 0.5);
    console.log(`validate: ${W}×${H} shift (2.3, −1.7), median error ${error.toFixed(3)} px`);
    if (!(error < 0.05)) throw new Error("flow bench: the flow is wrong; not timing it");
    const x = new Tensor(
      fillRandom(new Float32Array(3 * W * H), W).map((v) => v * 100),
      [1, 3, H, W],
    );
    for (const threads of [...new Set([1, defaultThreads()])]) {
      await threadsReady(threads);
      const flowMs: number[] = [],
        stepMs: number[] = [];
      withThreads(threads, () => {
        inputGradient(net, x, { layer: "inception_4c/output" }); // warm-up
        opticalFlow(from, to);
        for (let round = 0; round < (quick ? 3 : 5); round++) {
          let t0 = performance.now();
          opticalFlow(from, to);
          flowMs.push(performance.now() - t0);
          t0 = performance.now();
          inputGradient(net, x, { layer: "inception_4c/output" });
          stepMs.push(performance.now() - t0);
        }
      });
      const f = median(flowMs),
        s = median(stepMs);
      rows.push([
        `${W}×${H}`,
        threads,
        f.toFixed(0),
        ((36e6 * (W * H)) / (320 * 240) / (f * 1e6)).toFixed(2),
        s.toFixed(0),
        (f / s).toFixed(2),
      ]);
    }
  }
  printTable(["size", "threads", "flow ms", "GMAC/s", "dream step ms", "flow / step"], rows);
}
