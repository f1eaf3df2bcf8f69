import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { ImageError } from "../../../src/errors.js";
import type { RgbImage } from "../../../src/io/image/image.js";
import { decodeJpeg } from "../../../src/io/image/jpeg.js";
import { resizeImage, resizePlanes, resizePlanesNaive, resizeToFit } from "../../../src/io/image/resize.js";
import { random } from "../../random.js";

const fixtures = new URL("../../fixtures/", import.meta.url);

/** H×W×3 interleaved → 3×H×W planes. */
function toPlanes(img: RgbImage): Float32Array {
  const { width: W, height: H } = img;
  const out = new Float32Array(3 * H * W);
  for (let p = 0; p < H * W; p++) for (let c = 0; c < 3; c++) out[c * H * W + p] = img.data[3 * p + c]!;
  return out;
}

describe("resizePlanes against its naive twin", () => {
  // [C, H, W, OH, OW]: enlarging, shrinking, mixed, 1-pixel dimensions, sizes around 64.
  const shapes = [
    [1, 1, 1, 7, 3],
    [2, 7, 1, 1, 5],
    [3, 63, 65, 65, 63],
    [1, 5, 7, 3, 2],
    [3, 13, 17, 40, 9],
    [1, 65, 3, 7, 64],
    [2, 9, 11, 9, 4],
    [1, 6, 1, 1, 1],
    [3, 3, 64, 3, 7],
  ];
  it.each(shapes)("C=%i %i×%i → %i×%i", (C, H, W, OH, OW) => {
    const src = random(C * H * W, H * 100 + W, Float32Array, [0, 255]);
    const got = resizePlanes(src, C, H, W, OH, OW);
    expect(got).toHaveLength(C * OH * OW);
    expect(got).toBeAllClose(resizePlanesNaive(src, C, H, W, OH, OW), { rtol: 1e-5, atol: 1e-4 });
  });

  it.each(shapes)("without antialiasing: C=%i %i×%i → %i×%i", (C, H, W, OH, OW) => {
    const src = random(C * H * W, H * 100 + W + 1, Float32Array, [0, 255]);
    const options = { antialias: false };
    const got = resizePlanes(src, C, H, W, OH, OW, options);
    expect(got).toBeAllClose(resizePlanesNaive(src, C, H, W, OH, OW, options), { rtol: 1e-5, atol: 1e-4 });
  });
});

describe("antialias option", () => {
  const src = Float32Array.from({ length: 8 }, (_, x) => x * x); // 0 1 4 9 16 25 36 49

  it("off: halving samples between the two middle pixels of each pair", () => {
    // Sample points (j + 0.5)·2 − 0.5 = 2j + 0.5: the mean of pixels 2j and 2j + 1.
    expect(resizePlanes(src, 1, 1, 8, 1, 4, { antialias: false })).toEqual(new Float32Array([0.5, 6.5, 20.5, 42.5]));
  });

  it("on (the default): halving weighs four pixels ¼ ¾ ¾ ¼ (renormalized at the borders)", () => {
    const want = [(0.75 * 0 + 0.75 * 1 + 0.25 * 4) / 1.75, (0.25 * 1 + 0.75 * 4 + 0.75 * 9 + 0.25 * 16) / 2];
    expect(Array.from(resizePlanes(src, 1, 1, 8, 1, 4).subarray(0, 2))).toBeAllClose(want);
  });

  it("makes no difference when enlarging", () => {
    expect(resizePlanes(src, 1, 2, 4, 5, 7, { antialias: false })).toEqual(resizePlanes(src, 1, 2, 4, 5, 7));
  });

  it("is passed on by resizeImage", () => {
    const img = { width: 8, height: 1, data: Float32Array.from({ length: 24 }, (_, i) => src[Math.floor(i / 3)]!) };
    expect(resizeImage(img, 4, 1, { antialias: false }).data.filter((_, i) => i % 3 === 0)).toEqual(
      new Float32Array([0.5, 6.5, 20.5, 42.5]),
    );
  });
});

describe("resize at the edges", () => {
  it("is the exact identity (a copy) when the size is unchanged", () => {
    const src = random(3 * 7 * 5, 1, Float32Array, [0, 255]);
    const out = resizePlanes(src, 3, 7, 5, 7, 5);
    expect(out).toEqual(src);
    expect(out).not.toBe(src);
    const img = { width: 5, height: 7, data: random(3 * 35, 2, Float32Array, [0, 255]) };
    expect(resizeImage(img, 5, 7).data).toEqual(img.data);
  });

  it("is exact along an unchanged axis", () => {
    const src = random(4 * 6, 3, Float32Array, [0, 255]); // 4 rows of 6
    const out = resizePlanes(src, 1, 4, 6, 9, 6); // only rows change
    expect(resizePlanes(src, 1, 4, 6, 4, 6)).toEqual(src);
    // Column 0 of the output depends on column 0 of the input only.
    const col = Float32Array.from({ length: 4 }, (_, y) => src[y * 6]!);
    const colOut = Float32Array.from({ length: 9 }, (_, y) => out[y * 6]!);
    expect(colOut).toBeAllClose(resizePlanes(col, 1, 4, 1, 9, 1));
  });

  it("handles 1-pixel dimensions both ways", () => {
    // 1 → n repeats the pixel.
    expect(resizePlanes(new Float32Array([42]), 1, 1, 1, 3, 4)).toEqual(new Float32Array(12).fill(42));
    expect(resizePlanes(new Float32Array([1, 2]), 2, 1, 1, 1, 3)).toEqual(new Float32Array([1, 1, 1, 2, 2, 2]));
    // n → 1 is the tent-weighted mean: 4 pixels, centre 2, support 4 → weights 5/8, 7/8, 7/8, 5/8.
    const mean = (5 * 10 + 7 * 20 + 7 * 30 + 5 * 40) / 24;
    expect(resizePlanes(new Float32Array([10, 20, 30, 40]), 1, 1, 4, 1, 1)[0]).toBeCloseTo(mean, 4);
    expect(resizePlanes(new Float32Array([10, 20, 30, 40]), 1, 4, 1, 1, 1)[0]).toBeCloseTo(mean, 4);
  });

  it("keeps a constant image constant, with no NaN", () => {
    for (const [H, W, OH, OW] of [
      [1, 1, 5, 9],
      [10, 3, 1, 1],
      [17, 23, 4, 61],
      [64, 64, 63, 65],
    ]) {
      const out = resizePlanes(new Float32Array(H! * W!).fill(77.5), 1, H!, W!, OH!, OW!);
      expect(out).toBeAllClose(new Float32Array(OH! * OW!).fill(77.5));
    }
  });

  it("reproduces a linear ramp exactly where it interpolates (enlarging)", () => {
    const W = 10;
    const OW = 25;
    const ramp = Float32Array.from({ length: W }, (_, x) => 3 * x + 5);
    const out = resizePlanes(ramp, 1, 1, W, 1, OW);
    for (let j = 0; j < OW; j++) {
      const s = Math.min(Math.max(((j + 0.5) * W) / OW - 0.5, 0), W - 1); // clamped sample point
      expect(out[j]).toBeCloseTo(3 * s + 5, 4);
    }
  });

  it("reproduces a linear ramp exactly in the interior when shrinking by 2 and 3", () => {
    for (const factor of [2, 3]) {
      const W = 12 * factor;
      const OW = 12;
      const ramp = Float32Array.from({ length: W }, (_, x) => 2 * x - 7);
      const out = resizePlanes(ramp, 1, 1, W, 1, OW);
      for (let j = 1; j < OW - 1; j++) {
        const s = (j + 0.5) * factor - 0.5; // the output pixel's centre in input coordinates
        expect(out[j]).toBeCloseTo(2 * s - 7, 4);
      }
    }
  });

  it("includes the last row and column", () => {
    // Zero everywhere but the last row (255) and last column (100).
    const H = 7;
    const W = 9;
    const src = new Float32Array(H * W);
    for (let x = 0; x < W; x++) src[(H - 1) * W + x] = 255;
    for (let y = 0; y < H - 1; y++) src[y * W + W - 1] = 100;
    const up = resizePlanes(src, 1, H, W, 20, 30);
    for (let x = 0; x < 25; x++) expect(up[19 * 30 + x]).toBeCloseTo(255, 4); // last row: clamped to the last input row
    for (let y = 0; y < 15; y++) expect(up[y * 30 + 29]).toBeCloseTo(100, 4); // last column likewise
    const down = resizePlanes(src, 1, H, W, 3, 4);
    for (let x = 0; x < 4; x++) expect(down[2 * 4 + x]).toBeGreaterThan(50);
    expect(down[0 * 4 + 3]).toBeGreaterThan(10);
    expect(down[0]).toBe(0);
  });
});

describe("resizeImage", () => {
  it("is resizePlanes on the interleaved layout", () => {
    const img = { width: 11, height: 6, data: random(3 * 66, 9, Float32Array, [0, 255]) };
    const out = resizeImage(img, 5, 13);
    expect([out.width, out.height]).toEqual([5, 13]);
    expect(toPlanes(out)).toBeAllClose(resizePlanes(toPlanes(img), 3, 6, 11, 13, 5));
  });

  it("does not change its input", () => {
    const img = { width: 4, height: 4, data: random(48, 4, Float32Array, [0, 255]) };
    const copy = img.data.slice();
    resizeImage(img, 2, 7);
    expect(img.data).toEqual(copy);
  });

  it("names the problem in its errors", () => {
    const img = { width: 4, height: 3, data: new Float32Array(36) };
    expect(() => resizeImage(img, 0, 5)).toThrow(ImageError);
    expect(() => resizeImage(img, 0, 5)).toThrow("resizeImage: sizes C=3 H=3 W=4 → OH=5 OW=0 must all be positive integers");
    expect(() => resizePlanes(new Float32Array(10), 3, 2, 2, 4, 4)).toThrow(
      "resizePlanes: source has 10 values but C×H×W = 3×2×2 needs 12",
    );
    expect(() => resizePlanes(new Float32Array(12), 3, 2, 2, 4.5, 4)).toThrow(/must all be positive integers/);
  });
});

describe("resizeToFit", () => {
  const img = (width: number, height: number): RgbImage => ({ width, height, data: new Float32Array(width * height * 3) });

  it("scales the longer side down to maxSide, keeping the aspect", () => {
    const landscape = resizeToFit(img(400, 300), 100);
    expect([landscape.width, landscape.height]).toEqual([100, 75]);
    const portrait = resizeToFit(img(300, 401), 100);
    expect([portrait.width, portrait.height]).toEqual([75, 100]);
    const sliver = resizeToFit(img(3, 1000), 10);
    expect([sliver.width, sliver.height]).toEqual([1, 10]);
  });

  it("returns the same image when it already fits", () => {
    const small = img(100, 60);
    expect(resizeToFit(small, 100)).toBe(small);
    expect(resizeToFit(small, 5000)).toBe(small);
  });

  it("refuses a bad maxSide", () => {
    expect(() => resizeToFit(img(4, 4), 0)).toThrow("maximum image side 0 is invalid; pass a positive whole number of pixels");
    expect(() => resizeToFit(img(4, 4), 2.5)).toThrow(ImageError);
  });
});

// The golden input tensors (test/fixtures/golden) are 8-bit pictures made by an independent
// implementation: decode with libjpeg, resize the whole image with an antialiasing bilinear (tent)
// filter, subtract the BGR mean. Our decoder is jpeg-js, whose IDCT differs by a level or two and
// whose 4:2:0 chroma upsampling repeats pixels instead of interpolating them, hence the tolerances.
describe("resize convention matches the golden inputs", () => {
  const MEAN_BGR = [104, 117, 123];

  function compare(image: string, golden: string, W: number, H: number): { max: number; mean: number } {
    const img = resizeImage(decodeJpeg(readFileSync(new URL(`images/${image}`, fixtures))), W, H);
    const bytes = readFileSync(new URL(`golden/${golden}`, fixtures));
    const g = new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4); // [1, 3, H, W] BGR − mean
    let max = 0;
    let sum = 0;
    for (let c = 0; c < 3; c++) {
      for (let p = 0; p < H * W; p++) {
        const d = Math.abs(Math.round(img.data[3 * p + 2 - c]!) - (g[c * H * W + p]! + MEAN_BGR[c]!));
        max = Math.max(max, d);
        sum += d;
      }
    }
    return { max, mean: sum / (3 * H * W) };
  }

  it("cat.jpg → 224×224 (4:4:4 JPEG): within 2 levels, 0.45 on average", () => {
    const { max, mean } = compare("cat.jpg", "cat.input.f32", 224, 224);
    expect(max).toBeLessThanOrEqual(3);
    expect(mean).toBeLessThan(0.6);
  });

  it("fish-bike.jpg → 251×173, the whole image (4:2:0 JPEG): 0.64 levels on average", () => {
    const { max, mean } = compare("fish-bike.jpg", "fishbike.input.f32", 251, 173);
    expect(max).toBeLessThanOrEqual(25); // chroma edges: nearest vs. interpolated upsampling
    expect(mean).toBeLessThan(0.8);
  });
});
