// batch-norm.ts — Caffe "BatchNorm" at inference: every channel shifted by its mean and divided
// by its standard deviation,
//
//     y[n, c, s] = (x[n, c, s] − mean[c]) / sd[c],      sd[c] = sqrt(variance[c] + eps)
//
// Caffe's BatchNorm has no learned scale or shift: a Scale layer after it holds those
// (./scale.ts), and the net folds both into the convolution before them when it can
// (../models/fold-batch-norm.ts).
//
// The statistics, from the file (batch_norm_layer.cpp, `use_global_stats`): blob 0 holds a sum
// of means and blob 1 a sum of variances, both accumulated during training with the same
// moving-average weights, whose total is blob 2's single value s. So
//
//     mean = blob0 · (1/s),   variance = blob1 · (1/s),   with 1/s taken as 0 when s = 0
//
// (`storedStatistics`). Caffe uses them in the TEST phase unless the file says
// `use_global_stats: false`; then it normalizes by the statistics of the batch it is given, as in
// training: mean and (biased) variance over n and s of each channel (`batchNormOwnStatistics`).
// We do the same, because some files mean it: with one image a batch, it is instance
// normalization (the trick of fast style-transfer nets). The dream runs one picture, or one tile,
// at a time, so each tile is then normalized by its own statistics, as Caffe would.
//
// Gradients, for the input only (the statistics are constants, lr_mult 0 in Caffe):
//   stored statistics:  dx = dy / sd[c]
//   own statistics:     dx = (dy − mean(dy) − mean(dy · y) · y) / sd[c], the means per channel
//                       over n and s (the derivation is Caffe's comment in batch_norm_layer.cpp:
//                       y depends on x also through the mean and the variance it is divided by).
//
// Legend: N = shape[0]; C = shape[1] (1 for a 1-D blob, as Caffe); S = the values per image and
// channel (H·W for an image, 1 for [N, C]). A "plane" is the S values of one (n, c).

import { record } from "../autograd/tape.js";
import { allocOutput } from "../tensor/buffers.js";
import { defineJob, pieceRange, piecesFor } from "../threads/pool.js";
import { allocFloats, allocLike, checkSameDtype, formatShape, Tensor, type Floats } from "../tensor/tensor.js";

/** A blob viewed by BatchNorm: N images, C channels, S values per image and channel. */
export interface BatchNormGeometry {
  N: number;
  C: number;
  S: number;
}

export function batchNormGeometry(shape: readonly number[]): BatchNormGeometry {
  const N = shape[0] ?? 1,
    C = shape.length > 1 ? shape[1]! : 1;
  const size = shape.reduce((a, d) => a * d, 1);
  return { N, C, S: N * C === 0 ? 0 : size / (N * C) };
}

/**
 * Caffe's parameter conversion: the stored sums and their scale factor s (blobs 0, 1 and 2) →
 * mean and variance, each [C]. Rounded as Caffe rounds them, through the Float32 of 1/s.
 */
export function storedStatistics(meanSum: Floats, varianceSum: Floats, factor: number): { mean: Float32Array; variance: Float32Array } {
  const inverse = factor === 0 ? 0 : Math.fround(1 / factor);
  return { mean: Float32Array.from(meanSum, (v) => v * inverse), variance: Float32Array.from(varianceSum, (v) => v * inverse) };
}

/** sd[c] = sqrt(variance[c] + eps), in the input's type. */
function standardDeviations(like: Floats, variance: Floats, eps: number): Floats {
  const sd = allocFloats(like instanceof Float64Array ? "float64" : "float32", variance.length);
  for (let c = 0; c < variance.length; c++) sd[c] = Math.sqrt(variance[c]! + eps);
  return sd;
}

// ---- The kernels: planes [start, end) of the N·C planes, so that threads can share a blob ----

/** y = (x − mean[c]) / sd[c] on planes [start, end). */
export function batchNormForward(y: Floats, x: Floats, mean: Floats, sd: Floats, C: number, S: number, start: number, end: number): void {
  for (let p = start; p < end; p++) {
    const c = p % C,
      m = mean[c]!,
      d = sd[c]!;
    for (let i = p * S, stop = i + S; i < stop; i++) y[i] = (x[i]! - m) / d;
  }
}

/** dx += dy / sd[c] on planes [start, end): the stored statistics do not depend on x. */
export function batchNormBackward(dx: Floats, dy: Floats, sd: Floats, C: number, S: number, start: number, end: number): void {
  for (let p = start; p < end; p++) {
    const d = sd[p % C]!;
    for (let i = p * S, stop = i + S; i < stop; i++) dx[i]! += dy[i]! / d;
  }
}

type Planes = { C: number; S: number; sd: Floats };
export const batchNormForwardJob = defineJob(
  "batchNormForward",
  (a: Planes & { y: Floats; x: Floats; mean: Floats }, piece: number, pieces: number) =>
    batchNormForward(a.y, a.x, a.mean, a.sd, a.C, a.S, ...pieceRange(a.x.length / a.S, piece, pieces)),
);
export const batchNormBackwardJob = defineJob(
  "batchNormBackward",
  (a: Planes & { dx: Floats; dy: Floats }, piece: number, pieces: number) =>
    batchNormBackward(a.dx, a.dy, a.sd, a.C, a.S, ...pieceRange(a.dx.length / a.S, piece, pieces)),
);

/** Pieces for a job over the planes of `values` values, S each (one piece when there are none). */
function planePieces(values: number, S: number): number {
  return S === 0 ? 1 : piecesFor(values, values / S);
}

/**
 * The mean and the biased variance of every channel over n and s, each [C]: what Caffe's
 * BatchNorm normalizes by without stored statistics. Two passes (the mean, then the squares
 * about it), each channel's sums in one order whatever the threads.
 */
export function channelStatistics(mean: Floats, variance: Floats, x: Floats, g: BatchNormGeometry): void {
  const { N, C, S } = g;
  const count = N * S;
  for (let c = 0; c < C; c++) {
    let sum = 0;
    for (let n = 0; n < N; n++) for (let i = (n * C + c) * S, stop = i + S; i < stop; i++) sum += x[i]!;
    const m = sum / count;
    let squares = 0;
    for (let n = 0; n < N; n++) {
      for (let i = (n * C + c) * S, stop = i + S; i < stop; i++) squares += (x[i]! - m) * (x[i]! - m);
    }
    mean[c] = m;
    variance[c] = squares / count;
  }
}

/**
 * dx += (dy − mean(dy) − mean(dy·y)·y) / sd[c], the means over n and s of each channel: the
 * gradient of y = (x − mean(x)) / sqrt(var(x) + eps) with the batch's own statistics.
 */
export function batchNormOwnStatisticsBackward(dx: Floats, dy: Floats, y: Floats, sd: Floats, g: BatchNormGeometry): void {
  const { N, C, S } = g;
  const count = N * S;
  for (let c = 0; c < C; c++) {
    let sumDy = 0,
      sumDyY = 0;
    for (let n = 0; n < N; n++) {
      for (let i = (n * C + c) * S, stop = i + S; i < stop; i++) {
        sumDy += dy[i]!;
        sumDyY += dy[i]! * y[i]!;
      }
    }
    const meanDy = sumDy / count,
      meanDyY = sumDyY / count,
      d = sd[c]!;
    for (let n = 0; n < N; n++) {
      for (let i = (n * C + c) * S, stop = i + S; i < stop; i++) dx[i]! += (dy[i]! - meanDy - meanDyY * y[i]!) / d;
    }
  }
}

// ---- The differentiable ops ----

/**
 * Caffe BatchNorm with stored statistics: y = (x − mean[c]) / sqrt(variance[c] + eps) on x
 * [N, C, …] (or [N]: one channel). `mean` and `variance` are [C] (see `storedStatistics`) and
 * get no gradient.
 */
export function batchNorm(x: Tensor, mean: Tensor, variance: Tensor, eps: number): Tensor {
  const g = batchNormGeometry(x.shape);
  if (mean.size !== g.C || variance.size !== g.C) {
    throw new RangeError(
      `batchNorm: mean and variance must have ${g.C} values, one per channel of ${formatShape(x.shape)}, got ${mean.size} and ${variance.size}`,
    );
  }
  checkSameDtype("batchNorm", [x, mean, variance]);
  const sd = standardDeviations(x.data, variance.data, eps);
  const y = new Tensor(allocOutput(x.data), x.shape);
  batchNormForwardJob.run({ y: y.data, x: x.data, mean: mean.data, sd, C: g.C, S: g.S }, planePieces(x.size, g.S));
  return record(y, "batchNorm", [x], (dy) => {
    const dx = allocLike(x.data);
    batchNormBackwardJob.run({ dx, dy, sd, C: g.C, S: g.S }, planePieces(x.size, g.S));
    return [dx];
  });
}

/**
 * Caffe BatchNorm with `use_global_stats: false`: x normalized by its own channels' mean and
 * biased variance over the batch and the positions, y = (x − mean) / sqrt(var + eps). One thread:
 * no Model Zoo image net runs this at inference.
 */
export function batchNormOwnStatistics(x: Tensor, eps: number): Tensor {
  const g = batchNormGeometry(x.shape);
  const dtype = x.dtype;
  const mean = allocFloats(dtype, g.C),
    variance = allocFloats(dtype, g.C);
  channelStatistics(mean, variance, x.data, g);
  const sd = standardDeviations(x.data, variance, eps);
  const y = new Tensor(allocOutput(x.data), x.shape);
  batchNormForward(y.data, x.data, mean, sd, g.C, g.S, 0, g.N * g.C);
  return record(y, "batchNorm", [x], (dy) => {
    const dx = allocLike(x.data);
    batchNormOwnStatisticsBackward(dx, dy, y.data, sd, g);
    return [dx];
  });
}

// ---- Naive twins: each formula as written, index by index; the oracles of the tests ----

export function batchNormForwardNaive(y: Floats, x: Floats, mean: Floats, variance: Floats, eps: number, g: BatchNormGeometry): void {
  for (let n = 0; n < g.N; n++) {
    for (let c = 0; c < g.C; c++) {
      for (let s = 0; s < g.S; s++) {
        const i = (n * g.C + c) * g.S + s;
        y[i] = (x[i]! - mean[c]!) / Math.sqrt(variance[c]! + eps);
      }
    }
  }
}

export function batchNormBackwardNaive(dx: Floats, dy: Floats, variance: Floats, eps: number, g: BatchNormGeometry): void {
  for (let n = 0; n < g.N; n++) {
    for (let c = 0; c < g.C; c++) {
      for (let s = 0; s < g.S; s++) {
        const i = (n * g.C + c) * g.S + s;
        dx[i]! += dy[i]! / Math.sqrt(variance[c]! + eps);
      }
    }
  }
}

/**
 * The own-statistics forward and backward together, by another route than the kernels': with
 * x̂ = x − μ and σ = sqrt(var + eps), ∂L/∂x = (dy − mean(dy))/σ − x̂ · mean(dy · x̂)/σ³ (the
 * textbook form, without y). Overwrites y; accumulates into dx.
 */
export function batchNormOwnStatisticsNaive(y: Floats, dx: Floats, x: Floats, dy: Floats, eps: number, g: BatchNormGeometry): void {
  const at = (n: number, c: number, s: number): number => (n * g.C + c) * g.S + s;
  const count = g.N * g.S;
  for (let c = 0; c < g.C; c++) {
    let mu = 0;
    for (let n = 0; n < g.N; n++) for (let s = 0; s < g.S; s++) mu += x[at(n, c, s)]! / count;
    let variance = 0;
    for (let n = 0; n < g.N; n++) for (let s = 0; s < g.S; s++) variance += (x[at(n, c, s)]! - mu) ** 2 / count;
    const sigma = Math.sqrt(variance + eps);
    let meanDy = 0,
      meanDyXhat = 0;
    for (let n = 0; n < g.N; n++) {
      for (let s = 0; s < g.S; s++) {
        meanDy += dy[at(n, c, s)]! / count;
        meanDyXhat += (dy[at(n, c, s)]! * (x[at(n, c, s)]! - mu)) / count;
      }
    }
    for (let n = 0; n < g.N; n++) {
      for (let s = 0; s < g.S; s++) {
        const i = at(n, c, s),
          xhat = x[i]! - mu;
        y[i] = xhat / sigma;
        dx[i]! += (dy[i]! - meanDy) / sigma - (xhat * meanDyXhat) / sigma ** 3;
      }
    }
  }
}
