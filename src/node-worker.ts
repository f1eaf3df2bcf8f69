// The entry of a Node worker thread started by ./threads/node-host.ts: it serves jobs
// (./worker-jobs.ts) as they are posted until it is terminated.
import { parentPort } from "node:worker_threads";
import { serveJobs } from "./worker-jobs.js";

if (parentPort === null) throw new Error("node-worker.ts runs only as a worker thread");
parentPort.on("message", serveJobs());
