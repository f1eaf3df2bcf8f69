// Threads in a real browser. The core is built to JavaScript, served with the headers that make
// a page cross-origin isolated, and loaded in headless Chromium. The page (./browser/index.html)
// checks that its window refuses threads, since a window may not block, and starts the engine
// in a dedicated worker (./browser/engine-worker.js), which runs GEMM and ReLU on 1 and on 2
// threads — the second a nested Web Worker started by src/threads/web-host.ts — and reports
// whether the results agree bit for bit.
//
// That a worker really took part is shown with nothing exposed for the test:
// - every array is shared and the thread count is 2, so the pool posts each job to the helper
//   and waits, in Atomics.wait, until the helper raises its flag: a 2-thread run that returns
//   was answered by a running worker (which pieces it claimed is up to timing, and not asked);
// - the server saw the helper's entry, /web-worker.js, being fetched;
// - a job that only the engine defines fails in the helper with the helper's own message
//   ("failed in worker 1: unknown job"), which only a worker that received the job can write.
//
// The engine awaits `threadsStarted()` between `setThreads(2)` and its first job, as web-host.ts
// asks: without it, that job waits forever for a helper that Chromium has not yet started (seen:
// this test then ends in its report timeout).
//
// The sources are built afresh into a temporary folder (dist/ may be stale). Chromium is found
// by ../browser.ts ($CHROMIUM_PATH, then the usual paths) and driven through playwright-core.
// Where there is none, the browser test is skipped with a note saying how to get one, so that
// `npm test` passes on a fresh clone; under CI=true that is a failure instead, since a skipped
// browser test there would hide a broken browser build. The module-graph test needs no browser
// and always runs.
import { spawnSync } from "node:child_process";
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import ts from "typescript";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { chromiumForTests, launchChromium } from "../browser.js";
import { serveStatic, type StaticSite } from "../browser/static-site.js";

const PROJECT = resolve(import.meta.dirname, "../..");
const FIXTURES = resolve(import.meta.dirname, "browser");
const CHROMIUM = chromiumForTests("the Web Worker test (test/threads/browser.test.ts)");
const REPORT_TIMEOUT_MS = 30_000;

/** What ./browser/engine-worker.js posts: `error` only when it threw. */
interface EngineReport {
  crossOriginIsolated: boolean;
  threadsAvailable: boolean;
  threadCount: number;
  earlyJob: string; // "ran": a job run before the helper started completed on the engine's thread
  shared: boolean;
  gemm: { js: number; wasm: number }; // values that differ between 1 and 2 threads
  relu: number;
  ghost: string;
  error?: string;
}

/** What ./browser/index.html hands to `reportToTest`. */
interface PageReport {
  page: { crossOriginIsolated: boolean; threadsAvailable: boolean; refusal: string | null };
  engine: EngineReport;
}

/**
 * Every module specifier reachable from `entries` (paths under `root`), by file: a browser
 * resolves only relative and absolute URLs, so a bare one ("protobufjs") would fail to load.
 * Relative imports are followed; TypeScript's own scanner reads them, comments and all.
 */
function moduleGraph(root: string, entries: string[]): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  const pending = entries.map((e) => join(root, e));
  for (let file = pending.pop(); file !== undefined; file = pending.pop()) {
    if (graph.has(file)) continue;
    const specifiers = ts.preProcessFile(readFileSync(file, "utf8")).importedFiles.map((f) => f.fileName);
    graph.set(file, specifiers);
    for (const s of specifiers) if (s.startsWith(".")) pending.push(resolve(dirname(file), s));
  }
  return graph;
}

let root = "";
let site: StaticSite | null = null;

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), "inceptionism-browser-"));
  const build = spawnSync("npx", ["tsc", "-p", "tsconfig.build.json", "--outDir", root], { cwd: PROJECT, encoding: "utf8" });
  if (build.status !== 0) throw new Error(`tsc could not build the sources:\n${build.stdout}${build.stderr}`);
  for (const fixture of ["index.html", "engine-worker.js"]) copyFileSync(join(FIXTURES, fixture), join(root, fixture));
  site = await serveStatic({ routes: [["/", root]] });
});

afterAll(async () => {
  await site?.close();
  if (root !== "") rmSync(root, { recursive: true, force: true });
});

describe("the browser build", () => {
  it("load modules that import only relative paths", () => {
    // The helper's entry is started by `new URL(…)` in web-host.js, not imported, so it is an
    // entry of its own; the page imports a subset of what the engine imports.
    const graph = moduleGraph(root, ["engine-worker.js", "web-worker.js"]);
    const bare = [...graph].flatMap(([file, specifiers]) =>
      specifiers.filter((s) => !s.startsWith("./") && !s.startsWith("../")).map((s) => `${file.slice(root.length + 1)} imports "${s}"`),
    );
    expect(bare).toEqual([]);
    expect(graph.size).toBeGreaterThan(10); // the worker's job list reaches every kernel
  });
});

describe.skipIf(CHROMIUM === null)("worker threads in headless Chromium", () => {
  it("split GEMM and ReLU over a nested Web Worker, bit-identical to one thread", async () => {
    const browser = await launchChromium(CHROMIUM!);
    try {
      const page = await browser.newPage();
      const problems: string[] = [];
      page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
      page.on("console", (m) => {
        if (m.type() === "error") problems.push(`console: ${m.text()}`);
      });
      let deliver: (report: PageReport) => void = () => {};
      const delivered = new Promise<PageReport>((resolve) => (deliver = resolve));
      await page.exposeFunction("reportToTest", (report: PageReport) => deliver(report));
      const timedOut = new Promise<never>((_, reject) =>
        setTimeout(() => {
          const seen = problems.length > 0 ? problems.join("\n") : "nothing on the console";
          reject(new Error(`the page sent no report in ${REPORT_TIMEOUT_MS / 1000} s (a thread stuck in Atomics.wait?); ${seen}`));
        }, REPORT_TIMEOUT_MS).unref(),
      );
      await page.goto(`${site!.origin}/index.html`);
      const report = await Promise.race([delivered, timedOut]);

      expect(report.page).toEqual({
        crossOriginIsolated: true,
        threadsAvailable: false,
        refusal: "setThreads(2): a window's main thread may not block: run the engine in a dedicated worker (createDreamer does); or use 1",
      });
      expect(report.engine).toEqual({
        crossOriginIsolated: true,
        threadsAvailable: true,
        threadCount: 2,
        earlyJob: "ran",
        shared: true,
        gemm: { js: 0, wasm: 0 },
        relu: 0,
        ghost: 'job "browser-test-ghost" failed in worker 1: unknown job "browser-test-ghost"',
      });
      expect(site!.requested).toContain("/web-worker.js");
    } finally {
      await browser.close();
    }
  });
});
