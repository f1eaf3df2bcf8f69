// The picture priors (src/dream/regularizers.ts): values by hand, gradients by Float64 central
// differences on small awkward shapes.
import { describe, expect, it } from "vitest";
import { pixelL2, pixelL2Backward, squaredTotalVariation, squaredTotalVariationBackward } from "../../src/dream/regularizers.js";
import { random } from "../random.js";

/** Central differences of f at x, in Float64: (f(x + h e_i) − f(x − h e_i)) / 2h for every i. */
function numericGradient(f: (x: Float64Array) => number, x: Float64Array, h = 1e-5): Float64Array {
  const g = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const v = x[i]!;
    x[i] = v + h;
    const up = f(x);
    x[i] = v - h;
    const down = f(x);
    x[i] = v;
    g[i] = (up - down) / (2 * h);
  }
  return g;
}

describe("squared total variation", () => {
  it("is ½ Σ of the squared neighbour differences, inside the picture only", () => {
    // One plane 2×3: [1 2 4; 1 5 4]. Horizontal: 1, 4, 16, 1 → 22; vertical: 0, 9, 0 → 9; ½ · 31.
    expect(squaredTotalVariation(Float64Array.from([1, 2, 4, 1, 5, 4]), 1, 2, 3)).toBe(15.5);
    expect(squaredTotalVariation(new Float64Array(3 * 4 * 5).fill(7), 3, 4, 5)).toBe(0);
    expect(squaredTotalVariation(Float64Array.from([3]), 1, 1, 1)).toBe(0);
  });

  for (const [C, H, W] of [
    [1, 1, 1],
    [1, 1, 6],
    [3, 5, 4],
    [2, 7, 1],
  ] as const) {
    it(`has the gradient of its central differences at ${C}×${H}×${W} (Float64)`, () => {
      const x = random(C * H * W, C + H * W, Float64Array, [-3, 3]);
      const expected = numericGradient((v) => squaredTotalVariation(v, C, H, W), x);
      const dx = new Float64Array(x.length).fill(0.25); // it accumulates
      squaredTotalVariationBackward(dx, x, C, H, W, -2);
      expect(dx).toBeAllClose(
        expected.map((g) => 0.25 - 2 * g),
        { rtol: 1e-7, atol: 1e-7 },
      );
    });
  }
});

describe("pixel L2", () => {
  it("is ½ Σ (x − centre_c)², each plane with its own centre", () => {
    expect(pixelL2(Float64Array.from([1, 3, 10, 12]), 2, 2, [2, 10])).toBe(3);
  });

  it("has the gradient of its central differences (Float64)", () => {
    const [C, H, W] = [3, 4, 7];
    const centre = [23.5, 10.7, 4.2];
    const x = random(C * H * W, 11, Float64Array, [-100, 150]);
    const expected = numericGradient((v) => pixelL2(v, C, H * W, centre), x);
    const dx = new Float64Array(x.length);
    pixelL2Backward(dx, x, C, H * W, centre, 0.5);
    expect(dx).toBeAllClose(
      expected.map((g) => 0.5 * g),
      { rtol: 1e-7, atol: 1e-6 },
    );
  });
});
