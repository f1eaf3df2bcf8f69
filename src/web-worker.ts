// The entry of a browser Web Worker started by ./threads/web-host.ts: it serves jobs
// (./worker-jobs.ts) as they are posted until it is terminated — the browser twin of
// ./node-worker.ts.
//
// It marks each `init` message received in shared memory (in `serveJobs`), which the pool's
// `threadsReady()` waits for. Only a mark made on a message from the engine shows that messages
// reach this worker: Chromium holds what is posted to a worker that is still loading, and hands
// it over from the engine's own event loop — so a worker that merely announced it had loaded may
// not yet see the jobs posted to it while the engine blocks.
import { serveJobs } from "./worker-jobs.js";
import type { JobMessage, WorkerInit } from "./threads/pool.js";

// The worker's global scope, as far as it is used here. The project's TypeScript libs (ES2022
// and Node) do not declare the DOM's worker types, so the slice needed is declared.
declare const self: {
  onmessage: ((event: { data: WorkerInit | JobMessage }) => void) | null;
};

const serve = serveJobs();
self.onmessage = (event) => serve(event.data);
