// The browser entry (src/browser.ts, the "browser" condition of package.json's exports) as a
// bundler sees it: esbuild, told the platform is a browser, must resolve everything it reaches
// with no node:* module and no Node-only package (pngjs, zlib; jpeg-js runs anywhere). And
// importing the bundle must do nothing but define things: no environment variable read, nothing
// fetched.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { build, type Metafile } from "esbuild";
import { afterAll, describe, expect, it } from "vitest";
import * as browserEntry from "../../src/browser.js";
import * as nodeEntry from "../../src/index.js";

const ROOT = resolve(import.meta.dirname, "../..");
const out = mkdtempSync(join(tmpdir(), "inceptionism-browser-entry-"));
afterAll(() => rmSync(out, { recursive: true, force: true }));

/** Bundles `entry` for a browser into `out`, returning the modules it reached (paths relative to ROOT). */
async function bundleForBrowser(entry: string): Promise<string[]> {
  const result = await build({
    entryPoints: [join(ROOT, entry)],
    bundle: true,
    platform: "browser",
    format: "esm",
    outdir: out,
    metafile: true,
    logLevel: "silent",
    absWorkingDir: ROOT,
  });
  expect(result.errors).toEqual([]);
  return Object.keys((result.metafile as Metafile).inputs);
}

const NODE_ONLY = /^node:|(^|\/)pngjs\/|^(\(disabled\):)?(zlib|stream|buffer|fs|path|os|crypto|worker_threads|url)$/;

describe("the browser entry, bundled by esbuild for a browser", () => {
  it("reaches no node:* module and no Node-only package", async () => {
    const modules = await bundleForBrowser("src/browser.ts");
    expect(modules.filter((m) => NODE_ONLY.test(m) && m !== "(disabled):fs")).toEqual([]);
    // protobufjs maps its optional fs to nothing for browsers itself ("browser": {"fs": false}).
    expect(modules.filter((m) => m.startsWith("(disabled):"))).toEqual(["(disabled):fs"]);
    expect(modules).toContain("src/models/sources.ts");
    expect(modules).not.toContain("src/models/load.ts");
    expect(modules).not.toContain("src/threads/node-host.ts");
  });

  it("and so do the worker entries, which web-host.ts and createDreamer start by URL", async () => {
    for (const entry of ["src/web-worker.ts", "src/dream-worker.ts"]) {
      const modules = await bundleForBrowser(entry);
      expect(
        modules.filter((m) => NODE_ONLY.test(m) && m !== "(disabled):fs"),
        entry,
      ).toEqual([]);
    }
  });

  it("does nothing at import: no environment variable read, nothing fetched, no thread host in Node", () => {
    const bundle = join(out, "browser.js");
    const probe = join(out, "probe.mjs");
    writeFileSync(join(out, "empty.mjs"), "export {};\n");
    writeFileSync(
      probe,
      `
      const touched = [];
      const env = process.env;
      process.env = new Proxy(env, { get: (t, k) => (touched.push("process.env." + String(k)), t[k]) });
      globalThis.fetch = (url) => { touched.push("fetch " + url); throw new Error("fetched at import"); };
      // What Node's own module loader reads when it loads any file (WATCH_REPORT_DEPENDENCIES …).
      await import(${JSON.stringify(`file://${join(out, "empty.mjs")}`)});
      const byNode = new Set(touched.splice(0));
      const entry = await import(${JSON.stringify(`file://${bundle}`)});
      process.env = env;
      touched.splice(0, touched.length, ...touched.filter((t) => !byNode.has(t)));
      let refusal = "";
      try { entry.setThreads(2); } catch (e) { refusal = e.message; }
      console.log(JSON.stringify({ touched, names: Object.keys(entry).length, googlenetUrl: String(entry.googlenetUrl), refusal }));
    `,
    );
    const run = spawnSync(process.execPath, [probe], { encoding: "utf8" });
    expect(run.status, run.stderr).toBe(0);
    const report = JSON.parse(run.stdout) as { touched: string[]; names: number; googlenetUrl: string; refusal: string };
    expect(report.touched).toEqual([]);
    expect(report.names).toBeGreaterThan(50);
    // Bundled, the URL is relative to the bundle: a bundler that copies assets rewrites it.
    expect(report.googlenetUrl).toBe(new URL("../../models/bvlc_googlenet.caffemodel", `file://${bundle}`).href);
    expect(report.refusal).toBe("setThreads(2): this runtime cannot start worker threads over shared memory; use 1");
    expect(readFileSync(bundle, "utf8")).toContain('new Worker(new URL("../web-worker.js", import.meta.url), { type: "module" })');
  });
});

describe("the two entries", () => {
  it("offer the same names, except reading and writing files; the browser's adds nothing else", () => {
    const fileOnly = ["readImage", "writeImage"];
    expect(Object.keys(browserEntry).sort()).toEqual(
      Object.keys(nodeEntry)
        .filter((n) => !fileOnly.includes(n))
        .sort(),
    );
    for (const name of [
      "dream",
      "createDreamer",
      "googlenetUrl",
      "synsetWordsUrl",
      "loadCaffeModel",
      "loadGoogLeNet",
      "loadImageNetClasses",
      "threadsStarted",
      "decodeImage",
      "imageFromImageData",
      "imageToImageData",
    ]) {
      expect(browserEntry, name).toHaveProperty(name);
    }
  });

  it('are the package\'s exports: the browser one under the "browser" condition, with its own types', () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { exports: Record<string, unknown> };
    expect(pkg.exports).toEqual({
      ".": {
        browser: { types: "./dist/browser.d.ts", default: "./dist/browser.js" },
        types: "./dist/index.d.ts",
        default: "./dist/index.js",
      },
      "./package.json": "./package.json",
    });
    expect(Object.keys(pkg.exports["."] as object)[0]).toBe("browser"); // conditions match in order
  });
});
