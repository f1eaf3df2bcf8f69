// A worker whose script never runs must neither hang the caller nor be waited for: jobs run
// without it, and once it is past the host's start timeout, the next job (or `threadsReady`)
// fails with a clear message and threads are turned off — at once, when the host can tell that
// it failed to load. (Its own file: it installs a fake host, and the pool's host is module state.)
import { expect, it } from "vitest";
import { reluForwardInThreads } from "../../src/layers/relu.js";
import { allocFloats } from "../../src/tensor/buffers.js";
import { installThreadHost, setThreads, threadCount, threadsReady } from "../../src/threads/pool.js";

const MESSAGE = "worker thread 1 did not start within 0.3 s, so threads were turned off; use 1 thread (threads: 1, --threads 1)";

it("runs jobs without a worker that has not started, then gives up on it, naming it and the way out", async () => {
  installThreadHost({ defaultThreads: () => 2, spawn: () => ({ postMessage: () => {}, terminate: () => {} }), startTimeoutMs: 300 });
  setThreads(2);
  const x = allocFloats("float32", 200_000).fill(-1),
    y = allocFloats("float32", x.length).fill(5);
  reluForwardInThreads(y, x, 0); // the worker is still "starting": this thread does every piece
  expect(y.every((v) => v === 0)).toBe(true);
  await new Promise((resolve) => setTimeout(resolve, 350));
  expect(() => reluForwardInThreads(y, x, 0)).toThrow(MESSAGE);
  expect(threadCount()).toBe(1);
  y.fill(5);
  reluForwardInThreads(y, x, 0); // and the next job runs inline
  expect(y.every((v) => v === 0)).toBe(true);
});

it("threadsReady rejects once the start timeout has passed", async () => {
  installThreadHost({ defaultThreads: () => 2, spawn: () => ({ postMessage: () => {}, terminate: () => {} }), startTimeoutMs: 300 });
  await expect(threadsReady(2)).rejects.toThrow(MESSAGE);
  expect(threadCount()).toBe(1);
});

it("stops waiting at once for a worker its host knows failed to load, saying why", async () => {
  const loading = { postMessage: () => {}, terminate: () => {} };
  let failed = false;
  installThreadHost({
    defaultThreads: () => 2,
    spawn: () => loading,
    startFailure: (w) => (failed && w === loading ? "its script /x.js did not load" : null),
  });
  const ready = threadsReady(2);
  failed = true; // as a browser reports it: an error event some time after the spawn
  await expect(ready).rejects.toThrow(
    "worker thread 1 failed to start (its script /x.js did not load), so threads were turned off; use 1 thread (threads: 1)",
  );
  expect(threadCount()).toBe(1);
});
