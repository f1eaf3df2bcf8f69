// The demo page (web/) in headless Chromium, as a visitor uses it: built by Vite as
// `npm run build:web` builds it, served by a plain static server, a photo chosen through the
// page's own file input, the form filled in and the buttons clicked.
//
// - The dream equals Node's `dream()` with the same options and seed, bit for bit, on 1 and on 2
//   threads. The page hands its result to other scripts in a "dreamed" event (see
//   web/main.ts), which is how the floats get out. Node's reference runs in a child process
//   (./node-dream.ts) with relaxed SIMD switched on exactly when the browser has it: the GEMM's
//   fused multiply–add rounds differently from a multiply and an add, so only the same flavour
//   can give the same bits. The page shows the flavour its dreamer reported (DreamerInfo.simd),
//   and the child prints its own.
// - Cancel stops a dream and leaves the page ready for the next.
// - The downloaded file is a PNG whose pixels are the result, rounded as `writeImage` rounds.
// - Class labels are resolved as `--class` resolves them, errors shown in the page.
// - Served without the headers, the page's service worker (web/public/coi-sw.js) makes it
//   cross-origin isolated; with service workers blocked too it says it runs on one thread.
//
// The package and the page are built afresh into a temporary folder that stands in for an
// installed package (dist/ may be stale, and other tests read it); the page's own type check
// is `npm run build:web`'s, not this test's. With
// INCEPTIONISM_DEMO_SCREENSHOT=path the test saves a screenshot of the page after a dream there:
//     INCEPTIONISM_DEMO_SCREENSHOT=examples/demo-page.png npx vitest run test/web/demo.test.ts
// made the one in the README. Chromium is found by ../browser.ts; without one the test is
// skipped with a note, except under CI=true.
import { spawnSync } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative, resolve } from "node:path";
import type { Browser, BrowserContext, Page } from "playwright-core";
import ts from "typescript";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { decodePng } from "../../src/io/image/png.js";
import { quantize, type RgbImage } from "../../src/io/image/image.js";
import { readImage, writeImage } from "../../src/index.js";
import { chromiumForTests, launchChromium } from "../browser.js";
import { serveStatic, type StaticSite } from "../browser/static-site.js";
import { nodeFlagsFor } from "../node-flags.js";
import type { SimdFlavour } from "../../src/layers/wasm/gemm-simd-module.js";

// The page's globals, as far as the functions that page.evaluate runs there use them: this
// project's TypeScript has no DOM library (the core must not lean on it), so the slice is declared.
interface PageElement {
  textContent: string | null;
  disabled: boolean;
  width: number;
}
declare const document: {
  getElementById(id: string): PageElement;
  addEventListener(type: "dreamed", listener: (event: { detail: DreamedDetail }) => void, options?: { once: boolean }): void;
};
declare const window: { statusSeen: string[]; sawDreamed(): void };
declare const crossOriginIsolated: boolean;
declare const navigator: { serviceWorker: { controller: { scriptURL: string } | null } };
declare const MutationObserver: new (changed: () => void) => { observe(target: PageElement, options: object): void };

/** What web/main.ts puts in its "dreamed" event. */
interface DreamedDetail {
  input: RgbImage;
  options: object;
  result: RgbImage;
}

const PROJECT = resolve(import.meta.dirname, "../..");
// A 320×240 photo, as PNG (made from flowers.jpg in beforeAll): the page decodes with the
// browser's decoder, Node with its own, and only a lossless format gives both the same pixels.
const PHOTO_JPEG = join(PROJECT, "test/fixtures/images/flowers.jpg");
let PHOTO = "";
const CHROMIUM = chromiumForTests("the demo page test (test/web/demo.test.ts)");
const SCREENSHOT = process.env.INCEPTIONISM_DEMO_SCREENSHOT;
const WAIT_MS = 30_000;

/** The settings the test types into the form, and the options the page must make of them. */
const FORM = { layer: "inception_3b/output", octaves: "3", iterations: "4", step: "2", jitter: "16", seed: "5" };
const OPTIONS = { layer: "inception_3b/output", octaves: 3, iterations: 4, stepSize: 2, jitter: 16, seed: 5 };

/** Runs a command, throwing its output if it fails. */
function run(what: string, args: string[], cwd: string): void {
  const r = spawnSync(process.execPath, args, { cwd, encoding: "utf8" });
  if (r.status !== 0) throw new Error(`${what} failed:\n${r.stdout}${r.stderr}`);
}

/**
 * src/ compiled file by file into `out`, as `npm run build` compiles it into dist/ but without
 * the type check and the declarations (which the page's bundle does not need): the same
 * JavaScript, checked file for file against tsc's, in a fraction of the time.
 */
function transpilePackage(src: string, out: string): void {
  for (const entry of readdirSync(src, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile() || !entry.name.endsWith(".ts") || entry.name.endsWith(".d.ts")) continue; // declarations emit nothing
    const file = join(entry.parentPath, entry.name);
    const js = ts.transpileModule(readFileSync(file, "utf8"), {
      compilerOptions: { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ESNext },
      fileName: file,
    }).outputText;
    const target = join(out, relative(src, file)).replace(/\.ts$/, ".js");
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, js);
  }
}

/**
 * The package as it would be installed (package.json, a fresh dist/, the model and labels, the
 * example photo the page's "try the sample" loads) with the demo's sources, and the demo built
 * by Vite into web/dist. Returns the folder.
 */
function buildDemo(): string {
  const stage = mkdtempSync(join(tmpdir(), "inceptionism-demo-"));
  cpSync(join(PROJECT, "package.json"), join(stage, "package.json"));
  symlinkSync(join(PROJECT, "node_modules"), join(stage, "node_modules"));
  symlinkSync(join(PROJECT, "models"), join(stage, "models"));
  mkdirSync(join(stage, "examples"));
  cpSync(join(PROJECT, "examples/flowers.jpg"), join(stage, "examples/flowers.jpg"));
  cpSync(join(PROJECT, "web"), join(stage, "web"), { recursive: true, filter: (src) => !src.startsWith(join(PROJECT, "web/dist")) });
  transpilePackage(join(PROJECT, "src"), join(stage, "dist"));
  const vite = join(PROJECT, "node_modules/vite/bin/vite.js");
  run("vite build", [vite, "build", "--config", join(stage, "web/vite.config.ts"), "--logLevel", "warn"], stage);
  return stage;
}

/** Node's dream of `PHOTO` with `options`, in a child with the browser's SIMD flavour. */
function nodeDream(options: object, flavour: string | null, scratch: string): { image: Float32Array; flavour: string | null } {
  const optionsFile = join(scratch, "options.json");
  const out = join(scratch, "node-dream.bin");
  writeFileSync(optionsFile, JSON.stringify(options));
  const flags = nodeFlagsFor(flavour as SimdFlavour);
  const r = spawnSync(
    process.execPath,
    [...flags, "--import", "tsx", join(import.meta.dirname, "node-dream.ts"), PHOTO, optionsFile, out],
    {
      cwd: PROJECT,
      encoding: "utf8",
    },
  );
  if (r.status !== 0) throw new Error(`node-dream.ts failed:\n${r.stdout}${r.stderr}`);
  const report = JSON.parse(r.stdout.trim().split("\n").at(-1)!) as { flavour: string | null };
  const bytes = readFileSync(out);
  return { image: new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4), flavour: report.flavour };
}

/** The SIMD flavour the page reports for its dreamer's worker (DreamerInfo.simd), "none" as null. */
async function pageFlavour(page: Page): Promise<string | null> {
  const simd = await page.getAttribute("#engine", "data-simd");
  return simd === "none" ? null : simd;
}

/** Opens the page and waits until its model is loaded in the worker. */
async function openDemo(context: BrowserContext, origin: string, problems: string[]): Promise<Page> {
  const page = await context.newPage();
  page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
  page.on("console", (m) => {
    if (m.type() === "error") problems.push(`console: ${m.text()}`);
  });
  await page.goto(`${origin}/index.html`);
  await page.waitForFunction(() => /^Model ready/.test(document.getElementById("status").textContent ?? ""), null, { timeout: WAIT_MS });
  return page;
}

async function choosePhoto(page: Page): Promise<void> {
  await page.setInputFiles("#photo", PHOTO);
  await page.waitForFunction(() => !document.getElementById("dream").disabled, null, { timeout: WAIT_MS });
}

async function fillForm(page: Page, form: typeof FORM): Promise<void> {
  await page.selectOption("#layer", form.layer);
  for (const field of ["octaves", "iterations", "step", "jitter", "seed"] as const) await page.fill(`#${field}`, form[field]);
}

/** Every text the status line shows from now on, for the test to read later. */
async function recordStatus(page: Page): Promise<void> {
  await page.evaluate(() => {
    const seen: string[] = [];
    window.statusSeen = seen;
    const status = document.getElementById("status");
    new MutationObserver(() => seen.push(status.textContent ?? "")).observe(status, {
      childList: true,
      characterData: true,
      subtree: true,
    });
  });
}

/** Clicks Dream and returns the "dreamed" event's picture, options and result. */
async function dreamInPage(page: Page): Promise<{ input: RgbImage; options: object; image: RgbImage }> {
  // Floats leave the page as base64 of their bytes: exact, and compact.
  const dreamed = page.evaluate(
    () =>
      new Promise<{ options: object; input: EncodedImage; image: EncodedImage }>((done) =>
        document.addEventListener(
          "dreamed",
          (event) => {
            const encode = ({ width, height, data }: RgbImage): EncodedImage => {
              const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
              let binary = "";
              for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
              return { width, height, base64: btoa(binary) };
            };
            const { input, options, result } = event.detail;
            done({ options, input: encode(input), image: encode(result) });
          },
          { once: true },
        ),
      ),
  );
  await page.click("#dream");
  const { options, input, image } = await dreamed;
  const decode = ({ width, height, base64 }: EncodedImage): RgbImage => {
    const bytes = Buffer.from(base64, "base64");
    return { width, height, data: new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4) };
  };
  return { options, input: decode(input), image: decode(image) };
}

interface EncodedImage {
  width: number;
  height: number;
  base64: string;
}

/** How many values of `a` and `b` differ (their bits, so that NaN and −0 count). */
function differences(a: Float32Array, b: Float32Array): number {
  const x = new Uint32Array(a.buffer, a.byteOffset, a.length);
  const y = new Uint32Array(b.buffer, b.byteOffset, b.length);
  let n = Math.abs(x.length - y.length);
  for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) n++;
  return n;
}

let stage = "";
let isolatedSite: StaticSite | null = null;
let plainSite: StaticSite | null = null;
let browser: Browser | null = null;

describe.skipIf(CHROMIUM === null)("the demo page in headless Chromium", () => {
  beforeAll(async () => {
    stage = buildDemo();
    PHOTO = join(stage, "flowers.png");
    await writeImage(PHOTO, await readImage(PHOTO_JPEG));
    isolatedSite = await serveStatic({ routes: [["/", join(stage, "web/dist")]] });
    plainSite = await serveStatic({ routes: [["/", join(stage, "web/dist")]], isolated: false });
    browser = await launchChromium(CHROMIUM!);
  });

  afterAll(async () => {
    await browser?.close();
    await isolatedSite?.close();
    await plainSite?.close();
    if (stage !== "") rmSync(stage, { recursive: true, force: true });
  });

  it("dreams the chosen photo on 1 and 2 threads, bit for bit as Node's dream(), and downloads it as that PNG", async () => {
    const context = await browser!.newContext({ viewport: { width: 1200, height: 760 }, acceptDownloads: true });
    const problems: string[] = [];
    try {
      const page = await openDemo(context, isolatedSite!.origin, problems);
      expect(await page.evaluate(() => crossOriginIsolated)).toBe(true);
      await choosePhoto(page);
      await fillForm(page, FORM);

      const results: RgbImage[] = [];
      const flavours: (string | null)[] = [];
      for (const threads of ["1", "2"]) {
        await page.selectOption("#threads", threads); // a new dreamer, with its own worker
        await page.waitForFunction(() => !document.getElementById("dream").disabled, null, { timeout: WAIT_MS });
        expect(await page.textContent("#engine")).toMatch(threads === "1" ? /^1 thread · / : /^2 threads · /);
        flavours.push(await pageFlavour(page));
        await recordStatus(page);
        const { input, options, image } = await dreamInPage(page);
        expect(differences(input.data, (await readImage(PHOTO)).data)).toBe(0); // the photo, as Node reads it
        expect(options).toEqual(OPTIONS);
        expect([image.width, image.height]).toEqual([320, 240]);
        expect(differences(image.data, input.data)).toBeGreaterThan(100_000); // it dreamed: most values changed
        results.push(image);
        // The progress line showed the octave, the step, the share done and the time left.
        const seen = await page.evaluate(() => window.statusSeen);
        // A time is "3.6 s" or, on a slow or busy machine, "1 min 34 s".
        const time = String.raw`(\d+ min \d+|[\d.]+) s`;
        expect(seen).toContainEqual(expect.stringMatching(new RegExp(`^Octave 1/3 · step 1/4 · \\d+% · ${time}, about ${time} left$`)));
        expect(seen).toContainEqual(expect.stringMatching(/^Octave 3\/3 · step 4\/4 · 100% · /));
        expect(await page.textContent("#status")).toMatch(new RegExp(`^Dreamed 320×240 in ${time}\\.$`));
      }
      if (SCREENSHOT !== undefined) await page.screenshot({ path: resolve(PROJECT, SCREENSHOT), fullPage: true });

      expect(flavours[0]).toBe(flavours[1]);
      const node = nodeDream(OPTIONS, flavours[0] ?? null, stage);
      expect(node.flavour).toBe(flavours[0]);
      expect(differences(results[0]!.data, node.image)).toBe(0);
      expect(differences(results[1]!.data, node.image)).toBe(0);

      const [download] = await Promise.all([page.waitForEvent("download"), page.click("#download")]);
      expect(download.suggestedFilename()).toBe("dream.png");
      const png = decodePng(new Uint8Array(readFileSync(await download.path())));
      expect([png.width, png.height]).toEqual([320, 240]);
      expect(quantize(png)).toEqual(quantize(results[1]!));
      expect(problems).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it("cancels a running dream and is ready for the next", async () => {
    const context = await browser!.newContext();
    const problems: string[] = [];
    try {
      const page = await openDemo(context, isolatedSite!.origin, problems);
      await choosePhoto(page);
      await fillForm(page, { ...FORM, octaves: "4", iterations: "200" });
      let dreamed = false;
      await page.exposeFunction("sawDreamed", () => (dreamed = true));
      await page.evaluate(() => document.addEventListener("dreamed", () => window.sawDreamed()));
      await page.click("#dream");
      await page.waitForFunction(() => /^Octave 1\/4 · step 2\//.test(document.getElementById("status").textContent ?? ""), null, {
        timeout: WAIT_MS,
      });
      await page.click("#cancel");
      await page.waitForFunction(() => document.getElementById("status").textContent === "Cancelled.", null, { timeout: WAIT_MS });
      expect(await page.isEnabled("#dream")).toBe(true);
      expect(await page.isDisabled("#cancel")).toBe(true);
      expect(await page.evaluate(() => document.getElementById("after").width)).toBe(0);

      // The same dreamer dreams again after the cancel.
      await fillForm(page, { ...FORM, octaves: "1", iterations: "1" });
      const { image } = await dreamInPage(page);
      expect([image.width, image.height]).toEqual([320, 240]);
      expect(dreamed).toBe(true);
      expect(problems).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it("resolves class labels as --class does, and shows the errors", async () => {
    const context = await browser!.newContext();
    try {
      const page = await openDemo(context, isolatedSite!.origin, []);
      // The hint is rewritten once the labels are checked: wait for the new text.
      const hintFor = async (text: string): Promise<string> => {
        const before = await page.textContent("#class-hint");
        await page.fill("#classes", text);
        await page.waitForFunction(
          ([before, empty]) => {
            const now = document.getElementById("class-hint").textContent;
            return empty ? now === "" : now !== before;
          },
          [before, text.trim() === ""] as const,
          { timeout: WAIT_MS },
        );
        return (await page.textContent("#class-hint"))!;
      };
      expect(await hintFor("banana, 281")).toBe("banana (954), tabby (281)");
      expect(await page.isDisabled("#layer")).toBe(true);
      expect(await hintFor("cat")).toMatch(/^"cat" could be \d+ classes: .*; give the index or a longer name$/);
      expect(await page.getAttribute("#class-hint", "class")).toContain("error");
      expect(await hintFor("bananna")).toBe('no ImageNet class is called "bananna"; the closest is banana (954)');
      await hintFor("");
      expect(await page.isEnabled("#layer")).toBe(true);
    } finally {
      await context.close();
    }
  });

  it("is made cross-origin isolated by its service worker where the host sends no headers", async () => {
    const context = await browser!.newContext();
    try {
      const page = await openDemo(context, plainSite!.origin, []);
      expect(await page.evaluate(() => crossOriginIsolated)).toBe(true);
      expect(await page.evaluate(() => navigator.serviceWorker.controller?.scriptURL)).toBe(`${plainSite!.origin}/coi-sw.js`);
      expect(await page.textContent("#notes")).toBe("");
    } finally {
      await context.close();
    }
  });

  it("dreams on one thread, and says why, where it cannot be isolated at all", async () => {
    const context = await browser!.newContext({ serviceWorkers: "block" });
    const problems: string[] = [];
    try {
      const page = await openDemo(context, plainSite!.origin, problems);
      expect(await page.evaluate(() => crossOriginIsolated)).toBe(false);
      expect(await page.textContent("#notes")).toMatch(/^This page is not cross-origin isolated, so the dream runs on one thread\./);
      expect(await page.$$eval("#threads option", (options) => options.map((o) => o.textContent))).toEqual(["1"]);
      await choosePhoto(page);
      await fillForm(page, { ...FORM, octaves: "1", iterations: "1" });
      const { image } = await dreamInPage(page);
      expect([image.width, image.height]).toEqual([320, 240]);
      expect(problems).toEqual([]);
    } finally {
      await context.close();
    }
  });
});
