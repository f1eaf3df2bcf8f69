// The entry of a Node worker thread started by ./threads/node-host.ts: it serves jobs
// (./worker-jobs.ts) as they are posted until it is terminated. Node (and Bun) can hand over a
// waiting message synchronously, by receiveMessageOnPort, so after each job the worker polls for
// the next one for a moment instead of going back to sleep in its event loop (./worker-jobs.ts
// says why). Deno's parentPort is not a MessagePort, which receiveMessageOnPort refuses: there
// the worker is woken by its event loop for every job, as in a browser.
import { MessagePort, parentPort, receiveMessageOnPort } from "node:worker_threads";
import { serveJobs } from "./worker-jobs.js";
import type { JobMessage, WorkerInit } from "./threads/pool.js";

if (parentPort === null) throw new Error("node-worker.ts runs only as a worker thread");
const port = parentPort;
const poll = port instanceof MessagePort ? () => receiveMessageOnPort(port)?.message as WorkerInit | JobMessage | undefined : undefined;
port.on("message", serveJobs(poll));
