// Bundling the engine for a cross-origin-isolated page in headless Chromium, for the tests and
// benchmarks that run it in a browser's dedicated worker (./dreamer-chromium.test.ts,
// bench/browser.bench.ts; the page is served by ./static-site.ts).
//
// The sources are bundled by esbuild (which tsx, a dev dependency, brings), each worker entry as
// a bundle of its own: a worker is started by `new Worker(new URL("./x.js", import.meta.url))`,
// resolved at run time against the bundle that holds that line, so each entry is written where
// its creator's URL points — the dream worker (src/dream-worker.ts) one folder up from the
// dreamer's bundle, as src/browser/dreamer.ts names it, and the thread helper (src/web-worker.ts)
// one folder up from the engine's, as src/threads/web-host.ts names it.
import { build } from "esbuild";

/** Bundles each source file to `root`/`out`.js for a browser: `entries` maps `out` to the source path. */
export async function bundleForBrowser(root: string, entries: Record<string, string>): Promise<void> {
  await build({
    entryPoints: entries,
    outdir: root,
    bundle: true,
    format: "esm",
    platform: "browser",
    target: "es2022",
    logLevel: "error",
    write: true,
  });
}
