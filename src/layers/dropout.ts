// dropout.ts — Caffe "Dropout" at inference: the identity.
//
// At train time Caffe zeroes each value with probability `ratio` and scales the survivors by
// 1/(1 − ratio) ("inverted" dropout), so that the expected value is unchanged and nothing needs
// rescaling at test time. DeepDream only runs the net at inference, so dropout is y = x.
//
// We return x itself rather than a copy: no memory, no tape node, and the gradient flows straight
// through (the identity's backward is dx = dy). Ops never write into their inputs, so sharing the
// tensor is safe.

import type { Tensor } from "../tensor/tensor.js";

/** Caffe Dropout at inference: returns `x` itself. */
export function dropout(x: Tensor): Tensor {
  return x;
}
