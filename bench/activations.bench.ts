// The activations beyond ReLU (src/layers/pointwise.ts, src/layers/prelu.ts) on 2²¹ Float32
// values (64 channels of 128×256): each fast kernel validated against its textbook twin, then timed on one thread and on every core, next to the
// ReLU for scale. Reported as ns per value; every one is memory-bound or bound by one exp/tanh/pow
// per value, so FLOPs say little: the napkin math is one transcendental a value for Sigmoid,
// TanH, ELU and Power's pow form, none for AbsVal, PReLU and Power's special cases.
import "../src/threads/node-host.js";
import {
  pointwiseBackwardInThreads,
  pointwiseBackwardNaive,
  pointwiseForwardInThreads,
  pointwiseForwardNaive,
  type Pointwise,
} from "../src/layers/pointwise.js";
import {
  preluBackwardDataInThreads,
  preluBackwardNaive,
  preluForwardInThreads,
  preluForwardNaive,
  preluGeometry,
} from "../src/layers/prelu.js";
import { reluBackwardInThreads, reluForwardInThreads } from "../src/layers/relu.js";
import { allocFloats } from "../src/tensor/buffers.js";
import { defaultThreads, threadsReady, withThreads } from "../src/threads/pool.js";
import { fillRandom, maxRelDiff, medianMs, printTable, type BenchOptions } from "./util.js";

const FUNCTIONS: Array<[string, Pointwise | "prelu" | "relu"]> = [
  ["relu (for scale)", "relu"],
  ["sigmoid", { fn: "sigmoid" }],
  ["tanh", { fn: "tanh" }],
  ["elu α=1", { fn: "elu", alpha: 1 }],
  ["power 2", { fn: "power", power: 2, scale: 0.5, shift: 1 }],
  ["power 1.5 (pow)", { fn: "power", power: 1.5, scale: 0.5, shift: 1 }],
  ["absval", { fn: "absval" }],
  ["prelu per channel", "prelu"],
];

export async function run(opts: BenchOptions): Promise<void> {
  const reps = opts.quick ? 3 : 9;
  const many = defaultThreads();
  await threadsReady(many);
  const shape = [1, 64, 128, 256],
    n = 64 * 128 * 256;
  const g = preluGeometry(shape, 64);
  const nsPerValue = (ms: number): string => ((ms * 1e6) / n).toFixed(2);

  // Arrays in shared memory, so that the jobs really split on `many` threads.
  const { x, dy, y, dx, yRef, dxRef, slopes } = withThreads(many, () => ({
    x: fillRandom(allocFloats("float32", n) as Float32Array, 1),
    dy: fillRandom(allocFloats("float32", n) as Float32Array, 2),
    y: allocFloats("float32", n),
    dx: allocFloats("float32", n),
    yRef: new Float32Array(n),
    dxRef: new Float32Array(n),
    slopes: fillRandom(allocFloats("float32", 64) as Float32Array, 3),
  }));

  const rows: (string | number)[][] = [];
  for (const [name, f] of FUNCTIONS) {
    const forward = (): void => {
      if (f === "relu") reluForwardInThreads(y, x, 0);
      else if (f === "prelu") preluForwardInThreads(y, x, slopes, g);
      else pointwiseForwardInThreads(f, y, x);
    };
    const backward = (): void => {
      if (f === "relu") reluBackwardInThreads(dx, dy, x, 0);
      else if (f === "prelu") preluBackwardDataInThreads(dx, dy, x, slopes, g);
      else pointwiseBackwardInThreads(f, dx, dy, x, y);
    };
    if (f !== "relu") {
      forward();
      dx.fill(0);
      backward();
      dxRef.fill(0);
      if (f === "prelu") {
        preluForwardNaive(yRef, x, slopes, g);
        preluBackwardNaive(dxRef, null, dy, x, slopes, g);
      } else {
        pointwiseForwardNaive(f, yRef, x);
        pointwiseBackwardNaive(f, dxRef, dy, x);
      }
      const diff = Math.max(maxRelDiff(y, yRef), maxRelDiff(dx, dxRef));
      if (!(diff <= 1e-5)) throw new Error(`${name}: the fast kernels disagree with their twins (max relative diff ${diff})`);
      console.log(`validate ${name}: max relative diff ${diff.toExponential(2)}`);
    }
    rows.push([
      name,
      nsPerValue(withThreads(1, () => medianMs(forward, reps))),
      nsPerValue(withThreads(many, () => medianMs(forward, reps))),
      nsPerValue(withThreads(1, () => medianMs(backward, reps))),
      nsPerValue(withThreads(many, () => medianMs(backward, reps))),
    ]);
  }
  console.log(`\n${n} Float32 values (x in [−1, 1)), medians of ${reps}:`);
  printTable(
    ["kernel", "forward ns/value, 1 thread", `forward, ${many} threads`, "backward ns/value, 1 thread", `backward, ${many} threads`],
    rows,
  );
}
