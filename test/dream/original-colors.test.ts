// Keeping the photo's colours (src/dream/original-colors.ts): the dream's luminance on the
// photo's chroma, checked in PIL's YCbCr (full-range BT.601), computed here from its formulas.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import "../../src/threads/node-host.js";
import { dream, type DreamOptions } from "../../src/dream/dream.js";
import { photoPlusChange } from "../../src/dream/original-colors.js";
import { OptionError } from "../../src/errors.js";
import type { RgbImage } from "../../src/io/image/image.js";
import { loadGoogLeNet } from "../../src/models/load.js";
import type { CaffeNet } from "../../src/models/net.js";
import { imageToInput } from "../../src/models/preprocess.js";
import { shutdownThreads } from "../../src/threads/pool.js";
import { fishBike } from "./photos.js";

/** PIL's RGB → YCbCr (ITU-R BT.601, full range, as JPEG), in Float64 here. */
function ycbcr(img: RgbImage, p: number): [number, number, number] {
  const [r, g, b] = [img.data[3 * p]!, img.data[3 * p + 1]!, img.data[3 * p + 2]!];
  return [0.299 * r + 0.587 * g + 0.114 * b, 128 - 0.168736 * r - 0.331264 * g + 0.5 * b, 128 + 0.5 * r - 0.418688 * g - 0.081312 * b];
}

const clipped = (img: RgbImage, p: number): boolean => [0, 1, 2].some((c) => img.data[3 * p + c] === 0 || img.data[3 * p + c] === 255);

describe("photoPlusChange", () => {
  it("gives the photo back bit for bit where nothing changed, and the change elsewhere", () => {
    const photo: RgbImage = { width: 3, height: 1, data: new Float32Array([0, 1, 2, 250, 128.5, 7, 33, 66, 99]) };
    const mean = [104.00698793, 116.66876762, 122.67891434];
    const x = imageToInput(photo, mean).data as Float32Array;
    for (const colours of [false, true]) expect(Array.from(photoPlusChange(photo, x, mean, colours).data)).toEqual(Array.from(photo.data));
    x[2 * 3 + 1] = x[2 * 3 + 1]! + 10; // pixel 1's red (plane 2: BGR) +10
    const plain = photoPlusChange(photo, x, mean, false).data;
    expect(plain[3]).toBeCloseTo(255, 4); // 250 + 10, clipped
    expect(Array.from(plain.subarray(4))).toEqual(Array.from(photo.data.subarray(4)));
    const kept = photoPlusChange(photo, x, mean, true).data;
    // The luminance of +10 red is 2.99, added to R, G and B alike.
    expect(Array.from(kept.subarray(3, 6))).toBeAllClose([252.99, 131.49, 9.99], { rtol: 0, atol: 1e-4 });
  });
});

describe("dream with originalColors", () => {
  let net: CaffeNet;
  let photo: RgbImage; // fish-bike.jpg at 320×214
  beforeAll(async () => {
    net = await loadGoogLeNet();
    ({ photo } = await fishBike());
  });
  afterAll(() => shutdownThreads());
  const opts = (extra: Partial<DreamOptions>): DreamOptions => ({
    model: net,
    layer: "inception_4a/output",
    octaves: 2,
    iterations: 4,
    seed: 6,
    ...extra,
  });

  it("keeps the photo's chroma and takes the dream's luminance", async () => {
    const dreamed = await dream(photo, opts({}));
    const kept = await dream(photo, opts({ originalColors: true }));
    const pixels = photo.width * photo.height;
    let worstChroma = 0,
      worstLuma = 0,
      plainChroma = 0,
      lumaChange = 0,
      clips = 0;
    for (let p = 0; p < pixels; p++) {
      const [y0, cb0, cr0] = ycbcr(photo, p),
        [yd, cbd, crd] = ycbcr(dreamed, p),
        [yk, cbk, crk] = ycbcr(kept, p);
      plainChroma += (Math.abs(cbd - cb0) + Math.abs(crd - cr0)) / pixels;
      lumaChange += Math.abs(yd - y0) / pixels;
      if (clipped(kept, p) || clipped(dreamed, p)) {
        clips++;
        continue; // out of the RGB cube: clipped to 0–255, where the chroma gives way
      }
      worstChroma = Math.max(worstChroma, Math.abs(cbk - cb0), Math.abs(crk - cr0));
      worstLuma = Math.max(worstLuma, Math.abs(yk - yd));
    }
    expect(worstChroma).toBeLessThan(1e-4); // Float32 rounding of values up to 255 (measured 8e-6)
    expect(worstLuma).toBeLessThan(1e-4); // measured 1.5e-5
    // The test means something: the plain dream does move the chroma, and the luminance.
    expect(plainChroma).toBeGreaterThan(2); // measured 3.9 (|ΔCb| + |ΔCr|, mean)
    expect(lumaChange).toBeGreaterThan(2); // measured 4.0
    expect(clips).toBeLessThan(0.05 * pixels); // measured: 0.4% of the pixels touch 0 or 255
  });

  it("refuses a value that is not true or false", async () => {
    await expect(dream(photo, opts({ originalColors: "yes" as unknown as boolean }))).rejects.toThrow(
      new OptionError("originalColors must be true or false, got yes"),
    );
  });
});
