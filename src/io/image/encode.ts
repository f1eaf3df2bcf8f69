// RgbImage → PNG or JPEG bytes, on top of pngjs and jpeg-js.
//
// Node side: both libraries hand back Node Buffers (pngjs also deflates with node:zlib, and
// jpeg-js returns `Buffer.from(…)` whenever it runs as a CommonJS module, which is how bundlers
// wrap it), so the encoders are not part of the browser core. Decoding is ./decode.ts's, and is.
//
// Both write what `quantize` gives: every value rounded and clamped to 0–255.

import jpeg from "jpeg-js";
import { PNG } from "pngjs";
import { ImageError } from "../../errors.js";
import { quantize, type RgbImage } from "./image.js";

/** Encodes an image as an 8-bit RGB PNG (values rounded and clamped to 0–255). */
export function encodePng(img: RgbImage): Uint8Array {
  const png = new PNG();
  png.width = img.width;
  png.height = img.height;
  const rgb = quantize(img);
  png.data = Buffer.from(rgb.buffer, rgb.byteOffset, rgb.byteLength);
  const file = PNG.sync.write(png, { colorType: 2, inputColorType: 2, inputHasAlpha: false, bitDepth: 8 });
  return new Uint8Array(file.buffer, file.byteOffset, file.byteLength);
}

/** Encodes an image as a baseline JPEG (full-resolution 4:4:4 chroma); `quality` from 1 to 100. */
export function encodeJpeg(img: RgbImage, quality = 92): Uint8Array {
  if (!Number.isInteger(quality) || quality < 1 || quality > 100) {
    throw new ImageError(`JPEG quality ${quality} is invalid; pass a whole number from 1 to 100`);
  }
  // jpeg-js reads RGBA (4 bytes per pixel) and ignores the alpha byte.
  const rgb = quantize(img);
  const rgba = new Uint8Array(img.width * img.height * 4);
  for (let p = 0; p < img.width * img.height; p++) {
    rgba[4 * p] = rgb[3 * p]!;
    rgba[4 * p + 1] = rgb[3 * p + 1]!;
    rgba[4 * p + 2] = rgb[3 * p + 2]!;
  }
  const file = jpeg.encode({ width: img.width, height: img.height, data: rgba }, quality);
  return new Uint8Array(file.data.buffer, file.data.byteOffset, file.data.byteLength);
}
