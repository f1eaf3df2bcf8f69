// What one parallel job costs beyond its work, in whichever runtime runs this: a ReLU over 2¹⁷
// shared values (above the pool's threshold for splitting at all), on 1 thread and on 2. With
// 2 threads the caller posts the job, runs its share, then sleeps in Atomics.wait until the
// helper raises its flag; t₂ − t₁/2 is then what a job's hand-over and barrier cost. A step is
// a few hundred jobs, so a runtime whose wake-ups are slower pays it a few hundred times a step.
// Shared by ../browser.bench.ts (Node) and ./step-worker.ts (Chromium).
import { reluForwardInThreads } from "../../src/layers/relu.js";
import { fillUniform } from "../../src/tensor/random.js";
import { withThreads } from "../../src/threads/pool.js";

const VALUES = 1 << 17;

/** The median µs of one ReLU job on `threads` threads, over batches of `calls` calls. */
export function jobMicroseconds(threads: number, calls = 200, batches = 7): number {
  const x = fillUniform(new Float32Array(new SharedArrayBuffer(4 * VALUES)), 9);
  const y = new Float32Array(new SharedArrayBuffer(4 * VALUES));
  return withThreads(threads, () => {
    for (let i = 0; i < calls; i++) reluForwardInThreads(y, x, 0); // warm-up: JIT, caches, helpers awake
    const perCall: number[] = [];
    for (let b = 0; b < batches; b++) {
      const t0 = performance.now();
      for (let i = 0; i < calls; i++) reluForwardInThreads(y, x, 0);
      perCall.push(((performance.now() - t0) * 1000) / calls);
    }
    perCall.sort((a, b) => a - b);
    return perCall[batches >> 1]!;
  });
}
