// ImageData ⇄ RgbImage, in Node with a tiny ImageData class (Node has none), and a compile check
// that the functions fit the DOM's own ImageData types in a web project.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import ts from "typescript";
import { afterEach, describe, expect, it } from "vitest";
import { ImageError, OptionError } from "../../../src/errors.js";
import { imageFromImageData, imageToImageData } from "../../../src/io/image/image-data.js";
import { quantize, type RgbImage } from "../../../src/io/image/image.js";
import { decodePng } from "../../../src/io/image/png.js";
import { mulberry32 } from "../../../src/tensor/random.js";
import { writePng } from "./png-writer.js";

/** What a browser's ImageData does, as far as these functions can see. */
class TinyImageData {
  readonly colorSpace = "srgb" as const;
  constructor(
    readonly data: Uint8ClampedArray<ArrayBuffer>,
    readonly width: number,
    readonly height: number,
  ) {
    if (data.length !== 4 * width * height) throw new RangeError("The input data length is not equal to (4 * width * height)");
  }
}

const rand = mulberry32(2024);
const rgbaBytes = (n: number): Uint8ClampedArray<ArrayBuffer> => Uint8ClampedArray.from({ length: 4 * n }, () => Math.floor(rand() * 256));

describe("imageFromImageData", () => {
  it("composites alpha onto white exactly as decoding the same RGBA PNG does", () => {
    const [W, H] = [13, 7];
    const data = rgbaBytes(W * H);
    data.set([10, 20, 30, 0, 10, 20, 30, 255, 200, 100, 0, 128], 0); // transparent, opaque, half
    const img = imageFromImageData(new TinyImageData(data, W, H));
    expect([img.width, img.height]).toEqual([W, H]);
    expect(img.data).toEqual(decodePng(writePng({ width: W, height: H, colorType: 6, depth: 8, samples: data })).data);
    expect(Array.from(img.data.subarray(0, 6))).toEqual([255, 255, 255, 10, 20, 30]);
  });

  it("reads a plain object with Uint8Array data too", () => {
    const img = imageFromImageData({ width: 1, height: 1, data: Uint8Array.of(0, 128, 255, 255) });
    expect(Array.from(img.data)).toEqual([0, 128, 255]);
  });

  it("refuses data of the wrong length and sizes that are not positive integers", () => {
    expect(() => imageFromImageData({ width: 2, height: 2, data: new Uint8ClampedArray(12) })).toThrow(
      new ImageError("ImageData of 2×2 has 12 bytes, not 16 (4 per pixel); pass an ImageData as a canvas makes it"),
    );
    expect(() => imageFromImageData({ width: 0, height: 5, data: new Uint8ClampedArray(0) })).toThrow("image size 0×5 is invalid");
  });
});

describe("imageToImageData", () => {
  const picture: RgbImage = { width: 5, height: 3, data: Float32Array.from({ length: 45 }, () => rand() * 300 - 20) };
  picture.data.set([-3, 255.4999, 254.5, Number.NaN, 0.5, 1.5], 0);
  const saved = Object.getOwnPropertyDescriptor(globalThis, "ImageData");
  afterEach(() => {
    if (saved) Object.defineProperty(globalThis, "ImageData", saved);
    else delete (globalThis as { ImageData?: unknown }).ImageData;
  });

  it("rounds and clamps as quantize does, with alpha 255, through the class given", () => {
    const out = imageToImageData(picture, TinyImageData);
    expect(out).toBeInstanceOf(TinyImageData);
    expect([out.width, out.height]).toEqual([5, 3]);
    const rgb = quantize(picture);
    expect(Array.from(out.data)).toEqual(Array.from({ length: 60 }, (_, i) => (i % 4 === 3 ? 255 : rgb[3 * (i >> 2) + (i % 4)]!)));
    expect(Array.from(out.data.subarray(0, 8))).toEqual([0, 255, 255, 255, 0, 1, 2, 255]);
  });

  it("round-trips: from(to(image)) is the quantized image", () => {
    expect(imageFromImageData(imageToImageData(picture, TinyImageData)).data).toEqual(Float32Array.from(quantize(picture)));
  });

  it("takes the environment's ImageData by default, as in a browser", () => {
    (globalThis as { ImageData?: unknown }).ImageData = TinyImageData;
    expect(imageToImageData(picture)).toBeInstanceOf(TinyImageData);
  });

  it("says what to do where there is no ImageData class (Node)", () => {
    expect("ImageData" in globalThis).toBe(false);
    expect(() => imageToImageData(picture)).toThrow(OptionError);
    expect(() => imageToImageData(picture)).toThrow(
      "imageToImageData: there is no ImageData class here (browsers and their workers have one, Node has not); pass one as the second argument, e.g. a canvas package's",
    );
  });
});

describe("the types fit the DOM's ImageData in a web project", () => {
  it("compiles getImageData → imageFromImageData and imageToImageData → putImageData under lib DOM", () => {
    const dir = mkdtempSync(join(tmpdir(), "inceptionism-image-data-types-"));
    const source = join(dir, "page.ts");
    const module = resolve(import.meta.dirname, "../../../src/io/image/image-data.js");
    writeFileSync(
      source,
      [
        `import { imageFromImageData, imageToImageData } from ${JSON.stringify(module)};`,
        `declare const context: CanvasRenderingContext2D;`,
        `const image = imageFromImageData(context.getImageData(0, 0, 8, 8));`,
        `context.putImageData(imageToImageData(image), 0, 0);`,
        `const made: ImageData = imageToImageData(image, ImageData);`,
        `export const size: number = made.width + image.height;`,
        `// @ts-expect-error: the result is an ImageData, whatever the context would like`,
        `export const wrong: number = imageToImageData(image);`,
      ].join("\n"),
    );
    const program = ts.createProgram([source], {
      strict: true,
      noEmit: true,
      target: ts.ScriptTarget.ES2022,
      module: ts.ModuleKind.NodeNext,
      moduleResolution: ts.ModuleResolutionKind.NodeNext,
      lib: ["lib.es2022.d.ts", "lib.dom.d.ts"],
      types: [],
      skipLibCheck: true,
    });
    const problems = ts.getPreEmitDiagnostics(program).map((d) => ts.flattenDiagnosticMessageText(d.messageText, "\n"));
    expect(problems).toEqual([]);
  });
});
