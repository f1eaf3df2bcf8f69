// A worker whose script never runs must not hang the caller forever: the job fails with a clear
// message after the host's start timeout, and threads are turned off. (Its own file: it installs
// a fake host, and the pool's host is module state.)
import { expect, it } from "vitest";
import { reluForward } from "../../src/layers/relu.js";
import { allocFloats } from "../../src/tensor/buffers.js";
import { installThreadHost, setThreads, threadCount } from "../../src/threads/pool.js";

it("gives up on a worker that never starts, naming it and the way out", () => {
  installThreadHost({ defaultThreads: () => 2, spawn: () => ({ postMessage: () => {}, terminate: () => {} }), startTimeoutMs: 300 });
  setThreads(2);
  const x = allocFloats("float32", 200_000).fill(-1), y = allocFloats("float32", x.length);
  expect(() => reluForward(y, x, 0)).toThrow(
    "worker thread 1 did not start within 0.3 s, so threads were turned off; use 1 thread (threads: 1, --threads 1)",
  );
  expect(threadCount()).toBe(1);
  reluForward(y, x, 0); // and the next job runs inline
  expect(y.every((v) => v === 0)).toBe(true);
});
