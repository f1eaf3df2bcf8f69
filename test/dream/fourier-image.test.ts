// The Fourier parameterization of visualize: its whole backward (net input → sigmoid → colour →
// irfft2 → frequency scale → parameters) against central differences in Float64, and the facts
// its header states.
import { describe, expect, it } from "vitest";
import { halfWidth, rfft2 } from "../../src/dream/fft.js";
import {
  COLOR_MATRIX,
  createFourierImage,
  fourierImageBackward,
  fourierImageForward,
  fourierImagePicture,
  frequencyScale,
} from "../../src/dream/fourier-image.js";
import { IMAGENET_MEAN_BGR } from "../../src/models/net.js";
import { fillUniform, mulberry32 } from "../../src/tensor/random.js";

const MEAN = IMAGENET_MEAN_BGR;

describe("fourier image", () => {
  for (const [h, w] of [
    [6, 7],
    [8, 8],
    [5, 12],
  ] as const) {
    it(`has the gradient of central differences in Float64 at ${h}×${w}`, () => {
      // Large parameters, so the sigmoid is far from linear and every stage's derivative counts.
      const p = createFourierImage(h, w, mulberry32(h * w), 0.01);
      for (let i = 0; i < p.params.length; i++) p.params[i]! *= 150;
      const weights = fillUniform(new Float64Array(3 * h * w), 9); // L = Σ weights · x
      const loss = (): number => {
        const x = new Float64Array(3 * h * w);
        fourierImageForward(x, p, MEAN);
        return x.reduce((sum, v, i) => sum + v * weights[i]!, 0);
      };
      const x = new Float64Array(3 * h * w);
      const s = fourierImageForward(x, p, MEAN);
      expect(Math.min(...s)).toBeLessThan(0.2); // the sigmoid is used well away from 0.5
      expect(Math.max(...s)).toBeGreaterThan(0.8);
      const grad = new Float64Array(p.params.length);
      fourierImageBackward(grad, weights, s, p);
      let worst = 0;
      for (let i = 0; i < p.params.length; i++) {
        const keep = p.params[i]!;
        const eps = 1e-6;
        p.params[i] = keep + eps;
        const up = loss();
        p.params[i] = keep - eps;
        const down = loss();
        p.params[i] = keep;
        const numeric = (up - down) / (2 * eps);
        worst = Math.max(worst, Math.abs(numeric - grad[i]!) / Math.max(1, Math.abs(numeric)));
      }
      expect(worst).toBeLessThan(1e-6);
      // Not a vacuous match: some gradients are large.
      expect(Math.max(...grad.map(Math.abs))).toBeGreaterThan(1);
    });
  }

  it("gives every pixel a valid value, BGR minus the mean, and the picture in RGB", () => {
    const p = createFourierImage(9, 10, mulberry32(1), 0.01);
    for (let i = 0; i < p.params.length; i++) p.params[i]! *= 500; // saturating
    const x = new Float32Array(3 * 90);
    const s = fourierImageForward(x, p, MEAN);
    for (let c = 0; c < 3; c++) {
      for (let i = 0; i < 90; i++) {
        expect(x[c * 90 + i]).toBeGreaterThanOrEqual(-MEAN[c]!);
        expect(x[c * 90 + i]).toBeLessThanOrEqual(255 - MEAN[c]!);
      }
    }
    const picture = fourierImagePicture(s, 9, 10);
    // Pixel 17's red is the input's plane 2 (R) plus its mean.
    expect(picture.data[3 * 17]).toBeCloseTo(x[2 * 90 + 17]! + MEAN[2]!, 3);
    expect(picture.data[3 * 17 + 2]).toBeCloseTo(x[17]! + MEAN[0]!, 3);
  });

  it("starts near mid-grey: N(0, 0.01²) parameters give pixels within a few levels of 127.5", () => {
    const p = createFourierImage(64, 64, mulberry32(3));
    const x = new Float32Array(3 * 64 * 64);
    const s = fourierImageForward(x, p, MEAN);
    for (const v of s) expect(Math.abs(255 * v - 127.5)).toBeLessThan(20);
  });

  it("scales the spectrum by 1/f, so white parameters make a picture whose energy is equal per octave of frequency", () => {
    const scale = frequencyScale(8, 8);
    const hw = halfWidth(8);
    expect(scale[0]).toBeCloseTo(8 * 8, 9); // DC gets the floor 1/max(H, W): √64 · 8
    expect(scale[1]).toBeCloseTo(8 * 8, 9); // fx = 1/8
    expect(scale[2]).toBeCloseTo(8 * 4, 9); // fx = 2/8
    expect(scale[hw * 7]).toBeCloseTo(8 * 8, 9); // fy = −1/8
    expect(scale[hw * 4 + 4]).toBeCloseTo(8 / Math.hypot(0.5, 0.5), 9);
    // Amplitude ∝ 1/f: |F|²·f² is flat. Check it on a 64×64 picture's spectrum, averaged over rings.
    const n = 64,
      p = createFourierImage(n, n, mulberry32(4));
    const z = new Float64Array(3 * n * n);
    const s = fourierImageForward(z, p, [0, 0, 0]);
    const logit = s.subarray(0, n * n).map((v) => Math.log(v / (1 - v))); // the red plane's l
    const f = { re: new Float64Array(n * halfWidth(n)), im: new Float64Array(n * halfWidth(n)) };
    rfft2(f, logit, n, n);
    const ring = (lo: number, hi: number): number => {
      let sum = 0,
        count = 0;
      for (let ky = 0; ky < n; ky++) {
        for (let kx = 0; kx < halfWidth(n); kx++) {
          const freq = Math.hypot((ky < n / 2 ? ky : ky - n) / n, kx / n);
          if (freq >= lo && freq < hi) {
            sum += (f.re[ky * halfWidth(n) + kx]! ** 2 + f.im[ky * halfWidth(n) + kx]! ** 2) * freq * freq;
            count++;
          }
        }
      }
      return sum / count;
    };
    const low = ring(0.05, 0.1),
      high = ring(0.25, 0.5);
    expect(low / high).toBeGreaterThan(0.7);
    expect(low / high).toBeLessThan(1.4);
  });

  it("decorrelates colours with Lucid's ImageNet matrix: C·Cᵀ has the covariance the header quotes", () => {
    const M = COLOR_MATRIX;
    // The brightness direction (first column) has norm 1 after normalizing.
    expect(Math.hypot(M[0]!, M[3]!, M[6]!)).toBeCloseTo(1, 12);
    const C = M.map((v) => v * 0.46195238);
    const cov = (i: number, j: number): number => C[3 * i]! * C[3 * j]! + C[3 * i + 1]! * C[3 * j + 1]! + C[3 * i + 2]! * C[3 * j + 2]!;
    const sd = [0, 1, 2].map((i) => Math.sqrt(cov(i, i)));
    expect(sd.map((v) => v.toFixed(3))).toEqual(["0.276", "0.275", "0.286"]);
    expect((cov(0, 1) / (sd[0]! * sd[1]!)).toFixed(2)).toBe("0.91");
    expect((cov(1, 2) / (sd[1]! * sd[2]!)).toFixed(2)).toBe("0.91");
    expect((cov(0, 2) / (sd[0]! * sd[2]!)).toFixed(2)).toBe("0.79");
  });
});
