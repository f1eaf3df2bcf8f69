// Measures for the gradient-shaping tests, computed independently of what they measure: the
// spectrum of a dream's change by a plain discrete Fourier transform, the total variation and
// the distance from mid-grey of a picture.
import type { RgbImage } from "../../src/io/image/image.js";

/**
 * The share of the power of the change `after − before` at spatial frequencies above `cutoff`
 * (cycles per pixel, radially; Nyquist is 0.5), summed over the three colours. The 2-D DFT is
 * taken along rows, then columns, directly from its definition.
 */
export function highFrequencyShare(before: RgbImage, after: RgbImage, cutoff: number): number {
  const { width: W, height: H } = before;
  let high = 0,
    total = 0;
  for (let c = 0; c < 3; c++) {
    const re = new Float64Array(H * W),
      im = new Float64Array(H * W);
    for (let i = 0; i < H * W; i++) re[i] = after.data[3 * i + c]! - before.data[3 * i + c]!;
    dftLines(re, im, H, W, 1, W); // along each row
    dftLines(re, im, W, H, W, 1); // along each column
    for (let ky = 0; ky < H; ky++) {
      const fy = Math.min(ky, H - ky) / H;
      for (let kx = 0; kx < W; kx++) {
        const fx = Math.min(kx, W - kx) / W;
        const p = re[ky * W + kx]! ** 2 + im[ky * W + kx]! ** 2;
        total += p;
        if (Math.hypot(fx, fy) > cutoff) high += p;
      }
    }
  }
  return high / total;
}

/** In place: `count` lines of length n (element stride `step`, line stride `lineStep`) replaced by their DFTs. */
function dftLines(re: Float64Array, im: Float64Array, count: number, n: number, step: number, lineStep: number): void {
  const cos = new Float64Array(n),
    sin = new Float64Array(n);
  for (let k = 0; k < n; k++) [cos[k], sin[k]] = [Math.cos((2 * Math.PI * k) / n), Math.sin((2 * Math.PI * k) / n)];
  const r = new Float64Array(n),
    s = new Float64Array(n);
  for (let line = 0; line < count; line++) {
    const base = line * lineStep;
    for (let k = 0; k < n; k++) {
      let sr = 0,
        si = 0;
      for (let t = 0; t < n; t++) {
        const a = (k * t) % n,
          v = re[base + t * step]!,
          u = im[base + t * step]!;
        sr += v * cos[a]! + u * sin[a]!; // (v + iu)·e^{−2πi kt/n}
        si += u * cos[a]! - v * sin[a]!;
      }
      r[k] = sr;
      s[k] = si;
    }
    for (let k = 0; k < n; k++) [re[base + k * step], im[base + k * step]] = [r[k]!, s[k]!];
  }
}

/** Σ |dx| + |dy| over neighbouring pixels and colours, per pixel: how busy the picture is. */
export function totalVariation(img: RgbImage): number {
  const { width: W, height: H, data } = img;
  let sum = 0;
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      for (let c = 0; c < 3; c++) {
        const v = data[3 * (y * W + x) + c]!;
        if (x + 1 < W) sum += Math.abs(data[3 * (y * W + x + 1) + c]! - v);
        if (y + 1 < H) sum += Math.abs(data[3 * ((y + 1) * W + x) + c]! - v);
      }
    }
  }
  return sum / (W * H);
}

/** The root-mean-square distance of the pixels from mid-grey (127.5). */
export function distanceFromGrey(img: RgbImage): number {
  let sum = 0;
  for (const v of img.data) sum += (v - 127.5) ** 2;
  return Math.sqrt(sum / img.data.length);
}
