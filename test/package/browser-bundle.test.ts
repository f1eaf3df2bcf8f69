// The package as a web developer gets it: `npm pack`ed, installed from the tarball into a
// scratch app (./browser-app/) in a temporary folder, and bundled for the browser by Vite's
// `build()` and by esbuild, with their defaults — no aliases, no stubs. The Vite build is served
// with the two headers that make a page cross-origin isolated, and headless Chromium dreams
// there with `dream()` in a dedicated worker, on 1 and 2 threads, with the bundled GoogLeNet the
// bundler emitted from `googlenetUrl`, and with `createDreamer` from the window, whose worker
// the package ships. Each picture must equal, bit for bit, what the installed package's Node
// entry dreams with the same options.
//
// The WebAssembly GEMM has two flavours, and Chromium has relaxed SIMD where Node 20 has it only
// behind a flag: Node's reference runs in a child process with the flag when the page's browser
// validates the relaxed module (see src/layers/wasm/gemm-simd.ts `simdFlavour`).
//
// The tarball is packed from a fresh build in the temporary folder, not from dist/, which other
// tests read while this one runs. Without a Chromium the browser part is skipped with a note
// (../browser.ts); under CI=true that is a failure. The declarations are checked against a
// TypeScript consumer with no @types installed either way.
import { spawnSync } from "node:child_process";
import { copyFileSync, cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { build as esbuild } from "esbuild";
import type { Browser, Page } from "playwright-core";
import { build as viteBuild } from "vite";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { gemmModuleBytes } from "../../src/layers/wasm/gemm-simd-module.js";
import { chromiumForTests, launchChromium } from "../browser.js";
import { serveStatic, type StaticSite } from "../browser/static-site.js";
import { nodeFlagsFor } from "../node-flags.js";

const ROOT = resolve(import.meta.dirname, "../..");
const APP_SOURCES = resolve(import.meta.dirname, "browser-app");
const CHROMIUM = chromiumForTests("the packed-package browser test (test/package/browser-bundle.test.ts)");
const SETUP_TIMEOUT_MS = 600_000;
const DREAM_TIMEOUT_MS = 120_000;

/** Runs a command, failing with its output if it fails. */
function run(command: string, args: string[], cwd: string): string {
  const r = spawnSync(command, args, { cwd, encoding: "utf8", maxBuffer: 64 * 2 ** 20 });
  if (r.status !== 0) throw new Error(`${command} ${args.join(" ")} failed (${r.status}):\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

/** What ./browser-app/engine.js answers. */
interface EngineAnswer {
  error?: string;
  crossOriginIsolated: boolean;
  cores: number;
  notes: string[];
  width: number;
  height: number;
  pixels: number[];
}

/** The values of `a` and `b` that differ in any bit (as doubles: every float32 is one exactly). */
const differing = (a: number[], b: number[]): number => a.reduce((n, v, i) => n + (Object.is(v, b[i]) ? 0 : 1), 0);

let scratch = "";
let app = "";

beforeAll(() => {
  scratch = mkdtempSync(join(tmpdir(), "inceptionism-packed-"));
  // The package, built afresh: what `npm pack` would take from the repository after `prepare`.
  const pkg = join(scratch, "package");
  mkdirSync(join(pkg, "models"), { recursive: true });
  run("npx", ["tsc", "-p", "tsconfig.build.json", "--outDir", join(pkg, "dist")], ROOT);
  const { files } = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { files: string[] };
  for (const file of ["package.json", ...files.filter((f) => f !== "dist")]) copyFileSync(join(ROOT, file), join(pkg, file));
  const tarball = join(scratch, run("npm", ["pack", "--ignore-scripts", "--silent", "--pack-destination", scratch], pkg).trim());
  // The scratch app, with the tarball installed as a dependency like any other.
  app = join(scratch, "app");
  cpSync(APP_SOURCES, app, { recursive: true });
  writeFileSync(join(app, "package.json"), JSON.stringify({ name: "scratch-app", private: true, type: "module" }));
  run("npm", ["install", "--prefer-offline", "--no-audit", "--no-fund", "--silent", tarball], app);
}, SETUP_TIMEOUT_MS);

afterAll(() => {
  if (scratch !== "") rmSync(scratch, { recursive: true, force: true });
});

describe("the installed package's declarations", () => {
  it("type-check in a browser app with no @types installed, and in a Node program without @types/ndarray", () => {
    copyFileSync(join(app, "consumer.ts.txt"), join(app, "consumer.ts"));
    const tsc = join(ROOT, "node_modules/typescript/bin/tsc");
    const check = (name: string, compilerOptions: object): string => {
      const options = {
        strict: true,
        noEmit: true,
        skipLibCheck: false,
        target: "ES2022",
        lib: ["ES2022", "DOM"],
        types: [],
        ...compilerOptions,
      };
      writeFileSync(join(app, name), JSON.stringify({ compilerOptions: options, files: ["consumer.ts"] }));
      const r = spawnSync(process.execPath, [tsc, "-p", name], { cwd: app, encoding: "utf8" });
      return r.stdout + r.stderr;
    };
    expect(check("tsconfig.browser.json", { module: "esnext", moduleResolution: "bundler", customConditions: ["browser"] })).toBe("");
    // A Node program has @types/node for node:* anyway; what it must not need is @types/ndarray.
    expect(check("tsconfig.node.json", { module: "nodenext", moduleResolution: "nodenext", skipLibCheck: true })).toBe("");
  });
});

describe("bundling the installed package for a browser", () => {
  it("works in esbuild with its defaults, reaching no Node module", async () => {
    const result = await esbuild({
      entryPoints: [join(app, "main.js"), join(app, "engine.js")],
      bundle: true,
      platform: "browser",
      format: "esm",
      outdir: join(app, "esbuild-out"),
      metafile: true,
      logLevel: "silent",
      absWorkingDir: app,
    });
    expect(result.errors).toEqual([]);
    const inputs = Object.keys(result.metafile.inputs);
    expect(inputs).toContain("node_modules/inceptionism/dist/browser.js");
    expect(inputs.filter((m) => /^node:|pngjs|zlib/.test(m))).toEqual([]);
    copyFileSync(join(app, "index.html"), join(app, "esbuild-out/index.html"));
  });
});

describe.skipIf(CHROMIUM === null)("the Vite-built app in headless Chromium", () => {
  let browser: Browser;
  let page: Page;
  let site: StaticSite | null = null;
  let origin = "";
  let requested: string[] = [];
  const problems: string[] = [];

  beforeAll(async () => {
    await viteBuild({ root: app, configFile: false, logLevel: "error", build: { outDir: join(app, "dist"), emptyOutDir: true } });
    // The esbuild build under /esbuild/, with the package's models/ beside it; Vite's at the root.
    const routes: [string, string][] = [
      ["/esbuild/models/", join(app, "node_modules/inceptionism/models")],
      ["/esbuild/", join(app, "esbuild-out")],
      ["/", join(app, "dist")],
    ];
    site = await serveStatic({ routes });
    ({ origin, requested } = site);
    browser = await launchChromium(CHROMIUM!);
    page = await browser.newPage();
    page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
    page.on("console", (m) => {
      if (m.type() === "error") problems.push(`console: ${m.text()}`);
    });
    await page.goto(`${origin}/index.html`);
  }, SETUP_TIMEOUT_MS);

  afterAll(async () => {
    await browser?.close();
    await site?.close();
  });

  it("emitted the model, the labels and the helper worker", () => {
    const files = readdirSync(join(app, "dist/assets"));
    expect(
      files.some((f) => /^bvlc_googlenet-.*\.caffemodel$/.test(f)),
      files.join(", "),
    ).toBe(true);
    expect(
      files.some((f) => /^synset_words-.*\.txt$/.test(f)),
      files.join(", "),
    ).toBe(true);
    expect(
      files.some((f) => /^web-worker-.*\.js$/.test(f)),
      files.join(", "),
    ).toBe(true);
    expect(
      files.some((f) => /^dream-worker-.*\.js$/.test(f)),
      files.join(", "),
    ).toBe(true); // createDreamer's
  });

  const [width, height] = [72, 64];
  const pixels = Array.from({ length: width * height * 3 }, (_, i) => (i * 37 + Math.floor(i / 211) * 11) % 256);
  const options = { layer: "inception_4c/output", octaves: 1, iterations: 2, seed: 7 };

  /** `dreamInWorker(request)` on `on`, the answer or a timeout naming what the console saw. */
  async function ask(on: Page, request: object): Promise<EngineAnswer> {
    return Promise.race([
      on.evaluate(`dreamInWorker(${JSON.stringify({ width, height, pixels, ...request })})`) as Promise<EngineAnswer>,
      new Promise<never>((_, reject) =>
        setTimeout(
          () => reject(new Error(`no answer in ${DREAM_TIMEOUT_MS / 1000} s; ${problems.join("; ") || "nothing on the console"}`)),
          DREAM_TIMEOUT_MS,
        ).unref(),
      ),
    ]);
  }

  let reference: number[] | null = null;
  /** Node's dream() of the same picture, by the installed package, with the page's SIMD flavour. */
  async function nodeReference(): Promise<number[]> {
    if (reference !== null) return reference;
    // Run in the page, as text: this project's libs declare neither the DOM nor WebAssembly's values.
    const relaxed = (await page.evaluate(
      `WebAssembly.validate(new Uint8Array(${JSON.stringify([...gemmModuleBytes("relaxed-madd")])}))`,
    )) as boolean;
    const requestFile = join(scratch, "request.json");
    writeFileSync(requestFile, JSON.stringify({ width, height, pixels, options }));
    const flags = nodeFlagsFor(relaxed ? "relaxed-madd" : "mul-add");
    reference = (JSON.parse(run(process.execPath, [...flags, "node-reference.js", requestFile], app)) as { pixels: number[] }).pixels;
    expect(reference.length).toBe(width * height * 3);
    expect(differing(reference, pixels)).toBeGreaterThan(width * height); // it really dreamed
    return reference;
  }

  it("dreams in a worker on 1 and 2 threads, bit for bit as Node's dream() does", async () => {
    for (const threads of [1, 2]) {
      const answer = await ask(page, { options: { ...options, threads } });
      expect(answer.error, problems.join("\n")).toBeUndefined();
      expect([answer.crossOriginIsolated, answer.width, answer.height, answer.notes]).toEqual([true, width, height, []]);
      expect(differing(answer.pixels, await nodeReference()), `${threads} threads`).toBe(0);
    }
    expect(problems).toEqual([]);
    expect(requested.some((p) => /^\/assets\/bvlc_googlenet-.*\.caffemodel$/.test(p))).toBe(true); // fetched from googlenetUrl
    expect(requested.some((p) => /^\/assets\/web-worker-.*\.js$/.test(p))).toBe(true); // the 2-thread dream started its helper
  });

  it("on the window's own thread, refuses threads naming the dedicated worker, and dreams on one with a note", async () => {
    const answer = (await page.evaluate(`dreamInWindow(${JSON.stringify({ width, height, pixels, options })})`)) as {
      refusal: string;
      notes: string[];
      cores: number;
      pixels: number[];
    };
    const why = "a window's main thread may not block: run the engine in a dedicated worker (createDreamer does)";
    expect(answer.refusal).toBe(`OptionError: setThreads(2): ${why}; or use 1`);
    expect(answer.notes).toEqual(answer.cores > 1 ? [`using 1 thread, not ${answer.cores}: ${why}`] : []);
    expect(differing(answer.pixels, await nodeReference())).toBe(0);
  });

  it("fetches the bundled labels for classes given by name", async () => {
    const answer = await ask(page, { options: { classes: ["bananna"] } });
    expect(answer.error).toBe('OptionError: no ImageNet class is called "bananna"; the closest is banana (954)');
    expect(requested.some((p) => /^\/assets\/synset_words-.*\.txt$/.test(p))).toBe(true);
  });

  it("esbuild's build, which emits neither the model nor the helper worker, fails in clear words and dreams on one thread", async () => {
    const esbuildPage = await browser.newPage();
    await esbuildPage.goto(`${origin}/esbuild/index.html`);
    // googlenetUrl points where no file was put.
    expect((await ask(esbuildPage, { options })).error).toBe(
      `ModelError: cannot fetch the model from ${origin}/models/bvlc_googlenet.caffemodel: HTTP 404 Not Found; check the URL and that the server serves the file`,
    );
    // With the model served and fetched by hand, the default threads find no helper script, and
    // the dream goes on alone; asked for, 2 threads are an error naming the script.
    const modelUrl = "models/bvlc_googlenet.caffemodel"; // relative to the engine's script
    const failure = `worker thread 1 failed to start (its script ${origin}/web-worker.js did not load), so threads were turned off; use 1 thread (threads: 1)`;
    const alone = await ask(esbuildPage, { options, modelUrl });
    expect(alone.error).toBeUndefined();
    expect(alone.notes).toEqual(alone.cores > 1 ? [`dreaming on 1 thread: ${failure}`] : []);
    expect(differing(alone.pixels, await nodeReference())).toBe(0);
    expect((await ask(esbuildPage, { options: { ...options, threads: 2 }, modelUrl })).error).toBe(`Error: ${failure}`);
    await esbuildPage.close();
  });

  it("runs createDreamer from the window: the package's worker dreams on 1 and 2 threads, bit for bit as Node's dream()", async () => {
    const relaxed = (await page.evaluate(
      `WebAssembly.validate(new Uint8Array(${JSON.stringify([...gemmModuleBytes("relaxed-madd")])}))`,
    )) as boolean;
    const [width, height] = [64, 72];
    const pixels = Array.from({ length: width * height * 3 }, (_, i) => (i * 53 + Math.floor(i / 97) * 5) % 256);
    const options = { layer: "inception_3b/output", octaves: 2, iterations: 2, seed: 3 };
    const requestFile = join(scratch, "dreamer-request.json");
    writeFileSync(requestFile, JSON.stringify({ width, height, pixels, options }));
    const reference = JSON.parse(
      run(process.execPath, [...nodeFlagsFor(relaxed ? "relaxed-madd" : "mul-add"), "node-reference.js", requestFile], app),
    ) as { pixels: number[] };
    expect(reference.pixels.filter((v, i) => v !== pixels[i]).length).toBeGreaterThan(width * height); // it really dreamed
    for (const threads of [1, 2]) {
      const answer = (await page.evaluate(`dreamWithDreamer(${JSON.stringify({ width, height, pixels, options, threads })})`)) as {
        error?: string;
        info: { threads: number; crossOriginIsolated: boolean; notes: string[] };
        steps: number[];
        pixels: number[];
      };
      expect(answer.error, problems.join("\n")).toBeUndefined();
      expect(answer.info).toMatchObject({ threads, crossOriginIsolated: true, notes: [] });
      expect(answer.steps).toEqual([1, 2, 1, 2]);
      expect(answer.pixels.filter((v, i) => !Object.is(v, reference.pixels[i])).length, `${threads} threads`).toBe(0);
    }
    expect(requested.some((p) => /\/dream-worker-.*\.js$/.test(p))).toBe(true);
    expect(problems).toEqual([]);
  });
});
