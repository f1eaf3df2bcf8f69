// relu.ts — Caffe "ReLU": y = x where x > 0, else negative_slope · x (0 by default; a non-zero
// slope is the "leaky" ReLU). Elementwise, any shape.
//
// In a Caffe prototxt ReLU is almost always in place (top == bottom), so Caffe's backward reads
// the output where we read the input; with slope ≥ 0 they have the same sign, so both rules agree.
// Ours is functional — a new tensor — and the net maps the in-place names onto it.

import { record } from "../autograd/tape.js";
import { allocLike, Tensor, type Floats } from "../tensor/tensor.js";

export function reluForward(y: Floats, x: Floats, negativeSlope: number): void {
  for (let i = 0; i < x.length; i++) {
    const v = x[i]!;
    y[i] = v > 0 ? v : negativeSlope * v;
  }
}

/** dy/dx = 1 where x > 0, else negativeSlope (at x = 0 too, as Caffe). Accumulates into dx. */
export function reluBackward(dx: Floats, dy: Floats, x: Floats, negativeSlope: number): void {
  for (let i = 0; i < x.length; i++) dx[i]! += x[i]! > 0 ? dy[i]! : negativeSlope * dy[i]!;
}

/** Caffe ReLU: max(x, 0), or x·negativeSlope for x ≤ 0 when a slope is given. */
export function relu(x: Tensor, negativeSlope = 0): Tensor {
  const y = new Tensor(allocLike(x.data), x.shape);
  reluForward(y.data, x.data, negativeSlope);
  return record(y, "relu", [x], (dy) => {
    const dx = allocLike(x.data);
    reluBackward(dx, dy, x.data, negativeSlope);
    return [dx];
  });
}
