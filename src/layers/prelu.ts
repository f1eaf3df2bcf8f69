// prelu.ts — Caffe "PReLU", the ReLU with a learned negative slope per channel (He et al.,
// "Delving Deep into Rectifiers", 2015), from src/caffe/layers/prelu_layer.cpp:
//
//     y[n, c, i] = max(x, 0) + a[c] · min(x, 0)
//     dL/dx      = dy · ((x > 0) + a[c] · (x ≤ 0))
//     dL/da[c]   = Σ_{n, i} dy · x · (x ≤ 0)
//
// Legend: N batch, C channels (axis 1), D = the values of one channel's plane (H·W, or 1 for a
// 2-D [N, C] blob); a plane is the D values of one (n, c). Shapes: x, y [N, C, …], a [C], or [1]
// with prelu_param's channel_shared, where a[0] serves every channel.
//
// The slopes are the layer's one blob, and an input of the op like a convolution's weights: their
// gradient is computed only when they require one (DeepDream never asks for it; a gradient
// check does). Caffe writes x's gradient as `(x > 0) + a (x ≤ 0)`, which makes x = 0 take the
// slope, as our ReLU does.
//
// The kernels run on a range of planes, so a piece of the work has one slope for each of its
// planes; the slopes' gradient runs on a range of channels, each channel's sum in the order
// n, i whichever thread computes it, so the bits do not depend on the thread count. With a
// shared slope the per-channel sums are then added in channel order.

import { record } from "../autograd/tape.js";
import { allocOutput } from "../tensor/buffers.js";
import { allocLike, checkSameDtype, formatShape, Tensor, type Floats } from "../tensor/tensor.js";
import { defineJob, pieceRange, piecesFor } from "../threads/pool.js";

/** Sizes of a PReLU: N·C planes of D values, and whether one slope serves all C channels. */
export interface PReluGeometry {
  N: number;
  C: number;
  D: number;
  shared: boolean;
}

/** The geometry of x [N, C, …] with `slopes` values: C of them, or 1 for a shared slope. */
export function preluGeometry(x: readonly number[], slopes: number): PReluGeometry {
  if (x.length < 2) throw new RangeError(`prelu: the input must have at least 2 axes [N, C, …], got ${formatShape(x)}`);
  const [N, C] = x as [number, number];
  if (slopes !== C && slopes !== 1) {
    throw new RangeError(`prelu: ${slopes} slopes for an input of ${C} channels ${formatShape(x)}; give one per channel, or one shared`);
  }
  const D = x.slice(2).reduce((a, d) => a * d, 1);
  return { N, C, D, shared: slopes === 1 };
}

/** y = max(x, 0) + a[c] · min(x, 0) on the planes [start, end) (plane p is channel p mod C). */
export function preluForward(y: Floats, x: Floats, a: Floats, g: PReluGeometry, start: number, end: number): void {
  const { C, D, shared } = g;
  for (let p = start; p < end; p++) {
    const slope = a[shared ? 0 : p % C]!;
    for (let i = p * D; i < (p + 1) * D; i++) {
      const v = x[i]!;
      const keep = +(v > 0);
      y[i] = v * (keep + (1 - keep) * slope) + 0; // branch-free, +0 not −0: see ./relu.ts
    }
  }
}

/** dx += dy · ((x > 0) + a[c] · (x ≤ 0)) on the planes [start, end). */
export function preluBackwardData(dx: Floats, dy: Floats, x: Floats, a: Floats, g: PReluGeometry, start: number, end: number): void {
  const { C, D, shared } = g;
  for (let p = start; p < end; p++) {
    const slope = a[shared ? 0 : p % C]!;
    for (let i = p * D; i < (p + 1) * D; i++) {
      const keep = +(x[i]! > 0);
      dx[i]! += dy[i]! * (keep + (1 - keep) * slope);
    }
  }
}

/**
 * perChannel[c] = Σ_{n, i} dy · x · (x ≤ 0) for the channels c in [start, end), overwriting:
 * each slope's share of the gradient, summed over n then i.
 */
export function preluBackwardSlopes(perChannel: Floats, dy: Floats, x: Floats, g: PReluGeometry, start: number, end: number): void {
  const { N, C, D } = g;
  for (let c = start; c < end; c++) {
    let acc = 0;
    for (let n = 0; n < N; n++) {
      for (let i = (n * C + c) * D; i < (n * C + c + 1) * D; i++) {
        const v = x[i]!;
        acc += dy[i]! * v * +(v <= 0);
      }
    }
    perChannel[c] = acc;
  }
}

type PReluArgs = { x: Floats; a: Floats; g: PReluGeometry };
export const preluForwardJob = defineJob("preluForward", (s: PReluArgs & { y: Floats }, piece: number, pieces: number) =>
  preluForward(s.y, s.x, s.a, s.g, ...pieceRange(s.g.N * s.g.C, piece, pieces)),
);
export const preluBackwardDataJob = defineJob(
  "preluBackwardData",
  (s: PReluArgs & { dx: Floats; dy: Floats }, piece: number, pieces: number) =>
    preluBackwardData(s.dx, s.dy, s.x, s.a, s.g, ...pieceRange(s.g.N * s.g.C, piece, pieces)),
);
export const preluBackwardSlopesJob = defineJob(
  "preluBackwardSlopes",
  (s: { perChannel: Floats; dy: Floats; x: Floats; g: PReluGeometry }, piece: number, pieces: number) =>
    preluBackwardSlopes(s.perChannel, s.dy, s.x, s.g, ...pieceRange(s.g.C, piece, pieces)),
);

/** `preluForward` of every plane, in pieces across the threads. */
export function preluForwardInThreads(y: Floats, x: Floats, a: Floats, g: PReluGeometry): void {
  preluForwardJob.run({ y, x, a, g }, piecesFor(x.length, g.N * g.C));
}

/** `preluBackwardData` of every plane, in pieces across the threads. */
export function preluBackwardDataInThreads(dx: Floats, dy: Floats, x: Floats, a: Floats, g: PReluGeometry): void {
  preluBackwardDataJob.run({ dx, dy, x, a, g }, piecesFor(x.length, g.N * g.C));
}

/** da += dL/da: C sums over channels in pieces across the threads, then one for a shared slope. */
export function preluBackwardSlopesInThreads(da: Floats, dy: Floats, x: Floats, g: PReluGeometry): void {
  const perChannel = allocLike(x, g.C);
  preluBackwardSlopesJob.run({ perChannel, dy, x, g }, piecesFor(x.length, g.C));
  if (g.shared) {
    let sum = 0;
    for (let c = 0; c < g.C; c++) sum += perChannel[c]!;
    da[0]! += sum;
  } else {
    for (let c = 0; c < g.C; c++) da[c]! += perChannel[c]!;
  }
}

/**
 * Differentiable Caffe PReLU: x [N, C, …] with slopes [C] (one per channel) or [1] (shared,
 * Caffe's channel_shared). The slopes get a gradient only when they require one.
 */
export function prelu(x: Tensor, slopes: Tensor): Tensor {
  const g = preluGeometry(x.shape, slopes.size);
  checkSameDtype("prelu", [x, slopes]);
  const y = new Tensor(allocOutput(x.data), x.shape);
  preluForwardInThreads(y.data, x.data, slopes.data, g);
  return record(y, "prelu", [x, slopes], (dy) => {
    const dx = x.requiresGrad ? allocLike(x.data) : null;
    const da = slopes.requiresGrad ? allocLike(slopes.data) : null;
    if (dx !== null) preluBackwardDataInThreads(dx, dy, x.data, slopes.data, g);
    if (da !== null) preluBackwardSlopesInThreads(da, dy, x.data, g);
    return [dx, da];
  });
}

// ---- Naive twins: Caffe's loops over every value, with the channel index worked out each time ----

export function preluForwardNaive(y: Floats, x: Floats, a: Floats, g: PReluGeometry): void {
  for (let i = 0; i < x.length; i++) {
    const c = g.shared ? 0 : Math.floor(i / g.D) % g.C;
    y[i] = Math.max(x[i]!, 0) + a[c]! * Math.min(x[i]!, 0);
  }
}

/** dx += the input gradient (dx null skips); da += the slopes' gradient (da null skips). */
export function preluBackwardNaive(dx: Floats | null, da: Floats | null, dy: Floats, x: Floats, a: Floats, g: PReluGeometry): void {
  for (let i = 0; i < x.length; i++) {
    const c = g.shared ? 0 : Math.floor(i / g.D) % g.C;
    if (dx !== null) dx[i]! += x[i]! > 0 ? dy[i]! : a[c]! * dy[i]!;
    if (da !== null && x[i]! <= 0) da[c]! += dy[i]! * x[i]!;
  }
}
