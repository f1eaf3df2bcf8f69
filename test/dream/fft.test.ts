// The FFT against its defining sum, and the real 2-D transforms: inverse of each other, irfft2
// against its double sum, and the adjoint identity ⟨irfft2(F), g⟩ = ⟨F, irfft2ᵀ(g)⟩ that the
// Fourier parameterization's backward rests on.
import { describe, expect, it } from "vitest";
import { dftNaive, fft, halfWidth, irfft2, irfft2Adjoint, irfft2Naive, rfft2 } from "../../src/dream/fft.js";
import { fillUniform } from "../../src/tensor/random.js";

const planes = (n: number, seed: number): { re: Float64Array; im: Float64Array } => ({
  re: fillUniform(new Float64Array(n), seed),
  im: fillUniform(new Float64Array(n), seed + 1),
});

describe("fft", () => {
  // 1, primes (7, 63 = 3²·7 is not, 227 is), powers of two, mixed radices (224 = 2⁵·7, 250 = 2·5³).
  for (const n of [1, 2, 3, 7, 8, 12, 63, 65, 224, 227, 250, 256]) {
    for (const inverse of [false, true]) {
      it(`equals the defining sum at N = ${n}${inverse ? ", inverse" : ""}`, () => {
        const x = planes(n, n);
        const want = dftNaive(x.re, x.im, inverse);
        fft(x.re, x.im, inverse);
        expect(x.re).toBeAllClose(want.re, { rtol: 1e-9, atol: 1e-9 * n });
        expect(x.im).toBeAllClose(want.im, { rtol: 1e-9, atol: 1e-9 * n });
      });
    }
  }

  it("forward then inverse is N times the identity", () => {
    const x = planes(224, 5);
    const y = { re: x.re.slice(), im: x.im.slice() };
    fft(y.re, y.im);
    fft(y.re, y.im, true);
    expect(y.re.map((v) => v / 224)).toBeAllClose(x.re, { atol: 1e-12 });
    expect(y.im.map((v) => v / 224)).toBeAllClose(x.im, { atol: 1e-12 });
  });
});

describe("rfft2 and irfft2", () => {
  for (const [h, w] of [
    [1, 1],
    [4, 6],
    [7, 5],
    [6, 9],
    [12, 8],
  ] as const) {
    it(`irfft2 equals its double sum and inverts rfft2 at ${h}×${w}`, () => {
      const hw = halfWidth(w);
      const f = planes(h * hw, h * 10 + w);
      const got = new Float64Array(h * w);
      irfft2(got, f, h, w);
      expect(got).toBeAllClose(irfft2Naive(f, h, w), { atol: 1e-12 });

      const x = fillUniform(new Float64Array(h * w), 3);
      const spectrum = { re: new Float64Array(h * hw), im: new Float64Array(h * hw) };
      rfft2(spectrum, x, h, w);
      // rfft2 is the full 2-D DFT's first W' columns.
      const full = dftNaive2(x, h, w);
      for (let ky = 0; ky < h; ky++) {
        for (let kx = 0; kx < hw; kx++) {
          expect(spectrum.re[ky * hw + kx]).toBeCloseTo(full.re[ky * w + kx]!, 9);
          expect(spectrum.im[ky * hw + kx]).toBeCloseTo(full.im[ky * w + kx]!, 9);
        }
      }
      const back = new Float64Array(h * w);
      irfft2(back, spectrum, h, w);
      expect(back).toBeAllClose(x, { atol: 1e-12 });
    });

    it(`irfft2's adjoint passes ⟨irfft2(F), g⟩ = ⟨F, irfft2ᵀ(g)⟩ at ${h}×${w}`, () => {
      const hw = halfWidth(w);
      const f = planes(h * hw, 7);
      const g = fillUniform(new Float64Array(h * w), 8);
      const x = new Float64Array(h * w);
      irfft2(x, f, h, w);
      const adj = { re: new Float64Array(h * hw), im: new Float64Array(h * hw) };
      irfft2Adjoint(adj, g, h, w);
      let lhs = 0,
        rhs = 0;
      for (let i = 0; i < x.length; i++) lhs += x[i]! * g[i]!;
      for (let i = 0; i < adj.re.length; i++) rhs += f.re[i]! * adj.re[i]! + f.im[i]! * adj.im[i]!;
      expect(Math.abs(lhs - rhs)).toBeLessThan(1e-12 * Math.max(1, Math.abs(lhs)));
    });
  }
});

/** The 2-D DFT of a real H×W plane by the double sum. */
function dftNaive2(x: Float64Array, h: number, w: number): { re: Float64Array; im: Float64Array } {
  const re = new Float64Array(h * w),
    im = new Float64Array(h * w);
  for (let ky = 0; ky < h; ky++) {
    for (let kx = 0; kx < w; kx++) {
      for (let y = 0; y < h; y++) {
        for (let i = 0; i < w; i++) {
          const a = -2 * Math.PI * ((ky * y) / h + (kx * i) / w);
          re[ky * w + kx]! += x[y * w + i]! * Math.cos(a);
          im[ky * w + kx]! += x[y * w + i]! * Math.sin(a);
        }
      }
    }
  }
  return { re, im };
}
