// PNG ⇄ RgbImage, on top of pngjs.
//
// Node side: pngjs inflates with Node's zlib, so this file is not part of the browser core.
//
// Every PNG kind becomes RGB floats in 0–255:
//   gray, gray+alpha, RGB, RGBA at 1/2/4/8/16 bits, and palette (with tRNS transparency);
//   interlaced or not. A sample s of bit depth d maps to s·255/(2^d − 1), so 16-bit files keep
//   their precision (65535 levels, not rounded to 256). Alpha a is composited onto white:
//   v·a + 255·(1 − a), with a = alpha/(2^d − 1).
//
// Untrusted input: the size in IHDR is read here and checked against `maxPixels` before pngjs
// allocates anything; every pngjs failure becomes an ImageError.

import { PNG } from "pngjs";
import { ImageError } from "../../errors.js";
import {
  DEFAULT_MAX_PIXELS,
  checkImageSize,
  compositeOnWhite,
  createImage,
  quantize,
  type DecodeOptions,
  type RgbImage,
} from "./image.js";

/** The 8 bytes every PNG starts with. */
export const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

/** Decodes a PNG file's bytes into an RGB image (alpha composited onto white). */
export function decodePng(bytes: Uint8Array, { maxPixels = DEFAULT_MAX_PIXELS }: DecodeOptions = {}): RgbImage {
  const { width, height } = readPngSize(bytes);
  checkImageSize(width, height, maxPixels);
  let png: ReturnType<typeof PNG.sync.read>;
  try {
    // skipRescale: give 16-bit (and 1/2/4-bit) samples as stored; we scale them ourselves.
    png = PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), { skipRescale: true });
  } catch (e) {
    throw new ImageError(`PNG image is corrupt or truncated (${(e as Error).message}); re-save it with an image editor`);
  }
  // png.data: RGBA, H×W×4 — a Buffer up to 8 bits (palette entries are 8-bit), a Uint16Array at 16.
  const rgba: ArrayLike<number> = png.data;
  const maxSample = png.palette ? 255 : 2 ** png.depth - 1;
  const toByte = 255 / maxSample;
  const img = createImage(png.width, png.height);
  for (let p = 0; p < png.width * png.height; p++) {
    const alpha = rgba[4 * p + 3]! / maxSample;
    for (let c = 0; c < 3; c++) img.data[3 * p + c] = compositeOnWhite(rgba[4 * p + c]! * toByte, alpha);
  }
  return img;
}

/** Width and height from the IHDR chunk, which must come first, right after the signature. */
function readPngSize(bytes: Uint8Array): { width: number; height: number } {
  // signature (8) | IHDR length (4) | "IHDR" (4) | width (4) | height (4) | …
  const isPng = bytes.length >= 8 && PNG_SIGNATURE.every((b, i) => bytes[i] === b);
  const ihdr = [0x49, 0x48, 0x44, 0x52];
  if (!isPng || bytes.length < 24 || !ihdr.every((b, i) => bytes[12 + i] === b)) {
    throw new ImageError(`PNG image is corrupt or truncated (no IHDR header); re-save it with an image editor`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return { width: view.getUint32(16), height: view.getUint32(20) };
}

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
