// The entry of a Node worker thread started by ./threads/node-host.ts: it serves jobs
// (./worker-jobs.ts) as they are posted until it is terminated. Node (and Deno's and Bun's Node
// layers) can hand over a waiting message synchronously, by receiveMessageOnPort, so after each
// job the worker polls for the next one for a moment instead of going back to sleep in its event
// loop (./worker-jobs.ts says why).
import { parentPort, receiveMessageOnPort } from "node:worker_threads";
import { serveJobs } from "./worker-jobs.js";
import type { JobMessage, WorkerInit } from "./threads/pool.js";

if (parentPort === null) throw new Error("node-worker.ts runs only as a worker thread");
const port = parentPort;
port.on(
  "message",
  serveJobs(() => receiveMessageOnPort(port)?.message as WorkerInit | JobMessage | undefined),
);
