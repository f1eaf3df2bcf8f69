// Worker threads for Node: the host that ./pool.ts starts workers through. Importing this file
// installs it (the package entry, the CLI and the benchmarks do), where worker_threads exists.
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

/**
 * A worker thread running `entry`, a module beside this one's caller: `entry` names the built
 * .js file, and when this file runs from the TypeScript sources, the .ts file beside it is
 * loaded through tsx instead (see above).
 */
export function startNodeWorker(entry: URL): Worker {
  // (A module loaded by tsImport has a query after its path, so look at the path alone.)
  if (!new URL(import.meta.url).pathname.endsWith(".ts")) return new Worker(entry);
  const source = new URL(entry.href.replace(/\.js$/, ".ts"));
  if (runsTypeScript()) return new Worker(source);
  const tsx = import.meta.resolve("tsx/esm/api");
  const script = `import(${JSON.stringify(tsx)}).then((tsx) => tsx.tsImport(${JSON.stringify(source.href)}, ${JSON.stringify(source.href)}))`;
  return new Worker(script, { eval: true });
}

/** Deno and Bun run TypeScript themselves (Deno maps the sources' ".js" imports with --sloppy-imports). */
function runsTypeScript(): boolean {
  return "deno" in process.versions || "bun" in process.versions;
}

// Only where worker_threads is real: a bundler that builds the Node entry for a page replaces
// node:* modules with empty stubs, and a host installed there would accept setThreads(2) and
// then fail in the first job ("Worker is not a constructor"). Without a host it refuses at once.
if (typeof Worker === "function" && typeof availableParallelism === "function") {
  installThreadHost({
    defaultThreads: () => availableParallelism(),
    spawn: () => {
      const worker = startNodeWorker(new URL("../node-worker.js", import.meta.url));
      worker.unref();
      return worker;
    },
  });
}
