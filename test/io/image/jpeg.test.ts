import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { ImageError } from "../../../src/errors.js";
import { jpegSegments } from "../../../src/io/image/exif.js";
import type { RgbImage } from "../../../src/io/image/image.js";
import { encodeJpeg } from "../../../src/io/image/encode.js";
import { decodeJpeg } from "../../../src/io/image/jpeg.js";

const images = new URL("../../fixtures/images/", import.meta.url);
const fixture = (name: string): Uint8Array => readFileSync(new URL(name, images));

const pixel = (img: RgbImage, x: number, y: number): number[] => {
  const p = (y * img.width + x) * 3;
  return Array.from(img.data.subarray(p, p + 3));
};

/** Largest |a − b| over the pixels in [x0, x1) × [y0, y1), against one colour. */
function maxDiff(img: RgbImage, x0: number, x1: number, y0: number, y1: number, rgb: number[]): number {
  let worst = 0;
  for (let y = y0; y < y1; y++) {
    for (let x = x0; x < x1; x++)
      pixel(img, x, y).forEach((v, c) => {
        worst = Math.max(worst, Math.abs(v - rgb[c]!));
      });
  }
  return worst;
}

const RED = [255, 0, 0];
const GREEN = [0, 255, 0];
const BLUE = [0, 0, 255];
const WHITE = [255, 255, 255];

/** The "quadrants" fixture picture, 32×16: red | green over blue | white, within JPEG error. */
function expectQuadrants(img: RgbImage, tolerance: number): void {
  expect([img.width, img.height]).toEqual([32, 16]);
  expect(maxDiff(img, 0, 16, 0, 8, RED)).toBeLessThanOrEqual(tolerance);
  expect(maxDiff(img, 16, 32, 0, 8, GREEN)).toBeLessThanOrEqual(tolerance);
  expect(maxDiff(img, 0, 16, 8, 16, BLUE)).toBeLessThanOrEqual(tolerance);
  expect(maxDiff(img, 16, 32, 8, 16, WHITE)).toBeLessThanOrEqual(tolerance);
}

describe("encodeJpeg / decodeJpeg round trip", () => {
  // A smooth picture: JPEG keeps it within a few levels.
  const W = 37;
  const H = 23;
  const smooth: RgbImage = { width: W, height: H, data: new Float32Array(W * H * 3) };
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      smooth.data.set([40 + 4 * x, 30 + 7 * y, 128 + 60 * Math.sin((x + y) / 6)], (y * W + x) * 3);
    }
  }

  it("comes back close, at the default quality 92", () => {
    const file = encodeJpeg(smooth);
    expect([file[0], file[1]]).toEqual([0xff, 0xd8]);
    const back = decodeJpeg(file);
    expect([back.width, back.height]).toEqual([W, H]);
    let sum = 0;
    let max = 0;
    back.data.forEach((v, i) => {
      const d = Math.abs(v - smooth.data[i]!);
      sum += d;
      max = Math.max(max, d);
    });
    expect(sum / back.data.length).toBeLessThan(1.5);
    expect(max).toBeLessThan(10);
  });

  it("quality trades size for fidelity", () => {
    expect(encodeJpeg(smooth, 20).length).toBeLessThan(encodeJpeg(smooth, 95).length);
  });

  it("refuses a bad quality", () => {
    expect(() => encodeJpeg(smooth, 0)).toThrow("JPEG quality 0 is invalid; pass a whole number from 1 to 100");
    expect(() => encodeJpeg(smooth, 101)).toThrow(ImageError);
    expect(() => encodeJpeg(smooth, 50.5)).toThrow(ImageError);
  });
});

describe("decodeJpeg: fixtures", () => {
  it("grayscale (one component) → R = G = B", () => {
    const img = decodeJpeg(fixture("gray.jpg"));
    expect([img.width, img.height]).toEqual([16, 8]);
    for (let y = 0; y < 8; y++) {
      for (let x = 0; x < 16; x++) {
        const [r, g, b] = pixel(img, x, y);
        expect(g).toBe(r);
        expect(b).toBe(r);
        expect(Math.abs(r! - (20 + 10 * x + 10 * y))).toBeLessThanOrEqual(4);
      }
    }
  });

  it("progressive", () => {
    expectQuadrants(decodeJpeg(fixture("progressive.jpg")), 6);
  });

  it("CMYK with an Adobe marker", () => {
    expectQuadrants(decodeJpeg(fixture("cmyk.jpg")), 8);
  });

  it("refuses 4-component data without an Adobe marker, saying why", () => {
    const file = fixture("cmyk.jpg");
    const app14 = [...jpegSegments(file)].find((s) => s.marker === 0xee)!;
    const start = app14.offset - 4; // FF EE, then the 2-byte length
    const stripped = new Uint8Array([...file.subarray(0, start), ...file.subarray(app14.offset + app14.length)]);
    expect(() => decodeJpeg(stripped)).toThrow(ImageError);
    expect(() => decodeJpeg(stripped)).toThrow(/^JPEG image has a colour model this decoder does not support .*; convert it to RGB/);
  });
});

describe("decodeJpeg: EXIF orientation", () => {
  it("orientation 6 (big-endian EXIF): stored 32×16, shown 16×32 turned clockwise", () => {
    const img = decodeJpeg(fixture("exif-orientation-6.jpg"));
    expect([img.width, img.height]).toEqual([16, 32]);
    // Stored red | green over blue | white, turned 90° clockwise: blue | red over white | green.
    expect(maxDiff(img, 0, 8, 0, 16, BLUE)).toBeLessThanOrEqual(6);
    expect(maxDiff(img, 8, 16, 0, 16, RED)).toBeLessThanOrEqual(6);
    expect(maxDiff(img, 0, 8, 16, 32, WHITE)).toBeLessThanOrEqual(6);
    expect(maxDiff(img, 8, 16, 16, 32, GREEN)).toBeLessThanOrEqual(6);
  });

  it("orientation 8 (little-endian EXIF): turned counter-clockwise", () => {
    const img = decodeJpeg(fixture("exif-orientation-8-le.jpg"));
    expect([img.width, img.height]).toEqual([16, 32]);
    // green | white over red | blue
    expect(maxDiff(img, 0, 8, 0, 16, GREEN)).toBeLessThanOrEqual(6);
    expect(maxDiff(img, 8, 16, 0, 16, WHITE)).toBeLessThanOrEqual(6);
    expect(maxDiff(img, 0, 8, 16, 32, RED)).toBeLessThanOrEqual(6);
    expect(maxDiff(img, 8, 16, 16, 32, BLUE)).toBeLessThanOrEqual(6);
  });
});

/** SOI and a baseline frame header (SOF0) claiming the given size, then a bare SOS marker. */
function jpegHeader(width: number, height: number): Uint8Array {
  return new Uint8Array([
    0xff,
    0xd8,
    0xff,
    0xc0,
    0x00,
    0x11,
    0x08,
    height >> 8,
    height & 0xff,
    width >> 8,
    width & 0xff,
    0x03,
    0x01,
    0x22,
    0x00,
    0x02,
    0x11,
    0x01,
    0x03,
    0x11,
    0x01,
    0xff,
    0xda,
    0x00,
    0x0c,
    0x03,
    0x01,
    0x00,
    0x02,
    0x11,
    0x03,
    0x11,
    0x00,
    0x3f,
    0x00,
  ]);
}

describe("decodeJpeg: bad input", () => {
  const good = fixture("progressive.jpg");

  it("refuses a huge image from its frame header, before jpeg-js allocates anything", () => {
    // JPEG sizes are 16-bit: 65535×65535 is the largest a header can claim.
    expect(() => decodeJpeg(jpegHeader(65535, 65535))).toThrow(
      "image is 65535×65535 (4,294.8 megapixels), more than the limit of 50 megapixels; " +
        "pass a larger --max-pixels or use a smaller image",
    );
    expect(() => decodeJpeg(good, { maxPixels: 511 })).toThrow(/image is 32×16 \(512 pixels\), more than the limit of 511 pixels/);
    expect(() => decodeJpeg(good, { maxPixels: 512 })).not.toThrow();
    // jpeg-js's own memory guard, set from the same limit, must not misfire at the tightest one.
    expect(decodeJpeg(fixture("fish-bike.jpg"), { maxPixels: 481 * 323 }).width).toBe(481);
  });

  it("reports truncation as a corrupt or truncated JPEG", () => {
    for (const n of [0, 2, 3, 20, 200, good.length - 100, good.length - 2]) {
      expect(() => decodeJpeg(good.subarray(0, n))).toThrow(ImageError);
      expect(() => decodeJpeg(good.subarray(0, n))).toThrow(/^JPEG image is corrupt or truncated \(.+\); re-save it with an image editor$/);
    }
  });

  it("refuses a height left to a DNL marker", () => {
    expect(() => decodeJpeg(jpegHeader(10, 0))).toThrow(/DNL marker, which is not supported/);
  });

  it("reports garbage after a valid start", () => {
    const bad = Uint8Array.from(good);
    for (let i = 300; i < bad.length - 2; i++) bad[i] = (i * 97) & 0xff;
    expect(() => decodeJpeg(bad)).toThrow(ImageError);
  });
});
