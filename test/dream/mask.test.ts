// Dreaming through a mask (src/dream/mask.ts): the feather against its naive twin, and a dream
// that leaves the black part of its mask exactly as it was, through octaves and resampling.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import "../../src/threads/node-host.js";
import { dream, type DreamOptions } from "../../src/dream/dream.js";
import { dreamMask, featherMask, featherMaskNaive, MASK_FEATHER } from "../../src/dream/mask.js";
import { estimateDreamMemory } from "../../src/dream/memory.js";
import { OptionError } from "../../src/errors.js";
import type { RgbImage } from "../../src/io/image/image.js";
import { loadGoogLeNet } from "../../src/models/load.js";
import type { CaffeNet } from "../../src/models/net.js";
import { shutdownThreads } from "../../src/threads/pool.js";
import { mulberry32 } from "../../src/tensor/random.js";
import { fishBike } from "./photos.js";

/** A grey picture: `value(x, y)` (0–255) on all three channels. */
function greyImage(width: number, height: number, value: (x: number, y: number) => number): RgbImage {
  const data = new Float32Array(width * height * 3);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) data.fill(value(x, y), 3 * (y * width + x), 3 * (y * width + x) + 3);
  return { width, height, data };
}

describe("featherMask", () => {
  it("matches its naive twin on awkward shapes and radii", () => {
    const rand = mulberry32(3);
    for (const [h, w] of [
      [1, 1],
      [1, 7],
      [7, 5],
      [13, 63],
      [65, 9],
    ] as const) {
      const mask = new Float32Array(h * w).map(() => (rand() < 0.3 ? 0 : rand()));
      for (const r of [0, 1, 3, MASK_FEATHER]) {
        expect(featherMask(mask, h, w, r), `${h}×${w}, r=${r}`).toBeAllClose(r === 0 ? mask : featherMaskNaive(mask, h, w, r), {
          rtol: 1e-5,
          atol: 1e-6,
        });
      }
    }
  });

  it("keeps every black pixel exactly 0, and turns a hard edge into a ramp 2r wide inside the light", () => {
    const w = 40,
      h = 3,
      r = 4;
    const mask = new Float32Array(h * w).map((_, i) => (i % w >= 20 ? 1 : 0));
    const f = featherMask(mask, h, w, r);
    const row = Array.from(f.subarray(w, 2 * w));
    expect(row.slice(0, 20).every((v) => v === 0)).toBe(true); // bit for bit, not merely small
    expect(row[20]).toBeGreaterThan(0);
    for (let x = 21; x < 20 + 2 * r + 1; x++) expect(row[x]!).toBeGreaterThan(row[x - 1]!);
    expect(row.slice(20 + 2 * r).every((v) => v === 1)).toBe(true);
    // Scattered black pixels in a random mask: each stays 0.
    const rand = mulberry32(9);
    const spotty = new Float32Array(31 * 29).map(() => (rand() < 0.05 ? 0 : 0.2 + 0.8 * rand()));
    const g = featherMask(spotty, 31, 29, r);
    for (let i = 0; i < spotty.length; i++) if (spotty[i] === 0) expect(g[i]).toBe(0);
  });
});

describe("dreamMask", () => {
  it("takes the luminance, 0–1, and resizes a mask of another size, saying so", () => {
    const red: RgbImage = { width: 20, height: 20, data: new Float32Array(20 * 20 * 3).map((_, i) => (i % 3 === 0 ? 255 : 0)) };
    const m = dreamMask(red, 20, 20);
    expect(m[10 * 20 + 10]).toBeCloseTo(0.299, 6); // Rec. 601: 0.299 R + 0.587 G + 0.114 B
    const notes: string[] = [];
    const resized = dreamMask(
      greyImage(10, 5, () => 255),
      40,
      20,
      (n) => notes.push(n),
    );
    expect(resized.length).toBe(800);
    expect(resized.every((v) => v === 1)).toBe(true);
    expect(notes).toEqual(["the mask is 10×5; resized to the picture's 40×20"]);
    dreamMask(
      greyImage(10, 10, () => 255),
      40,
      20,
      (n) => notes.push(n),
    );
    expect(notes[1]).toBe("the mask is 10×10; resized to the picture's 40×20, stretched to its shape");
  });

  it("refuses what is not a picture", () => {
    for (const bad of [null, 3, { width: 2, height: 2, data: new Float32Array(5) }, { width: 0, height: 1, data: new Float32Array(0) }]) {
      expect(() => dreamMask(bad as unknown as RgbImage, 4, 4)).toThrow(OptionError);
    }
    expect(() => dreamMask(null as unknown as RgbImage, 4, 4)).toThrow(
      "the mask must be an RgbImage: width × height × 3 values in a Float32Array, as readImage gives",
    );
  });
});

describe("dream with a mask", () => {
  let net: CaffeNet;
  let photo: RgbImage; // fish-bike.jpg at 320×214
  let plain: RgbImage;
  beforeAll(async () => {
    net = await loadGoogLeNet();
    ({ photo } = await fishBike());
    plain = await dream(photo, opts({}));
  });
  afterAll(() => shutdownThreads());

  // Three octaves (214 → 153 → 109 rows), so the detail is carried up twice, and the default jitter.
  const opts = (extra: Partial<DreamOptions>): DreamOptions => ({
    model: net,
    layer: "inception_3a/output",
    octaves: 3,
    iterations: 3,
    seed: 2,
    ...extra,
  });
  const meanChange = (a: RgbImage, b: RgbImage, columns: (x: number) => boolean): number => {
    let sum = 0,
      n = 0;
    for (let i = 0; i < a.data.length; i++) {
      if (!columns(Math.floor(i / 3) % a.width)) continue;
      sum += Math.abs(a.data[i]! - b.data[i]!);
      n++;
    }
    return sum / n;
  };

  it("leaves the black half of a hard mask exactly as it was, bit for bit, and dreams the other", async () => {
    const half = greyImage(320, 214, (x) => (x < 160 ? 0 : 255));
    const out = await dream(photo, opts({ mask: half }));
    let differ = 0;
    for (let i = 0; i < out.data.length; i++) if (Math.floor(i / 3) % 320 < 160 && !Object.is(out.data[i], photo.data[i])) differ++;
    expect(differ).toBe(0);
    // Past the feather, the light half is dreamed about as strongly as without the mask.
    const light = (x: number): boolean => x >= 160 + 2 * MASK_FEATHER;
    expect(meanChange(out, photo, light)).toBeGreaterThan(0.7 * meanChange(plain, photo, light));
  });

  it("does the same with a mask of another size (resized, with a note), in tiles, with original colours", async () => {
    const notes: string[] = [];
    const half = greyImage(160, 107, (x) => (x < 80 ? 0 : 255));
    const out = await dream(photo, opts({ mask: half, tile: 128, originalColors: true, onNote: (n) => notes.push(n) }));
    expect(notes).toContain("the mask is 160×107; resized to the picture's 320×214");
    const m = dreamMask(half, 320, 214);
    let zeros = 0;
    for (let p = 0; p < m.length; p++) {
      if (m[p] !== 0) continue;
      zeros++;
      for (let c = 0; c < 3; c++) expect(out.data[3 * p + c]).toBe(photo.data[3 * p + c]);
    }
    expect(zeros).toBeGreaterThan(150 * 214);
  });

  it("is the plain dream where the mask is white, and a weaker one where it is grey", async () => {
    const white = await dream(photo, opts({ mask: greyImage(320, 214, () => 255) }));
    expect(white.data).toBeAllClose(plain.data, { rtol: 0, atol: 1e-3 }); // photo + change: a few ulps off
    const grey = await dream(photo, opts({ mask: greyImage(320, 214, () => 128) }));
    const all = (): boolean => true;
    expect(meanChange(grey, photo, all)).toBeLessThan(0.75 * meanChange(plain, photo, all));
    expect(meanChange(grey, photo, all)).toBeGreaterThan(0.25 * meanChange(plain, photo, all));
  });

  it("counts the mask's buffers in the memory estimate: the picture before each step and the mask's pyramid", () => {
    const layers = ["inception_3a/output"];
    const plain = estimateDreamMemory(net, layers, 1000, 2000, { tile: 512 });
    const masked = estimateDreamMemory(net, layers, 1000, 2000, { tile: 512, masked: true });
    expect(masked.bytes - plain.bytes).toBe(Math.ceil((72 + 20.4) * 2e6) - 72 * 2e6); // 12 + 2.1 × 4 bytes a pixel more
    expect(masked.net).toBe(plain.net);
  });

  it("refuses a mask that is not a picture", async () => {
    await expect(dream(photo, opts({ mask: { width: 3, height: 3, data: new Float32Array(3) } }))).rejects.toThrow(OptionError);
  });
});
