// ImageData (a canvas's pixels) ⇄ RgbImage.
//
// ImageData is RGBA, 8 bits a channel, H×W×4 bytes row-major, with straight (not premultiplied)
// alpha: getImageData un-premultiplies what the canvas holds. Into an RgbImage, alpha α = a/255
// is composited onto white, v·α + 255·(1 − α), exactly as readImage does for a PNG's; out of
// one, values are rounded and clamped to 0–255 as `quantize` does, and alpha is 255.
//
// Colour spaces: the net was trained on sRGB photos, and an ImageData's bytes are read as sRGB.
// A canvas made with { colorSpace: "display-p3" } hands out P3 values; ask it for
// getImageData(…, { colorSpace: "srgb" }) to have the browser convert them.
//
// Core module. The project's TypeScript libs have no DOM, so ImageData is described here by its
// shape; the class itself is the environment's (`globalThis.ImageData`: browsers and their
// workers have it, Node has not), or one the caller passes (a canvas package's, say).

import { ImageError, OptionError } from "../../errors.js";
import { compositeOnWhite, createImage, quantize, type RgbImage } from "./image.js";

/** What is read of an ImageData: RGBA bytes, H×W×4, row-major. A DOM `ImageData` is one. */
export interface ImageDataLike {
  /** Pixels a row. */
  readonly width: number;
  /** Rows. */
  readonly height: number;
  /** H×W×4 bytes, row-major RGBA. */
  readonly data: Uint8ClampedArray | Uint8Array;
}

/** An ImageData as a browser constructs it (assignable to the DOM's `ImageData`). */
export interface SrgbImageData {
  /** Pixels a row. */
  readonly width: number;
  /** Rows. */
  readonly height: number;
  /** H×W×4 bytes, row-major RGBA, alpha 255. */
  readonly data: Uint8ClampedArray<ArrayBuffer>;
  /** Always sRGB, as the picture's 0–255 values are. */
  readonly colorSpace: "srgb";
}

/** A class constructed as `new ImageData(data, width, height)`, such as the DOM's `ImageData`. */
export type ImageDataConstructor<T> = new (data: Uint8ClampedArray<ArrayBuffer>, width: number, height: number) => T;

/**
 * An RGB image from an ImageData (for example `context.getImageData(…)`), its alpha composited
 * onto white as `readImage` does for PNGs.
 */
export function imageFromImageData(imageData: ImageDataLike): RgbImage {
  const { width, height, data } = imageData;
  if (data.length !== 4 * width * height) {
    throw new ImageError(
      `ImageData of ${width}×${height} has ${data.length} bytes, not ${4 * width * height} (4 per pixel); pass an ImageData as a canvas makes it`,
    );
  }
  const img = createImage(width, height); // refuses a size that is not positive integers
  for (let p = 0; p < width * height; p++) {
    const alpha = data[4 * p + 3]! / 255;
    img.data[3 * p] = compositeOnWhite(data[4 * p]!, alpha);
    img.data[3 * p + 1] = compositeOnWhite(data[4 * p + 1]!, alpha);
    img.data[3 * p + 2] = compositeOnWhite(data[4 * p + 2]!, alpha);
  }
  return img;
}

/**
 * The image as an opaque ImageData (values rounded and clamped to 0–255), ready for
 * `context.putImageData`. Made with `ImageDataClass`, by default the environment's `ImageData`;
 * where there is none (Node), pass one, or this throws an OptionError saying so.
 */
export function imageToImageData(image: RgbImage): SrgbImageData;
export function imageToImageData<T>(image: RgbImage, ImageDataClass: ImageDataConstructor<T>): T;
export function imageToImageData<T>(image: RgbImage, ImageDataClass?: ImageDataConstructor<T>): T {
  // Looked up by name, as `unknown`: the core's types have no DOM, and a web project's have one.
  const found: unknown = Reflect.get(globalThis, "ImageData");
  const Class = ImageDataClass ?? (found as ImageDataConstructor<T> | undefined);
  if (Class === undefined) {
    throw new OptionError(
      `imageToImageData: there is no ImageData class here (browsers and their workers have one, Node has not); ` +
        `pass one as the second argument, e.g. a canvas package's`,
    );
  }
  const rgb = quantize(image);
  const rgba = new Uint8ClampedArray(4 * image.width * image.height);
  for (let p = 0; p < image.width * image.height; p++) {
    rgba[4 * p] = rgb[3 * p]!;
    rgba[4 * p + 1] = rgb[3 * p + 1]!;
    rgba[4 * p + 2] = rgb[3 * p + 2]!;
    rgba[4 * p + 3] = 255;
  }
  return new Class(rgba, image.width, image.height);
}
