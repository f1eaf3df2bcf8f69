// Tensors and scijs ndarrays. An ndarray is a view — data, shape, stride, offset — so it can
// describe a transposed, cropped or flipped tensor without copying. Our kernels want plain
// contiguous row-major data instead, so crossing over is an explicit choice:
//   tensorToNdarray(t)    a view that shares t's memory (row-major strides, offset 0);
//   tensorFromNdarray(a)  a contiguous copy of any view, whatever its strides.

import ndarray from "ndarray";
import type { NdArray } from "./ndarray-type.js";
import { Tensor, type Floats } from "./tensor.js";

/** An ndarray view of `t` sharing its memory: writes through the view change the tensor. */
export function tensorToNdarray(t: Tensor): NdArray<Floats> {
  return ndarray(t.data, [...t.shape]);
}

/**
 * A contiguous row-major Tensor copied from any ndarray view (strided, offset, transposed).
 * Float64 data stays Float64; any other numeric dtype becomes Float32.
 */
export function tensorFromNdarray(a: NdArray): Tensor {
  const shape = [...a.shape];
  const n = shape.reduce((p, d) => p * d, 1);
  const out: Floats = a.data instanceof Float64Array ? new Float64Array(n) : new Float32Array(n);
  // Walk the index space in row-major order, reading each element through the view's strides.
  const index = new Array<number>(shape.length).fill(0);
  for (let i = 0; i < n; i++) {
    let at = a.offset;
    for (let d = 0; d < shape.length; d++) at += index[d]! * a.stride[d]!;
    out[i] = Number((a.data as ArrayLike<number>)[at]);
    for (let d = shape.length - 1; d >= 0; d--) {
      if (++index[d]! < shape[d]!) break;
      index[d] = 0;
    }
  }
  return new Tensor(out, shape);
}
