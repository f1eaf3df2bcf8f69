// Gradient shaping in the dream (src/dream/shaping.ts): each option moves the result the way it
// is meant to, tiling still agrees with the whole picture, bad values are refused, and a dream
// without the options is the picture it was before they existed.
import { createHash } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import "../../src/threads/node-host.js";
import { dream, type DreamOptions } from "../../src/dream/dream.js";
import { estimateDreamMemory } from "../../src/dream/memory.js";
import { SHAPING_COPIES } from "../../src/dream/shaping.js";
import type { RgbImage } from "../../src/io/image/image.js";
import { gemmBackend, setGemmBackend } from "../../src/layers/gemm.js";
import { convAlgorithm, setConvAlgorithm } from "../../src/layers/winograd.js";
import { loadGoogLeNet } from "../../src/models/load.js";
import type { CaffeNet } from "../../src/models/net.js";
import { shutdownThreads } from "../../src/threads/pool.js";
import { fishBike } from "./photos.js";
import { distanceFromGrey, highFrequencyShare, totalVariation } from "./spectrum.js";

let net: CaffeNet;
let photo: RgbImage; // fish-bike.jpg at 320×214
let small: RgbImage; // at 112×75

beforeAll(async () => {
  net = await loadGoogLeNet();
  ({ photo, small } = await fishBike());
});

afterAll(() => shutdownThreads());

const quick = (extra: Partial<DreamOptions>): DreamOptions => ({
  model: net,
  layer: "inception_3a/output",
  octaves: 2,
  iterations: 3,
  threads: 1,
  ...extra,
});

describe("a dream without shaping options", () => {
  it("is, byte for byte, the picture it was before they existed (JS GEMM, im2col, 1 thread)", async () => {
    // The hash was taken on main at e0c388a, before gradient shaping; pinning the GEMM and the
    // convolution algorithm makes it the same on every machine and in every forced-path run.
    const [gemm, conv] = [gemmBackend(), convAlgorithm()];
    setGemmBackend("js");
    setConvAlgorithm("im2col");
    try {
      const out = await dream(small, quick({ seed: 5 }));
      expect(createHash("sha256").update(out.data).digest("hex")).toBe(BEFORE_SHAPING);
    } finally {
      setGemmBackend(gemm);
      setConvAlgorithm(conv);
    }
  });
});

describe("gradient shaping", () => {
  // The change's spectrum above a quarter of Nyquist, as MEASUREMENTS.md measured it for the
  // TF notebook's Laplacian normalization (there 0.79 → 0.43 at inception_4c on 320×240).
  const QUARTER_NYQUIST = 0.125;
  let plain: RgbImage;
  beforeAll(async () => {
    plain = await dream(small, quick({ seed: 1 }));
  });

  it("laplacian moves the change's energy toward low frequencies", async () => {
    const out = await dream(small, quick({ seed: 1, laplacian: 4 }));
    const [before, after] = [highFrequencyShare(small, plain, QUARTER_NYQUIST), highFrequencyShare(small, out, QUARTER_NYQUIST)];
    // Measured: 0.62 → 0.14 (2 octaves × 3 steps at inception_3a, 112×75).
    expect(before).toBeGreaterThan(0.4);
    expect(after).toBeLessThan(0.5 * before);
  });

  it("smooth lowers the change's high-frequency energy", async () => {
    const out = await dream(small, quick({ seed: 1, smooth: 0.5 }));
    // Measured: 0.62 → 0.14.
    expect(highFrequencyShare(small, out, QUARTER_NYQUIST)).toBeLessThan(0.5 * highFrequencyShare(small, plain, QUARTER_NYQUIST));
  });

  it("tv lowers the picture's total variation", async () => {
    const out = await dream(small, quick({ seed: 1, tv: 10 }));
    // Measured: Σ|dx| + |dy| per pixel 58.8 plain, 43.9 with tv 10 (the photo itself: 50.5).
    expect(totalVariation(out)).toBeLessThan(0.85 * totalVariation(plain));
  });

  it("pixelL2 lowers the distance from mid-grey", async () => {
    const out = await dream(small, quick({ seed: 1, pixelL2: 10 }));
    // Measured: RMS distance from 127.5 59.1 plain, 50.6 with pixelL2 10 (the photo: 58.7).
    expect(distanceFromGrey(out)).toBeLessThan(0.9 * distanceFromGrey(plain));
  });

  it("reports the loss with the regularizers subtracted: L_net − tv·½Σ(dx² + dy²) − pixelL2·½Σ(p − 127.5)²", async () => {
    // One step on one octave: the picture is the photo itself, so the priors are computed on its pixels here.
    const losses: number[] = [];
    const once = (extra: Partial<DreamOptions>): Promise<RgbImage> =>
      dream(small, quick({ octaves: 1, iterations: 1, ...extra, onProgress: (p) => losses.push(p.loss) }));
    await once({});
    await once({ tv: 0.5, pixelL2: 0.25 });
    const { width: W, height: H, data } = small;
    let tv = 0,
      grey = 0;
    for (let y = 0; y < H; y++) {
      for (let x = 0; x < W; x++) {
        for (let c = 0; c < 3; c++) {
          const v = data[3 * (y * W + x) + c]!;
          if (x + 1 < W) tv += (data[3 * (y * W + x + 1) + c]! - v) ** 2 / 2;
          if (y + 1 < H) tv += (data[3 * ((y + 1) * W + x) + c]! - v) ** 2 / 2;
          grey += (v - 127.5) ** 2 / 2;
        }
      }
    }
    const [net0, regularized] = losses as [number, number];
    expect(regularized - net0).toBeCloseTo(-(0.5 * tv + 0.25 * grey), 0);
    expect(Math.abs(regularized - net0)).toBeGreaterThan(1e5); // not a vacuous difference
  });

  it("weights of 0 are the plain dream, bit for bit", async () => {
    const zero = await dream(small, quick({ seed: 1, tv: 0, pixelL2: 0 }));
    expect(Buffer.from(zero.data.buffer).equals(Buffer.from(plain.data.buffer))).toBe(true);
  });

  it("with laplacian, tiles give a result as close to the untiled one as without", async () => {
    const whole = await dream(photo, quick({ octaves: 1, iterations: 2, laplacian: 4 }));
    const tiled = await dream(photo, quick({ octaves: 1, iterations: 2, laplacian: 4, tile: 160 }));
    let diff = 0,
      change = 0;
    for (let i = 0; i < whole.data.length; i++) {
      diff += Math.abs(whole.data[i]! - tiled.data[i]!);
      change += Math.abs(whole.data[i]! - photo.data[i]!);
    }
    expect(change / whole.data.length).toBeGreaterThan(1); // the dream did change the picture
    expect(diff / change).toBeLessThan(0.02); // the tolerance of the plain tiled dream (dream.test.ts)
  });

  it("counts its scratch copies of the picture in the memory estimate", async () => {
    const layers = ["inception_3a/output"];
    const plainBytes = estimateDreamMemory(net, layers, small.height, small.width).bytes;
    const shaped = estimateDreamMemory(net, layers, small.height, small.width, { extraCopies: SHAPING_COPIES });
    expect(shaped.bytes - plainBytes).toBe(SHAPING_COPIES * 12 * small.width * small.height);
    // A budget the plain dream fits exactly refuses the shaped one (too small a picture to tile).
    const budget = quick({ octaves: 1, iterations: 1, maxMemory: plainBytes });
    await expect(dream(small, budget)).resolves.toMatchObject({ width: small.width });
    await expect(dream(small, { ...budget, smooth: 0.5 })).rejects.toThrow(/^this dream would need about /);
  });

  it("refuses bad values with one-line messages", async () => {
    const refuses = async (extra: Record<string, unknown>, message: RegExp): Promise<void> => {
      const run = dream(small, quick(extra as Partial<DreamOptions>));
      await expect(run).rejects.toThrow(message);
      await expect(run).rejects.toMatchObject({ name: "OptionError", message: expect.not.stringMatching(/\n/) });
    };
    for (const levels of [0, 9, 2.5, Number.NaN, "4"]) {
      await refuses({ laplacian: levels }, /^laplacian must be a whole number of levels from 1 to 8 \(the notebook uses 4\), got /);
    }
    await refuses({ laplacian: "4" }, /got "4"$/);
    for (const sigma of [0, -1, 20.5, 1e11, Number.NaN, Number.POSITIVE_INFINITY]) {
      await refuses({ smooth: sigma }, /^smooth must be a positive number of pixels up to 20 \(pytorch-deepdream uses 0.5\), got /);
    }
    await refuses({ tv: -1 }, /^tv must be a weight of 0 or more, got -1$/);
    await refuses({ tv: Number.NaN }, /^tv must be a weight of 0 or more, got NaN$/);
    await refuses({ pixelL2: -0.5 }, /^pixelL2 must be a weight of 0 or more, got -0.5$/);
  });
});

const BEFORE_SHAPING = "e77d69f2c9c2ad84d6329ee28ff4537b2d6b64c3af4d5e9167a7e046e85883c2";
