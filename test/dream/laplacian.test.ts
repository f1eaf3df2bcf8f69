// The Laplacian-pyramid normalization (src/dream/laplacian.ts): the separable kernels against
// their 5×5 naive twins on awkward sizes, U = 4·Dᵀ as an adjoint identity, and numbers from an
// independent implementation.
import { describe, expect, it } from "vitest";
import {
  downsample,
  downsampleNaive,
  halfSize,
  laplacianNormalize,
  laplacianNormalizeNaive,
  upsampleAdd,
  upsampleNaive,
} from "../../src/dream/laplacian.js";
import { random } from "../random.js";

const SIZES = [
  [1, 1],
  [1, 2],
  [2, 1],
  [2, 2],
  [3, 3],
  [7, 5],
  [4, 9],
  [63, 65],
  [64, 10],
] as const;

const dot = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
};

describe("downsample and upsampleAdd", () => {
  for (const [H, W] of SIZES) {
    it(`match the 5×5 naive twins at ${H}×${W}`, () => {
      const x = random(3 * H * W, H * 100 + W, Float32Array);
      const lo = new Float32Array(3 * halfSize(H) * halfSize(W));
      downsample(lo, x, 3, H, W);
      expect(lo).toBeAllClose(downsampleNaive(x, 3, H, W), { atol: 1e-6 });
      const base = random(3 * H * W, 7 + H, Float32Array);
      const up = base.slice();
      upsampleAdd(up, lo, 3, H, W, 1);
      const expected = upsampleNaive(lo, 3, H, W).map((v, i) => v + base[i]!);
      expect(up).toBeAllClose(expected, { atol: 1e-6 });
      const down = base.slice();
      upsampleAdd(down, lo, 3, H, W, -1);
      expect(down).toBeAllClose(
        base.map((v, i) => v - (expected[i]! - v)),
        { atol: 1e-6 },
      );
    });

    it(`U is 4·Dᵀ: ⟨D x, y⟩ · 4 = ⟨x, U y⟩ at ${H}×${W}`, () => {
      const x = random(3 * H * W, 1 + H * W, Float64Array);
      const y = random(3 * halfSize(H) * halfSize(W), 2 + H * W, Float64Array);
      const dx = downsampleNaive(Float32Array.from(x), 3, H, W);
      const uy = new Float32Array(3 * H * W);
      upsampleAdd(uy, Float32Array.from(y), 3, H, W, 1);
      const lhs = 4 * dot(dx, y),
        rhs = dot(x, uy);
      expect(Math.abs(lhs - rhs)).toBeLessThan(1e-5 * (1 + Math.abs(lhs)));
    });
  }

  it("passes a constant through at unit gain away from the zero border", () => {
    const H = 16,
      W = 16;
    const lo = new Float32Array(halfSize(H) * halfSize(W));
    downsample(lo, new Float32Array(H * W).fill(1), 1, H, W);
    expect(lo[3 * 8 + 4]).toBeCloseTo(1, 6); // an inner sample sees all 25 taps: Σ K = 1
    expect(lo[0]).toBeCloseTo((15 / 16) ** 2, 6); // the first sees 1 zero row and column: 1 − 1/16 per axis
    const up = new Float32Array(H * W);
    upsampleAdd(up, new Float32Array(lo.length).fill(1), 1, H, W, 1);
    expect(up[8 * W + 8]).toBeCloseTo(1, 6); // 4 · (even taps or odd taps, each summing to ½ per axis)
  });
});

describe("laplacianNormalize", () => {
  for (const [H, W, levels] of [
    [1, 1, 1],
    [2, 3, 2],
    [7, 5, 3],
    [5, 3, 8],
    [63, 65, 4],
    [64, 10, 5],
    [33, 17, 8],
  ] as const) {
    it(`matches the notebook-shaped naive twin at ${H}×${W} with ${levels} level(s)`, () => {
      const g = random(3 * H * W, H + W + levels, Float32Array);
      const expected = laplacianNormalizeNaive(g, 3, H, W, levels);
      const fast = g.slice();
      laplacianNormalize(fast, 3, H, W, levels);
      expect(fast).toBeAllClose(expected, { rtol: 1e-4, atol: 1e-5 });
    });
  }

  it("gives the numbers of an independent PyTorch implementation (11×6, 3 levels)", () => {
    // From PyTorch 1.13 in Float64: D as F.conv2d at stride 2 after F.pad with TensorFlow's
    // 'SAME' zeros, U as autograd's transpose of it times 4, the bands as the notebook's
    // lap_split_n / normalize_std / lap_merge. g[c, y, x] = sin(0.7(c+1)y + 0.3x) + ½cos(1.9xy + c).
    const H = 11,
      W = 6;
    const g = new Float32Array(3 * H * W);
    for (let c = 0; c < 3; c++) {
      for (let y = 0; y < H; y++)
        for (let x = 0; x < W; x++) g[(c * H + y) * W + x] = Math.sin(0.7 * (c + 1) * y + 0.3 * x) + 0.5 * Math.cos(1.9 * x * y + c);
    }
    laplacianNormalize(g, 3, H, W, 3);
    const at = [0, 5, 17, 40, 66, 100, 150, 197].map((i) => g[i]!);
    expect(at).toBeAllClose([1.577657, 3.427607, 2.168649, -1.756955, 0.906722, 2.362176, -0.199732, -1.388757], {
      rtol: 1e-5,
      atol: 2e-6,
    });
  });

  it("leaves a zero gradient zero (the RMS floor of 1e-10), with no NaN", () => {
    const g = new Float32Array(3 * 9 * 11);
    laplacianNormalize(g, 3, 9, 11, 4);
    expect(g.every((v) => v === 0)).toBe(true);
  });

  it("refuses levels outside 1–8", () => {
    for (const levels of [0, 9, 1.5, Number.NaN]) {
      expect(() => laplacianNormalize(new Float32Array(12), 3, 2, 2, levels)).toThrow(
        /laplacian levels must be a whole number from 1 to 8/,
      );
    }
  });
});
