// Image bytes → RgbImage: PNG and JPEG told apart by their first bytes (their signatures), and a
// file of another kind named, so that the error says what to convert from.
//
// Core module: both decoders work on Uint8Arrays alone (no Buffer, no node:zlib), so this is the
// same decoding in Node and in a browser.

import { ImageError } from "../../errors.js";
import { DEFAULT_MAX_PIXELS, type DecodeOptions, type RgbImage } from "./image.js";
import { decodeJpeg } from "./jpeg.js";
import { PNG_SIGNATURE, decodePng } from "./png.js";

/** Recognisable non-PNG/JPEG signatures, to say what a file is instead of only what it is not. */
const OTHER_FORMATS: [name: string, signature: number[]][] = [
  ["GIF", [0x47, 0x49, 0x46, 0x38]], // "GIF8"
  ["WebP", [0x52, 0x49, 0x46, 0x46]], // "RIFF" (…"WEBP")
  ["BMP", [0x42, 0x4d]], // "BM"
  ["TIFF", [0x49, 0x49, 0x2a, 0x00]], // "II*\0"
  ["TIFF", [0x4d, 0x4d, 0x00, 0x2a]], // "MM\0*"
];

const startsWith = (bytes: Uint8Array, signature: readonly number[]): boolean =>
  bytes.length >= signature.length && signature.every((b, i) => bytes[i] === b);

/** Decodes PNG or JPEG bytes, telling them apart by their signature. */
export function decodeImage(bytes: Uint8Array, { maxPixels = DEFAULT_MAX_PIXELS }: DecodeOptions = {}): RgbImage {
  if (startsWith(bytes, PNG_SIGNATURE)) return decodePng(bytes, { maxPixels });
  if (startsWith(bytes, [0xff, 0xd8, 0xff])) return decodeJpeg(bytes, { maxPixels }); // SOI, then a marker
  const other = OTHER_FORMATS.find(([, signature]) => startsWith(bytes, signature));
  const what = bytes.length === 0 ? "it is empty" : other ? `it looks like ${other[0]}` : "unrecognised content";
  throw new ImageError(`the data is not a PNG or JPEG image (${what}); convert it to PNG or JPEG`);
}
