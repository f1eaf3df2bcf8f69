// reshape.ts — the same values under a new shape: what Caffe's "Flatten" and "Reshape" layers do
// (their shape rules, from flatten_param and reshape_param, are in
// ../models/layer-rules/reshaping.ts).
//
// A tensor is row-major and contiguous, so any shape with the same number of values reads the
// same array in the same order: y = x as numbers, only the shape differs. The output is a view
// (Caffe shares the data and the diff too: top->ShareData, ShareDiff), and
//
//     dL/dx = dL/dy                 (the Jacobian is the identity, read under the other shape)
//
// so the backward hands dy back as x's gradient, a view again. Nothing is copied either way.

import { record } from "../autograd/tape.js";
import { formatShape, shapeSize, Tensor } from "../tensor/tensor.js";

/** `x`'s values under `shape`, which must hold as many; a view, no copy. */
export function reshape(x: Tensor, shape: readonly number[]): Tensor {
  if (shapeSize(shape) !== x.size) {
    throw new RangeError(`reshape: ${formatShape(x.shape)} has ${x.size} values but ${formatShape(shape)} holds ${shapeSize(shape)}`);
  }
  // The tape sums gradients in place, so dx must be an array object of its own: a new view of
  // dy's memory, which no one else reads once this backward has it.
  return record(new Tensor(x.data, shape), "reshape", [x], (dy) => [dy.subarray(0)]);
}
