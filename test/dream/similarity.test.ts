import { describe, expect, it } from "vitest";
import {
  isIdentity,
  similarityBackward,
  similarityBackwardNaive,
  similarityForward,
  similarityForwardNaive,
  similarityMatrixNaive,
  type Similarity,
} from "../../src/dream/similarity.js";
import { random } from "../random.js";

// [C, H, W]: one pixel, odd and even sides, non-square, a wide row.
const shapes: Array<[number, number, number]> = [
  [1, 1, 1],
  [2, 5, 7],
  [3, 8, 6],
  [1, 9, 13],
  [1, 4, 17],
];
const transforms: Similarity[] = [
  { scale: 1, degrees: 0 },
  { scale: 1.3, degrees: 0 },
  { scale: 0.7, degrees: 0 },
  { scale: 1, degrees: 90 },
  { scale: 1, degrees: -180 },
  { scale: 1.1, degrees: 17 },
  { scale: 0.8, degrees: -33 },
  { scale: 2.5, degrees: 151 },
];

const dot = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
};

describe("similarityForward / similarityBackward", () => {
  for (const [C, H, W] of shapes) {
    for (const t of transforms) {
      const name = `${C}×${H}×${W}, scale ${t.scale}, ${t.degrees}°`;

      it(`match their naive twins (the matrix entry by entry): ${name}`, () => {
        const n = C * H * W;
        const x = random(n, 1, Float64Array);
        const out = random(n, 9, Float64Array),
          ref = new Float64Array(n); // garbage must be overwritten
        similarityForward(out, x, C, H, W, t);
        similarityForwardNaive(ref, x, C, H, W, t);
        expect(out).toBeAllClose(ref, { rtol: 1e-13, atol: 1e-13 });

        const dy = random(n, 2, Float64Array);
        const dx = random(n, 3, Float64Array),
          dxRef = dx.slice(); // both accumulate
        similarityBackward(dx, dy, C, H, W, t);
        similarityBackwardNaive(dxRef, dy, C, H, W, t);
        expect(dx).toBeAllClose(dxRef, { rtol: 1e-13, atol: 1e-13 });
      });

      it(`satisfy the adjoint identity ⟨A x, y⟩ = ⟨x, Aᵀ y⟩ in Float64: ${name}`, () => {
        const n = C * H * W;
        const x = random(n, 4, Float64Array),
          y = random(n, 5, Float64Array);
        const ax = similarityForward(new Float64Array(n), x, C, H, W, t);
        const aty = similarityBackward(new Float64Array(n), y, C, H, W, t);
        const lhs = dot(ax, y),
          rhs = dot(x, aty);
        expect(Math.abs(lhs - rhs)).toBeLessThan(1e-13 * Math.max(1, Math.abs(lhs)) * Math.sqrt(n));
      });
    }
  }

  it("the identity is an exact copy, forward and backward, in Float32", () => {
    const [C, H, W] = [3, 64, 65];
    const x = random(C * H * W, 6, Float32Array, [-120, 150]);
    for (const t of [
      { scale: 1, degrees: 0 },
      { scale: 1, degrees: 360 },
      { scale: 1, degrees: -720 },
    ]) {
      expect(isIdentity(t)).toBe(true);
      expect(similarityForward(new Float32Array(x.length), x, C, H, W, t)).toEqual(x);
      expect(similarityBackward(new Float32Array(x.length), x, C, H, W, t)).toEqual(x);
    }
    expect(isIdentity({ scale: 1.01, degrees: 0 })).toBe(false);
    expect(isIdentity({ scale: 1, degrees: 1 })).toBe(false);
  });

  it("turns counter-clockwise on screen: a quarter turn of a square is an exact permutation", () => {
    const [H, W] = [5, 5];
    const x = random(H * W, 7, Float32Array);
    const out = similarityForward(new Float32Array(H * W), x, 1, H, W, { scale: 1, degrees: 90 });
    // Counter-clockwise with y down: what was right of the centre is now above it. Output
    // (y, x) reads input row x, column W − 1 − y: the output's top row is the input's right
    // column, read top to bottom.
    for (let y = 0; y < H; y++) {
      for (let xx = 0; xx < W; xx++) expect(out[y * W + xx]).toBe(x[xx * W + (W - 1 - y)]);
    }
    // The same for the naive matrix, up to cos 90° = 6e-17.
    const A = similarityMatrixNaive(H, W, { scale: 1, degrees: 90 });
    const right = 2 * W + 4; // (y, x) = (2, 4): right of the centre (2, 2)
    const top = 0 * W + 2; // (0, 2): above it
    expect(A[top * H * W + right]).toBeCloseTo(1, 12);
  });

  it("a half turn of an even-sized picture mirrors both axes exactly", () => {
    const [C, H, W] = [2, 4, 6];
    const x = random(C * H * W, 8, Float32Array);
    const out = similarityForward(new Float32Array(x.length), x, C, H, W, { scale: 1, degrees: 180 });
    for (let c = 0; c < C; c++) {
      for (let y = 0; y < H; y++) {
        for (let xx = 0; xx < W; xx++) expect(out[(c * H + y) * W + xx]).toBe(x[(c * H + H - 1 - y) * W + W - 1 - xx]);
      }
    }
  });

  it("reads 0 outside the picture: shrinking leaves a zero rim, enlarging keeps the centre", () => {
    const [H, W] = [9, 9];
    const ones = new Float64Array(H * W).fill(1);
    const small = similarityForward(new Float64Array(H * W), ones, 1, H, W, { scale: 0.5, degrees: 0 });
    // Output (0, 0) reads the point c + (−4, −4)/0.5 = (−4, −4): outside, so 0; the centre reads 1.
    expect(small[0]).toBe(0);
    expect(small[4 * W + 4]).toBe(1);
    // A constant picture enlarged stays constant (every sample inside, weights sum to 1).
    const big = similarityForward(new Float64Array(H * W), ones, 1, H, W, { scale: 1.7, degrees: 23 });
    expect(big).toBeAllClose(ones, { rtol: 0, atol: 1e-14 });
    // And its adjoint sends nothing to the rim that the enlarged view does not show.
    const back = similarityBackward(new Float64Array(H * W), ones, 1, H, W, { scale: 2, degrees: 0 });
    expect(back[0]).toBe(0);
    expect(back[4 * W + 4]).toBeGreaterThan(0);
  });

  it("match the twins in Float32 on a picture-like size", () => {
    const [C, H, W] = [3, 21, 34];
    const t = { scale: 1.04, degrees: -4.5 };
    const x = random(C * H * W, 10, Float32Array, [-120, 150]);
    const out = similarityForward(new Float32Array(x.length), x, C, H, W, t);
    const ref = similarityForwardNaive(new Float32Array(x.length), x, C, H, W, t);
    expect(out).toBeAllClose(ref, { rtol: 1e-6, atol: 1e-4 });
    const back = similarityBackward(new Float32Array(x.length), x, C, H, W, t);
    const backRef = similarityBackwardNaive(new Float32Array(x.length), x, C, H, W, t);
    expect(back).toBeAllClose(backRef, { rtol: 1e-6, atol: 1e-4 });
  });

  it("refuses bad sizes, in place and bad transforms", () => {
    const x = new Float32Array(12);
    expect(() => similarityForward(new Float32Array(11), x, 1, 3, 4, { scale: 1, degrees: 0 })).toThrow(/C×H×W = 1×3×4 = 12/);
    expect(() => similarityForward(x, x, 1, 3, 4, { scale: 1, degrees: 0 })).toThrow(/must not be the input/);
    expect(() => similarityBackward(new Float32Array(12), x, 1, 3, 4, { scale: 0, degrees: 0 })).toThrow(/scale must be a positive number/);
    expect(() => similarityForward(new Float32Array(12), x, 1, 3, 4, { scale: 1, degrees: Number.NaN })).toThrow(/degrees finite/);
  });
});
