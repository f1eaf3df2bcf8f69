// Worker threads for browsers: the host that ./pool.ts starts Web Workers through, each running
// ../web-worker.ts — the browser twin of ./node-host.ts. Importing this file installs it. Threads
// in a browser take two things of the page:
//
// 1. Shared memory. SharedArrayBuffer exists only on a cross-origin-isolated page, one served
//    with the headers
//        Cross-Origin-Opener-Policy: same-origin
//        Cross-Origin-Embedder-Policy: require-corp
//    (and its worker scripts under the same policy). Without them there is no SharedArrayBuffer.
//
// 2. A thread that may block. The calling thread runs its share of a job, then sleeps in
//    Atomics.wait until the workers raise their flags, and a browser forbids blocking its main
//    (window) thread: there Atomics.wait exists, so the pool's `typeof Atomics.wait` check passes,
//    but every call throws. So the engine itself must run in a dedicated worker, which starts
//    the helpers as workers of its own (`createDreamer` runs it in one).
//
// This host is installed in a window and in a dedicated worker. Where one of the two is missing
// it says so (`unavailable`): the default is then one thread, which `dream()` notes, and asking
// for more (`setThreads(2)`, `threads: 2`) is an error naming what the page needs — rather than
// accepted, and failing inside the first job.
//
// And one thing of the engine: Chromium starts a worker made by a worker, and hands it the
// messages posted while it loads, only from the event loop of the thread that made it — not
// while that thread is busy or blocked — and other browsers may do the same. The pool never
// posts a job to a helper that has not started (that job would wait forever), so a job run
// straight after `setThreads` runs on the engine's thread alone. Each helper marks its `init`
// message received in shared memory (../worker-jobs.ts), and `dream()` awaits the pool's
// `threadsReady()` for that itself; other code awaits `threadsStarted()` after `setThreads` and
// before the first job:
//
//     setThreads(defaultThreads()); // from ./pool.ts
//     await threadsStarted();
//     …jobs, synchronous from here on: a running helper needs nothing more of the engine's loop
import { installThreadHost, threadsReady, type WorkerHandle } from "./pool.js";

// The browser's globals, as far as they are used here. The project's TypeScript libs (ES2022
// and Node) do not declare the DOM's types, so the slice needed is declared.
interface WebWorker extends WorkerHandle {
  onerror: ((event: { message?: string }) => void) | null;
}
declare const Worker: new (url: URL, options: { type: "module" }) => WebWorker;
const scope = globalThis as typeof globalThis & {
  crossOriginIsolated?: boolean;
  document?: unknown;
  navigator?: { hardwareConcurrency?: number };
};

// Only a dedicated worker defines this name: not a window, not Node, not a service worker.
const inDedicatedWorker = "DedicatedWorkerGlobalScope" in globalThis;
const inWindow = typeof scope.document === "object" && scope.document !== null;

const HEADERS = "Cross-Origin-Opener-Policy: same-origin and Cross-Origin-Embedder-Policy: require-corp";

/** What this page lacks for threads (see the top of this file), as "problem: fix", or null. */
function unavailable(): string | null {
  const problems: string[] = [],
    fixes: string[] = [];
  if (scope.crossOriginIsolated !== true) {
    problems.push("this page is not cross-origin isolated, so it has no shared memory");
    fixes.push(`serve it with the headers ${HEADERS}`);
  }
  if (!inDedicatedWorker) {
    problems.push("a window's main thread may not block");
    fixes.push("run the engine in a dedicated worker (createDreamer does)");
  } else if (typeof Worker !== "function") {
    problems.push("this browser cannot start a worker from a worker");
    fixes.push("use a browser that can (Chromium, Firefox, Safari 15.5+)");
  }
  return problems.length === 0 ? null : `${problems.join(", and ")}: ${fixes.join(", and ")}`;
}

/** Why a worker failed to load, for the pool, which then stops waiting for it. */
const failures = new WeakMap<WorkerHandle, string>();

function spawn(): WebWorker {
  // Written in the one form bundlers (Vite, webpack, Parcel) recognise as a worker's entry, to
  // build and emit it: `new Worker(new URL("…", import.meta.url), { type: "module" })`.
  const worker = new Worker(new URL("../web-worker.js", import.meta.url), { type: "module" });
  worker.onerror = (event) => {
    // A bundler that does not build such workers (esbuild) leaves the URL pointing at nothing.
    failures.set(worker, event.message || `its script ${new URL("../web-worker.js", import.meta.url).href} did not load`);
  };
  return worker;
}

if (inDedicatedWorker || inWindow) {
  installThreadHost({
    defaultThreads: () => scope.navigator?.hardwareConcurrency ?? 1,
    spawn,
    unavailable,
    startFailure: (worker) => failures.get(worker) ?? null,
  });
}

/**
 * Resolves once the workers for the current thread count have started and received their
 * `init` message, so that jobs posted from now on reach them; rejects, naming the script, if
 * one failed to load. `dream()` waits so itself (`threadsReady` in ./pool.ts, which this is);
 * code that calls the kernels or `CaffeNet.forward` directly awaits it after `setThreads(n)` and
 * before the first job, or its first jobs run on this thread alone (see the top of this file).
 */
export async function threadsStarted(): Promise<void> {
  await threadsReady();
}
