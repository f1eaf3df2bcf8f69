// zoomPlanes: the notebook pyramid's resampling, scipy.ndimage.zoom(order=1), against its naive
// twin and against values scipy itself computed.
import { describe, expect, it } from "vitest";
import { ImageError } from "../../../src/errors.js";
import { zoomPlanes, zoomPlanesNaive, zoomSize } from "../../../src/io/image/zoom-planes.js";
import { random } from "../../random.js";

describe("zoomPlanes against its naive twin", () => {
  // [C, H, W, OH, OW]: 1 and 2 pixels, odd sizes, enlarging, shrinking (by 1.4, the pyramid's
  // default, and by much more), mixed, sizes around 64.
  const shapes = [
    [1, 1, 1, 7, 3],
    [2, 7, 1, 1, 5],
    [1, 2, 2, 1, 1],
    [1, 2, 2, 5, 3],
    [3, 63, 65, 65, 63],
    [3, 65, 63, 46, 45],
    [1, 5, 7, 3, 2],
    [3, 13, 17, 40, 9],
    [1, 65, 3, 7, 64],
    [2, 9, 11, 9, 4],
    [1, 6, 1, 1, 1],
    [3, 3, 64, 3, 7],
  ];
  it.each(shapes)("C=%i %i×%i → %i×%i", (C, H, W, OH, OW) => {
    const src = random(C * H * W, H * 100 + W, Float32Array, [-120, 150]);
    const got = zoomPlanes(src, C, H, W, OH, OW);
    expect(got).toHaveLength(C * OH * OW);
    expect(got).toBeAllClose(zoomPlanesNaive(src, C, H, W, OH, OW), { rtol: 1e-5, atol: 1e-4 });
  });
});

describe("zoomPlanes against scipy", () => {
  // Computed on 2026-12-01 with scipy 1.10.1 (numpy 1.24.2), as the notebook calls it:
  //   a = np.float32((7*i) % 11 + 0.25*i).reshape(C, H, W) for i = 0, 1, …, C·H·W − 1
  //   scipy.ndimage.zoom(a, (1, OH/H, OW/W), order=1)           (printed as shortest float32)
  const cases: [number, number, number, number, number, number[]][] = [
    [
      2,
      3,
      4,
      5,
      7,
      [
        0, 3.625, 7.25, 5.375, 3.5, 7.125, 10.75, 3.5, 4.375, 5.25, 6.125, 7, 7.875, 8.75, 7, 5.125, 3.25, 6.875, 10.5, 8.625, 6.75, 5,
        5.875, 6.75, 7.625, 8.5, 6.625, 4.75, 3, 6.625, 10.25, 8.375, 6.5, 4.625, 2.75, 10, 8.125, 6.25, 9.875, 13.5, 11.625, 9.75, 8,
        8.875, 9.75, 10.625, 11.5, 9.625, 7.75, 6, 9.625, 13.25, 11.375, 9.5, 7.625, 5.75, 9.5, 10.375, 11.25, 9.375, 7.5, 8.375, 9.25, 13,
        11.125, 9.25, 7.375, 5.5, 9.125, 12.75,
      ],
    ],
    [2, 3, 4, 2, 3, [0, 5.375, 10.75, 3, 8.375, 2.75, 10, 9.875, 9.75, 13, 7.375, 12.75]],
    [1, 3, 4, 1, 1, [0]],
    [1, 3, 4, 1, 5, [0, 5.4375, 5.375, 5.3125, 10.75]],
    [1, 1, 2, 3, 5, [0, 1.8125, 3.625, 5.4375, 7.25, 0, 1.8125, 3.625, 5.4375, 7.25, 0, 1.8125, 3.625, 5.4375, 7.25]],
    [1, 2, 1, 1, 3, [0, 0, 0]],
    [
      1,
      7,
      10,
      5,
      7,
      [
        0, 5.375, 10.75, 5.125, 10.5, 4.875, 10.25, 9.75, 6.875, 9.5, 12.125, 9.25, 11.875, 9, 8.5, 13.875, 8.25, 13.625, 19, 13.375, 18.75,
        18.25, 15.375, 18, 15.125, 17.75, 20.375, 17.5, 17, 22.375, 16.75, 22.125, 16.5, 21.875, 27.25,
      ],
    ],
    [1, 5, 5, 9, 2, [0, 7, 1.625, 8.625, 3.25, 10.25, 4.875, 11.875, 6.5, 13.5, 8.125, 9.625, 9.75, 5.75, 11.375, 7.375, 13, 9]],
    [
      1,
      4,
      6,
      5,
      8,
      [
        0, 5.178571, 5.642857, 4.535714, 9.714286, 8.607142, 5.928571, 3.25, 7.875, 7.160714, 5.267857, 4.160714, 9.339286, 8.232142,
        5.553571, 2.875, 10.25, 7.571429, 7.25, 8.5, 9.75, 7.857143, 6.75, 8, 9.875, 7.196429, 9.232142, 12.839286, 10.160714, 7.482143,
        7.946429, 13.125, 9.5, 6.821429, 8.857142, 12.464286, 9.785714, 7.107143, 7.571429, 12.75,
      ],
    ],
    [1, 5, 7, 4, 3, [0, 10.75, 10.5, 9, 8.75, 8.5, 10.666667, 10.416667, 10.166667, 16, 15.75, 15.5]],
  ];
  it.each(cases)("C=%i %i×%i → %i×%i", (C, H, W, OH, OW, want) => {
    const src = Float32Array.from({ length: C * H * W }, (_, i) => ((7 * i) % 11) + 0.25 * i);
    expect(zoomPlanes(src, C, H, W, OH, OW)).toBeAllClose(want, { rtol: 1e-6, atol: 1e-5 });
  });
});

describe("zoomPlanes at the edges", () => {
  it("maps the corner pixels' centres onto each other: 2 → 5 is 0, ¼, ½, ¾, 1 of the way", () => {
    expect(zoomPlanes(new Float32Array([0, 10]), 1, 1, 2, 1, 5)).toEqual(new Float32Array([0, 2.5, 5, 7.5, 10]));
    expect(zoomPlanes(new Float32Array([0, 10]), 1, 2, 1, 5, 1)).toEqual(new Float32Array([0, 2.5, 5, 7.5, 10]));
  });

  it("handles 1-pixel dimensions both ways: 1 → n repeats, n → 1 takes the first pixel", () => {
    expect(zoomPlanes(new Float32Array([42]), 1, 1, 1, 3, 4)).toEqual(new Float32Array(12).fill(42));
    expect(zoomPlanes(new Float32Array([1, 2]), 2, 1, 1, 1, 3)).toEqual(new Float32Array([1, 1, 1, 2, 2, 2]));
    expect(zoomPlanes(new Float32Array([10, 20, 30, 40]), 1, 1, 4, 1, 1)).toEqual(new Float32Array([10]));
    expect(zoomPlanes(new Float32Array([10, 20, 30, 40]), 1, 2, 2, 1, 2)).toEqual(new Float32Array([10, 20]));
  });

  it("is the exact identity (a copy) when the size is unchanged", () => {
    const src = random(3 * 7 * 5, 1, Float32Array, [-120, 150]);
    const out = zoomPlanes(src, 3, 7, 5, 7, 5);
    expect(out).toEqual(src);
    expect(out).not.toBe(src);
  });

  it("keeps the last row and column exactly, where scipy can overshoot to 0 (448 → 320)", () => {
    // scipy 1.10.1 samples the last of 320 columns at 319 · (447/319) > 447 and returns 0 there.
    const src = random(2 * 448, 5, Float32Array, [-120, 150]);
    const out = zoomPlanes(src, 1, 2, 448, 2, 320);
    expect(out[319]).toBe(src[447]);
    expect(out[320 + 319]).toBe(src[448 + 447]);
  });

  it("keeps a constant image constant and reproduces a linear ramp", () => {
    expect(zoomPlanes(new Float32Array(17 * 23).fill(77.5), 1, 17, 23, 4, 61)).toEqual(new Float32Array(4 * 61).fill(77.5));
    const ramp = Float32Array.from({ length: 10 }, (_, x) => 3 * x + 5);
    const out = zoomPlanes(ramp, 1, 1, 10, 1, 7);
    for (let j = 0; j < 7; j++) expect(out[j]).toBeCloseTo(3 * ((j * 9) / 6) + 5, 4);
  });

  it("names the problem in its errors", () => {
    expect(() => zoomPlanes(new Float32Array(12), 3, 2, 2, 0, 4)).toThrow(ImageError);
    expect(() => zoomPlanes(new Float32Array(12), 3, 2, 2, 0, 4)).toThrow(
      "zoomPlanes: sizes C=3 H=2 W=2 → OH=0 OW=4 must all be positive integers",
    );
    expect(() => zoomPlanes(new Float32Array(10), 3, 2, 2, 4, 4)).toThrow("zoomPlanes: source has 10 values but C×H×W = 3×2×2 needs 12");
  });
});

describe("zoomSize", () => {
  it("is scipy's round(n · zoom): halves to even, from the product with 1/scale", () => {
    // Python: round(5 * 0.5) = 2, round(7 * 0.5) = 4, round(3 * (1/1.2)) = round(2.5) = 2.
    expect([zoomSize(5, 0.5), zoomSize(7, 0.5), zoomSize(3, 1 / 1.2), zoomSize(1, 0.5)]).toEqual([2, 4, 2, 0]);
    expect(Math.round(3 / 1.2)).toBe(3); // what rounding n / scale half up would have given
    // The notebook's pyramid of the 320×240 flowers and of the 1024×575 sky at scale 1.4.
    const chain = (n: number): number[] => [1, 2, 3].reduce((s) => [...s, zoomSize(s[s.length - 1]!, 1 / 1.4)], [n]);
    expect(chain(240)).toEqual([240, 171, 122, 87]);
    expect(chain(320)).toEqual([320, 229, 164, 117]);
    expect(chain(575)).toEqual([575, 411, 294, 210]);
    expect(chain(1024)).toEqual([1024, 731, 522, 373]);
  });

  it("gives back the octave's exact size when the detail is zoomed by h/h1", () => {
    for (const [h1, h] of [
      [87, 122],
      [122, 171],
      [171, 240],
      [210, 294],
      [373, 522],
      [731, 1024],
    ]) {
      expect(zoomSize(h1!, h! / h1!)).toBe(h);
    }
  });
});
