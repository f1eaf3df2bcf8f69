// JPEG segments, and the EXIF orientation tag that says how a camera's picture must be turned.
//
// A JPEG file is a sequence of marker segments:
//
//   FF D8                                    SOI, start of image
//   FF xx  Lhi Llo  payload[L − 2]           a segment; L counts its own two bytes
//   …                                        (FF D0–D7 and FF 01 stand alone, with no length)
//   FF DA  …                                 SOS, start of scan: entropy-coded data follows
//
// Cameras store the sensor's rows as they come and record in EXIF how to display them. EXIF
// lives in an APP1 segment (FF E1) whose payload is "Exif\0\0" followed by a TIFF structure:
//
//   "II" (little-endian) or "MM" (big-endian), the number 42, the offset of IFD0 (4 bytes);
//   IFD0 = entry count (2 bytes), then 12-byte entries: tag (2), type (2), count (4), value (4).
//
// Tag 0x0112 (Orientation) is a SHORT from 1 to 8 — where the stored image's first row and
// first column belong when it is displayed:
//
//   1 as stored            2 mirrored left↔right      3 rotated 180°        4 mirrored top↔bottom
//   5 transposed (swap x,y)  6 rotate 90° clockwise   7 transverse          8 rotate 90° counter-clockwise
//
// Files are untrusted: every read is bounds-checked and anything unexpected means "no
// orientation" (1), never an exception.
//
// Core module: no `node:*` imports.

import { ImageError } from "../../errors.js";
import { createImage, type RgbImage } from "./image.js";

/** One marker segment of a JPEG file: the marker byte and where its payload lies. */
export interface JpegSegment {
  /** the byte after FF, e.g. 0xE1 for APP1, 0xC0 for SOF0, 0xDA for SOS */
  marker: number;
  /** offset of the payload (just after the 2-byte length) */
  offset: number;
  /** payload length in bytes (the segment length minus its own two bytes) */
  length: number;
}

/**
 * The marker segments of a JPEG, in file order, up to and including SOS (after which comes
 * compressed data). Stops quietly at the first thing that is not a well-formed segment.
 */
export function* jpegSegments(bytes: Uint8Array): Generator<JpegSegment> {
  if (bytes.length < 2 || bytes[0] !== 0xff || bytes[1] !== 0xd8) return;
  let p = 2;
  while (p < bytes.length) {
    if (bytes[p] !== 0xff) return;
    while (p < bytes.length && bytes[p] === 0xff) p++; // fill bytes may pad a marker
    if (p >= bytes.length) return;
    const marker = bytes[p++]!;
    if (marker === 0xd9) return; // EOI
    if (marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) continue; // no length
    if (p + 2 > bytes.length) return;
    const length = ((bytes[p]! << 8) | bytes[p + 1]!) - 2;
    if (length < 0 || p + 2 + length > bytes.length) return;
    yield { marker, offset: p + 2, length };
    if (marker === 0xda) return; // SOS
    p += 2 + length;
  }
}

/** The EXIF orientation (1–8) of a JPEG; 1 when there is none or it cannot be read. */
export function readExifOrientation(jpeg: Uint8Array): number {
  for (const seg of jpegSegments(jpeg)) {
    if (seg.marker !== 0xe1 || !isExifHeader(jpeg, seg.offset, seg.length)) continue;
    return tiffOrientation(jpeg.subarray(seg.offset + 6, seg.offset + seg.length));
  }
  return 1;
}

function isExifHeader(bytes: Uint8Array, offset: number, length: number): boolean {
  const exif = [0x45, 0x78, 0x69, 0x66, 0, 0]; // "Exif\0\0"
  return length >= exif.length && exif.every((b, i) => bytes[offset + i] === b);
}

/** Orientation from a TIFF structure (the EXIF payload); 1 on anything malformed. */
function tiffOrientation(tiff: Uint8Array): number {
  if (tiff.length < 8) return 1;
  const view = new DataView(tiff.buffer, tiff.byteOffset, tiff.byteLength);
  const order = view.getUint16(0);
  if (order !== 0x4949 && order !== 0x4d4d) return 1;
  const little = order === 0x4949;
  if (view.getUint16(2, little) !== 42) return 1;
  const ifd = view.getUint32(4, little);
  if (ifd < 8 || ifd + 2 > tiff.length) return 1;
  const count = view.getUint16(ifd, little);
  for (let e = 0; e < count; e++) {
    const entry = ifd + 2 + 12 * e;
    if (entry + 12 > tiff.length) return 1;
    if (view.getUint16(entry, little) !== 0x0112) continue;
    const type = view.getUint16(entry + 2, little);
    // SHORT (3) as the standard says; some writers use LONG (4).
    const value = type === 3 ? view.getUint16(entry + 8, little) : type === 4 ? view.getUint32(entry + 8, little) : 0;
    return value >= 1 && value <= 8 ? value : 1;
  }
  return 1;
}

/**
 * Turns a stored image the way its EXIF orientation says it should be displayed (a new image;
 * orientations 5–8 swap width and height).
 */
export function applyOrientation(img: RgbImage, orientation: number): RgbImage {
  if (!Number.isInteger(orientation) || orientation < 1 || orientation > 8) {
    throw new ImageError(`EXIF orientation ${orientation} is invalid; it must be a whole number from 1 to 8`);
  }
  const W = img.width;
  const H = img.height;
  const swaps = orientation >= 5;
  const out = createImage(swaps ? H : W, swaps ? W : H);
  // Displayed pixel (x, y) shows stored pixel (sx, sy), whose number sy·W + sx is
  // first + x·stepX + y·stepY.
  const last = H - 1; // the last stored row
  const walks: Record<number, [first: number, stepX: number, stepY: number]> = {
    1: [0, 1, W], //                  (sx, sy) = (x, y)
    2: [W - 1, -1, W], //                        (W−1−x, y)
    3: [last * W + W - 1, -1, -W], //            (W−1−x, H−1−y)
    4: [last * W, 1, -W], //                     (x, H−1−y)
    5: [0, W, 1], //                             (y, x)
    6: [last * W, -W, 1], //                     (y, H−1−x)
    7: [last * W + W - 1, -W, -1], //            (W−1−y, H−1−x)
    8: [W - 1, W, -1], //                        (W−1−y, x)
  };
  const [first, stepX, stepY] = walks[orientation]!;
  let o = 0;
  for (let y = 0; y < out.height; y++) {
    for (let x = 0; x < out.width; x++) {
      const s = (first + x * stepX + y * stepY) * 3;
      out.data[o++] = img.data[s]!;
      out.data[o++] = img.data[s + 1]!;
      out.data[o++] = img.data[s + 2]!;
    }
  }
  return out;
}
