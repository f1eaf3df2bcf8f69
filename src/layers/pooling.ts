// pooling.ts — Caffe "Pooling": max or average over kernelH×kernelW windows of each channel plane.
//
// Shapes: x [N, C, H, W] → y [N, C, OH, OW]. Window (oh, ow) covers input rows
// [oh·strideH − padH, oh·strideH − padH + kernelH) and columns likewise; the image is padded by
// padH/padW on each side.
//
// Caffe's output size rounds UP, unlike convolution:
//     OH = ceil((H + 2·padH − kernelH) / strideH) + 1
// so a last window that runs past the padded edge still counts. With padding, Caffe then drops a
// last window that would start at or beyond H + padH (in padding only):
//     if padH > 0 and (OH − 1)·strideH ≥ H + padH:  OH −= 1
// (width likewise). Without padding Caffe keeps the rule out, so a stride larger than the kernel
// can leave a last window wholly past the image; such an empty window gives 0 here and takes no
// gradient (Caffe would write −FLT_MAX for max pooling there).
//
// MAX: the window is clipped to the image, so padding never wins. On ties the first maximum in
// scan order (row by row) wins, as in Caffe; the forward stores that argmax as a flat index into
// x, and the backward routes dy there.
// AVE: the sum runs over the in-image cells only, but the divisor counts the window clipped to
// the PADDED image [−padH, H + padH) × [−padW, W + padW), i.e. padding cells count as zeros
// while cells past the padded edge (from rounding up) do not count at all. Exactly Caffe's rule.
// Global pooling: kernelH×kernelW = H×W, stride 1, pad 0 (SqueezeNet's final `pool10`).
// Caffe also requires pad < kernel, so that no window lies wholly in the padding.
//
// Legend: N batch, C channels, H W input height/width, kernelH kernelW window, strideH strideW
// stride, padH padW pad, OH OW output height/width — named as a convolution's (./conv-geometry.ts).
//
// Float32 3×3 max pooling with horizontal stride 1 or 2 runs a plane at a time on WebAssembly
// SIMD where there is SIMD (./wasm/max-pool-simd.ts), edges included, with the same bits as the
// JS kernel; so does every Float32 max pooling's backward (a scatter onto the argmaxes).

import { record } from "../autograd/tape.js";
import { allocIndices, allocOutput } from "../tensor/buffers.js";
import { allocLike, formatShape, Tensor, type Floats } from "../tensor/tensor.js";
import { defineJob, pieceRange, piecesFor } from "../threads/pool.js";
import type { Pair } from "./conv-geometry.js";
import { gemmBackend } from "./gemm.js";
import { maxPoolBackwardSimd, maxPoolPlaneSimd, maxPoolSimdAvailable } from "./wasm/max-pool-simd.js";

/** Max pooling or average pooling. */
export type PoolMethod = "max" | "ave";

/** Caffe's `pooling_param`, with per-axis values resolved into [h, w] pairs. */
export interface PoolParams {
  /** Max or average. */
  method: PoolMethod;
  /** The window, [kh, kw]. */
  kernel: Pair;
  /** [stride_h, stride_w] (default [1, 1] in `pool2d`). */
  stride: Pair;
  /** Padding on each side, [pad_h, pad_w] (default [0, 0] in `pool2d`); smaller than the window. */
  pad: Pair;
  /** Pool each whole plane to 1×1; `kernel` is then ignored and stride/pad must be 1/0. */
  global?: boolean;
}

/** `pool2d`'s options: PoolParams with Caffe's defaults for stride and pad. */
export type PoolOptions = Omit<PoolParams, "stride" | "pad"> & Partial<Pick<PoolParams, "stride" | "pad">>;

/** Everything a pooling kernel needs to know, computed once per call by `poolGeometry`. */
export interface PoolGeometry {
  N: number;
  C: number;
  H: number;
  W: number;
  kernelH: number;
  kernelW: number;
  strideH: number;
  strideW: number;
  padH: number;
  padW: number;
  OH: number;
  OW: number;
}

/** Sizes of a pooling of an input of `shape` ([N, C, H, W]), with Caffe's round-up rule. */
export function poolGeometry(shape: readonly number[], p: PoolParams): PoolGeometry {
  if (shape.length !== 4) throw new RangeError(`pool2d: input must be 4-D [N, C, H, W], got ${formatShape(shape)}`);
  const [N, C, H, W] = shape as [number, number, number, number];
  let kernel = p.kernel;
  if (p.global === true) {
    if (p.stride[0] !== 1 || p.stride[1] !== 1 || p.pad[0] !== 0 || p.pad[1] !== 0) {
      throw new RangeError(
        `pool2d: global pooling needs stride [1, 1] and pad [0, 0], got stride ${formatShape(p.stride)} and pad ${formatShape(p.pad)}`,
      );
    }
    kernel = [H, W];
  }
  const [kernelH, kernelW] = kernel,
    [strideH, strideW] = p.stride,
    [padH, padW] = p.pad;
  const positive = [kernelH, kernelW, strideH, strideW].every((v) => Number.isInteger(v) && v >= 1);
  if (!positive || ![padH, padW].every((v) => Number.isInteger(v) && v >= 0)) {
    throw new RangeError(
      `pool2d: kernel and stride must be positive integers and pad a non-negative integer, ` +
        `got kernel ${formatShape(kernel)}, stride ${formatShape(p.stride)}, pad ${formatShape(p.pad)}`,
    );
  }
  if (padH >= kernelH || padW >= kernelW) {
    throw new RangeError(`pool2d: pad ${formatShape(p.pad)} must be smaller than kernel ${formatShape(kernel)}`);
  }
  const OH = pooledSize(H, kernelH, strideH, padH),
    OW = pooledSize(W, kernelW, strideW, padW);
  if (OH < 1 || OW < 1) {
    throw new RangeError(
      `pool2d: input ${formatShape(shape)} is too small for kernel ${formatShape(kernel)} with pad ${formatShape(p.pad)}`,
    );
  }
  return { N, C, H, W, kernelH, kernelW, strideH, strideW, padH, padW, OH, OW };
}

/** One axis of Caffe's output size: round up, then drop a last window that starts in the padding. */
function pooledSize(size: number, kernel: number, stride: number, pad: number): number {
  let out = Math.ceil((size + 2 * pad - kernel) / stride) + 1;
  if (pad > 0 && (out - 1) * stride >= size + pad) out--;
  return out;
}

// ---- Window tables ----------------------------------------------------------------------------
// The fast kernels compute each column window once per call instead of once per output.

interface AxisWindows {
  /** First in-image index of window o. */
  start: Int32Array;
  /** One past the last in-image index. */
  end: Int32Array;
  /** Average pooling's divisor along this axis: the window clipped to the padded extent. */
  span: Int32Array;
}

function axisWindows(out: number, size: number, kernel: number, stride: number, pad: number): AxisWindows {
  const start = new Int32Array(out),
    end = new Int32Array(out),
    span = new Int32Array(out);
  for (let o = 0; o < out; o++) {
    const s = o * stride - pad;
    const e = Math.min(s + kernel, size + pad);
    span[o] = e - s;
    start[o] = Math.max(s, 0);
    end[o] = Math.min(e, size);
  }
  return { start, end, span };
}

// ---- Max pooling --------------------------------------------------------------------------------

// The kernels work on a range of planes (n, c), flat indices [first, end) into N·C: a window
// never leaves its plane, so neither does a write, and the planes make the pieces for threads.

/**
 * Planes [first, end): y[n,c,oh,ow] = max of x over the window clipped to the image; argmax gets
 * the flat index into x of the first maximum (−1 for an empty window, whose y is 0).
 */
export function maxPoolForward(y: Floats, argmax: Int32Array, x: Floats, g: PoolGeometry, first: number, end: number): void {
  const { H, W, OH, OW } = g;
  const rows = axisWindows(OH, H, g.kernelH, g.strideH, g.padH),
    cols = axisWindows(OW, W, g.kernelW, g.strideW, g.padW);
  for (let plane = first; plane < end; plane++) {
    const xBase = plane * H * W; // x[n, c] as one plane
    let o = plane * OH * OW; // y[n, c, oh, ow]
    for (let oh = 0; oh < OH; oh++) {
      const h0 = rows.start[oh]!,
        h1 = rows.end[oh]!;
      for (let ow = 0; ow < OW; ow++, o++) {
        const best = windowArgmax(x, xBase, W, h0, h1, cols.start[ow]!, cols.end[ow]!);
        y[o] = best < 0 ? 0 : x[best]!;
        argmax[o] = best;
      }
    }
  }
}

/** The index in x of the first maximum of rows [h0, h1) × columns [w0, w1) of the plane at xBase; −1 if empty. */
function windowArgmax(x: Floats, xBase: number, W: number, h0: number, h1: number, w0: number, w1: number): number {
  if (h0 >= h1 || w0 >= w1) return -1;
  let best = xBase + h0 * W + w0;
  let bestValue = x[best]!;
  if (h1 - h0 === 3 && w1 - w0 === 3) {
    // A whole 3×3 window (every pooling in GoogLeNet), unrolled: without the loop
    // bookkeeping this runs twice as fast (bench/README.md). The same scan order.
    const r0 = best,
      r1 = r0 + W,
      r2 = r1 + W;
    let v = x[r0 + 1]!;
    if (v > bestValue) {
      bestValue = v;
      best = r0 + 1;
    }
    v = x[r0 + 2]!;
    if (v > bestValue) {
      bestValue = v;
      best = r0 + 2;
    }
    v = x[r1]!;
    if (v > bestValue) {
      bestValue = v;
      best = r1;
    }
    v = x[r1 + 1]!;
    if (v > bestValue) {
      bestValue = v;
      best = r1 + 1;
    }
    v = x[r1 + 2]!;
    if (v > bestValue) {
      bestValue = v;
      best = r1 + 2;
    }
    v = x[r2]!;
    if (v > bestValue) {
      bestValue = v;
      best = r2;
    }
    v = x[r2 + 1]!;
    if (v > bestValue) {
      bestValue = v;
      best = r2 + 1;
    }
    v = x[r2 + 2]!;
    if (v > bestValue) best = r2 + 2;
    return best;
  }
  for (let h = h0; h < h1; h++) {
    const row = xBase + h * W;
    for (let i = row + w0; i < row + w1; i++) {
      if (x[i]! > bestValue) {
        // strict: the first maximum wins ties
        bestValue = x[i]!;
        best = i;
      }
    }
  }
  return best;
}

/**
 * `maxPoolForward` of a 3×3 pooling with horizontal stride 1 or 2 (`fitsMaxPoolSimd`), the same
 * bits: each plane through WebAssembly SIMD whole, four windows at a time, its edges padded by
 * replication so that every window is whole (./wasm/max-pool-simd.ts explains why that changes
 * nothing). A window wholly outside the image (a vertical stride above 3 can leave one) then gets
 * 0 and argmax −1, as `maxPoolForward` gives it.
 */
export function maxPoolForwardSimd(
  y: Float32Array,
  argmax: Int32Array,
  x: Float32Array,
  g: PoolGeometry,
  first: number,
  end: number,
): void {
  const { H, W, OH, OW } = g;
  const rows = axisWindows(OH, H, g.kernelH, g.strideH, g.padH),
    cols = axisWindows(OW, W, g.kernelW, g.strideW, g.padW);
  const plane = { H, W, OH, OW, strideH: g.strideH, strideW: g.strideW as 1 | 2, padH: g.padH, padW: g.padW };
  const empty = (w: AxisWindows): boolean => w.start.some((s, i) => s >= w.end[i]!);
  const mend = empty(rows) || empty(cols);
  for (let p = first; p < end; p++) {
    const o = p * OH * OW;
    maxPoolPlaneSimd(y, argmax, o, x, p * H * W, plane);
    if (!mend) continue;
    for (let oh = 0; oh < OH; oh++) {
      for (let ow = 0; ow < OW; ow++) {
        if (rows.start[oh]! >= rows.end[oh]! || cols.start[ow]! >= cols.end[ow]!) {
          y[o + oh * OW + ow] = 0;
          argmax[o + oh * OW + ow] = -1;
        }
      }
    }
  }
}

/** Whether `maxPoolForwardSimd` can run this pooling: 3×3 windows, horizontal stride 1 or 2, on a runtime with SIMD. */
export function fitsMaxPoolSimd(g: PoolGeometry): boolean {
  return g.kernelH === 3 && g.kernelW === 3 && (g.strideW === 1 || g.strideW === 2) && gemmBackend() !== "js" && maxPoolSimdAvailable();
}

/**
 * Planes [first, end): dy/dx is 1 at the window's argmax and 0 elsewhere, so each dy goes to one
 * input cell; overlapping windows (stride < kernel) may route several dy to the same cell.
 * Accumulates.
 */
export function maxPoolBackward(dx: Floats, dy: Floats, argmax: Int32Array, g: PoolGeometry, first: number, end: number): void {
  for (let o = first * g.OH * g.OW; o < end * g.OH * g.OW; o++) {
    const i = argmax[o]!;
    if (i >= 0) dx[i]! += dy[o]!;
  }
}

type MaxPool = { argmax: Int32Array; g: PoolGeometry };
type MaxPoolForward = MaxPool & { y: Floats; x: Floats; simd: boolean };
type MaxPoolBackward = MaxPool & { dx: Floats; dy: Floats; overwrite: boolean; simd: boolean };
export const maxPoolForwardJob = defineJob("maxPoolForward", (a: MaxPoolForward, piece: number, pieces: number) => {
  const [first, end] = pieceRange(a.g.N * a.g.C, piece, pieces);
  if (a.simd) maxPoolForwardSimd(a.y as Float32Array, a.argmax, a.x as Float32Array, a.g, first, end);
  else maxPoolForward(a.y, a.argmax, a.x, a.g, first, end);
});
export const maxPoolBackwardJob = defineJob("maxPoolBackward", (a: MaxPoolBackward, piece: number, pieces: number) => {
  const [first, end] = pieceRange(a.g.N * a.g.C, piece, pieces);
  if (a.simd) {
    maxPoolBackwardSimd(a.dx as Float32Array, a.dy as Float32Array, a.argmax, a.g.H, a.g.W, a.g.OH * a.g.OW, first, end, a.overwrite);
    return;
  }
  if (a.overwrite) a.dx.fill(0, first * a.g.H * a.g.W, end * a.g.H * a.g.W); // the piece's own planes, just before it adds into them
  maxPoolBackward(a.dx, a.dy, a.argmax, a.g, first, end);
});

/**
 * `maxPoolForward` of every plane, in as many runs as the threads and the size make worth it;
 * through WebAssembly SIMD where it fits (Float32, `fitsMaxPoolSimd`) — the same bits either way.
 * The plain-JS GEMM backend (`setGemmBackend("js")`, INCEPTIONISM_GEMM=js) keeps it in JS too.
 */
export function maxPoolForwardInThreads(y: Floats, argmax: Int32Array, x: Floats, g: PoolGeometry): void {
  const simd = x instanceof Float32Array && fitsMaxPoolSimd(g); // decided here: a worker's default may differ
  maxPoolForwardJob.run({ y, argmax, x, g, simd }, piecesFor(x.length, g.N * g.C));
}

/**
 * `maxPoolBackward` of every plane, in runs of planes across the threads. With `overwrite`, dx
 * is set rather than added to: each piece zeroes its planes first, in the same job, so a fresh
 * gradient needs no zeroing pass (and job) of its own.
 */
export function maxPoolBackwardInThreads(dx: Floats, dy: Floats, argmax: Int32Array, g: PoolGeometry, overwrite = false): void {
  // WebAssembly where the forward would use it (any window shape: the scatter does not care), the same bits
  const simd = dx instanceof Float32Array && dy instanceof Float32Array && gemmBackend() !== "js" && maxPoolSimdAvailable();
  maxPoolBackwardJob.run({ dx, dy, argmax, g, overwrite, simd }, piecesFor(dx.length, g.N * g.C));
}

// ---- Average pooling ----------------------------------------------------------------------------

/** y[n,c,oh,ow] = (sum of x over the in-image window) / (window size clipped to the padded image). */
export function avePoolForward(y: Floats, x: Floats, g: PoolGeometry): void {
  const { H, W, OH, OW } = g;
  const rows = axisWindows(OH, H, g.kernelH, g.strideH, g.padH),
    cols = axisWindows(OW, W, g.kernelW, g.strideW, g.padW);
  for (let plane = 0; plane < g.N * g.C; plane++) {
    const xBase = plane * H * W;
    let o = plane * OH * OW;
    for (let oh = 0; oh < OH; oh++) {
      const h0 = rows.start[oh]!,
        h1 = rows.end[oh]!,
        spanH = rows.span[oh]!;
      for (let ow = 0; ow < OW; ow++, o++) {
        const w0 = cols.start[ow]!,
          w1 = cols.end[ow]!;
        let sum = 0;
        for (let h = h0; h < h1; h++) {
          const row = xBase + h * W;
          for (let i = row + w0; i < row + w1; i++) sum += x[i]!;
        }
        y[o] = sum / (spanH * cols.span[ow]!);
      }
    }
  }
}

/**
 * y_o = (1/d_o) Σ_{i ∈ window(o)} x_i, so dL/dx_i = Σ_{o : i ∈ window(o)} dy_o / d_o: each dy is
 * spread evenly over its in-image cells, with the same divisor as the forward. Accumulates.
 */
export function avePoolBackward(dx: Floats, dy: Floats, g: PoolGeometry): void {
  const { H, W, OH, OW } = g;
  const rows = axisWindows(OH, H, g.kernelH, g.strideH, g.padH),
    cols = axisWindows(OW, W, g.kernelW, g.strideW, g.padW);
  for (let plane = 0; plane < g.N * g.C; plane++) {
    const xBase = plane * H * W;
    let o = plane * OH * OW;
    for (let oh = 0; oh < OH; oh++) {
      const h0 = rows.start[oh]!,
        h1 = rows.end[oh]!,
        spanH = rows.span[oh]!;
      for (let ow = 0; ow < OW; ow++, o++) {
        const w0 = cols.start[ow]!,
          w1 = cols.end[ow]!;
        const share = dy[o]! / (spanH * cols.span[ow]!);
        for (let h = h0; h < h1; h++) {
          const row = xBase + h * W;
          for (let i = row + w0; i < row + w1; i++) dx[i]! += share;
        }
      }
    }
  }
}

// ---- The differentiable op ----------------------------------------------------------------------

/**
 * Caffe pooling of an NCHW tensor: `method` "max" or "ave", output size rounded up (see the
 * header of this file for the exact rules). `stride` and `pad` default to Caffe's [1, 1] and
 * [0, 0].
 */
export function pool2d(x: Tensor, options: PoolOptions): Tensor {
  const p: PoolParams = { stride: [1, 1], pad: [0, 0], ...options };
  const g = poolGeometry(x.shape, p);
  const y = new Tensor(allocOutput(x.data, g.N * g.C * g.OH * g.OW), [g.N, g.C, g.OH, g.OW]);
  if (p.method === "max") {
    const argmax = allocIndices(y.size);
    maxPoolForwardInThreads(y.data, argmax, x.data, g);
    return record(y, "pool2d", [x], (dy) => {
      const dx = allocOutput(x.data); // zeroed by the backward's own pieces
      maxPoolBackwardInThreads(dx, dy, argmax, g, true);
      return [dx];
    });
  }
  if (p.method !== "ave") throw new RangeError(`pool2d: unknown method "${String(p.method)}" (expected "max" or "ave")`);
  avePoolForward(y.data, x.data, g);
  return record(y, "pool2d", [x], (dy) => {
    const dx = allocLike(x.data);
    avePoolBackward(dx, dy, g);
    return [dx];
  });
}

// ---- Naive twins: Caffe's loops, literally; the oracles for the tests and the benchmark --------

export function maxPoolForwardNaive(y: Floats, argmax: Int32Array, x: Floats, g: PoolGeometry): void {
  const { N, C, H, W, OH, OW } = g;
  for (let n = 0; n < N; n++) {
    for (let c = 0; c < C; c++) {
      for (let oh = 0; oh < OH; oh++) {
        for (let ow = 0; ow < OW; ow++) {
          const hs = oh * g.strideH - g.padH,
            ws = ow * g.strideW - g.padW;
          const h0 = Math.max(hs, 0),
            h1 = Math.min(hs + g.kernelH, H);
          const w0 = Math.max(ws, 0),
            w1 = Math.min(ws + g.kernelW, W);
          const o = ((n * C + c) * OH + oh) * OW + ow;
          let best = -1,
            bestValue = -Infinity;
          for (let h = h0; h < h1; h++) {
            for (let w = w0; w < w1; w++) {
              const i = ((n * C + c) * H + h) * W + w;
              if (best < 0 || x[i]! > bestValue) {
                best = i;
                bestValue = x[i]!;
              }
            }
          }
          y[o] = best < 0 ? 0 : bestValue;
          argmax[o] = best;
        }
      }
    }
  }
}

export function avePoolForwardNaive(y: Floats, x: Floats, g: PoolGeometry): void {
  const { N, C, H, W, OH, OW } = g;
  for (let n = 0; n < N; n++) {
    for (let c = 0; c < C; c++) {
      for (let oh = 0; oh < OH; oh++) {
        for (let ow = 0; ow < OW; ow++) {
          const hs = oh * g.strideH - g.padH,
            ws = ow * g.strideW - g.padW;
          const he = Math.min(hs + g.kernelH, H + g.padH),
            we = Math.min(ws + g.kernelW, W + g.padW);
          const divisor = (he - hs) * (we - ws);
          let sum = 0;
          for (let h = Math.max(hs, 0); h < Math.min(he, H); h++) {
            for (let w = Math.max(ws, 0); w < Math.min(we, W); w++) sum += x[((n * C + c) * H + h) * W + w]!;
          }
          y[((n * C + c) * OH + oh) * OW + ow] = sum / divisor;
        }
      }
    }
  }
}

export function avePoolBackwardNaive(dx: Floats, dy: Floats, g: PoolGeometry): void {
  const { N, C, H, W, OH, OW } = g;
  for (let n = 0; n < N; n++) {
    for (let c = 0; c < C; c++) {
      for (let oh = 0; oh < OH; oh++) {
        for (let ow = 0; ow < OW; ow++) {
          const hs = oh * g.strideH - g.padH,
            ws = ow * g.strideW - g.padW;
          const he = Math.min(hs + g.kernelH, H + g.padH),
            we = Math.min(ws + g.kernelW, W + g.padW);
          const divisor = (he - hs) * (we - ws);
          const share = dy[((n * C + c) * OH + oh) * OW + ow]! / divisor;
          for (let h = Math.max(hs, 0); h < Math.min(he, H); h++) {
            for (let w = Math.max(ws, 0); w < Math.min(we, W); w++) dx[((n * C + c) * H + h) * W + w]! += share;
          }
        }
      }
    }
  }
}
