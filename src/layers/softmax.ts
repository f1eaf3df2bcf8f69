// softmax.ts — Caffe "Softmax": normalized exponentials along one axis (default 1, channels).
//
//     y[o, d, i] = exp(x[o, d, i] − m) / Σ_d' exp(x[o, d', i] − m),    m = max_d' x[o, d', i]
//
// Viewing x as [outer, D, inner] (outer = product of the axes before `axis`, inner = product of
// those after), each (o, i) is one distribution over D: for GoogLeNet's `prob` [N, 1000, 1, 1]
// that is per image; Caffe applies it at every spatial position when inner > 1. Subtracting the
// maximum changes nothing mathematically and keeps exp from overflowing.
//
// Legend: D the size of the softmax axis.

import { record } from "../autograd/tape.js";
import { allocLike, normalizeAxis, shapeSize, Tensor, type Floats } from "../tensor/tensor.js";

export interface SoftmaxGeometry {
  outer: number;
  /** The size of the softmax axis. */
  D: number;
  inner: number;
}

export function softmaxGeometry(shape: readonly number[], axis: number): SoftmaxGeometry {
  const ax = normalizeAxis(axis, shape, "softmax");
  return { outer: shapeSize(shape.slice(0, ax)), D: shape[ax]!, inner: shapeSize(shape.slice(ax + 1)) };
}

export function softmaxForward(y: Floats, x: Floats, g: SoftmaxGeometry): void {
  const { outer, D, inner } = g;
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const start = o * D * inner + i; // x[o, 0, i]; the axis has stride `inner`
      const end = start + D * inner;
      let max = -Infinity;
      for (let j = start; j < end; j += inner) max = Math.max(max, x[j]!);
      let sum = 0;
      for (let j = start; j < end; j += inner) {
        const e = Math.exp(x[j]! - max);
        y[j] = e;
        sum += e;
      }
      for (let j = start; j < end; j += inner) y[j]! /= sum;
    }
  }
}

/**
 * ∂y_d/∂x_e = y_d ([d = e] − y_e), so dx_e = Σ_d dy_d y_d ([d = e] − y_e) = y_e (dy_e − Σ_d dy_d y_d).
 * Accumulates into dx.
 */
export function softmaxBackward(dx: Floats, dy: Floats, y: Floats, g: SoftmaxGeometry): void {
  const { outer, D, inner } = g;
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const start = o * D * inner + i;
      const end = start + D * inner;
      let dot = 0;
      for (let j = start; j < end; j += inner) dot += dy[j]! * y[j]!;
      for (let j = start; j < end; j += inner) dx[j]! += y[j]! * (dy[j]! - dot);
    }
  }
}

/** Caffe Softmax along `axis` (default 1; negative counts from the end). */
export function softmax(x: Tensor, axis = 1): Tensor {
  const g = softmaxGeometry(x.shape, axis);
  const y = new Tensor(allocLike(x.data), x.shape);
  softmaxForward(y.data, x.data, g);
  return record(y, "softmax", [x], (dy) => {
    const dx = allocLike(x.data);
    softmaxBackward(dx, dy, y.data, g);
    return [dx];
  });
}
