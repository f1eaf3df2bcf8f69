// flow-naive.ts — the optical flow of ./flow.ts written plainly, as its test oracle.
//
// The same method step by step — luma, the pyramid, then per level and iteration: warp, residual,
// the five window sums, the damped 2×2 solve — but each piece the obvious way: in Float64, the
// Gaussian window as a 2-D sum over (2r + 1)² pixels rather than two 1-D passes, the reduction
// as a 6×6 kernel, Keys' cubic kernel evaluated from its piecewise definition at each tap's
// distance. It is several times slower; the fast version must agree with it to Float32 rounding.
//
// Core module: no `node:*` imports.

import type { RgbImage } from "../io/image/image.js";
import { DAMPING, flowSettings, MAX_STEP, REDUCE_TAPS, type Flow, type FlowOptions } from "./flow.js";

/** `opticalFlow`, computed plainly in Float64: same options, same result up to rounding. */
export function opticalFlowNaive(from: RgbImage, to: RgbImage, options: FlowOptions = {}): Flow {
  const { sizes, window: sigma, iterations } = flowSettings(from, to, options);
  const F = [lumaNaive(from)],
    T = [lumaNaive(to)];
  for (let l = 1; l < sizes.length; l++) {
    F.push(reduceNaive(F[l - 1]!, ...sizes[l - 1]!));
    T.push(reduceNaive(T[l - 1]!, ...sizes[l - 1]!));
  }
  const top = sizes.length - 1;
  let u: Float64Array = new Float64Array(sizes[top]![0] * sizes[top]![1]),
    v: Float64Array = new Float64Array(u.length);
  for (let l = top; l >= 0; l--) {
    const [w, h] = sizes[l]!;
    if (l < top) {
      u = expandNaive(u, ...sizes[l + 1]!, w, h);
      v = expandNaive(v, ...sizes[l + 1]!, w, h);
    }
    for (let it = 0; it < iterations; it++) stepNaive(u, v, F[l]!, T[l]!, w, h, sigma);
  }
  return { width: from.width, height: from.height, dx: Float32Array.from(u), dy: Float32Array.from(v) };
}

function lumaNaive(image: RgbImage): Float64Array {
  const out = new Float64Array(image.width * image.height);
  for (let p = 0; p < out.length; p++) {
    const [r, g, b] = [image.data[3 * p]!, image.data[3 * p + 1]!, image.data[3 * p + 2]!];
    out[p] = (0.299 * r + 0.587 * g + 0.114 * b) / 255;
  }
  return out;
}

/** Pixel (x, y) of an h×w plane, the nearest edge pixel outside it. */
function at(I: Float64Array, w: number, h: number, x: number, y: number): number {
  return I[Math.min(Math.max(y, 0), h - 1) * w + Math.min(Math.max(x, 0), w - 1)]!;
}

function reduceNaive(I: Float64Array, w: number, h: number): Float64Array {
  const cw = Math.ceil(w / 2),
    ch = Math.ceil(h / 2);
  const out = new Float64Array(cw * ch);
  for (let j = 0; j < ch; j++) {
    for (let i = 0; i < cw; i++) {
      let s = 0;
      for (let b = 0; b < 6; b++) {
        for (let a = 0; a < 6; a++) s += REDUCE_TAPS[b]! * REDUCE_TAPS[a]! * at(I, w, h, 2 * i - 2 + a, 2 * j - 2 + b);
      }
      out[j * cw + i] = s;
    }
  }
  return out;
}

function expandNaive(c: Float64Array, cw: number, ch: number, w: number, h: number): Float64Array {
  const out = new Float64Array(w * h);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) out[y * w + x] = 2 * bilinear(c, cw, ch, (x + 0.5) / 2 - 0.5, (y + 0.5) / 2 - 0.5);
  }
  return out;
}

/** Bilinear at (sx, sy), clamped into the plane. */
function bilinear(I: Float64Array, w: number, h: number, sx: number, sy: number): number {
  const x = Math.min(Math.max(sx, 0), w - 1),
    y = Math.min(Math.max(sy, 0), h - 1);
  const x0 = Math.min(Math.floor(x), Math.max(w - 2, 0)),
    y0 = Math.min(Math.floor(y), Math.max(h - 2, 0));
  const ax = x - x0,
    ay = y - y0;
  return (
    (1 - ay) * ((1 - ax) * at(I, w, h, x0, y0) + ax * at(I, w, h, x0 + 1, y0)) +
    ay * ((1 - ax) * at(I, w, h, x0, y0 + 1) + ax * at(I, w, h, x0 + 1, y0 + 1))
  );
}

/** Keys' cubic convolution kernel, a = −½, at distance s. */
function keys(s: number): number {
  const t = Math.abs(s);
  if (t <= 1) return 1.5 * t ** 3 - 2.5 * t ** 2 + 1;
  if (t < 2) return -0.5 * t ** 3 + 2.5 * t ** 2 - 4 * t + 2;
  return 0;
}

function bicubic(I: Float64Array, w: number, h: number, sx: number, sy: number): number {
  const x0 = Math.floor(sx),
    y0 = Math.floor(sy);
  let s = 0;
  for (let b = -1; b <= 2; b++) {
    for (let a = -1; a <= 2; a++) s += keys(sx - (x0 + a)) * keys(sy - (y0 + b)) * at(I, w, h, x0 + a, y0 + b);
  }
  return s;
}

function gradientNaive(I: Float64Array, w: number, h: number): [Float64Array, Float64Array] {
  const gx = new Float64Array(w * h),
    gy = new Float64Array(w * h);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const l = Math.max(x - 1, 0),
        r = Math.min(x + 1, w - 1),
        u = Math.max(y - 1, 0),
        d = Math.min(y + 1, h - 1);
      gx[y * w + x] = r === l ? 0 : (at(I, w, h, r, y) - at(I, w, h, l, y)) / (r - l);
      gy[y * w + x] = d === u ? 0 : (at(I, w, h, x, d) - at(I, w, h, x, u)) / (d - u);
    }
  }
  return [gx, gy];
}

/** One Gauss–Newton step of the whole level's flow, in place. */
function stepNaive(u: Float64Array, v: Float64Array, F: Float64Array, T: Float64Array, w: number, h: number, sigma: number): void {
  const [gx, gy] = gradientNaive(T, w, h);
  // Per pixel: [gx², gx·gy, gy², gx·e, gy·e], e counted as 0 where p + d is outside `from`.
  const terms = new Float64Array(5 * w * h);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const p = y * w + x,
        sx = x + u[p]!,
        sy = y + v[p]!;
      const e = sx < 0 || sx > w - 1 || sy < 0 || sy > h - 1 ? 0 : bicubic(F, w, h, sx, sy) - T[p]!;
      terms.set([gx[p]! * gx[p]!, gx[p]! * gy[p]!, gy[p]! * gy[p]!, gx[p]! * e, gy[p]! * e], 5 * p);
    }
  }
  const r = Math.ceil(3 * sigma);
  let norm = 0; // the 1-D Gaussian's sum: the 2-D window is normalized by its square
  for (let i = -r; i <= r; i++) norm += Math.exp(-(i * i) / (2 * sigma * sigma));
  const du = new Float64Array(w * h),
    dv = new Float64Array(w * h);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const S = [0, 0, 0, 0, 0];
      for (let j = Math.max(-r, -y); j <= Math.min(r, h - 1 - y); j++) {
        for (let i = Math.max(-r, -x); i <= Math.min(r, w - 1 - x); i++) {
          const weight = Math.exp(-(i * i + j * j) / (2 * sigma * sigma)) / (norm * norm);
          for (let k = 0; k < 5; k++) S[k]! += weight * terms[5 * ((y + j) * w + x + i) + k]!;
        }
      }
      const [sxx, sxy, syy, sxe, sye] = S as [number, number, number, number, number];
      // (A + λI) δ = −b
      const a = sxx + DAMPING,
        c = syy + DAMPING,
        det = a * c - sxy * sxy;
      let dx = -(c * sxe - sxy * sye) / det,
        dy = -(a * sye - sxy * sxe) / det;
      const length = Math.hypot(dx, dy);
      if (length > MAX_STEP) [dx, dy] = [(dx * MAX_STEP) / length, (dy * MAX_STEP) / length];
      du[y * w + x] = dx;
      dv[y * w + x] = dy;
    }
  }
  for (let p = 0; p < w * h; p++) {
    u[p]! += du[p]!;
    v[p]! += dv[p]!;
  }
}
