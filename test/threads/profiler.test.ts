// The pool's profiler seam (src/threads/pool.ts `setProfiler`), which bench/profile.bench.ts
// builds on: while installed it hears of every job (name, pieces, workers, time) and of every op
// the tape records and back-propagates; uninstalled, nothing.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import "../../src/threads/node-host.js";
import { backward } from "../../src/autograd/tape.js";
import { gemm } from "../../src/layers/gemm.js";
import { relu } from "../../src/layers/relu.js";
import { allocFloats } from "../../src/tensor/buffers.js";
import { Tensor } from "../../src/tensor/tensor.js";
import { setProfiler, shutdownThreads, threadsReady, withThreads, type Profiler } from "../../src/threads/pool.js";
import { random } from "../random.js";

beforeAll(() => threadsReady(2));
afterAll(() => shutdownThreads());

interface Heard {
  jobs: Array<{ name: string; pieces: number; helpers: number; ms: number; waitMs: number }>;
  forward: string[];
  backward: Array<{ op: string; ms: number }>;
}

function listening<T>(fn: () => T): [T, Heard] {
  const heard: Heard = { jobs: [], forward: [], backward: [] };
  const p: Profiler = {
    job: (name, pieces, helpers, ms, waitMs) => heard.jobs.push({ name, pieces, helpers, ms, waitMs }),
    forward: (op) => heard.forward.push(op),
    backward: (op, ms) => heard.backward.push({ op, ms }),
  };
  const previous = setProfiler(p);
  try {
    return [fn(), heard];
  } finally {
    expect(setProfiler(previous)).toBe(p);
  }
}

/** A GEMM big enough to be split over threads (M·N·K ≥ 2²⁰), on shared arrays. */
function bigGemm(): void {
  const [M, N, K] = [64, 1024, 64];
  const shared = (n: number): Float32Array => allocFloats("float32", n) as Float32Array;
  gemm(shared(M * N), random(M * K, 1, shared), random(K * N, 2, shared), M, N, K);
}

describe("the profiler seam", () => {
  it("hears of each job, inline on one thread and split on two", () => {
    const [, one] = listening(() => withThreads(1, bigGemm));
    expect(one.jobs).toHaveLength(1);
    expect(one.jobs[0]).toMatchObject({ name: "gemm", pieces: 1, helpers: 0, waitMs: 0 });
    const [, two] = listening(() => withThreads(2, bigGemm));
    expect(two.jobs).toHaveLength(1);
    const job = two.jobs[0]!;
    expect(job).toMatchObject({ name: "gemm", helpers: 1 });
    expect(job.pieces).toBeGreaterThan(1);
    expect(job.waitMs).toBeGreaterThanOrEqual(0);
    expect(job.waitMs).toBeLessThanOrEqual(job.ms);
  });

  it("hears of the ops the tape records and back-propagates", () => {
    const x = new Tensor(Float32Array.from([-1, 2, -3, 4]), [4], true);
    const [, heard] = listening(() => {
      const y = relu(x);
      backward(y);
    });
    expect(heard.forward).toEqual(["relu"]);
    expect(heard.backward.map((b) => b.op)).toEqual(["relu"]);
    expect(Array.from(x.grad!)).toEqual([0, 1, 0, 1]);
  });

  it("hears nothing once uninstalled", () => {
    const [, heard] = listening(() => undefined);
    withThreads(2, bigGemm);
    expect(heard.jobs).toEqual([]);
  });
});
