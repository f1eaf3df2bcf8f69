// The one static file server of the browser tests and benchmarks: what any static host does,
// with or without the two headers that make a page cross-origin isolated.
//
// Threads in a browser need SharedArrayBuffer, which only a page served with
//     Cross-Origin-Opener-Policy: same-origin
//     Cross-Origin-Embedder-Policy: require-corp
// has; `isolated: false` serves a page as most hosts do, to test what happens without them.
// 127.0.0.1 is a secure context, as https is, so service workers run there too.
import { readFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import { extname, join, normalize, sep } from "node:path";

const MIME_TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json; charset=utf-8",
  ".map": "application/json; charset=utf-8",
  ".txt": "text/plain; charset=utf-8",
  ".jpg": "image/jpeg",
  ".png": "image/png",
  ".svg": "image/svg+xml",
  ".wasm": "application/wasm",
};

export interface SiteOptions {
  /** With COOP/COEP on every response (default true). */
  isolated?: boolean;
  /**
   * URL path prefixes served from folders, the first match winning: [["/", root]] serves
   * `root`; [["/lib/", a], ["/", b]] serves /lib/x from a/x and the rest from b.
   */
  routes: ReadonlyArray<readonly [prefix: string, folder: string]>;
  /** Single URL paths served from files elsewhere (the model, fixtures), before the routes. */
  files?: Readonly<Record<string, string>>;
}

export interface StaticSite {
  server: Server;
  /** "http://127.0.0.1:PORT" */
  origin: string;
  /** Every path asked for, in order (to check what a page loaded, or did not). */
  requested: string[];
  close(): Promise<void>;
}

/**
 * Serves on 127.0.0.1 at a free port. A path ending in "/" means its index.html; a path outside
 * every route's folder, or a missing file, is a 404.
 */
export async function serveStatic({ isolated = true, routes, files = {} }: SiteOptions): Promise<StaticSite> {
  const requested: string[] = [];
  const server = createServer(async (request, response) => {
    let path = decodeURIComponent(new URL(request.url ?? "/", "http://127.0.0.1").pathname);
    requested.push(path);
    if (path.endsWith("/")) path += "index.html";
    let file = files[path];
    if (file === undefined) {
      const route = routes.find(([prefix]) => path.startsWith(prefix));
      const candidate = route === undefined ? undefined : join(route[1], normalize(path.slice(route[0].length - 1)));
      if (route === undefined || !candidate!.startsWith(route[1] + sep)) return void response.writeHead(404).end();
      file = candidate!;
    }
    try {
      const body = await readFile(file);
      const headers: Record<string, string> = {
        "Content-Type": MIME_TYPES[extname(file)] ?? "application/octet-stream",
        "Cache-Control": "no-store",
      };
      if (isolated) {
        headers["Cross-Origin-Opener-Policy"] = "same-origin";
        headers["Cross-Origin-Embedder-Policy"] = "require-corp";
      }
      response.writeHead(200, headers).end(body);
    } catch {
      response.writeHead(404).end();
    }
  });
  await new Promise<void>((ready) => server.listen(0, "127.0.0.1", ready));
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("the test server has no TCP port");
  return {
    server,
    origin: `http://127.0.0.1:${address.port}`,
    requested,
    close: () => new Promise((closed) => server.close(() => closed())),
  };
}
