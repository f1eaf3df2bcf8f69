// flow.ts — dense optical flow between two frames: pyramidal Lucas–Kanade, iterated with warping.
//
// We look for the backward flow d(p): where each pixel p of the new frame `to` (T) was in the old
// frame `from` (F), so that T(p) ≈ F(p + d(p)) — the direction in which ./warp.ts gathers. On grey
// frames (luma), Lucas & Kanade ("An iterative image registration technique with an application
// to stereo vision", IJCAI 1981) take d constant over a small window around p and minimize
//
//     E(d) = Σ_q w(q − p) · (F(q + d) − T(q))²          w: a Gaussian window, σ = `window` px
//
// by Gauss–Newton: linearize F around the current estimate, F(q + d + δ) ≈ F_d(q) + g(q)·δ, and
// the best step solves a 2×2 system per pixel,
//
//     ⎡Σw gx²   Σw gx·gy⎤       ⎡Σw gx·e⎤
//     ⎣Σw gx·gy Σw gy²  ⎦ δ = − ⎣Σw gy·e⎦,     e = F_d − T,    d ← d + δ,
//
// where F_d is F warped by the current flow, and the window sums are images blurred by a separable
// Gaussian — which is what makes the method dense and cheap. Choices, and why:
// - g = ∇T, the gradient of the frame that is not warped (for a translation, the inverse
//   compositional algorithm of Baker & Matthews, "Lucas–Kanade 20 years on", IJCV 2004): the
//   matrix is then the same at every step, and each step blurs 2 images, not 5. The iteration stops where Σw g·e = 0, which for
//   the true motion holds whichever gradient g is, so this costs no accuracy (measured: the
//   errors below with ½(∇F_d + ∇T) were the same), and 2.2× less time per pair.
// - F_d by Keys' bicubic interpolation, not bilinear as ./warp.ts: bilinear smooths a sub-pixel
//   shift, which pulled the estimate toward whole pixels (median error 0.07 px instead of 0.01
//   on a texture moved by (2.3, −1.7) px).
// - The system gets λ = DAMPING added on its diagonal (Levenberg–Marquardt): in flat or
//   one-dimensional texture it is singular. λ only shortens the steps there; since the
//   iteration stops where Σw g·e = 0, it does not bias the result where there is texture.
//   A step longer than MAX_STEP (1 px of its level, about as far as the linearization holds) is
//   cut to that length, so that a bad step cannot throw a pixel far away.
// - Samples that fall outside `from` have no residual: e counts as 0 there, so that a pan does not
//   drag the flow at the frame's edge toward zero.
// - Large motion: linearization holds for a pixel or two, so we work coarse to fine (Bergen et
//   al., "Hierarchical model-based motion estimation", ECCV 1992; Bouguet, "Pyramidal
//   implementation of the Lucas Kanade feature tracker", Intel 2000): each level halves the
//   frames (blur [1 5 10 10 5 1]/32 then keep every second pixel, i.e. a binomial blur and a 2×2
//   mean, so a coarse pixel's centre lies at the mean of its four fine ones); the coarsest level's
//   flow starts at 0, and each finer level starts from the coarser flow, resampled and doubled.
//   12 px at the finest level is 1.5 px three levels up. A level under MIN_LEVEL_SIDE pixels is
//   mostly border for a window of radius 3σ, and made the flow worse, not better, in our tests.
//
// `opticalFlowNaive` (./flow-naive.ts) is the same method written plainly — a 2-D window sum, a
// 2-D reduction kernel, Float64 — and is this file's test oracle.
//
// Legend: W H the finest level's width and height; w h a level's; planes h×w row-major.
//
// Core module: no `node:*` imports.

import { ImageError, OptionError } from "../errors.js";
import type { RgbImage } from "../io/image/image.js";
import { allocKept } from "../tensor/buffers.js";
import { defineJob, pieceRange, piecesFor } from "../threads/pool.js";

/** A flow field: one displacement (dx, dy), in pixels, per pixel of a width × height frame. */
export interface Flow {
  width: number;
  height: number;
  /** H×W, row-major */
  dx: Float32Array;
  /** H×W, row-major */
  dy: Float32Array;
}

/** How `opticalFlow` works; every field has a default that suits 320×240 to 1080p video. */
export interface FlowOptions {
  /** Pyramid levels at most, the frames themselves included; fewer if a level would be under 12 px. Default 5. */
  levels?: number;
  /** σ, in pixels of each level, of the Gaussian window over which the motion counts as constant. Default 2. */
  window?: number;
  /** Gauss–Newton steps per level. Default 4 (3 to 10 gave the same errors on our tests). */
  iterations?: number;
}

/** `FlowOptions` checked and filled in, and the pyramid's sizes (finest first) for the frames. */
export interface FlowSettings {
  window: number;
  iterations: number;
  sizes: readonly (readonly [w: number, h: number])[];
}

export const DEFAULT_FLOW_OPTIONS = { levels: 5, window: 2, iterations: 4 } as const;
/** No pyramid level smaller than this on its shorter side (but the frames themselves may be). */
export const MIN_LEVEL_SIDE = 12;
/** λ of the damped 2×2 systems, in (luma per pixel)², luma in [0, 1]. */
export const DAMPING = 1e-4;
/** The longest Gauss–Newton step, in pixels of its level. */
export const MAX_STEP = 1;
/** The reduction filter, taps at 2i − 2 … 2i + 3 for coarse pixel i: binomial [1 4 6 4 1] ∗ [1 1]. */
export const REDUCE_TAPS = [1, 5, 10, 10, 5, 1].map((t) => t / 32);

/** Backward flow: for each pixel p of `to`, p + (dx, dy)[p] is where it was in `from`. */
export function opticalFlow(from: RgbImage, to: RgbImage, options: FlowOptions = {}): Flow {
  const s = flowSettings(from, to, options);
  const taps = gaussianTaps(s.window);
  const F = [luma(from)],
    T = [luma(to)];
  for (let l = 1; l < s.sizes.length; l++) {
    const [w, h] = s.sizes[l - 1]!;
    F.push(reduce(F[l - 1]!, w, h));
    T.push(reduce(T[l - 1]!, w, h));
  }
  let u = floats(0),
    v = floats(0);
  for (let l = s.sizes.length - 1; l >= 0; l--) {
    const [w, h] = s.sizes[l]!;
    if (l === s.sizes.length - 1) {
      u = floats(w * h);
      v = floats(w * h);
    } else {
      const [cw, ch] = s.sizes[l + 1]!;
      u = expandFlow(u, cw, ch, w, h);
      v = expandFlow(v, cw, ch, w, h);
    }
    refineLevel(u, v, F[l]!, T[l]!, w, h, taps, s.iterations);
  }
  return { width: from.width, height: from.height, dx: u, dy: v };
}

/**
 * n zeros, in shared memory while threads are in use (so that the jobs below can be split), and
 * never recycled: the flow outlives any dream step it is computed between.
 */
function floats(n: number): Float32Array {
  return allocKept("float32", n) as Float32Array;
}

/** Checks the frames and the options (ImageError, OptionError) and sizes the pyramid. */
export function flowSettings(from: RgbImage, to: RgbImage, options: FlowOptions): FlowSettings {
  if (from.width !== to.width || from.height !== to.height) {
    throw new ImageError(
      `optical flow needs two frames of one size, got ${from.width}×${from.height} and ${to.width}×${to.height}; resize them to one size first`,
    );
  }
  const o = { ...DEFAULT_FLOW_OPTIONS, ...options };
  if (!Number.isInteger(o.levels) || o.levels < 1 || o.levels > 16) {
    throw new OptionError(`flow levels must be a whole number from 1 to 16, got ${o.levels}`);
  }
  if (!(o.window >= 0.5 && o.window <= 16)) {
    throw new OptionError(`flow window must be a σ from 0.5 to 16 pixels, got ${o.window}`);
  }
  if (!Number.isInteger(o.iterations) || o.iterations < 1 || o.iterations > 100) {
    throw new OptionError(`flow iterations must be a whole number from 1 to 100, got ${o.iterations}`);
  }
  const sizes: [number, number][] = [[from.width, from.height]];
  while (sizes.length < o.levels) {
    const [w, h] = sizes.at(-1)!;
    const next: [number, number] = [Math.ceil(w / 2), Math.ceil(h / 2)];
    if (Math.min(...next) < MIN_LEVEL_SIDE) break;
    sizes.push(next);
  }
  return { window: o.window, iterations: o.iterations, sizes };
}

/** The normalized 1-D Gaussian of σ = `sigma`, radius ⌈3σ⌉: the window is its outer product. */
export function gaussianTaps(sigma: number): number[] {
  const r = Math.ceil(3 * sigma);
  const taps = new Array<number>(2 * r + 1).fill(0);
  let sum = 0;
  for (let i = -r; i <= r; i++) sum += taps[i + r] = Math.exp((-i * i) / (2 * sigma * sigma));
  for (let i = 0; i < taps.length; i++) taps[i]! /= sum;
  return taps;
}

/** Rec. 601 luma in [0, 1], H×W: the grey frame the flow is computed on. */
export function luma(image: RgbImage): Float32Array {
  const { data } = image;
  const out = floats(image.width * image.height);
  for (let p = 0; p < out.length; p++) {
    out[p] = (0.299 * data[3 * p]! + 0.587 * data[3 * p + 1]! + 0.114 * data[3 * p + 2]!) / 255;
  }
  return out;
}

// ---- The pyramid --------------------------------------------------------------------------------

/** One level up: h×w → ⌈h/2⌉×⌈w/2⌉, separably (rows, then columns), edges replicated. */
function reduce(plane: Float32Array, w: number, h: number): Float32Array {
  const cw = Math.ceil(w / 2),
    ch = Math.ceil(h / 2);
  const rows = floats(h * cw);
  reduceAxis(rows, plane, h, w, cw, 1);
  const out = floats(ch * cw);
  reduceAxis(out, rows, 1, h, ch, cw);
  return out;
}

/** Reduces the middle axis of an outer × n × inner block to outer × m × inner. */
function reduceAxis(out: Float32Array, src: Float32Array, outer: number, n: number, m: number, inner: number): void {
  for (let o = 0; o < outer; o++) {
    for (let j = 0; j < m; j++) {
      const dst = (o * m + j) * inner;
      for (let k = 0; k < inner; k++) out[dst + k] = 0;
      for (let t = 0; t < REDUCE_TAPS.length; t++) {
        const i = Math.min(Math.max(2 * j - 2 + t, 0), n - 1);
        const weight = REDUCE_TAPS[t]!,
          row = (o * n + i) * inner;
        for (let k = 0; k < inner; k++) out[dst + k]! += weight * src[row + k]!;
      }
    }
  }
}

/**
 * A coarse level's flow component on the next finer level: fine pixel x sits at coarse
 * (x + ½)/2 − ½ (bilinear there, clamped to the edge), and a coarse pixel is two fine ones.
 */
function expandFlow(coarse: Float32Array, cw: number, ch: number, w: number, h: number): Float32Array {
  const fine = floats(w * h);
  for (let y = 0; y < h; y++) {
    const sy = Math.min(Math.max((y + 0.5) / 2 - 0.5, 0), ch - 1);
    const y0 = Math.min(Math.floor(sy), Math.max(ch - 2, 0)),
      y1 = Math.min(y0 + 1, ch - 1),
      ay = sy - y0;
    for (let x = 0; x < w; x++) {
      const sx = Math.min(Math.max((x + 0.5) / 2 - 0.5, 0), cw - 1);
      const x0 = Math.min(Math.floor(sx), Math.max(cw - 2, 0)),
        x1 = Math.min(x0 + 1, cw - 1),
        ax = sx - x0;
      const top = (1 - ax) * coarse[y0 * cw + x0]! + ax * coarse[y0 * cw + x1]!;
      const bottom = (1 - ax) * coarse[y1 * cw + x0]! + ax * coarse[y1 * cw + x1]!;
      fine[y * w + x] = 2 * ((1 - ay) * top + ay * bottom);
    }
  }
  return fine;
}

// ---- One level ----------------------------------------------------------------------------------

// Gaussian window sums, zero outside the frame, in two passes: along each row (`sumAlongRow`, as
// soon as a row of terms is computed), then down the columns (`sumDownColumns`, one output row at a
// time, one tap at a time, so that every read is sequential).

/** out[x] = Σ_i taps[i + r] · row[x + i] over the i that stay inside the row. */
function sumAlongRow(out: Float32Array, outAt: number, row: Float32Array, w: number, taps: readonly number[]): void {
  const r = (taps.length - 1) / 2;
  for (let x = 0; x < w; x++) {
    const lo = x < r ? -x : -r,
      hi = x + r >= w ? w - 1 - x : r;
    let s = 0;
    for (let i = lo; i <= hi; i++) s += taps[i + r]! * row[x + i]!;
    out[outAt + x] = s;
  }
}

/** out[x] = Σ_i taps[i + r] · plane[y + i, x] over the rows i that stay inside the h×w plane. */
function sumDownColumns(
  out: Float32Array,
  outAt: number,
  plane: Float32Array,
  w: number,
  h: number,
  y: number,
  taps: readonly number[],
): void {
  const r = (taps.length - 1) / 2;
  out.fill(0, outAt, outAt + w);
  for (let i = Math.max(-r, -y), hi = Math.min(r, h - 1 - y); i <= hi; i++) {
    const t = taps[i + r]!,
      at = (y + i) * w;
    for (let x = 0; x < w; x++) out[outAt + x]! += t * plane[at + x]!;
  }
}

// Keys' cubic convolution (a = −½) at x0 + tx, y0 + ty: the weights of the samples at offsets
// −1, 0, 1, 2 are, for t in [0, 1),
//     (−t³ + 2t² − t)/2,   (3t³ − 5t² + 2)/2,   (−3t³ + 4t² + t)/2,   (t³ − t²)/2.
// It reproduces quadratics exactly, so it barely smooths what it shifts.

/** Bicubic sample of I (h×w) whose 4×4 neighbourhood lies inside: no clamping. */
function bicubicInside(I: Float32Array, w: number, x0: number, y0: number, tx: number, ty: number): number {
  const tx2 = tx * tx,
    tx3 = tx2 * tx,
    ty2 = ty * ty,
    ty3 = ty2 * ty;
  const a0 = 0.5 * (-tx3 + 2 * tx2 - tx),
    a1 = 0.5 * (3 * tx3 - 5 * tx2 + 2),
    a2 = 0.5 * (-3 * tx3 + 4 * tx2 + tx),
    a3 = 0.5 * (tx3 - tx2);
  const b0 = 0.5 * (-ty3 + 2 * ty2 - ty),
    b1 = 0.5 * (3 * ty3 - 5 * ty2 + 2),
    b2 = 0.5 * (-3 * ty3 + 4 * ty2 + ty),
    b3 = 0.5 * (ty3 - ty2);
  let q = (y0 - 1) * w + x0 - 1;
  const r0 = a0 * I[q]! + a1 * I[q + 1]! + a2 * I[q + 2]! + a3 * I[q + 3]!;
  q += w;
  const r1 = a0 * I[q]! + a1 * I[q + 1]! + a2 * I[q + 2]! + a3 * I[q + 3]!;
  q += w;
  const r2 = a0 * I[q]! + a1 * I[q + 1]! + a2 * I[q + 2]! + a3 * I[q + 3]!;
  q += w;
  const r3 = a0 * I[q]! + a1 * I[q + 1]! + a2 * I[q + 2]! + a3 * I[q + 3]!;
  return b0 * r0 + b1 * r1 + b2 * r2 + b3 * r3;
}

/** The same near the edges, each index clamped into the plane (the edge pixels repeated). */
function bicubicClamped(I: Float32Array, w: number, h: number, x0: number, y0: number, tx: number, ty: number): number {
  const weights = (t: number): number[] => {
    const t2 = t * t,
      t3 = t2 * t;
    return [0.5 * (-t3 + 2 * t2 - t), 0.5 * (3 * t3 - 5 * t2 + 2), 0.5 * (-3 * t3 + 4 * t2 + t), 0.5 * (t3 - t2)];
  };
  const a = weights(tx),
    b = weights(ty);
  let s = 0;
  for (let j = 0; j < 4; j++) {
    const row = Math.min(Math.max(y0 - 1 + j, 0), h - 1) * w;
    for (let i = 0; i < 4; i++) s += b[j]! * a[i]! * I[row + Math.min(Math.max(x0 - 1 + i, 0), w - 1)]!;
  }
  return s;
}

/** What the jobs of one level read and write: the level's frames, flow, gradient and sums. */
interface Level {
  w: number;
  h: number;
  taps: readonly number[];
  /** the old and the new frame, h×w */
  F: Float32Array;
  T: Float32Array;
  /** the flow, updated in place */
  u: Float32Array;
  v: Float32Array;
  /** ∇T */
  gx: Float32Array;
  gy: Float32Array;
  /** the window sums of g·gᵀ (fixed per level), and g·e summed along rows (per step) */
  Axx: Float32Array;
  Axy: Float32Array;
  Ayy: Float32Array;
  bx: Float32Array;
  by: Float32Array;
}

/** `iterations` Gauss–Newton steps of the flow (u, v) on one level, in place. */
function refineLevel(
  u: Float32Array,
  v: Float32Array,
  F: Float32Array,
  T: Float32Array,
  w: number,
  h: number,
  taps: readonly number[],
  iterations: number,
): void {
  const plane = (): Float32Array => floats(w * h);
  const L: Level = { w, h, taps, F, T, u, v, gx: plane(), gy: plane(), Axx: plane(), Axy: plane(), Ayy: plane(), bx: plane(), by: plane() };
  const pieces = piecesFor(w * h, h);
  // The gradient is T's, so the matrix A = Σw g·gᵀ (+ λI) is the same at every step: its terms
  // summed along rows into scratch planes, then down the columns into L's.
  const [xx, xy, yy] = [plane(), plane(), plane()];
  flowMatrixJob.run({ ...L, Axx: xx, Axy: xy, Ayy: yy }, pieces);
  flowColumnsJob.run({ dst: [L.Axx, L.Axy, L.Ayy], src: [xx, xy, yy], w, h, taps }, pieces);
  for (let it = 0; it < iterations; it++) {
    flowResidualJob.run(L, pieces);
    flowStepJob.run(L, pieces);
  }
}

/** Rows y0 … y1 − 1 of ∇T, and of the products g·gᵀ summed along rows. */
function matrixRows(L: Level, y0: number, y1: number): void {
  const { w, h, T, gx, gy, Axx, Axy, Ayy, taps } = L;
  const xx = new Float32Array(w),
    xy = new Float32Array(w),
    yy = new Float32Array(w);
  for (let y = y0; y < y1; y++) {
    const up = Math.max(y - 1, 0),
      down = Math.min(y + 1, h - 1);
    const sy = down === up ? 0 : 1 / (down - up);
    for (let x = 0; x < w; x++) {
      // Central differences inside, one-sided at the edges (0 along a 1-pixel axis).
      const left = Math.max(x - 1, 0),
        right = Math.min(x + 1, w - 1),
        p = y * w + x;
      const dx = right === left ? 0 : (T[y * w + right]! - T[y * w + left]!) / (right - left);
      const dy = sy * (T[down * w + x]! - T[up * w + x]!);
      gx[p] = dx;
      gy[p] = dy;
      xx[x] = dx * dx;
      xy[x] = dx * dy;
      yy[x] = dy * dy;
    }
    sumAlongRow(Axx, y * w, xx, w, taps);
    sumAlongRow(Axy, y * w, xy, w, taps);
    sumAlongRow(Ayy, y * w, yy, w, taps);
  }
}

/** Rows y0 … y1 − 1 of the products g·e, e = F(p + d) − T(p), summed along rows. */
function residualRows(L: Level, y0: number, y1: number): void {
  const { w, h, F, T, u, v, gx, gy, bx, by, taps } = L;
  const ex = new Float32Array(w),
    ey = new Float32Array(w);
  for (let y = y0; y < y1; y++) {
    for (let x = 0; x < w; x++) {
      const p = y * w + x;
      const sx = x + u[p]!,
        sy = y + v[p]!;
      if (!(sx >= 0 && sx <= w - 1 && sy >= 0 && sy <= h - 1)) {
        ex[x] = ey[x] = 0; // no residual: p + d is outside `from`
        continue;
      }
      const x0 = Math.floor(sx),
        y0 = Math.floor(sy);
      const f =
        x0 >= 1 && x0 < w - 2 && y0 >= 1 && y0 < h - 2
          ? bicubicInside(F, w, x0, y0, sx - x0, sy - y0)
          : bicubicClamped(F, w, h, x0, y0, sx - x0, sy - y0);
      const e = f - T[p]!;
      ex[x] = gx[p]! * e;
      ey[x] = gy[p]! * e;
    }
    sumAlongRow(bx, y * w, ex, w, taps);
    sumAlongRow(by, y * w, ey, w, taps);
  }
}

/** Rows y0 … y1 − 1 of the flow moved by one step, δ = −(A + λI)⁻¹ b, b's sums finished here. */
function stepRows(L: Level, y0: number, y1: number): void {
  const { w, h, u, v, Axx, Axy, Ayy, bx, by, taps } = L;
  const sx = new Float32Array(w),
    sy = new Float32Array(w);
  for (let y = y0; y < y1; y++) {
    sumDownColumns(sx, 0, bx, w, h, y, taps);
    sumDownColumns(sy, 0, by, w, h, y, taps);
    for (let x = 0, p = y * w; x < w; x++, p++) {
      // Cramer's rule; det ≥ λ² > 0 since A is a sum of g·gᵀ.
      const a = Axx[p]! + DAMPING,
        b = Axy[p]!,
        c = Ayy[p]! + DAMPING;
      const det = a * c - b * b;
      const du = (b * sy[x]! - c * sx[x]!) / det,
        dv = (b * sx[x]! - a * sy[x]!) / det;
      // The linearization holds for about a pixel: a longer step is cut to MAX_STEP.
      const cut = Math.min(1, MAX_STEP / Math.sqrt(du * du + dv * dv));
      u[p]! += cut * du;
      v[p]! += cut * dv;
    }
  }
}

// ---- Threads ------------------------------------------------------------------------------------
//
// Each pass of a level is a job over ranges of rows (../threads/pool.ts): every row's values are
// the same arithmetic whichever thread computes them, so the flow is the same on any number of
// threads. A row's terms are summed along the row in the pass that computes them; the sums down
// the columns read 2r + 1 rows that other pieces wrote, so they wait for the next pass, which
// then also takes the step: two jobs, two barriers, per step.

interface ColumnPass {
  dst: Float32Array[];
  src: Float32Array[];
  w: number;
  h: number;
  taps: readonly number[];
}

export const flowMatrixJob = defineJob("flowMatrix", (L: Level, piece: number, pieces: number) =>
  matrixRows(L, ...pieceRange(L.h, piece, pieces)),
);
export const flowColumnsJob = defineJob("flowColumns", (a: ColumnPass, piece: number, pieces: number) => {
  const [y0, y1] = pieceRange(a.h, piece, pieces);
  for (let k = 0; k < a.src.length; k++) {
    for (let y = y0; y < y1; y++) sumDownColumns(a.dst[k]!, y * a.w, a.src[k]!, a.w, a.h, y, a.taps);
  }
});
export const flowResidualJob = defineJob("flowResidual", (L: Level, piece: number, pieces: number) =>
  residualRows(L, ...pieceRange(L.h, piece, pieces)),
);
export const flowStepJob = defineJob("flowStep", (L: Level, piece: number, pieces: number) =>
  stepRows(L, ...pieceRange(L.h, piece, pieces)),
);
