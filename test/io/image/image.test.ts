import ndarray from "ndarray";
import { describe, expect, it } from "vitest";
import { ImageError } from "../../../src/errors.js";
import {
  DEFAULT_MAX_PIXELS,
  checkImageSize,
  compositeOnWhite,
  createImage,
  imageFromNdarray,
  imageToNdarray,
  quantize,
} from "../../../src/io/image/image.js";

describe("createImage", () => {
  it("makes a black H×W×3 image", () => {
    const img = createImage(3, 2);
    expect(img).toMatchObject({ width: 3, height: 2 });
    expect(img.data).toEqual(new Float32Array(18));
  });

  it.each([
    [0, 5],
    [5, -1],
    [2.5, 3],
    [NaN, 3],
  ])("refuses %s×%s", (w, h) => {
    expect(() => createImage(w, h)).toThrow(ImageError);
    expect(() => createImage(w, h)).toThrow(/must be positive integers/);
  });
});

describe("checkImageSize", () => {
  it("allows up to the limit, inclusive", () => {
    expect(() => checkImageSize(5000, 10_000)).not.toThrow(); // exactly 50 MP
    expect(DEFAULT_MAX_PIXELS).toBe(50_000_000);
    expect(() => checkImageSize(3, 4, 12)).not.toThrow();
    expect(() => checkImageSize(3, 4, 11)).toThrow(ImageError);
  });

  it("says how big the image is, what the limit is, and what to do", () => {
    expect(() => checkImageSize(100_000, 100_000)).toThrow(
      "image is 100000×100000 (10,000 megapixels), more than the limit of 50 megapixels; " +
        "pass a larger --max-pixels or use a smaller image",
    );
    expect(() => checkImageSize(8000, 6400, 50_000_000)).toThrow("(51.2 megapixels)");
    expect(() => checkImageSize(40, 30, 1000)).toThrow("image is 40×30 (1,200 pixels), more than the limit of 1,000 pixels;");
  });
});

describe("imageFromNdarray", () => {
  it("copies H×W×3 RGB of any dtype", () => {
    const u8 = ndarray(new Uint8Array([1, 2, 3, 4, 5, 6]), [1, 2, 3]);
    expect(imageFromNdarray(u8)).toEqual({ width: 2, height: 1, data: new Float32Array([1, 2, 3, 4, 5, 6]) });
    const f64 = ndarray(new Float64Array([0.5, 254.5, 128, 1, 2, 3]), [2, 1, 3]);
    expect(imageFromNdarray(f64)).toEqual({ width: 1, height: 2, data: new Float32Array([0.5, 254.5, 128, 1, 2, 3]) });
  });

  it("follows strides: a transposed (W×H×C viewed as H×W×C) array", () => {
    // Stored as 3 columns × 2 rows; .transpose(1, 0, 2) views it as 2 rows × 3 columns.
    const stored = ndarray(
      new Uint8Array(18).map((_, i) => i),
      [3, 2, 3],
    );
    const view = stored.transpose(1, 0, 2);
    const img = imageFromNdarray(view);
    expect([img.width, img.height]).toEqual([3, 2]);
    for (let y = 0; y < 2; y++) {
      for (let x = 0; x < 3; x++) {
        for (let c = 0; c < 3; c++) expect(img.data[(y * 3 + x) * 3 + c]).toBe(stored.get(x, y, c));
      }
    }
  });

  it("replicates gray, from H×W and from H×W×1", () => {
    const want = new Float32Array([7, 7, 7, 9, 9, 9]);
    expect(imageFromNdarray(ndarray(new Uint8Array([7, 9]), [1, 2])).data).toEqual(want);
    expect(imageFromNdarray(ndarray(new Int16Array([7, 9]), [1, 2, 1])).data).toEqual(want);
  });

  it("composites alpha onto white (RGBA and gray+alpha)", () => {
    const rgba = ndarray(new Uint8Array([10, 20, 30, 255, 10, 20, 30, 0, 100, 0, 200, 51]), [1, 3, 4]);
    const a = 51 / 255;
    expect(imageFromNdarray(rgba).data).toBeAllClose([
      10,
      20,
      30,
      255,
      255,
      255,
      100 * a + 255 * (1 - a),
      255 * (1 - a),
      200 * a + 255 * (1 - a),
    ]);
    const ga = ndarray(new Uint8Array([40, 128]), [1, 1, 2]);
    const g = 40 * (128 / 255) + 255 * (127 / 255);
    expect(imageFromNdarray(ga).data).toBeAllClose([g, g, g]);
  });

  it("refuses other shapes and non-finite values", () => {
    expect(() => imageFromNdarray(ndarray(new Uint8Array(10), [1, 2, 5]))).toThrow(
      "cannot make an image from an ndarray of shape [1, 2, 5]; pass H×W (gray) or H×W×C with C = 1, 2, 3 or 4",
    );
    expect(() => imageFromNdarray(ndarray(new Uint8Array(8), [8]))).toThrow(ImageError);
    expect(() => imageFromNdarray(ndarray(new Float32Array([1, NaN, 3]), [1, 1, 3]))).toThrow(/value at \[0, 0, 1\] is NaN/);
    expect(() => imageFromNdarray(ndarray(new Uint8Array(0), [0, 4, 3]))).toThrow(/positive integers/);
  });
});

describe("imageToNdarray", () => {
  it("is an H×W×3 view sharing the image's memory", () => {
    const img = createImage(3, 2);
    const nd = imageToNdarray(img);
    expect(nd.shape).toEqual([2, 3, 3]);
    nd.set(1, 2, 0, 99);
    expect(img.data[(1 * 3 + 2) * 3]).toBe(99);
    expect(imageFromNdarray(nd)).toEqual(img);
  });
});

describe("quantize", () => {
  it("rounds and clamps to 0–255 (NaN → 0)", () => {
    const img = { width: 3, height: 1, data: new Float32Array([-3, 0.49, 0.5, 127.6, 254.5, 300, NaN, 1e9, -Infinity]) };
    expect(Array.from(quantize(img))).toEqual([0, 0, 1, 128, 255, 255, 0, 255, 0]);
  });
});

describe("compositeOnWhite", () => {
  it("is v·α + 255·(1 − α)", () => {
    expect(compositeOnWhite(100, 1)).toBe(100);
    expect(compositeOnWhite(100, 0)).toBe(255);
    expect(compositeOnWhite(0, 0.5)).toBe(127.5);
  });
});
