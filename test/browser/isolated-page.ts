// A cross-origin-isolated page in headless Chromium, for the tests and benchmarks that run the
// engine in a browser's dedicated worker (./dreamer-chromium.test.ts, bench/browser.bench.ts).
//
// Threads in a browser need SharedArrayBuffer, which only a page served with
//     Cross-Origin-Opener-Policy: same-origin
//     Cross-Origin-Embedder-Policy: require-corp
// has, so every file is served with both. The sources are bundled by esbuild (which tsx, a dev
// dependency, brings), each worker entry as a bundle of its own: a worker is started by
// `new Worker(new URL("./x.js", import.meta.url))`, resolved at run time against the bundle that
// holds that line, so each entry is written where its creator's URL points — the dream worker
// (src/dream-worker.ts) one folder up from the dreamer's bundle, as src/browser/dreamer.ts names
// it, and the thread helper (src/web-worker.ts) one folder up from the engine's, as
// src/threads/web-host.ts names it.
import { build } from "esbuild";
import { readFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import { extname, join, normalize, sep } from "node:path";
import { chromium, type Browser } from "playwright-core";

const MIME_TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".caffemodel": "application/octet-stream",
  ".f32": "application/octet-stream",
  ".txt": "text/plain; charset=utf-8",
};

/** Bundles each source file to `root`/`out`.js for a browser: `entries` maps `out` to the source path. */
export async function bundleForBrowser(root: string, entries: Record<string, string>): Promise<void> {
  await build({
    entryPoints: entries, outdir: root, bundle: true, format: "esm", platform: "browser",
    target: "es2022", logLevel: "error", write: true,
  });
}

/**
 * Serves `root` on 127.0.0.1, cross-origin isolated (unless `isolated` is false: a page as most
 * servers serve it); `extra` maps URL paths to further files (the model, fixtures) served from
 * where they are.
 */
export async function serveIsolated(
  root: string, extra: Record<string, string> = {}, isolated = true,
): Promise<{ server: Server; origin: string }> {
  const server = createServer(async (request, response) => {
    const path = decodeURIComponent(new URL(request.url ?? "/", "http://127.0.0.1").pathname);
    const file = extra[path] ?? join(root, normalize(path));
    const type = MIME_TYPES[extname(file)];
    if ((extra[path] === undefined && !file.startsWith(root + sep)) || type === undefined) {
      response.writeHead(404).end();
      return;
    }
    try {
      const body = await readFile(file);
      response.writeHead(200, {
        "Content-Type": type,
        ...(isolated ? { "Cross-Origin-Opener-Policy": "same-origin", "Cross-Origin-Embedder-Policy": "require-corp" } : {}),
      });
      response.end(body);
    } catch {
      response.writeHead(404).end();
    }
  });
  await new Promise<void>((ready) => server.listen(0, "127.0.0.1", ready));
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("the test server has no TCP port");
  return { server, origin: `http://127.0.0.1:${address.port}` };
}

/** Headless Chromium at `executablePath`, with nothing running in the background. */
export function launchChromium(executablePath: string): Promise<Browser> {
  return chromium.launch({
    executablePath,
    args: [
      "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync",
    ],
  });
}

/** Closes a server started by `serveIsolated`. */
export function closeServer(server: Server | null): Promise<void> {
  return new Promise((closed) => (server === null ? closed() : server.close(() => closed())));
}
