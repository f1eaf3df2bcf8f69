import { describe, expect, it } from "vitest";
import { rollPlanes } from "../../src/dream/roll.js";
import { fillUniform } from "../../src/tensor/random.js";

describe("rollPlanes", () => {
  const [C, H, W] = [2, 5, 7];
  const src = fillUniform(new Float32Array(C * H * W), 3);

  for (const [dy, dx] of [
    [0, 0],
    [1, 2],
    [-3, 4],
    [5, -7],
    [12, -15],
  ] as const) {
    it(`moves (y, x) to ((y + ${dy}) mod H, (x + ${dx}) mod W), and back`, () => {
      const out = rollPlanes(src, C, H, W, dy, dx, new Float32Array(src.length));
      const mod = (a: number, n: number): number => ((a % n) + n) % n;
      for (let c = 0; c < C; c++) {
        for (let y = 0; y < H; y++) {
          for (let x = 0; x < W; x++) {
            expect(out[(c * H + mod(y + dy, H)) * W + mod(x + dx, W)]).toBe(src[(c * H + y) * W + x]);
          }
        }
      }
      expect(rollPlanes(out, C, H, W, -dy, -dx, new Float32Array(src.length))).toEqual(src);
    });
  }

  it("refuses to roll in place", () => {
    expect(() => rollPlanes(src, C, H, W, 1, 1, src)).toThrow(/out must not be src/);
  });
});
