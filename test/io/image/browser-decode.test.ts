// Image decoding in a real browser: decode.ts and image-data.ts bundled by esbuild for the
// browser platform (where a node:* import, or pngjs's zlib and stream, fail the build), loaded
// into headless Chromium, and run on every image fixture. Each decode must equal Node's bit for
// bit, a damaged PNG must fail with our message (not "Buffer is not defined", as the pngjs-based
// decoder did there), and ImageData must round-trip through a real canvas.
//
// Chromium is found by ../../browser.ts; without one the browser test is skipped with a note
// (a failure under CI=true). The bundling needs no browser and always runs.
import { readdirSync, readFileSync } from "node:fs";
import { resolve } from "node:path";
import { build } from "esbuild";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { decodeImage } from "../../../src/io/image/decode.js";
import { quantize } from "../../../src/io/image/image.js";
import { chromiumForTests, launchChromium } from "../../browser.js";

// The few DOM names the page's code uses, for the type checker (the project's types have no DOM).
interface Context2d {
  putImageData(data: unknown, x: number, y: number): void;
  getImageData(x: number, y: number, w: number, h: number): { width: number; height: number; data: Uint8ClampedArray };
}
declare const OffscreenCanvas: new (width: number, height: number) => { getContext(kind: "2d"): Context2d | null };
declare const ImageData: abstract new (...args: never[]) => unknown;
type PageModules = typeof import("../../../src/io/image/decode.js") &
  typeof import("../../../src/io/image/image-data.js") &
  typeof import("../../../src/io/image/image.js");

const SRC = resolve(import.meta.dirname, "../../../src/io/image");
const IMAGES = resolve(import.meta.dirname, "../../fixtures/images");
const CHROMIUM = chromiumForTests("the browser image-decoding test (test/io/image/browser-decode.test.ts)");
const FIXTURES = readdirSync(IMAGES).filter((f) => /\.(png|jpe?g)$/i.test(f));

/** The three functions as one script for a page: `globalThis.images.decodeImage(…)` and so on. */
async function bundleForBrowser(): Promise<string> {
  const result = await build({
    stdin: {
      contents: [
        `export { decodeImage } from "./decode.ts";`,
        `export { imageFromImageData, imageToImageData } from "./image-data.ts";`,
        `export { quantize } from "./image.ts";`,
      ].join("\n"),
      resolveDir: SRC,
      loader: "ts",
    },
    bundle: true,
    platform: "browser",
    format: "iife",
    globalName: "images",
    write: false,
    logLevel: "silent",
  });
  return result.outputFiles[0]!.text;
}

const base64 = (bytes: Uint8Array): string => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("base64");

describe("decoding bundled for the browser", () => {
  it("bundles with esbuild's browser platform: no Node module is reachable", async () => {
    const script = await bundleForBrowser();
    expect(script).not.toMatch(/require\(["'](node:|zlib|stream|buffer|fs|path)/);
    expect(script).not.toMatch(/pngjs/);
  });
});

describe.skipIf(CHROMIUM === null)("decoding in headless Chromium", () => {
  let browser: Browser;
  let page: Page;
  const problems: string[] = [];

  beforeAll(async () => {
    const script = await bundleForBrowser();
    browser = await launchChromium(CHROMIUM!);
    page = await browser.newPage();
    page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
    await page.goto("about:blank");
    await page.addScriptTag({ content: script });
  });
  afterAll(async () => {
    await browser?.close();
  });

  it.each(FIXTURES)("%s decodes as in Node, bit for bit", async (name) => {
    const bytes = readFileSync(resolve(IMAGES, name));
    const inNode = decodeImage(bytes);
    const inBrowser = await page.evaluate((file) => {
      const { decodeImage } = Reflect.get(globalThis, "images") as PageModules;
      const img = decodeImage(Uint8Array.from(atob(file), (c) => c.charCodeAt(0)));
      const raw = new Uint8Array(img.data.buffer);
      let text = "";
      for (let i = 0; i < raw.length; i += 0x8000) text += String.fromCharCode(...raw.subarray(i, i + 0x8000));
      return { width: img.width, height: img.height, data: btoa(text), hasBuffer: "Buffer" in globalThis };
    }, base64(bytes));
    expect(inBrowser.hasBuffer).toBe(false);
    expect([inBrowser.width, inBrowser.height]).toEqual([inNode.width, inNode.height]);
    expect(inBrowser.data === base64(new Uint8Array(inNode.data.buffer))).toBe(true);
    expect(problems).toEqual([]);
  });

  it("a damaged PNG fails with our message, not a missing Buffer", async () => {
    const bytes = readFileSync(resolve(IMAGES, "interlaced-rgb8.png"));
    const message = await page.evaluate(
      (file) => {
        const { decodeImage } = Reflect.get(globalThis, "images") as PageModules;
        try {
          decodeImage(Uint8Array.from(atob(file), (c) => c.charCodeAt(0)));
          return "decoded";
        } catch (e) {
          return `${(e as Error).name}: ${(e as Error).message}`;
        }
      },
      base64(bytes.subarray(0, bytes.length - 30)),
    );
    expect(message).toMatch(/^ImageError: PNG image is corrupt or truncated \(.*\); re-save it with an image editor$/);
  });

  it("ImageData round-trips through a real canvas, with the browser's own ImageData class", async () => {
    const bytes = readFileSync(resolve(IMAGES, "palette-trns.png"));
    const result = await page.evaluate((file) => {
      const m = Reflect.get(globalThis, "images") as PageModules;
      const img = m.decodeImage(Uint8Array.from(atob(file), (c) => c.charCodeAt(0)));
      const made = m.imageToImageData(img);
      const canvas = new OffscreenCanvas(img.width, img.height);
      const context = canvas.getContext("2d")!;
      context.putImageData(made, 0, 0);
      const back = m.imageFromImageData(context.getImageData(0, 0, img.width, img.height));
      return {
        isImageData: made instanceof ImageData,
        colorSpace: made.colorSpace,
        back: Array.from(back.data),
        quantized: Array.from(m.quantize(img)),
      };
    }, base64(bytes));
    expect(result.isImageData).toBe(true);
    expect(result.colorSpace).toBe("srgb");
    expect(result.back).toEqual(result.quantized);
    expect(result.quantized).toEqual(Array.from(quantize(decodeImage(bytes))));
  });
});
