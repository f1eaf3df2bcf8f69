// Worker threads: every kernel split over 2 and 3 threads must give exactly — bit for bit — what
// it gives on one, and the pool must report failures, fall back for unshared arrays, and refuse
// bad counts. The workers here are real Node worker_threads (../../src/threads/node-host.ts).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import "../../src/threads/node-host.js";
import { inputGradient } from "../../src/dream/objective.js";
import { gemm, gemmBackend, gemmKernels, setGemmBackend } from "../../src/layers/gemm.js";
import { convGeometry } from "../../src/layers/conv-geometry.js";
import { col2imInThreads, im2colInThreads } from "../../src/layers/im2col.js";
import { lrnBackward, lrnForward, lrnGeometry } from "../../src/layers/lrn.js";
import { maxPoolBackwardInThreads, maxPoolForwardInThreads, poolGeometry } from "../../src/layers/pooling.js";
import { reluBackwardInThreads, reluForwardInThreads } from "../../src/layers/relu.js";
import { loadGoogLeNet } from "../../src/models/load.js";
import { allocFloats, allocIndices } from "../../src/tensor/buffers.js";
import { fillUniform } from "../../src/tensor/random.js";
import { Tensor } from "../../src/tensor/tensor.js";
import { JOBS } from "../../src/worker-jobs.js";
import {
  defineJob,
  definedJobs,
  pieceRange,
  setProfiler,
  setThreads,
  shutdownThreads,
  threadCount,
  threadsReady,
  withThreads,
} from "../../src/threads/pool.js";
import { random } from "../random.js";

// Jobs go only to workers that have started: start both before the first split, so that every
// 2- and 3-thread run below really is split.
beforeAll(() => threadsReady(3));
afterAll(() => shutdownThreads());

/** Arrays for `random`: from `allocFloats`, so shared while threads > 1. */
const float32s = (n: number): Float32Array => allocFloats("float32", n) as Float32Array;

/**
 * Runs `compute` (which allocates its own inputs and outputs, so they are shared when threads
 * are) at 1, 2 and 3 threads and expects identical outputs.
 */
function sameForEveryThreadCount(compute: () => ArrayLike<number>[]): void {
  const reference = withThreads(1, compute).map((a) => Array.from(a));
  for (const n of [2, 3]) {
    const outputs = withThreads(n, compute);
    outputs.forEach((a, k) => {
      expect(Array.from(a), `output ${k} at ${n} threads`).toEqual(reference[k]);
    });
  }
}

describe("pieceRange", () => {
  it("cuts a range into runs that cover it once, in order, as evenly as possible", () => {
    for (const count of [0, 1, 7, 8, 100]) {
      for (const parts of [1, 2, 3, 5]) {
        const ranges = Array.from({ length: parts }, (_, p) => pieceRange(count, p, parts));
        expect(ranges[0]![0]).toBe(0);
        expect(ranges[parts - 1]![1]).toBe(count);
        for (let p = 1; p < parts; p++) expect(ranges[p]![0]).toBe(ranges[p - 1]![1]);
        const sizes = ranges.map(([a, b]) => b - a);
        expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
      }
    }
  });
});

describe("the job list", () => {
  it("lists every job the kernels define, so a worker can run each", () => {
    const listed = new Set(JOBS.map((j) => j.name));
    expect(definedJobs().filter((name) => !listed.has(name))).toEqual([]);
    expect(listed.size).toBe(JOBS.length);
  });
});

describe("kernels split over threads give the same bits", () => {
  // Every kernel the runtime has: the workers must run the caller's, whatever their own default.
  for (const backend of gemmKernels()) {
    it(`gemm (${backend}), plain and transposed, overwriting and accumulating`, () => {
      const initial = gemmBackend();
      setGemmBackend(backend);
      try {
        // Big enough to be split (M·N ≥ 2¹⁶ and M·N·K ≥ 2²⁰, also for the transposed product
        // K×N below), with N cut into pieces of 8s and a ragged last one.
        const [M, N, K] = [67, 1003, 71];
        sameForEveryThreadCount(() => {
          const A = random(M * K, 1, float32s),
            B = random(K * N, 2, float32s);
          const C1 = allocFloats("float32", M * N),
            C2 = random(M * N, 3, float32s),
            C3 = allocFloats("float32", M * N);
          gemm(C1, A, B, M, N, K);
          const C5 = allocFloats("float32", M * N);
          gemm(C5, A, B, M, N, K, { relu: true, rowBias: random(M, 6, float32s) });
          gemm(C2, A, B, M, N, K, { accumulate: true });
          gemm(C3, A, random(N * K, 4, float32s), M, N, K, { transB: true, rowBias: random(M, 5, float32s) });
          const C4 = allocFloats("float32", K * N);
          gemm(C4, A, C1, K, N, M, { transA: true });
          const C6 = allocFloats("float32", K * N); // a ReLU's backward folded into the copy of B
          gemm(C6, A, C1, K, N, M, { transA: true, maskB: { by: random(M * N, 7, float32s), slope: 0 } });
          return [C1, C2, C3, C4, C5, C6];
        });
      } finally {
        setGemmBackend(initial);
      }
    });
  }

  // A product too narrow for a column piece per thread (N < 2·256) is cut into blocks of rows on
  // the SIMD kernels: each thread packs its rows of A, all of B, and writes its rows of C.
  for (const backend of gemmKernels().filter((k) => k !== "js")) {
    it(`gemm (${backend}) cut into rows when too narrow for columns: every option, ragged M`, () => {
      const initial = gemmBackend();
      setGemmBackend(backend);
      const cuts: number[] = [];
      const previous = setProfiler({
        job: (name, pieces) => (name === "gemm" ? cuts.push(pieces) : 0),
        forward() {},
        backward() {},
      });
      try {
        const [M, N, K] = [130, 196, 83]; // 14×14 columns; 130 rows: 32 panels of 4 and a ragged 2
        const g = convGeometry([1, 7, 14, 14], [M, 7, 5, 5], { pad: [2, 2] }); // a 5×5 conv's B, gathered from the image
        sameForEveryThreadCount(() => {
          const A = random(M * K, 11, float32s),
            B = random(K * N, 12, float32s);
          const C1 = allocFloats("float32", M * N);
          gemm(C1, A, B, M, N, K, { relu: true, rowBias: random(M, 13, float32s) });
          const C2 = random(M * N, 14, float32s);
          gemm(C2, A, B, M, N, K, { accumulate: true });
          const C3 = allocFloats("float32", M * N);
          gemm(C3, A, random(N * K, 15, float32s), M, N, K, { transB: true });
          const C4 = allocFloats("float32", K * N); // Aᵀ: op(A)'s rows are A's columns
          gemm(C4, A, C1, K, N, M, { transA: true, maskB: { by: random(M * N, 16, float32s), slope: 0 } });
          const image = random(7 * 14 * 14, 17, float32s),
            W = random(M * 7 * 25, 18, float32s);
          const C5 = allocFloats("float32", M * N);
          gemm(C5, W, image, M, N, 7 * 25, { imageB: g, rowBias: random(M, 19, float32s) });
          return [C1, C2, C3, C4, C5];
        });
      } finally {
        setProfiler(previous);
        setGemmBackend(initial);
      }
      expect(Math.max(...cuts), "the products were cut at 2 and 3 threads").toBeGreaterThan(1);
    });
  }

  // Bands of rows are cut differently for each thread count: strides, pads and dilations move
  // where a band's first and last output rows fall.
  for (const p of [
    { stride: [1, 2], pad: [1, 1], dilation: [1, 1] },
    { stride: [2, 1], pad: [2, 0], dilation: [2, 1] },
    { stride: [3, 3], pad: [0, 3], dilation: [1, 2] },
  ] as const) {
    it(`im2col and col2im, stride ${p.stride}, pad ${p.pad}, dilation ${p.dilation}`, () => {
      const g = convGeometry([1, 24, 53, 35], [8, 24, 3, 5], {
        stride: [...p.stride],
        pad: [...p.pad],
        dilation: [...p.dilation],
        group: 1,
      });
      sameForEveryThreadCount(() => {
        const x = random(24 * 53 * 35, 5, float32s);
        const col = allocFloats("float32", 24 * 15 * g.OH * g.OW);
        im2colInThreads(col, x, g);
        const dx = random(x.length, 6, float32s);
        col2imInThreads(dx, random(col.length, 7, float32s), g);
        return [col, dx];
      });
    });
  }

  it("ReLU forward and backward", () => {
    sameForEveryThreadCount(() => {
      const x = random(100_003, 8, float32s),
        y = allocFloats("float32", x.length),
        dx = random(x.length, 9, float32s);
      reluForwardInThreads(y, x, 0.1);
      reluBackwardInThreads(dx, random(x.length, 10, float32s), x, 0.1);
      return [y, dx];
    });
  });

  it.each([
    [2, 0],
    [1, 1],
  ])("max pooling forward (values and argmax) and backward, 3×3/%i pad %i", (stride, pad) => {
    const g = poolGeometry([2, 16, 57, 43], { method: "max", kernel: [3, 3], stride: [stride, stride], pad: [pad, pad] });
    sameForEveryThreadCount(() => {
      const x = random(2 * 16 * 57 * 43, 11, float32s),
        y = allocFloats("float32", 2 * 16 * g.OH * g.OW);
      const argmax = allocIndices(y.length);
      maxPoolForwardInThreads(y, argmax, x, g);
      const dx = allocFloats("float32", x.length);
      maxPoolBackwardInThreads(dx, random(y.length, 12, float32s), argmax, g);
      const dxSet = random(x.length, 13, float32s); // overwritten, plane by plane, by whichever thread
      maxPoolBackwardInThreads(dxSet, random(y.length, 12, float32s), argmax, g, true);
      return [y, argmax, dx, dxSet];
    });
  });

  it("LRN across channels, forward and backward", () => {
    const g = lrnGeometry([2, 16, 47, 45], { localSize: 5, alpha: 1e-4, beta: 0.75, k: 1, region: "across" });
    sameForEveryThreadCount(() => {
      const n = 2 * 16 * 47 * 45;
      const x = random(n, 13, float32s),
        y = allocFloats("float32", n),
        scale = allocFloats("float32", n);
      lrnForward(y, scale, x, g);
      const dx = random(n, 14, float32s);
      lrnBackward(dx, random(n, 15, float32s), x, y, scale, g);
      return [y, scale, dx];
    });
  });

  it("a whole GoogLeNet step: the same loss and input gradient", async () => {
    const net = await loadGoogLeNet();
    const x = new Tensor(fillUniform(new Float32Array(3 * 224 * 224), 16, -100, 100), [1, 3, 224, 224]);
    const one = withThreads(1, () => inputGradient(net, x, { layer: "inception_4c/output" }));
    const two = withThreads(2, () => inputGradient(net, x, { layer: "inception_4c/output" }));
    expect(two.loss).toBe(one.loss);
    expect(Array.from(two.grad)).toEqual(Array.from(one.grad));
  });
});

describe("the pool", () => {
  it("runs a job inline when an array is not in shared memory, with the same result", () => {
    const x = fillUniform(new Float32Array(100_000), 17),
      y = new Float32Array(x.length);
    withThreads(2, () => reluForwardInThreads(y, x, 0));
    for (let i = 0; i < x.length; i++) expect(y[i]).toBe(Math.max(x[i]!, 0));
  });

  it("reports a job that fails in a worker, naming the job and the worker", () => {
    // Defined here only, so the workers do not know it: part 1 fails there.
    const ghost = defineJob("test-only-ghost", (_args: { a: Float32Array }) => {});
    withThreads(2, () => {
      const a = allocFloats("float32", 4);
      expect(() => ghost.run({ a: a as Float32Array }, 2)).toThrow(
        'job "test-only-ghost" failed in worker 1: unknown job "test-only-ghost"',
      );
    });
  });

  it("refuses a thread count that is not a whole number from 1 to 64", () => {
    for (const bad of [0, -1, 1.5, 65, Number.NaN]) {
      expect(() => setThreads(bad)).toThrow(`setThreads: expected a whole number from 1 to 64, got ${bad}`);
    }
  });

  it("restores the previous count after withThreads, even when it throws", () => {
    setThreads(1);
    expect(() =>
      withThreads(2, () => {
        expect(threadCount()).toBe(2);
        throw new Error("boom");
      }),
    ).toThrow("boom");
    expect(threadCount()).toBe(1);
  });
});
