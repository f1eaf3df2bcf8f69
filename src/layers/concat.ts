// concat.ts — Caffe "Concat": join tensors along one axis (axis 1, channels, by default: an
// Inception module's four branches become one blob).
//
// All inputs have the same rank and agree on every axis but `axis`. Viewing each input as
// [outer, A_k, inner] (outer = product of the axes before `axis`, inner = product of those after),
// the output is [outer, ΣA_k, inner], and for every outer index the inputs' blocks of A_k·inner
// contiguous values are laid side by side. The backward cuts dy into the same blocks.
//
// Legend: A_k the size of input k along the axis, A = Σ A_k.

import { record } from "../autograd/tape.js";
import { allocOutput } from "../tensor/buffers.js";
import { allocLike, checkSameDtype, formatShape, normalizeAxis, shapeSize, Tensor, type Floats } from "../tensor/tensor.js";

export interface ConcatGeometry {
  /** Product of the axes before the concatenation axis. */
  outer: number;
  /** Product of the axes after it. */
  inner: number;
  /** A_k: each input's size along the axis. */
  sizes: number[];
}

/** Checks that `shapes` can be concatenated along `axis` (negative counts from the end). */
export function concatGeometry(shapes: ReadonlyArray<readonly number[]>, axis: number): ConcatGeometry {
  if (shapes.length === 0) throw new RangeError("concat: needs at least one input");
  const first = shapes[0]!;
  const rank = first.length;
  const ax = normalizeAxis(axis, first, "concat");
  shapes.forEach((s, k) => {
    if (s.length !== rank || s.some((d, i) => i !== ax && d !== first[i])) {
      throw new RangeError(
        `concat: input ${k} has shape ${formatShape(s)} but input 0 has ${formatShape(first)}; ` + `all axes except axis ${ax} must match`,
      );
    }
  });
  return {
    outer: shapeSize(first.slice(0, ax)),
    inner: shapeSize(first.slice(ax + 1)),
    sizes: shapes.map((s) => s[ax]!),
  };
}

/** y [outer, A, inner] ← the inputs [outer, A_k, inner], side by side along the middle axis. */
export function concatForward(y: Floats, xs: readonly Floats[], g: ConcatGeometry): void {
  const total = g.sizes.reduce((a, b) => a + b, 0);
  let at = 0; // where input k starts along the axis
  xs.forEach((x, k) => {
    const block = g.sizes[k]! * g.inner;
    for (let o = 0; o < g.outer; o++) y.set(x.subarray(o * block, (o + 1) * block), (o * total + at) * g.inner);
    at += g.sizes[k]!;
  });
}

/** The concatenation only moves values, so dx_k is dy's block for input k. Accumulates; null skips. */
export function concatBackward(dxs: ReadonlyArray<Floats | null>, dy: Floats, g: ConcatGeometry): void {
  const total = g.sizes.reduce((a, b) => a + b, 0);
  let at = 0;
  dxs.forEach((dx, k) => {
    const block = g.sizes[k]! * g.inner;
    if (dx !== null) {
      for (let o = 0; o < g.outer; o++) {
        const from = (o * total + at) * g.inner;
        for (let i = 0; i < block; i++) dx[o * block + i]! += dy[from + i]!;
      }
    }
    at += g.sizes[k]!;
  });
}

/** Caffe Concat: the tensors joined along `axis` (default 1, channels). */
export function concat(xs: readonly Tensor[], axis = 1): Tensor {
  const g = concatGeometry(
    xs.map((x) => x.shape),
    axis,
  );
  const first = xs[0]!;
  checkSameDtype("concat", xs);
  const ax = normalizeAxis(axis, first.shape, "concat");
  const shape = first.shape.map((d, i) => (i === ax ? g.sizes.reduce((a, b) => a + b, 0) : d));
  const y = new Tensor(allocOutput(first.data, shapeSize(shape)), shape);
  concatForward(
    y.data,
    xs.map((x) => x.data),
    g,
  );
  return record(y, "concat", xs, (dy) => {
    // With one outer block (a single image, channels axis) dx_k is a contiguous run of dy: hand
    // it back as a view, no copy. The tape may then add into it; dy is not read again.
    if (g.outer === 1) {
      let at = 0;
      return xs.map((x, k) => {
        const run = dy.subarray(at * g.inner, (at + g.sizes[k]!) * g.inner);
        at += g.sizes[k]!;
        return x.requiresGrad ? run : null;
      });
    }
    const dxs = xs.map((x) => (x.requiresGrad ? allocLike(x.data) : null));
    concatBackward(dxs, dy, g);
    return dxs;
  });
}
