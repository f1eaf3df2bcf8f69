// LRN and max pooling at GoogLeNet's sizes for a 512×512 input: the fast kernels — in plain JS
// (the sliding-window LRN, the unrolled 3×3 max pooling) and on WebAssembly SIMD
// (src/layers/wasm/lrn-simd.ts, max-pool-simd.ts), switched by `setGemmBackend` — against their
// naive twins (every channel window summed from scratch; Caffe's pooling loops, literally). Then the other memory-bound
// kernels of a step: the branch-free ReLU against its branching twin on random-signed values, and
// im2col (block copies of stride-1 rows) against its naive twin at GoogLeNet's 3×3 shapes for 448².
// Every pair is validated on the same inputs before it is timed.
//
// Napkin math. The FLOP counts are those of the naive algorithms, used for both kernels so that
// GFLOP/s compares like with like (the sliding window does less arithmetic for the same result):
//   LRN forward   (2n + 4) · N·C·H·W    n multiply-adds for the window, k + a·sum, the power, x·
//   LRN backward  (2n + 8) · N·C·H·W    n adds of t = dy·y/s (3 each, counted once), the rest
//   max pool      kernelH·kernelW · N·C·OH·OW   one comparison per window cell
//   ReLU          1 per value (a compare, or a compare and a multiply-add backward)
//   im2col        0 (a copy; reported as ns per column value instead)
import { lrnBackward, lrnBackwardNaive, lrnForward, lrnForwardNaive, lrnGeometry, type LrnParams } from "../src/layers/lrn.js";
import {
  maxPoolBackwardInThreads,
  maxPoolForwardInThreads,
  maxPoolForwardNaive,
  poolGeometry,
  type PoolParams,
} from "../src/layers/pooling.js";
import { convGeometry } from "../src/layers/conv-geometry.js";
import { im2colInThreads, im2colNaive } from "../src/layers/im2col.js";
import { reluBackwardInThreads, reluBackwardNaive, reluForwardInThreads, reluForwardNaive } from "../src/layers/relu.js";
import { gemmBackend, setGemmBackend } from "../src/layers/gemm.js";
import { fillRandom, maxRelDiff, medianMs, printTable, type BenchOptions } from "./util.js";

const GOOGLENET_LRN: LrnParams = { localSize: 5, alpha: 1e-4, beta: 0.75, k: 1, region: "across" };
const POOL_3x3_S2: PoolParams = { method: "max", kernel: [3, 3], stride: [2, 2], pad: [0, 0] };

function validate(what: string, fast: ArrayLike<number>, naive: ArrayLike<number>): void {
  const diff = maxRelDiff(fast, naive);
  console.log(`validate ${what}: max relative diff ${diff.toExponential(2)}`);
  if (!(diff <= 1e-4)) throw new Error(`${what}: the fast kernel disagrees with its naive twin (max relative diff ${diff})`);
}

const gflops = (flops: number, ms: number): string => (flops / ms / 1e6).toFixed(2);
const row = (kernel: string, shape: number[], flops: number, naiveMs: number, [jsMs, simdMs]: number[]): (string | number)[] => [
  kernel,
  `[${shape.join(",")}]`,
  naiveMs.toFixed(1),
  jsMs!.toFixed(1),
  simdMs!.toFixed(1),
  `${(jsMs! / simdMs!).toFixed(1)}×`,
  gflops(flops, naiveMs),
  gflops(flops, jsMs!),
  gflops(flops, simdMs!),
];

/** Median ms of `fn` with the plain-JS kernels, then with the WebAssembly SIMD ones (validated by `check` each time). */
function perBackend(fn: () => void, reps: number, check: () => void): number[] {
  const initial = gemmBackend();
  try {
    return (["js", "wasm"] as const).map((b) => {
      setGemmBackend(b);
      fn();
      check();
      return medianMs(fn, reps);
    });
  } finally {
    setGemmBackend(initial);
  }
}

export async function run(opts: BenchOptions): Promise<void> {
  const reps = opts.quick ? 3 : 9;
  const naiveReps = opts.quick ? 1 : 3;
  const rows: (string | number)[][] = [];

  // norm1 follows pool1 at 128×128 with 64 channels; norm2 follows conv2 at 128×128 with 192.
  const lrnShapes = opts.quick
    ? [[1, 64, 128, 128]]
    : [
        [1, 64, 128, 128],
        [1, 192, 128, 128],
      ];
  for (const shape of lrnShapes) {
    const g = lrnGeometry(shape, GOOGLENET_LRN);
    const size = shape.reduce((a, b) => a * b, 1);
    // conv outputs after ReLU: non-negative, tens to hundreds, so the normalization matters
    const x = fillRandom(new Float32Array(size), 1).map((v) => 100 * Math.abs(v));
    const dy = fillRandom(new Float32Array(size), 2);
    const y = new Float32Array(size),
      scale = new Float32Array(size);
    const yRef = new Float32Array(size),
      scaleRef = new Float32Array(size);
    const dx = new Float32Array(size),
      dxRef = new Float32Array(size),
      dxScratch = new Float32Array(size);

    lrnForward(y, scale, x, g);
    lrnForwardNaive(yRef, scaleRef, x, g);
    validate(`lrn forward ${JSON.stringify(shape)}`, y, yRef);
    lrnBackward(dx, dy, x, y, scale, g);
    lrnBackwardNaive(dxRef, dy, x, g);
    validate(`lrn backward ${JSON.stringify(shape)}`, dx, dxRef);

    const n = g.localSize;
    rows.push(
      row(
        "lrn forward",
        shape,
        (2 * n + 4) * size,
        medianMs(() => lrnForwardNaive(yRef, scaleRef, x, g), naiveReps),
        perBackend(
          () => lrnForward(y, scale, x, g),
          reps,
          () => validate("lrn forward", y, yRef),
        ),
      ),
    );
    rows.push(
      row(
        "lrn backward",
        shape,
        (2 * n + 8) * size,
        medianMs(() => lrnBackwardNaive(dxScratch, dy, x, g), naiveReps), // it accumulates: not into dxRef
        perBackend(
          () => {
            dx.fill(0);
            lrnBackward(dx, dy, x, y, scale, g);
          },
          reps,
          () => validate("lrn backward", dx, dxRef),
        ),
      ),
    );
  }

  // pool1 sees conv1's 256×256 output at 512² (64 channels); pool2 sees conv2's 128×128 (192).
  const poolShapes = opts.quick
    ? [[1, 64, 256, 256]]
    : [
        [1, 64, 256, 256],
        [1, 192, 128, 128],
      ];
  for (const shape of poolShapes) {
    const g = poolGeometry(shape, POOL_3x3_S2);
    const x = fillRandom(new Float32Array(shape.reduce((a, b) => a * b, 1)), 3);
    const outSize = g.N * g.C * g.OH * g.OW;
    const y = new Float32Array(outSize),
      yRef = new Float32Array(outSize);
    const argmax = new Int32Array(outSize),
      argmaxRef = new Int32Array(outSize);
    maxPoolForwardInThreads(y, argmax, x, g);
    maxPoolForwardNaive(yRef, argmaxRef, x, g);
    validate(`max pool ${JSON.stringify(shape)}`, y, yRef);
    validate(`max pool argmax ${JSON.stringify(shape)}`, argmax, argmaxRef);

    rows.push(
      row(
        "max pool 3×3/2 forward",
        shape,
        g.kernelH * g.kernelW * outSize,
        medianMs(() => maxPoolForwardNaive(yRef, argmaxRef, x, g), reps),
        perBackend(
          () => maxPoolForwardInThreads(y, argmax, x, g),
          reps,
          () => validate("max pool argmax", argmax, argmaxRef),
        ),
      ),
    );
    const dy = fillRandom(new Float32Array(outSize), 4),
      dx = new Float32Array(x.length);
    const backMs = medianMs(() => maxPoolBackwardInThreads(dx, dy, argmax, g), reps);
    rows.push(["max pool 3×3/2 backward", `[${shape.join(",")}]`, "-", backMs.toFixed(1), "-", "-", "-", "-", "-"]);
  }

  console.log();
  printTable(["kernel", "shape", "naive ms", "JS ms", "SIMD ms", "SIMD vs JS", "naive GFLOP/s", "JS GFLOP/s", "SIMD GFLOP/s"], rows);
  console.log(
    "\nFLOPs (napkin, the naive algorithm's, for both): LRN forward (2n+4)·N·C·H·W, " +
      "LRN backward (2n+8)·N·C·H·W, max pool kernelH·kernelW·N·C·OH·OW comparisons; n = localSize = 5.",
  );

  // ReLU on 2²¹ random-signed values: the branch the naive twin takes mispredicts half the time.
  const n = 1 << 21;
  const rx = fillRandom(new Float32Array(n), 6),
    rdy = fillRandom(new Float32Array(n), 7);
  const ry = new Float32Array(n),
    ryRef = new Float32Array(n),
    rdx = new Float32Array(n),
    rdxRef = new Float32Array(n);
  reluForwardInThreads(ry, rx, 0);
  reluForwardNaive(ryRef, rx, 0);
  validate("relu forward", ry, ryRef);
  reluBackwardInThreads(rdx, rdy, rx, 0);
  reluBackwardNaive(rdxRef, rdy, rx, 0);
  validate("relu backward", rdx, rdxRef);
  const nsPerValue = (ms: number): string => ((ms * 1e6) / n).toFixed(2);
  const reluRows = [
    [
      "forward",
      nsPerValue(medianMs(() => reluForwardNaive(ryRef, rx, 0), reps)),
      nsPerValue(medianMs(() => reluForwardInThreads(ry, rx, 0), reps)),
    ],
    [
      "backward",
      nsPerValue(medianMs(() => reluBackwardNaive(rdxRef, rdy, rx, 0), reps)),
      nsPerValue(medianMs(() => reluBackwardInThreads(rdx, rdy, rx, 0), reps)),
    ],
  ];
  console.log(`\nReLU on ${n} random-signed Float32 values:`);
  printTable(["relu", "naive (branch) ns/value", "fast (branch-free) ns/value"], reluRows);

  // im2col at the 3×3 layers of a 448² step: conv2 (112² rows), inception_3a (56²), 4a (28²).
  const im2colShapes: [number, number][] = opts.quick
    ? [[64, 112]]
    : [
        [64, 112],
        [96, 56],
        [96, 28],
      ];
  const colRows: string[][] = [];
  for (const [C, H] of im2colShapes) {
    const g = convGeometry([1, C, H, H], [1, C, 3, 3], { stride: [1, 1], pad: [1, 1], dilation: [1, 1], group: 1 });
    const x = fillRandom(new Float32Array(C * H * H), 8);
    const size = C * 9 * g.OH * g.OW;
    const col = new Float32Array(size),
      colRef = new Float32Array(size);
    im2colInThreads(col, x, g);
    im2colNaive(colRef, x, g);
    validate(`im2col [1,${C},${H},${H}] 3×3 pad 1`, col, colRef);
    const ns = (ms: number): string => ((ms * 1e6) / size).toFixed(2);
    colRows.push([
      `[1,${C},${H},${H}]`,
      ns(medianMs(() => im2colNaive(colRef, x, g), naiveReps)),
      ns(medianMs(() => im2colInThreads(col, x, g), reps)),
    ]);
  }
  console.log("\nim2col, 3×3 pad 1 stride 1 (ns per column value):");
  printTable(["input", "naive", "fast"], colRows);

  // Why lrn.ts computes s^−β the way it does: three ways on one plane set.
  const s = fillRandom(new Float32Array(64 * 128 * 128), 5).map((v) => 1 + 0.01 * Math.abs(v));
  const out = new Float32Array(s.length);
  const beta = 0.75;
  const powRows = [
    [
      "Math.pow(s, −β)",
      medianMs(() => {
        // biome-ignore lint/style/useExponentiationOperator: this row times Math.pow, by the name it gives
        for (let i = 0; i < s.length; i++) out[i] = Math.pow(s[i]!, -beta);
      }, reps),
    ],
    [
      "Math.exp(−β·Math.log(s))",
      medianMs(() => {
        for (let i = 0; i < s.length; i++) out[i] = Math.exp(-beta * Math.log(s[i]!));
      }, reps),
    ],
    [
      "1/√(s·√s)  (β = 0.75 only)",
      medianMs(() => {
        for (let i = 0; i < s.length; i++) {
          const v = s[i]!;
          out[i] = 1 / Math.sqrt(v * Math.sqrt(v));
        }
      }, reps),
    ],
  ] as const;
  console.log(`\ns^−0.75 over ${s.length} Float32 values:`);
  printTable(
    ["form", "ms"],
    powRows.map(([form, ms]) => [form, ms.toFixed(1)]),
  );
}
