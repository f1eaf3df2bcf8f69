// PNG → RgbImage, with nothing but the format itself: chunks and their CRC-32, the zlib stream
// (./inflate.ts), the five row filters, and Adam7 interlacing.
//
// Core module: no node:* and no Buffer, so the same decoder runs in Node and in a browser.
//
// A PNG is an 8-byte signature, then chunks: length (4, big-endian) | type (4 letters) | data |
// CRC-32 of type and data. An upper-case first letter marks a critical chunk, which a decoder
// must understand; a lower-case one an ancillary chunk, which it may skip.
//   IHDR  width, height, bit depth, colour type, compression 0, filter method 0, interlace 0|1
//   PLTE  the palette, RGB triples (needed by colour type 3; a suggestion elsewhere, ignored)
//   tRNS  the palette's alphas, or the one gray or RGB value that is fully transparent
//   IDAT  the image data: one zlib stream, split over any number of IDAT chunks
//   IEND  the end (bytes after it are ignored, as browsers do)
//
//   colour type   0 gray   2 RGB   3 palette   4 gray+alpha   6 RGBA
//   bit depths    1–16     8, 16   1–8         8, 16          8, 16
//
// The inflated data is rows, each a filter-type byte and the row's samples (packed big-endian,
// several to a byte below 8 bits; rows start on a byte). A filter predicts each byte x from the
// byte a of the pixel to its left (bpp bytes back, 1 below 8 bits), b above, c above-left:
//   0 x   1 x + a   2 x + b   3 x + ⌊(a + b)/2⌋   4 x + paeth(a, b, c)      (mod 256)
// Interlaced images (Adam7) are seven such sub-images in turn, each of every dx-th pixel of every
// dy-th row from (x0, y0); each pass is filtered on its own.
//
// Every kind becomes RGB floats in 0–255: a sample s of bit depth d maps to s·255/(2^d − 1)
// (palette entries are 8-bit), so 16-bit files keep their precision; gray is replicated; alpha
// a/(2^d − 1) is composited onto white (image.ts's compositeOnWhite); a tRNS key colour is alpha 0.
//
// Untrusted input: the size in IHDR is checked against `maxPixels` before anything is allocated
// for it; the image data is inflated with the exact size the header implies as its bound; every
// chunk's CRC is checked; every failure is an ImageError.

import { ImageError, InflateError } from "../../errors.js";
import { DEFAULT_MAX_PIXELS, checkImageSize, compositeOnWhite, createImage, type DecodeOptions, type RgbImage } from "./image.js";
import { inflateZlib } from "./inflate.js";

/** The 8 bytes every PNG starts with. */
export const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

/** Samples per pixel, and the bit depths allowed, for each colour type. */
const COLOR_TYPES: Record<number, { channels: number; depths: number[] }> = {
  0: { channels: 1, depths: [1, 2, 4, 8, 16] },
  2: { channels: 3, depths: [8, 16] },
  3: { channels: 1, depths: [1, 2, 4, 8] },
  4: { channels: 2, depths: [8, 16] },
  6: { channels: 4, depths: [8, 16] },
};

/** Adam7's seven passes: start (x0, y0) and step (dx, dy) in the full image. */
const ADAM7 = [
  { x0: 0, y0: 0, dx: 8, dy: 8 },
  { x0: 4, y0: 0, dx: 8, dy: 8 },
  { x0: 0, y0: 4, dx: 4, dy: 8 },
  { x0: 2, y0: 0, dx: 4, dy: 4 },
  { x0: 0, y0: 2, dx: 2, dy: 4 },
  { x0: 1, y0: 0, dx: 2, dy: 2 },
  { x0: 0, y0: 1, dx: 1, dy: 2 },
];
const NOT_INTERLACED = [{ x0: 0, y0: 0, dx: 1, dy: 1 }];

interface PngHeader {
  width: number;
  height: number;
  depth: number;
  colorType: number;
  interlaced: boolean;
}

/** What the chunks say: the header, the palette as RGBA entries, a transparent key, the zlib stream. */
interface PngChunks {
  header: PngHeader;
  /** 4 bytes per entry, RGBA; alpha from tRNS, else 255 */
  palette: Uint8Array | null;
  /** The gray (1 value) or RGB (3) samples that mean "transparent", from tRNS */
  transparentKey: number[] | null;
  idat: Uint8Array;
}

const corrupt = (detail: string): ImageError =>
  new ImageError(`PNG image is corrupt or truncated (${detail}); re-save it with an image editor`);

/** Decodes a PNG file's bytes into an RGB image (alpha composited onto white). */
export function decodePng(bytes: Uint8Array, { maxPixels = DEFAULT_MAX_PIXELS }: DecodeOptions = {}): RgbImage {
  const { width, height } = readPngSize(bytes);
  checkImageSize(width, height, maxPixels);
  const { header, palette, transparentKey, idat } = readChunks(bytes);
  const { channels } = COLOR_TYPES[header.colorType]!;
  const bitsPerPixel = channels * header.depth;
  const passes = (header.interlaced ? ADAM7 : NOT_INTERLACED).map(({ x0, y0, dx, dy }) => {
    const w = Math.max(0, Math.ceil((width - x0) / dx));
    const h = Math.max(0, Math.ceil((height - y0) / dy));
    return { x0, y0, dx, dy, w, h, rowBytes: Math.ceil((w * bitsPerPixel) / 8) };
  });
  // An empty pass (a 1-pixel-wide image has no pixels in pass 2) has no rows, not even filter bytes.
  const size = passes.reduce((sum, p) => sum + (p.w === 0 ? 0 : p.h * (1 + p.rowBytes)), 0);
  let raw: Uint8Array;
  try {
    raw = inflateZlib(idat, { maxOutput: size });
  } catch (e) {
    if (e instanceof InflateError) throw corrupt(`image data: ${e.problem}`);
    throw e;
  }
  if (raw.length < size) throw corrupt(`the image data is ${raw.length} bytes, short of the ${size} its size needs`);

  const img = createImage(width, height);
  const write = pixelWriter(img, header, palette, transparentKey);
  const bpp = Math.max(1, bitsPerPixel >> 3); // the filters' "pixel to the left", in bytes
  let row = 0;
  for (const pass of passes) {
    if (pass.w === 0) continue;
    for (let y = 0; y < pass.h; y++) {
      unfilterRow(raw, row, y === 0 ? -1 : row - 1 - pass.rowBytes, pass.rowBytes, bpp);
      const out = (pass.y0 + y * pass.dy) * width + pass.x0;
      for (let x = 0; x < pass.w; x++) write(raw, row + 1, x, out + x * pass.dx);
      row += 1 + pass.rowBytes;
    }
  }
  return img;
}

/** Width and height from the IHDR chunk, which must come first, right after the signature. */
function readPngSize(bytes: Uint8Array): { width: number; height: number } {
  // signature (8) | IHDR length (4) | "IHDR" (4) | width (4) | height (4) | …
  const isPng = bytes.length >= 8 && PNG_SIGNATURE.every((b, i) => bytes[i] === b);
  const ihdr = [0x49, 0x48, 0x44, 0x52];
  if (!isPng || bytes.length < 24 || !ihdr.every((b, i) => bytes[12 + i] === b)) throw corrupt("no IHDR header");
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return { width: view.getUint32(16), height: view.getUint32(20) };
}

/** Walks the chunks from IHDR to IEND, checking each CRC, and gathers what decoding needs. */
function readChunks(bytes: Uint8Array): PngChunks {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let header: PngHeader | null = null;
  let plte: Uint8Array | null = null;
  let trns: Uint8Array | null = null;
  const idat: Uint8Array[] = [];
  for (let at = 8, ended = false; !ended; ) {
    if (at + 8 > bytes.length) throw corrupt(`the file ends at byte ${bytes.length}, before its IEND chunk`);
    const length = view.getUint32(at);
    const type = String.fromCharCode(...bytes.subarray(at + 4, at + 8));
    if (!/^[A-Za-z]{4}$/.test(type)) throw corrupt(`the chunk at byte ${at} has no valid type`);
    if (length > 2 ** 31 - 1 || at + 12 + length > bytes.length) {
      throw corrupt(`the ${type} chunk at byte ${at} runs past the end of the file`);
    }
    const data = bytes.subarray(at + 8, at + 8 + length);
    if (crc32(bytes.subarray(at + 4, at + 8 + length)) !== view.getUint32(at + 8 + length)) {
      throw corrupt(`the ${type} chunk at byte ${at} fails its CRC check`);
    }
    if (type === "IHDR") {
      if (header !== null) throw corrupt("a second IHDR chunk");
      header = readHeader(data);
    } else if (type === "PLTE") plte = data;
    else if (type === "tRNS") trns = data;
    else if (type === "IDAT") idat.push(data);
    else if (type === "IEND") ended = true;
    else if (type.charCodeAt(0) < 0x61) throw corrupt(`an unknown critical chunk ${type}`); // upper case: critical
    at += 12 + length;
  }
  if (header === null) throw corrupt("no IHDR header"); // not reached: readPngSize saw it first
  if (idat.length === 0) throw corrupt("no IDAT chunk, so no image data");
  const stream = new Uint8Array(idat.reduce((n, d) => n + d.length, 0));
  let at = 0;
  for (const d of idat) {
    stream.set(d, at);
    at += d.length;
  }
  return { header, ...transparency(header, plte, trns), idat: stream };
}

function readHeader(data: Uint8Array): PngHeader {
  if (data.length !== 13) throw corrupt(`the IHDR chunk is ${data.length} bytes, not 13`);
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const [depth, colorType, compression, filter, interlace] = data.subarray(8, 13);
  const kind = COLOR_TYPES[colorType!];
  if (kind === undefined) throw corrupt(`colour type ${colorType} does not exist`);
  if (!kind.depths.includes(depth!)) throw corrupt(`bit depth ${depth} is not allowed for colour type ${colorType}`);
  if (compression !== 0) throw corrupt(`compression method ${compression} does not exist`);
  if (filter !== 0) throw corrupt(`filter method ${filter} does not exist`);
  if (interlace! > 1) throw corrupt(`interlace method ${interlace} does not exist`);
  return { width: view.getUint32(0), height: view.getUint32(4), depth: depth!, colorType: colorType!, interlaced: interlace === 1 };
}

/** The palette (RGBA entries) and the transparent key colour, from PLTE and tRNS. */
function transparency(header: PngHeader, plte: Uint8Array | null, trns: Uint8Array | null): Pick<PngChunks, "palette" | "transparentKey"> {
  const { colorType } = header;
  if (colorType === 3) {
    if (plte === null) throw corrupt("a palette image without a PLTE chunk");
    const entries = plte.length / 3;
    if (!Number.isInteger(entries) || entries < 1 || entries > 256) throw corrupt(`a PLTE chunk of ${plte.length} bytes`);
    if (trns !== null && trns.length > entries) throw corrupt(`${trns.length} tRNS alphas for ${entries} palette entries`);
    const palette = new Uint8Array(4 * entries);
    for (let i = 0; i < entries; i++) palette.set([plte[3 * i]!, plte[3 * i + 1]!, plte[3 * i + 2]!, trns?.[i] ?? 255], 4 * i);
    return { palette, transparentKey: null };
  }
  // Gray and RGB may name one transparent value, as 16-bit samples; types 4 and 6 have alpha already.
  const keyLength = colorType === 0 ? 1 : colorType === 2 ? 3 : 0;
  if (trns === null || keyLength === 0) return { palette: null, transparentKey: null };
  if (trns.length !== 2 * keyLength) throw corrupt(`a tRNS chunk of ${trns.length} bytes for colour type ${colorType}`);
  return { palette: null, transparentKey: Array.from({ length: keyLength }, (_, i) => (trns[2 * i]! << 8) | trns[2 * i + 1]!) };
}

/** Paeth's predictor: whichever of a, b, c is nearest to a + b − c (ties: a, then b). */
function paeth(a: number, b: number, c: number): number {
  const p = a + b - c;
  const pa = Math.abs(p - a);
  const pb = Math.abs(p - b);
  const pc = Math.abs(p - c);
  return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
}

/**
 * Reverses the filter of the row whose filter byte is at `row`, in place; `prev` is the row
 * above's filter byte, or −1 for a pass's first row (then b = c = 0).
 */
function unfilterRow(raw: Uint8Array, row: number, prev: number, rowBytes: number, bpp: number): void {
  const type = raw[row]!;
  const x = row + 1;
  const up = prev + 1;
  const hasUp = prev >= 0;
  switch (type) {
    case 0:
      return;
    case 1:
      for (let i = bpp; i < rowBytes; i++) raw[x + i] = raw[x + i]! + raw[x + i - bpp]!;
      return;
    case 2:
      if (hasUp) for (let i = 0; i < rowBytes; i++) raw[x + i] = raw[x + i]! + raw[up + i]!;
      return;
    case 3:
      for (let i = 0; i < rowBytes; i++) {
        const a = i >= bpp ? raw[x + i - bpp]! : 0;
        const b = hasUp ? raw[up + i]! : 0;
        raw[x + i] = raw[x + i]! + ((a + b) >> 1);
      }
      return;
    case 4:
      // On a pass's first row b = c = 0, and paeth(a, 0, 0) = a: filter 1. In the first pixel
      // a = c = 0, and paeth(0, b, 0) = b.
      if (!hasUp) {
        for (let i = bpp; i < rowBytes; i++) raw[x + i] = raw[x + i]! + raw[x + i - bpp]!;
        return;
      }
      for (let i = 0; i < Math.min(bpp, rowBytes); i++) raw[x + i] = raw[x + i]! + raw[up + i]!;
      for (let i = bpp; i < rowBytes; i++) raw[x + i] = raw[x + i]! + paeth(raw[x + i - bpp]!, raw[up + i]!, raw[up + i - bpp]!);
      return;
    default:
      throw corrupt(`a row with filter type ${type}, which does not exist`);
  }
}

/** Sample `i` of a row of `depth`-bit samples packed big-endian from byte `start`. */
function sampleAt(raw: Uint8Array, start: number, i: number, depth: number): number {
  if (depth === 8) return raw[start + i]!;
  if (depth === 16) return (raw[start + 2 * i]! << 8) | raw[start + 2 * i + 1]!;
  const bit = i * depth;
  return (raw[start + (bit >> 3)]! >> (8 - depth - (bit & 7))) & ((1 << depth) - 1);
}

/** A function that writes pixel `x` of the unfiltered row at `start` as image pixel `p`. */
function pixelWriter(
  img: RgbImage,
  { depth, colorType }: PngHeader,
  palette: Uint8Array | null,
  key: number[] | null,
): (raw: Uint8Array, start: number, x: number, p: number) => void {
  const { channels } = COLOR_TYPES[colorType]!;
  const max = palette ? 255 : 2 ** depth - 1;
  const toByte = 255 / max;
  const entries = palette ? palette.length / 4 : 0;
  const data = img.data;
  return (raw, start, x, p) => {
    const s = x * channels;
    let r: number, g: number, b: number, a: number;
    if (palette) {
      const k = sampleAt(raw, start, s, depth);
      if (k >= entries) throw corrupt(`a pixel uses palette entry ${k}, but the palette has ${entries}`);
      r = palette[4 * k]!;
      g = palette[4 * k + 1]!;
      b = palette[4 * k + 2]!;
      a = palette[4 * k + 3]!;
    } else {
      r = g = b = sampleAt(raw, start, s, depth);
      if (channels >= 3) {
        g = sampleAt(raw, start, s + 1, depth);
        b = sampleAt(raw, start, s + 2, depth);
      }
      a = channels === 2 ? sampleAt(raw, start, s + 1, depth) : channels === 4 ? sampleAt(raw, start, s + 3, depth) : max;
      if (key && r === key[0] && (channels === 1 || (g === key[1] && b === key[2]))) r = g = b = a = 0;
    }
    const alpha = a / max;
    data[3 * p] = compositeOnWhite(r * toByte, alpha);
    data[3 * p + 1] = compositeOnWhite(g * toByte, alpha);
    data[3 * p + 2] = compositeOnWhite(b * toByte, alpha);
  };
}

// CRC-32 (ISO 3309, as in zlib and PNG): the reflected polynomial 0xEDB88320, one table lookup a byte.
const CRC_TABLE = Uint32Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c;
});

/** The CRC-32 of `data`, as an unsigned 32-bit integer. */
export function crc32(data: Uint8Array): number {
  let c = 0xffffffff;
  for (let i = 0; i < data.length; i++) c = CRC_TABLE[(c ^ data[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
