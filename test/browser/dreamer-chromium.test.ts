// `createDreamer` in headless Chromium: a page bundled with the browser entry (./dreamer-page.ts)
// starts dreamers — each a dedicated worker running src/dream-worker.ts, with its helper
// threads — on a cross-origin-isolated page and on one that is not, and the test checks:
// - on 1 and on 2 threads the picture equals Node's `dream()` with the same options bit for bit
//   (Node's computed in a child with the browser's SIMD flavour, see ./node-reference.ts), the
//   progress of every step arrives, and the caller's picture is left as it was;
// - an aborted dream rejects with an AbortError and the dream queued behind it still comes out
//   right; `close()` rejects what is pending, and what is asked after;
// - errors arrive as the library's classes; on a page without COOP/COEP the default is one
//   thread, with the reason, and asking for two is an OptionError that names the headers.
// The bundles are made by esbuild (./isolated-page.ts says where each entry goes). Without a
// Chromium the test is skipped with a note (a failure under CI=true, see ../browser.ts).
import { spawnSync } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RgbImage } from "../../src/io/image/image.js";
import { googlenetUrl, synsetWordsUrl } from "../../src/models/sources.js";
import { chromiumForTests, launchChromium } from "../browser.js";
import { fishBike } from "../dream/photos.js";
import type { DreamReport, PageApi } from "./dreamer-page.js";
import { bundleForBrowser } from "./isolated-page.js";
import { serveStatic, type StaticSite } from "./static-site.js";
import { nodeFlagsFor } from "../node-flags.js";
import type { SimdFlavour } from "../../src/layers/wasm/gemm-simd-module.js";

const PROJECT = resolve(import.meta.dirname, "../..");
const CHROMIUM = chromiumForTests("the createDreamer browser test (test/browser/dreamer-chromium.test.ts)");
const OPTIONS = { layer: "inception_3a/output", octaves: 2, iterations: 3, seed: 11 } as const;
const STEPS = ["1.1", "1.2", "1.3", "2.1", "2.2", "2.3"];

let root = "";
let browser: Browser | null = null;
const sites: StaticSite[] = [];
let isolatedPage: Page;
let plainPage: Page;
let photo: RgbImage; // fish-bike.jpg at 112×75, served as /input.f32

/** Calls the page script's `dreamerTest[method]` with `args`. */
function call<K extends keyof PageApi>(page: Page, method: K, ...args: Parameters<PageApi[K]>): Promise<Awaited<ReturnType<PageApi[K]>>> {
  return page.evaluate(
    ([m, a]) => (globalThis as unknown as { dreamerTest: Record<string, (...x: unknown[]) => unknown> }).dreamerTest[m]!(...a),
    [method, args] as const,
  ) as Promise<Awaited<ReturnType<PageApi[K]>>>;
}

const picture = [`/input.f32`, 112, 75] as const;

/** Node's dream() of the photo with `options`, in a child with SIMD `flavour`. */
function nodeDream(flavour: string, options: object): Float32Array {
  const out = join(root, `node-${flavour}.f32`);
  const flags = nodeFlagsFor(flavour as SimdFlavour);
  const child = spawnSync(
    process.execPath,
    [
      ...flags,
      "--import",
      "tsx",
      join(PROJECT, "test/browser/node-reference.ts"),
      flavour,
      join(root, "input.f32"),
      "112",
      "75",
      JSON.stringify(options),
      out,
    ],
    { cwd: PROJECT, encoding: "utf8" },
  );
  if (child.status !== 0) throw new Error(`the Node reference failed:\n${child.stdout}${child.stderr}`);
  const bytes = readFileSync(out);
  return new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
}

/** How many values of the page's result differ from `expected` in any bit. */
function differing(report: DreamReport, expected: Float32Array): number {
  expect(report.error).toBeUndefined();
  const got = new Float32Array(report.data!);
  expect(got.length).toBe(expected.length);
  const a = new Uint32Array(got.buffer),
    b = new Uint32Array(expected.buffer, expected.byteOffset, expected.length);
  return a.reduce((n, v, i) => n + (v !== b[i] ? 1 : 0), 0);
}

beforeAll(async () => {
  if (CHROMIUM === null) return;
  root = mkdtempSync(join(tmpdir(), "inceptionism-dreamer-"));
  mkdirSync(join(root, "browser"));
  copyFileSync(join(PROJECT, "test/browser/dreamer-page.html"), join(root, "browser/index.html"));
  await bundleForBrowser(root, {
    "browser/page": join(PROJECT, "test/browser/dreamer-page.ts"),
    "dream-worker": join(PROJECT, "src/dream-worker.ts"),
    "web-worker": join(PROJECT, "src/web-worker.ts"),
  });
  ({ photo } = { photo: (await fishBike()).small });
  writeFileSync(join(root, "input.f32"), new Uint8Array(photo.data.buffer, photo.data.byteOffset, photo.data.byteLength));
  // The bundled files, where the dream worker's bundle (/dream-worker.js) finds them:
  // ../../models/ from the root is /models/ (a URL path cannot climb above the root).
  const files = {
    "/models/bvlc_googlenet.caffemodel": fileURLToPath(googlenetUrl),
    "/models/synset_words.txt": fileURLToPath(synsetWordsUrl),
  };
  const isolated = await serveStatic({ routes: [["/", root]], files });
  const plain = await serveStatic({ routes: [["/", root]], files, isolated: false });
  sites.push(isolated, plain);
  browser = await launchChromium(CHROMIUM);
  isolatedPage = await browser.newPage();
  plainPage = await browser.newPage();
  await isolatedPage.goto(`${isolated.origin}/browser/index.html`);
  await plainPage.goto(`${plain.origin}/browser/index.html`);
});

afterAll(async () => {
  await browser?.close();
  for (const s of sites) await s.close();
  if (root !== "") rmSync(root, { recursive: true, force: true });
});

describe.skipIf(CHROMIUM === null)("createDreamer in headless Chromium", () => {
  it("dreams on 1 and on 2 threads the picture Node's dream() gives, bit for bit, with every step's progress", async () => {
    const one = await call(isolatedPage, "start", "one", { threads: 1 });
    const two = await call(isolatedPage, "start", "two", { threads: 2 });
    expect(one).toEqual({ info: { threads: 1, simd: expect.any(String), crossOriginIsolated: true, notes: [] } });
    expect(two).toEqual({ info: { ...one.info, threads: 2 } });
    const reference = nodeDream(one.info!.simd ?? "none", OPTIONS);
    for (const name of ["one", "two"]) {
      const report = await call(isolatedPage, "dream", name, ...picture, OPTIONS);
      expect(differing(report, reference), `${name}: values that differ from Node's`).toBe(0);
      expect(report.progress).toEqual(STEPS);
      expect(report.inputIntact).toBe(true);
    }
  });

  it("uses every core by default, aborts a dream and dreams the next, and brings errors back as their classes", async () => {
    const cores = await call(isolatedPage, "hardwareConcurrency");
    const started = await call(isolatedPage, "start", "default", {});
    expect(started.info?.threads).toBe(Math.min(cores, 64));
    const { aborted, next } = await call(isolatedPage, "abortThenDream", "default", ...picture, OPTIONS);
    expect(aborted.error).toMatchObject({ name: "AbortError", optionError: false });
    expect(aborted.progress).toEqual(["1.1"]);
    expect(differing(next, nodeDream(started.info!.simd ?? "none", OPTIONS))).toBe(0);
    const unknown = await call(isolatedPage, "dream", "default", ...picture, { layer: "inception_3a/ouput" });
    expect(unknown.error).toMatchObject({ name: "UnknownLayerError", optionError: true, inceptionismError: true });
    expect(unknown.error!.message).toMatch(/^unknown layer "inception_3a\/ouput"; did you mean "inception_3a\/output"/);
  });

  it("rejects pending dreams when closed, and dreams asked for after", async () => {
    await call(isolatedPage, "start", "closing", { threads: 1 });
    const { pending, after } = await call(isolatedPage, "closeWithPending", "closing", ...picture, OPTIONS);
    for (const p of pending)
      expect(p.error).toEqual({
        name: "AbortError",
        message: "the dreamer was closed before this dream finished",
        optionError: false,
        inceptionismError: false,
      });
    expect(after.error).toMatchObject({ name: "InceptionismError", inceptionismError: true });
  });

  it("on a page that is not cross-origin isolated: one thread with the reason, and an OptionError for two", async () => {
    const fallback = await call(plainPage, "start", "plain", {});
    expect(fallback.info).toMatchObject({ threads: 1, crossOriginIsolated: false });
    expect(fallback.info!.notes).toEqual([
      expect.stringMatching(/^using 1 thread, not \d+: this page is not cross-origin isolated.*Cross-Origin-Opener-Policy: same-origin/),
    ]);
    const refused = await call(plainPage, "start", "plain-two", { threads: 2 });
    expect(refused.error).toMatchObject({ name: "OptionError", optionError: true });
    expect(refused.error!.message).toMatch(
      /^setThreads\(2\): this page is not cross-origin isolated.*Cross-Origin-Embedder-Policy: require-corp/,
    );
    const report = await call(plainPage, "dream", "plain", ...picture, OPTIONS);
    expect(differing(report, nodeDream(fallback.info!.simd ?? "none", OPTIONS))).toBe(0);
  });
});
