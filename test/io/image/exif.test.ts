import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { ImageError } from "../../../src/errors.js";
import { applyOrientation, jpegSegments, readExifOrientation } from "../../../src/io/image/exif.js";
import type { RgbImage } from "../../../src/io/image/image.js";
import { encodeJpeg } from "../../../src/io/image/encode.js";
import { mulberry32 } from "../../../src/tensor/random.js";

const images = new URL("../../fixtures/images/", import.meta.url);

/** A small real JPEG (from our encoder) to splice segments into. */
const plainJpeg = encodeJpeg({ width: 4, height: 2, data: new Float32Array(24).fill(128) });

/** A TIFF structure with IFD0 holding the given [tag, type, count, value] entries. */
function tiff(little: boolean, entries: [tag: number, type: number, count: number, value: number][], ifdOffset = 8): Uint8Array {
  const bytes = new Uint8Array(ifdOffset + 2 + 12 * entries.length + 4);
  const view = new DataView(bytes.buffer);
  view.setUint16(0, little ? 0x4949 : 0x4d4d);
  view.setUint16(2, 42, little);
  view.setUint32(4, ifdOffset, little);
  view.setUint16(ifdOffset, entries.length, little);
  entries.forEach(([tag, type, count, value], i) => {
    const e = ifdOffset + 2 + 12 * i;
    view.setUint16(e, tag, little);
    view.setUint16(e + 2, type, little);
    view.setUint32(e + 4, count, little);
    if (type === 3) view.setUint16(e + 8, value, little);
    else view.setUint32(e + 8, value, little);
  });
  return bytes;
}

/** `jpeg` with APP segments (marker, payload) inserted right after SOI. */
function withSegments(jpeg: Uint8Array, ...segments: [marker: number, payload: Uint8Array][]): Uint8Array {
  const parts = segments.map(([marker, payload]) => {
    const seg = new Uint8Array(4 + payload.length);
    seg.set([0xff, marker, (payload.length + 2) >> 8, (payload.length + 2) & 0xff]);
    seg.set(payload, 4);
    return seg;
  });
  const total = jpeg.length + parts.reduce((n, p) => n + p.length, 0);
  const out = new Uint8Array(total);
  out.set(jpeg.subarray(0, 2));
  let o = 2;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  out.set(jpeg.subarray(2), o);
  return out;
}

const exifPayload = (t: Uint8Array): Uint8Array => new Uint8Array([0x45, 0x78, 0x69, 0x66, 0, 0, ...t]);
const withExif = (t: Uint8Array): Uint8Array => withSegments(plainJpeg, [0xe1, exifPayload(t)]);

describe("jpegSegments", () => {
  it("lists the segments up to and including SOS", () => {
    const markers = [...jpegSegments(plainJpeg)].map((s) => s.marker);
    expect(markers).toContain(0xdb); // DQT
    expect(markers).toContain(0xc0); // SOF0
    expect(markers).toContain(0xc4); // DHT
    expect(markers.at(-1)).toBe(0xda); // SOS, then it stops
  });

  it("gives payload offsets and lengths", () => {
    const payload = new Uint8Array([1, 2, 3]);
    const seg = [...jpegSegments(withSegments(plainJpeg, [0xe5, payload]))][0]!;
    expect(seg).toEqual({ marker: 0xe5, offset: 6, length: 3 });
  });

  it("yields nothing for non-JPEG bytes and stops at garbage", () => {
    expect([...jpegSegments(new Uint8Array([]))]).toEqual([]);
    expect([...jpegSegments(new Uint8Array([0x89, 0x50, 0x4e, 0x47]))]).toEqual([]);
    expect([...jpegSegments(new Uint8Array([0xff, 0xd8, 0x00, 0x01]))]).toEqual([]);
    expect([...jpegSegments(new Uint8Array([0xff, 0xd8, 0xff, 0xe1, 0xff, 0xff, 0]))]).toEqual([]); // length past the end
  });
});

describe("readExifOrientation", () => {
  it.each([1, 2, 3, 4, 5, 6, 7, 8])("reads orientation %i in both byte orders", (o) => {
    expect(readExifOrientation(withExif(tiff(true, [[0x0112, 3, 1, o]])))).toBe(o);
    expect(readExifOrientation(withExif(tiff(false, [[0x0112, 3, 1, o]])))).toBe(o);
  });

  it("finds the tag among other entries, after other APP segments", () => {
    const t = tiff(
      false,
      [
        [0x010f, 2, 4, 0x41424300], // Make
        [0x011a, 5, 1, 100], // XResolution
        [0x0112, 3, 1, 6],
        [0x0128, 3, 1, 2],
      ],
      20,
    );
    const xmp = new TextEncoder().encode("http://ns.adobe.com/xap/1.0/\0<x:xmpmeta/>");
    expect(readExifOrientation(withSegments(plainJpeg, [0xe0, new Uint8Array(14)], [0xe1, xmp], [0xe1, exifPayload(t)]))).toBe(6);
  });

  it("accepts a LONG value", () => {
    expect(readExifOrientation(withExif(tiff(true, [[0x0112, 4, 1, 8]])))).toBe(8);
  });

  it("reads the fixtures made by ExifTool", () => {
    expect(readExifOrientation(readFileSync(new URL("exif-orientation-6.jpg", images)))).toBe(6);
    expect(readExifOrientation(readFileSync(new URL("exif-orientation-8-le.jpg", images)))).toBe(8);
    expect(readExifOrientation(readFileSync(new URL("cat.jpg", images)))).toBe(1);
  });

  it("returns 1 when there is no usable orientation", () => {
    expect(readExifOrientation(plainJpeg)).toBe(1);
    expect(readExifOrientation(new Uint8Array(0))).toBe(1);
    expect(readExifOrientation(withExif(tiff(true, [[0x0112, 3, 1, 0]])))).toBe(1);
    expect(readExifOrientation(withExif(tiff(true, [[0x0112, 3, 1, 9]])))).toBe(1);
    expect(readExifOrientation(withExif(tiff(true, [[0x0112, 2, 1, 6]])))).toBe(1); // ASCII type
    expect(readExifOrientation(withExif(tiff(true, [[0x0110, 3, 1, 6]])))).toBe(1); // another tag
    const farIfd = tiff(true, [[0x0112, 3, 1, 6]]);
    new DataView(farIfd.buffer).setUint32(4, 4000, true);
    expect(readExifOrientation(withExif(farIfd))).toBe(1); // IFD0 offset past the end
    const manyEntries = tiff(true, [[0x0110, 3, 1, 6]]);
    new DataView(manyEntries.buffer).setUint16(8, 5000, true);
    expect(readExifOrientation(withExif(manyEntries))).toBe(1); // entry count past the end
    expect(readExifOrientation(withExif(new Uint8Array([0x49, 0x49, 43, 0, 8, 0, 0, 0])))).toBe(1); // not 42
    expect(readExifOrientation(withExif(new Uint8Array([0x49, 0x49, 42])))).toBe(1); // too short
  });

  it("never throws on malformed EXIF: every truncation and random corruption", () => {
    const good = withExif(
      tiff(false, [
        [0x011a, 5, 1, 100],
        [0x0112, 3, 1, 6],
      ]),
    );
    for (let n = 0; n <= good.length; n++) {
      const o = readExifOrientation(good.subarray(0, n));
      expect(o === 1 || o === 6).toBe(true);
    }
    const rand = mulberry32(7);
    const exifStart = 2;
    for (let trial = 0; trial < 2000; trial++) {
      const bad = good.slice();
      const flips = 1 + Math.floor(rand() * 4);
      for (let f = 0; f < flips; f++) {
        // Corrupt the APP1 segment (its length field, header or TIFF data) most of the time.
        const i = exifStart + Math.floor(rand() * (trial % 4 === 0 ? bad.length - exifStart : 60));
        bad[i] = Math.floor(rand() * 256);
      }
      const o = readExifOrientation(bad);
      expect(Number.isInteger(o) && o >= 1 && o <= 8).toBe(true);
    }
    for (let trial = 0; trial < 200; trial++) {
      const noise = Uint8Array.from({ length: 4 + Math.floor(rand() * 200) }, () => Math.floor(rand() * 256));
      noise.set([0xff, 0xd8, 0xff, 0xe1]);
      expect(readExifOrientation(noise)).toBeGreaterThanOrEqual(1);
    }
  });
});

describe("applyOrientation", () => {
  // Stored 3×2, pixel values name the pixels:  a b c
  //                                            d e f
  const [a, b, c, d, e, f] = [1, 2, 3, 4, 5, 6];
  const stored: RgbImage = { width: 3, height: 2, data: new Float32Array([a, b, c, d, e, f].flatMap((v) => [v, 10 * v, 100 * v])) };
  const shown = (img: RgbImage): number[][] =>
    Array.from({ length: img.height }, (_, y) => Array.from({ length: img.width }, (_, x) => img.data[(y * img.width + x) * 3]!));

  it.each([
    [
      1,
      [
        [a, b, c],
        [d, e, f],
      ],
    ],
    [
      2,
      [
        [c, b, a],
        [f, e, d],
      ],
    ], // mirrored left↔right
    [
      3,
      [
        [f, e, d],
        [c, b, a],
      ],
    ], // rotated 180°
    [
      4,
      [
        [d, e, f],
        [a, b, c],
      ],
    ], // mirrored top↔bottom
    [
      5,
      [
        [a, d],
        [b, e],
        [c, f],
      ],
    ], // transposed
    [
      6,
      [
        [d, a],
        [e, b],
        [f, c],
      ],
    ], // rotated 90° clockwise
    [
      7,
      [
        [f, c],
        [e, b],
        [d, a],
      ],
    ], // transverse
    [
      8,
      [
        [c, f],
        [b, e],
        [a, d],
      ],
    ], // rotated 90° counter-clockwise
  ])("orientation %i", (orientation, want) => {
    const out = applyOrientation(stored, orientation);
    expect(shown(out)).toEqual(want);
    // All three channels move together.
    for (let p = 0; p < 6; p++) {
      expect(out.data[3 * p + 1]).toBe(10 * out.data[3 * p]!);
      expect(out.data[3 * p + 2]).toBe(100 * out.data[3 * p]!);
    }
  });

  it("refuses orientations outside 1–8", () => {
    expect(() => applyOrientation(stored, 0)).toThrow(ImageError);
    expect(() => applyOrientation(stored, 9)).toThrow("EXIF orientation 9 is invalid; it must be a whole number from 1 to 8");
  });
});
