// Worker threads for Node: the host that ./pool.ts starts workers through. Importing this file
// installs it (the package entry, the CLI and the benchmarks do).
//
// Workers are `unref`'d, so a program ends when its own work is done, without waiting for idle
// workers or needing a shutdown call.
//
// Run from the TypeScript sources (tests, benchmarks), the worker's entry is a .ts file, which
// plain Node cannot load, and Node 20 does not apply the parent's loader to a worker. The
// worker then starts from a one-line script that loads the entry through tsx (a dev
// dependency), as the sources themselves were loaded.
import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";
import { installThreadHost } from "./pool.js";

const fromSources = import.meta.url.endsWith(".ts");
const entry = new URL(fromSources ? "./node-worker.ts" : "./node-worker.js", import.meta.url);

function startWorker(): Worker {
  if (!fromSources) return new Worker(entry);
  const tsx = import.meta.resolve("tsx/esm/api");
  const script = `import(${JSON.stringify(tsx)}).then((tsx) => tsx.tsImport(${JSON.stringify(entry.href)}, ${JSON.stringify(entry.href)}))`;
  return new Worker(script, { eval: true });
}

installThreadHost({
  defaultThreads: () => availableParallelism(),
  spawn: () => {
    const worker = startWorker();
    worker.unref();
    return worker;
  },
});
