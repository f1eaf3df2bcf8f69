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

// The kernels work on a range [start, end) of the values; the jobs run them in pieces across
// threads (../threads/pool.ts). Elementwise, so any runs of values make pieces.
const MIN_PIECE = 4096;

function elementwisePieces(n: number): number {
  return piecesFor(n, Math.ceil(n / MIN_PIECE));
}

/** y = relu(x) on the values [start, end). */
export function reluForward(y: Floats, x: Floats, negativeSlope: number, start: number, end: number): void {
  for (let i = start; i < end; i++) {
    const v = x[i]!;
    const keep = +(v > 0);
    y[i] = v * (keep + (1 - keep) * negativeSlope) + 0;
  }
}

/**
 * dy ← dy · relu'(x) on [start, end), in place: what a ReLU fused into the op before it (./conv.ts) does with
 * its gradient. `x` may be the ReLU's output instead of its input when the slope is ≥ 0: both
 * have the same sign (Caffe's in-place ReLU relies on the same fact).
 */
export function reluMask(dy: Floats, x: Floats, negativeSlope: number, start: number, end: number): void {
  for (let i = start; i < end; i++) {
    const keep = +(x[i]! > 0);
    dy[i]! *= keep + (1 - keep) * negativeSlope;
  }
}

/**
 * dx += dy · relu'(x) on [start, end): dy/dx = 1 where x > 0, else negativeSlope (at x = 0 too,
 * as Caffe).
 */
export function reluBackward(dx: Floats, dy: Floats, x: Floats, negativeSlope: number, start: number, end: number): void {
  for (let i = start; i < end; i++) {
    const keep = +(x[i]! > 0);
    dx[i]! += dy[i]! * (keep + (1 - keep) * negativeSlope);
  }
}

type Slope = { x: Floats; negativeSlope: number };
export const reluForwardJob = defineJob("reluForward", (a: Slope & { y: Floats }, piece: number, pieces: number) =>
  reluForward(a.y, a.x, a.negativeSlope, ...pieceRange(a.x.length, piece, pieces)),
);
export const reluMaskJob = defineJob("reluMask", (a: Slope & { dy: Floats }, piece: number, pieces: number) =>
  reluMask(a.dy, a.x, a.negativeSlope, ...pieceRange(a.x.length, piece, pieces)),
);
export const reluBackwardJob = defineJob("reluBackward", (a: Slope & { dx: Floats; dy: Floats }, piece: number, pieces: number) =>
  reluBackward(a.dx, a.dy, a.x, a.negativeSlope, ...pieceRange(a.x.length, piece, pieces)),
);

/** `reluForward` of all of x, in as many pieces as the threads and the size make worth it. */
export function reluForwardInThreads(y: Floats, x: Floats, negativeSlope: number): void {
  reluForwardJob.run({ y, x, negativeSlope }, elementwisePieces(x.length));
}
/** `reluMask` of all of x, in pieces across the threads. */
export function reluMaskInThreads(dy: Floats, x: Floats, negativeSlope: number): void {
  reluMaskJob.run({ dy, x, negativeSlope }, elementwisePieces(x.length));
}
/** `reluBackward` of all of x, in pieces across the threads. */
export function reluBackwardInThreads(dx: Floats, dy: Floats, x: Floats, negativeSlope: number): void {
  reluBackwardJob.run({ dx, dy, x, negativeSlope }, elementwisePieces(x.length));
}

/** Caffe ReLU: max(x, 0), or x·negativeSlope for x ≤ 0 when a slope is given. */
export function relu(x: Tensor, negativeSlope = 0): Tensor {
  const y = new Tensor(allocOutput(x.data), x.shape);
  reluForwardInThreads(y.data, x.data, negativeSlope);
  return record(y, "relu", [x], (dy) => {
    const dx = allocLike(x.data);
    reluBackwardInThreads(dx, dy, x.data, negativeSlope);
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
