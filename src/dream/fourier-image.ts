// A picture parameterized the way that makes visualizations look like things rather than noise
// (Olah, Mordvintsev & Schubert, "Feature Visualization", Distill 2017, §"Preconditioning and
// Parameterization"; Lucid's `fft_image` and `to_valid_rgb`): the optimizer moves a decorrelated
// spectrum, not pixels. Gradient steps on raw pixels are dominated by high frequencies (the
// net's gradient is); in this basis every frequency and every colour direction has about the
// same energy, so a step grows forms of all sizes at once.
//
// Stages, with shapes (H×W picture, W' = ⌊W/2⌋ + 1, n = H·W'):
//   P  [3 × 2 × n]   the parameters: for each decorrelated colour d, Re then Im of its half
//                    spectrum; N(0, 0.01²) at the start, as Lucid's
//   S  = σ(f) · P    σ(f) = √(HW) / max(f, 1/max(H, W)), f = √(fy² + fx²) in cycles per pixel
//                    (numpy's fftfreq): natural pictures' spectra fall off as 1/f, so scaling by
//                    1/f gives every frequency equal energy; the √(HW) makes irfft2 (./fft.ts)
//                    norm-preserving, so learning rates mean what they mean for pixels
//   z_d = irfft2(S_d) / 4                     [3, H, W], the decorrelated colours (the 4 is
//                                             Lucid's: it keeps the sigmoid below out of
//                                             saturation at the start)
//   l  = M · z        (per pixel, 3×3)         linear RGB
//   s  = sigmoid(l)   in (0, 1)                a valid pixel whatever the parameters
//   x_c = 255 · s_(2−c) − mean_c               BGR minus the mean: our preprocess (../models/preprocess.ts)
// M is the square root of ImageNet's colour covariance that Lucid ships
// (`color_correlation_svd_sqrt`, lucid/optvis/param/color.py): C = U·√Λ from the SVD of the
// covariance of RGB pixels in 0–1 (C·Cᵀ has standard deviations 0.276, 0.275, 0.286 and
// correlations 0.91 R–G, 0.91 G–B, 0.79 R–B: ImageNet's colours mostly vary together, as
// brightness), divided by its largest column norm (0.462, the brightness direction) as Lucid does.
//
// The backward, stage by stage (g = dL/dx from the net):
//   dL/ds_j = 255 · g_(2−j);  dL/dl = dL/ds · s(1 − s);  dL/dz = Mᵀ · dL/dl;
//   dL/dS_d = irfft2ᵀ(dL/dz_d / 4)  (./fft.ts);  dL/dP = σ(f) · dL/dS.

import type { RgbImage } from "../io/image/image.js";
import type { Floats } from "../tensor/tensor.js";
import { halfWidth, irfft2, irfft2Adjoint } from "./fft.js";

/** Lucid's square root of ImageNet's RGB covariance, rows R, G, B (see the header). */
const COLOR_SVD_SQRT = [
  [0.26, 0.09, 0.02],
  [0.27, 0.0, -0.05],
  [0.27, -0.09, 0.03],
] as const;

/** M = COLOR_SVD_SQRT / its largest column norm, row-major: l_i = Σ_j M[3i + j] · z_j. */
export const COLOR_MATRIX: readonly number[] = (() => {
  const norms = [0, 1, 2].map((j) => Math.hypot(...COLOR_SVD_SQRT.map((row) => row[j]!)));
  const max = Math.max(...norms);
  return COLOR_SVD_SQRT.flatMap((row) => row.map((v) => v / max));
})();

/** Lucid's divisor of the inverse transform. */
const SPECTRUM_DIVISOR = 4;

/** A picture as the parameters of the header, with the fixed frequency scale. */
export interface FourierImage {
  height: number;
  width: number;
  /** P: for each decorrelated colour, Re then Im of its half spectrum; [3 × 2 × H·W']. */
  params: Float64Array;
  /** σ(f) of the header, [H·W']. */
  scale: Float64Array;
}

/** σ(f) = √(HW) / max(f, 1/max(H, W)) for the half spectrum of an H×W plane, [H·W']. */
export function frequencyScale(h: number, w: number): Float64Array {
  const hw = halfWidth(w);
  const out = new Float64Array(h * hw);
  const floor = 1 / Math.max(h, w); // the lowest nonzero frequency: DC gets its scale too
  for (let ky = 0; ky < h; ky++) {
    const fy = (ky <= (h - 1) / 2 ? ky : ky - h) / h; // numpy's fftfreq: 0, 1/h, …, −1/h
    for (let kx = 0; kx < hw; kx++) {
      const fx = kx / w;
      out[ky * hw + kx] = Math.sqrt(h * w) / Math.max(Math.hypot(fy, fx), floor);
    }
  }
  return out;
}

/** A new H×W Fourier image, parameters drawn from N(0, sd²) with `rand` (uniform in [0, 1)). */
export function createFourierImage(h: number, w: number, rand: () => number, sd = 0.01): FourierImage {
  const params = new Float64Array(3 * 2 * h * halfWidth(w));
  // Box–Muller: two uniforms u, v give √(−2 ln u)·cos(2πv), a standard normal (1 − rand() ∈ (0, 1]).
  for (let i = 0; i < params.length; i++) params[i] = sd * Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
  return { height: h, width: w, params, scale: frequencyScale(h, w) };
}

/**
 * The net's input for `p` into `out` ([3, H, W], BGR minus `meanBgr`; Float32 for the net,
 * Float64 for gradient checks). Returns s, the sigmoid's RGB planes ([3, H, W], 0–1), which
 * the backward needs and `fourierImagePicture` turns into the picture.
 */
export function fourierImageForward(out: Floats, p: FourierImage, meanBgr: readonly number[]): Float64Array {
  const { height: h, width: w } = p;
  const n = h * halfWidth(w),
    plane = h * w;
  const z = new Float64Array(3 * plane);
  const spectrum = { re: new Float64Array(n), im: new Float64Array(n) };
  for (let d = 0; d < 3; d++) {
    for (let i = 0; i < n; i++) {
      spectrum.re[i] = p.scale[i]! * p.params[2 * d * n + i]!;
      spectrum.im[i] = p.scale[i]! * p.params[(2 * d + 1) * n + i]!;
    }
    const zd = z.subarray(d * plane, (d + 1) * plane);
    irfft2(zd, spectrum, h, w);
    for (let i = 0; i < plane; i++) zd[i]! /= SPECTRUM_DIVISOR;
  }
  const s = new Float64Array(3 * plane);
  const M = COLOR_MATRIX;
  for (let i = 0; i < plane; i++) {
    const z0 = z[i]!,
      z1 = z[plane + i]!,
      z2 = z[2 * plane + i]!;
    for (let c = 0; c < 3; c++) {
      const l = M[3 * c]! * z0 + M[3 * c + 1]! * z1 + M[3 * c + 2]! * z2;
      s[c * plane + i] = 1 / (1 + Math.exp(-l));
    }
  }
  for (let c = 0; c < 3; c++) {
    const rgb = 2 - c,
      m = meanBgr[c]!; // B, G, R ← s planes 2, 1, 0
    for (let i = 0; i < plane; i++) out[c * plane + i] = 255 * s[rgb * plane + i]! - m;
  }
  return s;
}

/**
 * dL/dP into `dParams` ([3 × 2 × H·W'], overwritten) from g = dL/dx (`dInput`, [3, H, W], the
 * net input's gradient) and the forward's s (see the header for each stage).
 */
export function fourierImageBackward(dParams: Float64Array, dInput: ArrayLike<number>, s: Float64Array, p: FourierImage): void {
  const { height: h, width: w } = p;
  const n = h * halfWidth(w),
    plane = h * w;
  const M = COLOR_MATRIX;
  const dz = new Float64Array(3 * plane);
  for (let i = 0; i < plane; i++) {
    // dL/dl_c = 255 · g_(2−c) · s_c (1 − s_c), then dL/dz = Mᵀ · dL/dl, with the ÷4 folded in.
    let dz0 = 0,
      dz1 = 0,
      dz2 = 0;
    for (let c = 0; c < 3; c++) {
      const sc = s[c * plane + i]!;
      const dl = (255 * dInput[(2 - c) * plane + i]! * sc * (1 - sc)) / SPECTRUM_DIVISOR;
      dz0 += M[3 * c]! * dl;
      dz1 += M[3 * c + 1]! * dl;
      dz2 += M[3 * c + 2]! * dl;
    }
    dz[i] = dz0;
    dz[plane + i] = dz1;
    dz[2 * plane + i] = dz2;
  }
  const dS = { re: new Float64Array(n), im: new Float64Array(n) };
  for (let d = 0; d < 3; d++) {
    irfft2Adjoint(dS, dz.subarray(d * plane, (d + 1) * plane), h, w);
    for (let i = 0; i < n; i++) {
      dParams[2 * d * n + i] = p.scale[i]! * dS.re[i]!;
      dParams[(2 * d + 1) * n + i] = p.scale[i]! * dS.im[i]!;
    }
  }
}

/** The picture of a forward's s ([3, H, W] RGB planes, 0–1): RGB interleaved, 0–255. */
export function fourierImagePicture(s: Float64Array, h: number, w: number): RgbImage {
  const plane = h * w;
  const data = new Float32Array(3 * plane);
  for (let c = 0; c < 3; c++) for (let i = 0; i < plane; i++) data[3 * i + c] = 255 * s[c * plane + i]!;
  return { width: w, height: h, data };
}
