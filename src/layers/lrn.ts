// lrn.ts — Caffe "LRN": local response normalization, y = x · scale^−β.
//
// ACROSS_CHANNELS (GoogLeNet's norm1/norm2: n = 5, α = 1e-4, β = 0.75, k = 1): at each pixel,
//     scale[c] = k + (α/n) · Σ_{c' ∈ [c − h, c + h] ∩ [0, C)} x[c']²,    h = (n − 1)/2,
// the window clipped at the first and last channel (missing channels count as zeros, and the
// divisor stays n).
// WITHIN_CHANNEL: Caffe builds it from other layers — square, AVE pooling n×n with stride 1 and
// pad h, then power (1 + α·avg)^−β, then product with x — so k is not used:
//     scale = 1 + α · avgpool_{n×n, pad h}(x²).
// With odd n the padded window never crosses the padded edge, so the pooling divisor is always
// n²: padding cells count as zeros. Caffe accepts only odd n, and so do we.
//
// Both regions are "y = x · s^−β with s = k' + α'·A(x²)" for a linear window operator A (a
// channel-window sum, or an n×n average), which gives one backward rule, derived at lrnBackward.
//
// Legend: N batch, C channels, H W height/width, P = H·W pixels per plane, n = localSize.
//
// Float32 ACROSS_CHANNELS with β = 0.75 runs on WebAssembly SIMD where there is SIMD
// (./wasm/lrn-simd.ts, the same formulas in Float32); the JS kernels below are the fallback.

import { record } from "../autograd/tape.js";
import { allocOutput } from "../tensor/buffers.js";
import { allocLike, formatShape, Tensor, type Floats } from "../tensor/tensor.js";
import { defineJob, pieceRange, piecesFor } from "../threads/pool.js";
import { gemmBackend } from "./gemm.js";
import { avePoolBackward, avePoolForward, poolGeometry, type PoolGeometry } from "./pooling.js";
import { fitsLrnSimd, lrnAcrossBackwardSimd, lrnAcrossForwardSimd } from "./wasm/lrn-simd.js";

/** LRN's neighbourhood: across channels (ACROSS_CHANNELS) or within a channel's plane (WITHIN_CHANNEL). */
export type LrnRegion = "across" | "within";

/** Caffe's `lrn_param`. */
export interface LrnParams {
  /** n: the neighbours summed over (odd). */
  localSize: number;
  /** α, the scale of the sum of squares. */
  alpha: number;
  /** β, the exponent. */
  beta: number;
  /** The additive constant of ACROSS_CHANNELS; WITHIN_CHANNEL always uses 1. */
  k: number;
  /** Across channels or within a plane. */
  region: LrnRegion;
}

/** The input shape and the parameters, checked once per call by `lrnGeometry`. */
export interface LrnGeometry extends LrnParams {
  N: number;
  C: number;
  H: number;
  W: number;
}

export function lrnGeometry(shape: readonly number[], p: LrnParams): LrnGeometry {
  if (shape.length !== 4) throw new RangeError(`lrn: input must be 4-D [N, C, H, W], got ${formatShape(shape)}`);
  if (!Number.isInteger(p.localSize) || p.localSize < 1 || p.localSize % 2 === 0) {
    throw new RangeError(`lrn: localSize must be a positive odd integer (as in Caffe), got ${p.localSize}`);
  }
  if (p.region !== "across" && p.region !== "within") {
    throw new RangeError(`lrn: unknown region "${String(p.region)}" (expected "across" or "within")`);
  }
  const [N, C, H, W] = shape as [number, number, number, number];
  return { N, C, H, W, localSize: p.localSize, alpha: p.alpha, beta: p.beta, k: p.k, region: p.region };
}

/**
 * s^−β. V8's Math.pow is slow (measured on 1M floats: pow 50 ms, exp∘log 16 ms); every Caffe LRN
 * we know has β = 0.75, for which s^−0.75 = 1/√(s·√s) exactly, at 7 ms.
 */
function powNegBeta(s: number, beta: number): number {
  return beta === 0.75 ? 1 / Math.sqrt(s * Math.sqrt(s)) : Math.exp(-beta * Math.log(s));
}

// ---- Forward ------------------------------------------------------------------------------------

/** y = x · scale^−β; also writes `scale` (same shape as x), which the backward needs. */
export function lrnForward(y: Floats, scale: Floats, x: Floats, g: LrnGeometry): void {
  if (g.region === "across") lrnAcrossForwardJob.run({ y, scale, x, g, simd: useSimd(x, g) }, acrossPieces(g));
  else lrnWithinForward(y, scale, x, g);
}

/**
 * The channel window slides by one channel at a time, so instead of n multiply-adds per value we
 * keep a running sum of squares for a whole plane: going from channel c − 1 to c, channel c + h
 * enters the window and channel c − h − 1 leaves it. Each update is a loop over P contiguous
 * values. The sum is kept in Float64, so the rounding left behind by adding and later subtracting
 * the same squares stays far below Float32 precision.
 */
export function lrnAcrossForward(y: Floats, scale: Floats, x: Floats, g: LrnGeometry, p0: number, p1: number): void {
  const { N, C, H, W, localSize: n, alpha, beta, k } = g;
  const P = H * W,
    half = (n - 1) / 2,
    a = alpha / n,
    len = p1 - p0;
  const sum = new Float64Array(len); // Σ x² over the channel window of the current channel, per pixel of the piece
  const slide = (offset: number, sign: 1 | -1): void => {
    for (let p = 0; p < len; p++) sum[p]! += sign * x[offset + p]! * x[offset + p]!;
  };
  for (let b = 0; b < N; b++) {
    const base = b * C * P + p0; // image b, the piece's first pixel
    sum.fill(0);
    for (let c = 0; c < Math.min(half, C); c++) slide(base + c * P, 1);
    for (let c = 0; c < C; c++) {
      if (c + half < C) slide(base + (c + half) * P, 1);
      if (c - half - 1 >= 0) slide(base + (c - half - 1) * P, -1);
      const o = base + c * P;
      for (let p = 0; p < len; p++) {
        const s = k + a * sum[p]!;
        scale[o + p] = s;
        y[o + p] = x[o + p]! * powNegBeta(s, beta);
      }
    }
  }
}

// The kernels work on a range of pixels [p0, p1) of every plane, and the pieces for threads are
// such runs (MIN_PIECE or more): a pixel's sliding sum runs over its own channels only, in the
// same order whichever piece it falls in.
const MIN_PIECE = 64;

function acrossPieces(g: LrnGeometry): number {
  return piecesFor(g.N * g.C * g.H * g.W, Math.ceil((g.H * g.W) / MIN_PIECE));
}

/**
 * Whether ACROSS_CHANNELS runs on WebAssembly SIMD (./wasm/lrn-simd.ts: Float32, β = 0.75),
 * decided by the caller, since a worker's default may differ. The plain-JS GEMM backend
 * (`setGemmBackend("js")`, INCEPTIONISM_GEMM=js) keeps it in JS.
 */
function useSimd(x: Floats, g: LrnGeometry): boolean {
  return x instanceof Float32Array && gemmBackend() !== "js" && fitsLrnSimd(g);
}

type Across = { y: Floats; scale: Floats; x: Floats; g: LrnGeometry; simd: boolean };
export const lrnAcrossForwardJob = defineJob("lrnAcrossForward", (a: Across, piece: number, pieces: number) => {
  const [p0, p1] = pieceRange(a.g.H * a.g.W, piece, pieces);
  if (a.simd) lrnAcrossForwardSimd(a.y as Float32Array, a.scale as Float32Array, a.x as Float32Array, a.g, p0, p1);
  else lrnAcrossForward(a.y, a.scale, a.x, a.g, p0, p1);
});

/** scale = 1 + α · avgpool(x²), the pooling exactly Caffe's (n×n, stride 1, pad h). */
function lrnWithinForward(y: Floats, scale: Floats, x: Floats, g: LrnGeometry): void {
  const squares = allocLike(x);
  for (let i = 0; i < x.length; i++) squares[i] = x[i]! * x[i]!;
  avePoolForward(scale, squares, withinPoolGeometry(g));
  for (let i = 0; i < x.length; i++) {
    const s = 1 + g.alpha * scale[i]!;
    scale[i] = s;
    y[i] = x[i]! * powNegBeta(s, g.beta);
  }
}

/** The n×n, stride 1, pad (n−1)/2 average pooling of WITHIN_CHANNEL; its output is H×W again. */
function withinPoolGeometry(g: LrnGeometry): PoolGeometry {
  const half = (g.localSize - 1) / 2;
  return poolGeometry([g.N, g.C, g.H, g.W], {
    method: "ave",
    kernel: [g.localSize, g.localSize],
    stride: [1, 1],
    pad: [half, half],
  });
}

// ---- Backward -----------------------------------------------------------------------------------

/**
 * With s = k' + α'·A(x²) for the window operator A (A_ji = 1 when channel i is in the window of
 * j for ACROSS, α' = α/n; A_ji = 1/n² when pixel i is in the n×n window of j for WITHIN, α' = α)
 * and y_j = x_j · s_j^−β:
 *     ∂y_j/∂x_i = [i = j] · s_i^−β  +  x_j · (−β) s_j^(−β−1) · α' · A_ji · 2x_i
 * so
 *     dx_i = dy_i · s_i^−β  −  2α'β · x_i · (Aᵀt)_i,     t_j = dy_j · x_j · s_j^(−β−1) = dy_j·y_j/s_j.
 * For ACROSS the channel windows are symmetric (i in window(j) ⇔ j in window(i)), so Aᵀt is the
 * forward's sliding channel sum, run over t instead of x²; for WITHIN it is the average-pooling
 * backward applied to t. Accumulates into dx.
 */
export function lrnBackward(dx: Floats, dy: Floats, x: Floats, y: Floats, scale: Floats, g: LrnGeometry, overwrite = false): void {
  const simd = g.region === "across" && useSimd(x, g);
  // With `overwrite` dx is set instead: the SIMD kernel adds into zeros of its own, the others into dx zeroed here.
  if (overwrite && !simd) dx.fill(0);
  if (g.region === "across") lrnAcrossBackwardJob.run({ dx, dy, x, y, scale, g, simd, overwrite: overwrite && simd }, acrossPieces(g));
  else lrnWithinBackward(dx, dy, x, y, scale, g);
}

/** Pixels [p0, p1) of the ACROSS_CHANNELS backward above. Accumulates into dx. */
export function lrnAcrossBackward(
  dx: Floats,
  dy: Floats,
  x: Floats,
  y: Floats,
  scale: Floats,
  g: LrnGeometry,
  p0: number,
  p1: number,
): void {
  const { N, C, H, W, localSize: n, alpha, beta } = g;
  const P = H * W,
    half = (n - 1) / 2,
    coef = (2 * alpha * beta) / n,
    len = p1 - p0;
  const sum = new Float64Array(len); // Σ t over the channel window of the current channel, per pixel of the piece
  // A plane's t is recomputed when it leaves the window rather than stored: a division costs
  // less than writing and rereading C·P more values.
  const slide = (offset: number, sign: 1 | -1): void => {
    for (let p = 0; p < len; p++) sum[p]! += (sign * dy[offset + p]! * y[offset + p]!) / scale[offset + p]!;
  };
  for (let b = 0; b < N; b++) {
    const base = b * C * P + p0;
    sum.fill(0);
    for (let c = 0; c < Math.min(half, C); c++) slide(base + c * P, 1);
    for (let c = 0; c < C; c++) {
      if (c + half < C) slide(base + (c + half) * P, 1);
      if (c - half - 1 >= 0) slide(base + (c - half - 1) * P, -1);
      const o = base + c * P;
      for (let p = 0; p < len; p++) {
        dx[o + p]! += dy[o + p]! * powNegBeta(scale[o + p]!, beta) - coef * x[o + p]! * sum[p]!;
      }
    }
  }
}

type AcrossBackward = Across & { dx: Floats; dy: Floats; overwrite: boolean };
export const lrnAcrossBackwardJob = defineJob("lrnAcrossBackward", (a: AcrossBackward, piece: number, pieces: number) => {
  const [p0, p1] = pieceRange(a.g.H * a.g.W, piece, pieces);
  const f32 = (v: Floats): Float32Array => v as Float32Array;
  if (a.simd) lrnAcrossBackwardSimd(f32(a.dx), f32(a.dy), f32(a.x), f32(a.y), f32(a.scale), a.g, p0, p1, a.overwrite);
  else lrnAcrossBackward(a.dx, a.dy, a.x, a.y, a.scale, a.g, p0, p1);
});

function lrnWithinBackward(dx: Floats, dy: Floats, x: Floats, y: Floats, scale: Floats, g: LrnGeometry): void {
  const t = new Float64Array(x.length);
  for (let j = 0; j < t.length; j++) t[j] = (dy[j]! * y[j]!) / scale[j]!;
  const windowT = new Float64Array(x.length); // Aᵀt
  avePoolBackward(windowT, t, withinPoolGeometry(g));
  const coef = 2 * g.alpha * g.beta;
  for (let i = 0; i < x.length; i++) {
    dx[i]! += dy[i]! * powNegBeta(scale[i]!, g.beta) - coef * x[i]! * windowT[i]!;
  }
}

// ---- The differentiable op ----------------------------------------------------------------------

/** Caffe local response normalization of an NCHW tensor (across or within channels). */
export function lrn(x: Tensor, p: LrnParams): Tensor {
  const g = lrnGeometry(x.shape, p);
  const y = new Tensor(allocOutput(x.data), x.shape);
  const scale = allocOutput(x.data);
  lrnForward(y.data, scale, x.data, g);
  return record(y, "lrn", [x], (dy) => {
    const dx = allocOutput(x.data); // set by the backward: no zeroing pass
    lrnBackward(dx, dy, x.data, y.data, scale, g, true);
    return [dx];
  });
}

// ---- Naive twins: every window summed from scratch; the oracles for tests and the benchmark ----

/** The scale of every element, each window summed directly (Math.pow, no sliding sums). */
function lrnScaleNaive(x: Floats, g: LrnGeometry): Float64Array {
  const { N, C, H, W, localSize: n, alpha, k } = g;
  const half = (n - 1) / 2;
  const at = (b: number, c: number, h: number, w: number): number => ((b * C + c) * H + h) * W + w;
  const scale = new Float64Array(x.length);
  for (let b = 0; b < N; b++) {
    for (let c = 0; c < C; c++) {
      for (let h = 0; h < H; h++) {
        for (let w = 0; w < W; w++) {
          let sum = 0;
          if (g.region === "across") {
            for (let cc = Math.max(0, c - half); cc <= Math.min(C - 1, c + half); cc++) sum += x[at(b, cc, h, w)]! ** 2;
            scale[at(b, c, h, w)] = k + (alpha / n) * sum;
          } else {
            for (let hh = Math.max(0, h - half); hh <= Math.min(H - 1, h + half); hh++) {
              for (let ww = Math.max(0, w - half); ww <= Math.min(W - 1, w + half); ww++) sum += x[at(b, c, hh, ww)]! ** 2;
            }
            scale[at(b, c, h, w)] = 1 + alpha * (sum / (n * n));
          }
        }
      }
    }
  }
  return scale;
}

export function lrnForwardNaive(y: Floats, scale: Floats, x: Floats, g: LrnGeometry): void {
  const s = lrnScaleNaive(x, g);
  for (let i = 0; i < x.length; i++) {
    scale[i] = s[i]!;
    y[i] = x[i]! * s[i]! ** -g.beta;
  }
}

/** The backward formula of lrnBackward with every sum Σ_j A_ji t_j written out. Accumulates. */
export function lrnBackwardNaive(dx: Floats, dy: Floats, x: Floats, g: LrnGeometry): void {
  const { N, C, H, W, localSize: n, alpha, beta } = g;
  const half = (n - 1) / 2;
  const s = lrnScaleNaive(x, g);
  const at = (b: number, c: number, h: number, w: number): number => ((b * C + c) * H + h) * W + w;
  // t_j = dy_j · x_j · s_j^(−β−1)
  const t = (j: number): number => dy[j]! * x[j]! * s[j]! ** (-beta - 1);
  for (let b = 0; b < N; b++) {
    for (let c = 0; c < C; c++) {
      for (let h = 0; h < H; h++) {
        for (let w = 0; w < W; w++) {
          const i = at(b, c, h, w);
          let sum = 0,
            coef: number;
          if (g.region === "across") {
            for (let cc = Math.max(0, c - half); cc <= Math.min(C - 1, c + half); cc++) sum += t(at(b, cc, h, w));
            coef = (2 * alpha * beta) / n;
          } else {
            for (let hh = Math.max(0, h - half); hh <= Math.min(H - 1, h + half); hh++) {
              for (let ww = Math.max(0, w - half); ww <= Math.min(W - 1, w + half); ww++) sum += t(at(b, c, hh, ww)) / (n * n);
            }
            coef = 2 * alpha * beta;
          }
          dx[i]! += dy[i]! * s[i]! ** -beta - coef * x[i]! * sum;
        }
      }
    }
  }
}
