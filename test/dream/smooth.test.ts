// The Gaussian cascade (src/dream/smooth.ts): the separable kernel against its 2-D naive twin,
// the reflect border, pytorch-deepdream's σ schedule, and numbers from PyTorch.
import { describe, expect, it } from "vitest";
import { cascadeSigma, gaussianTaps, reflectIndex, smoothCascade, smoothCascadeNaive } from "../../src/dream/smooth.js";
import { random } from "../random.js";

describe("reflectIndex", () => {
  it("reflects about the end pixels, as PyTorch's pad mode 'reflect', folding again when far out", () => {
    expect([-3, -2, -1, 0, 1, 2, 3, 4, 5, 6].map((i) => reflectIndex(i, 4))).toEqual([3, 2, 1, 0, 1, 2, 3, 2, 1, 0]);
    expect([-9, 7, 12].map((i) => reflectIndex(i, 4))).toEqual([3, 1, 0]);
    expect([-2, 0, 5].map((i) => reflectIndex(i, 1))).toEqual([0, 0, 0]);
    expect([-1, 2, 3].map((i) => reflectIndex(i, 2))).toEqual([1, 0, 1]);
  });
});

describe("gaussianTaps and cascadeSigma", () => {
  it("gives normalized taps out to 3 standard deviations", () => {
    const taps = gaussianTaps(2);
    expect(taps.length).toBe(13);
    expect(taps.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
    expect(taps[7]! / taps[6]!).toBeCloseTo(Math.exp(-1 / 8), 12);
    expect(gaussianTaps(0.1).length).toBe(3);
    expect(() => gaussianTaps(0)).toThrow(/positive standard deviation/);
  });
  it("grows σ over the octave's steps as pytorch-deepdream: σ₀ + 2(t + 1)/T", () => {
    expect([0, 4, 9].map((t) => cascadeSigma(0.5, t, 10))).toEqual([0.7, 1.5, 2.5]);
  });
});

describe("smoothCascade", () => {
  for (const [H, W, sigma] of [
    [1, 1, 1],
    [1, 5, 0.7],
    [2, 3, 1.5],
    [7, 5, 0.5],
    [9, 16, 2.5],
    [33, 17, 1.2],
  ] as const) {
    it(`matches the 2-D naive twin at ${H}×${W}, σ ${sigma}`, () => {
      const g = random(3 * H * W, H * 31 + W, Float32Array);
      const expected = smoothCascadeNaive(g, 3, H, W, sigma);
      smoothCascade(g, 3, H, W, sigma);
      expect(g).toBeAllClose(expected, { rtol: 1e-5, atol: 1e-6 });
    });
  }

  it("keeps a constant (the taps sum to 1, the border reflects)", () => {
    const g = new Float32Array(2 * 6 * 8).fill(3);
    smoothCascade(g, 2, 6, 8, 1.5);
    expect(g).toBeAllClose(new Float32Array(g.length).fill(3), { atol: 1e-6 });
  });

  it("gives the numbers of PyTorch's reflect padding and conv2d (7×6, σ 0.8)", () => {
    // From PyTorch 1.13 in Float64: for each s in (0.4, 0.8, 1.6), F.pad(g, r, mode="reflect")
    // with r = ceil(3s) and F.conv2d by the outer product of the normalized taps; the three
    // averaged. g[y, x] = sin(0.9y) + cos(1.3x + 0.2y²), one plane.
    const H = 7,
      W = 6;
    const g = new Float32Array(H * W);
    for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) g[y * W + x] = Math.sin(0.9 * y) + Math.cos(1.3 * x + 0.2 * y * y);
    smoothCascade(g, 1, H, W, 0.8);
    expect([0, 5, 13, 20, 29, 41].map((i) => g[i]!)).toBeAllClose(PYTORCH_SMOOTH, { rtol: 1e-5, atol: 2e-6 });
  });
});

const PYTORCH_SMOOTH = [0.809634, 0.981555, 0.411552, 0.157821, -0.696276, -0.533825];
