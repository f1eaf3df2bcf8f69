// Worker threads for browsers: the host that ./pool.ts starts Web Workers through, each running
// ../web-worker.ts — the browser twin of ./node-host.ts. Importing this file installs it, but
// only where threads can work, which in a browser takes two things of the page:
//
// 1. Shared memory. SharedArrayBuffer exists only on a cross-origin-isolated page, one served
//    with the headers
//        Cross-Origin-Opener-Policy: same-origin
//        Cross-Origin-Embedder-Policy: require-corp
//    (and its worker scripts under the same policy). Without them there is no SharedArrayBuffer;
//    `threadsAvailable()` in ./pool.ts sees that by itself.
//
// 2. A thread that may block. The calling thread runs its share of a job, then sleeps in
//    Atomics.wait until the workers raise their flags, and a browser forbids blocking its main
//    (window) thread: there Atomics.wait exists, so the pool's `typeof Atomics.wait` check passes,
//    but every call throws. So the engine itself must run in a dedicated worker, which starts
//    the helpers as workers of its own. This host is installed only in a dedicated worker's
//    scope; in a window the pool has no host, runs every job inline, and `setThreads(2)` refuses
//    with its "cannot start worker threads" error instead of failing inside the first job.
//
// And one thing of the engine: Chromium starts a worker made by a worker, and hands it the
// messages posted while it loads, only from the event loop of the thread that made it — not
// while that thread is busy or blocked — and other browsers may do the same. The pool never
// posts a job to a helper that has not started (that job would wait forever), so a job run
// straight after `setThreads` runs on the engine's thread alone. Each helper answers its `init`
// message (see ../web-worker.ts), and `dream()` awaits the pool's `threadsReady()` itself; other
// code awaits `threadsStarted()` after `setThreads` and before the first job:
//
//     setThreads(defaultThreads()); // from ./pool.ts
//     await threadsStarted();
//     …jobs, synchronous from here on: a running helper needs nothing more of the engine's loop
import { installThreadHost, threadsReady, type WorkerHandle } from "./pool.js";

// The dedicated worker's global scope, as far as it is used here. The project's TypeScript libs
// (ES2022 and Node) do not declare the DOM's types, so the slice needed is declared.
interface WebWorker extends WorkerHandle {
  onmessage: (() => void) | null;
  onerror: ((event: { message?: string }) => void) | null;
}
declare const self: {
  navigator: { hardwareConcurrency?: number };
  Worker: new (url: URL, options: { type: "module" }) => WebWorker;
};

// Only a dedicated worker defines this name: not a window, not Node, not a service worker.
const inDedicatedWorker = "DedicatedWorkerGlobalScope" in globalThis;

/** One promise per worker spawned so far: resolved by its first answer, rejected if it fails to load. */
const started: Promise<void>[] = [];

function spawn(): WebWorker {
  // Written out in full, URL and import.meta.url, so that bundlers find the worker's entry.
  const worker = new self.Worker(new URL("../web-worker.js", import.meta.url), { type: "module" });
  started.push(
    new Promise((ready, failed) => {
      worker.onmessage = () => ready();
      worker.onerror = (event) => failed(new Error(`a thread's worker failed to start: ${event.message ?? "its script did not load"}`));
    }),
  );
  return worker;
}

if (inDedicatedWorker) {
  installThreadHost({ defaultThreads: () => self.navigator.hardwareConcurrency ?? 1, spawn });
}

/**
 * Resolves once the workers for the current thread count have started and received their
 * `init` message, so that jobs posted from now on reach them; rejects if one failed to load.
 * `dream()` awaits this itself (as `threadsReady` in ./pool.ts); code that calls the kernels or
 * `CaffeNet.forward` directly awaits it after `setThreads(n)` and before the first job, or its
 * first jobs run on this thread alone (see the top of this file).
 */
export async function threadsStarted(): Promise<void> {
  await threadsReady();
  await Promise.all(started);
}
