// relu.ts — Caffe "ReLU": y = x where x > 0, else negative_slope · x (0 by default; a non-zero
// slope is the "leaky" ReLU). Elementwise, any shape.
//
// In a Caffe prototxt ReLU is almost always in place (top == bottom), so Caffe's backward reads
// the output where we read the input; with slope ≥ 0 they have the same sign, so both rules agree.
// Ours is functional — a new tensor — and the net maps the in-place names onto it.
//
// Both kernels are branch-free: the sign test becomes a number, keep = +(x > 0) ∈ {0, 1}, and
// the slope a product, x · (keep + (1 − keep)·slope). Activations have random signs, so a branch
// mispredicts about half the time; on 2²¹ Float32 values (bench/README.md) the forward went from
// 7 to 2 ns a value and the backward from 6 to 3. (Math.max branches too: 6–8 ns.) The `+ 0`
// turns the −0 of a negative x times 0 into +0. An x of −∞ would give NaN rather than 0.

import { record } from "../autograd/tape.js";
import { defineJob, pieceRange, piecesFor } from "../threads/pool.js";
import { allocOutput } from "../tensor/buffers.js";
import { allocLike, Tensor, type Floats } from "../tensor/tensor.js";

export function reluForward(y: Floats, x: Floats, negativeSlope: number): void {
  reluForwardJob.run({ y, x, negativeSlope }, piecesFor(x.length, Math.ceil(x.length / MIN_PIECE)));
}

/** dy/dx = 1 where x > 0, else negativeSlope (at x = 0 too, as Caffe). Accumulates into dx. */
export function reluBackward(dx: Floats, dy: Floats, x: Floats, negativeSlope: number): void {
  reluBackwardJob.run({ dx, dy, x, negativeSlope }, piecesFor(x.length, Math.ceil(x.length / MIN_PIECE)));
}

/**
 * dy ← dy · relu'(x), in place: what a ReLU fused into the op before it (../conv.ts) does with
 * its gradient. `x` may be the ReLU's output instead of its input when the slope is ≥ 0: both
 * have the same sign (Caffe's in-place ReLU relies on the same fact).
 */
export function reluMaskInPlace(dy: Floats, x: Floats, negativeSlope: number): void {
  reluMaskJob.run({ dy, x, negativeSlope }, piecesFor(x.length, Math.ceil(x.length / MIN_PIECE)));
}

// Elementwise, so the pieces for threads (../threads/pool.ts) are any runs of values.
const MIN_PIECE = 4096;

export const reluForwardJob = defineJob(
  "reluForward",
  ({ y, x, negativeSlope }: { y: Floats; x: Floats; negativeSlope: number }, piece: number, pieces: number) => {
    const [start, end] = pieceRange(x.length, piece, pieces);
    for (let i = start; i < end; i++) {
      const v = x[i]!;
      const keep = +(v > 0);
      y[i] = v * (keep + (1 - keep) * negativeSlope) + 0;
    }
  },
);

export const reluMaskJob = defineJob(
  "reluMask",
  ({ dy, x, negativeSlope }: { dy: Floats; x: Floats; negativeSlope: number }, piece: number, pieces: number) => {
    const [start, end] = pieceRange(x.length, piece, pieces);
    for (let i = start; i < end; i++) {
      const keep = +(x[i]! > 0);
      dy[i]! *= keep + (1 - keep) * negativeSlope;
    }
  },
);

export const reluBackwardJob = defineJob(
  "reluBackward",
  ({ dx, dy, x, negativeSlope }: { dx: Floats; dy: Floats; x: Floats; negativeSlope: number }, piece: number, pieces: number) => {
    const [start, end] = pieceRange(x.length, piece, pieces);
    for (let i = start; i < end; i++) {
      const keep = +(x[i]! > 0);
      dx[i]! += dy[i]! * (keep + (1 - keep) * negativeSlope);
    }
  },
);

/** Caffe ReLU: max(x, 0), or x·negativeSlope for x ≤ 0 when a slope is given. */
export function relu(x: Tensor, negativeSlope = 0): Tensor {
  const y = new Tensor(allocOutput(x.data), x.shape);
  reluForward(y.data, x.data, negativeSlope);
  return record(y, "relu", [x], (dy) => {
    const dx = allocLike(x.data);
    reluBackward(dx, dy, x.data, negativeSlope);
    return [dx];
  });
}

// ---- Naive twins: the rule as written, with the branch; the oracles for tests and benchmarks ----

export function reluForwardNaive(y: Floats, x: Floats, negativeSlope: number): void {
  for (let i = 0; i < x.length; i++) y[i] = x[i]! > 0 ? x[i]! : negativeSlope * x[i]!;
}

export function reluBackwardNaive(dx: Floats, dy: Floats, x: Floats, negativeSlope: number): void {
  for (let i = 0; i < x.length; i++) dx[i]! += x[i]! > 0 ? dy[i]! : negativeSlope * dy[i]!;
}
