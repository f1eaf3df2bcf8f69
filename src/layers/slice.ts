// slice.ts — Caffe "Slice": cut one tensor along an axis into consecutive parts, one per top
// (the adjoint of ./concat.ts: concatenating the parts gives the input back).
//
// Viewing the input as [outer, A, inner] (outer = product of the axes before `axis`, inner =
// product of those after), part k is [outer, A_k, inner] with ΣA_k = A: for every outer index it
// takes the block of A_k·inner contiguous values that starts at (a_k)·inner, a_k = A_0 + … + A_{k−1}.
//
//     y_k[o, a, i] = x[o, a_k + a, i]        so        dx[o, a_k + a, i] = dy_k[o, a, i]
//
// Each value of x lands in exactly one part, so the backward writes each top's gradient into its
// own block and nothing else: the tape sums the tops' contributions. Caffe gives the cut as
// `slice_point`s (the a_k, k ≥ 1) or as equal parts; ../models/layer-rules/reshaping.ts turns
// either into the sizes A_k this op takes.
//
// Not split over threads: a copy is bound by memory, not by arithmetic, and a slice moves each
// value once (../layers/concat.ts is not split either).
//
// Legend: A the input's size along the axis, A_k part k's, a_k where part k starts.

import { record } from "../autograd/tape.js";
import { allocOutput } from "../tensor/buffers.js";
import { allocLike, formatShape, normalizeAxis, shapeSize, Tensor, type Floats } from "../tensor/tensor.js";

/** A slice seen as [outer, A, inner] cut into parts [outer, A_k, inner]. */
export interface SliceGeometry {
  /** Product of the axes before the slice axis. */
  outer: number;
  /** Product of the axes after it. */
  inner: number;
  /** A_k: each part's size along the axis; they add up to the input's. */
  sizes: number[];
}

/** Checks that `sizes` (each ≥ 0) cut axis `axis` of `shape` exactly (negative counts from the end). */
export function sliceGeometry(shape: readonly number[], axis: number, sizes: readonly number[]): SliceGeometry {
  const ax = normalizeAxis(axis, shape, "slice");
  if (sizes.length === 0) throw new RangeError("slice: needs at least one part");
  const total = sizes.reduce((a, b) => a + b, 0);
  if (sizes.some((s) => !Number.isInteger(s) || s < 0) || total !== shape[ax]) {
    throw new RangeError(`slice: parts [${sizes.join(", ")}] do not cut axis ${ax} of ${formatShape(shape)}, of size ${shape[ax]}`);
  }
  return { outer: shapeSize(shape.slice(0, ax)), inner: shapeSize(shape.slice(ax + 1)), sizes: [...sizes] };
}

/** ys[k] [outer, A_k, inner] ← block k of x [outer, A, inner] along the middle axis. */
export function sliceForward(ys: readonly Floats[], x: Floats, g: SliceGeometry): void {
  const rowOfX = g.sizes.reduce((a, b) => a + b, 0) * g.inner; // one outer index of x
  let at = 0; // a_k·inner: where part k starts in a row of x
  ys.forEach((y, k) => {
    const block = g.sizes[k]! * g.inner;
    for (let o = 0; o < g.outer; o++) y.set(x.subarray(o * rowOfX + at, o * rowOfX + at + block), o * block);
    at += block;
  });
}

/** dx [outer, A, inner] += dys[k] in block k: each part's gradient goes back where it came from. Null skips. */
export function sliceBackward(dx: Floats, dys: ReadonlyArray<Floats | null>, g: SliceGeometry): void {
  const rowOfX = g.sizes.reduce((a, b) => a + b, 0) * g.inner;
  let at = 0;
  dys.forEach((dy, k) => {
    const block = g.sizes[k]! * g.inner;
    if (dy !== null) {
      for (let o = 0; o < g.outer; o++) {
        const to = o * rowOfX + at;
        for (let i = 0; i < block; i++) dx[to + i]! += dy[o * block + i]!;
      }
    }
    at += block;
  });
}

/** Caffe Slice: `x` cut along `axis` (default 1, channels) into parts of `sizes`, one tensor each. */
export function slice(x: Tensor, sizes: readonly number[], axis = 1): Tensor[] {
  const g = sliceGeometry(x.shape, axis, sizes);
  const ax = normalizeAxis(axis, x.shape, "slice");
  const tops = g.sizes.map((s) => {
    const shape = x.shape.map((d, i) => (i === ax ? s : d));
    return new Tensor(allocOutput(x.data, shapeSize(shape)), shape);
  });
  sliceForward(
    tops.map((t) => t.data),
    x.data,
    g,
  );
  // One node per top: each scatters its own gradient into a zero dx, and the tape sums them.
  return tops.map((y, k) =>
    record(y, "slice", [x], (dy) => {
      const dx = allocLike(x.data);
      sliceBackward(
        dx,
        g.sizes.map((_, j) => (j === k ? dy : null)),
        g,
      );
      return [dx];
    }),
  );
}

// ---- Naive twins: one value at a time, by its index along the axis; the oracles for tests ----

export function sliceForwardNaive(ys: readonly Floats[], x: Floats, g: SliceGeometry): void {
  const A = g.sizes.reduce((a, b) => a + b, 0);
  for (let o = 0; o < g.outer; o++) {
    for (let a = 0; a < A; a++) {
      let k = 0,
        start = 0; // part k holds a ∈ [start, start + A_k)
      while (a >= start + g.sizes[k]!) start += g.sizes[k++]!;
      for (let i = 0; i < g.inner; i++) ys[k]![(o * g.sizes[k]! + a - start) * g.inner + i] = x[(o * A + a) * g.inner + i]!;
    }
  }
}

export function sliceBackwardNaive(dx: Floats, dys: ReadonlyArray<Floats | null>, g: SliceGeometry): void {
  const A = g.sizes.reduce((a, b) => a + b, 0);
  for (let o = 0; o < g.outer; o++) {
    for (let a = 0; a < A; a++) {
      let k = 0,
        start = 0;
      while (a >= start + g.sizes[k]!) start += g.sizes[k++]!;
      const dy = dys[k];
      if (dy === null || dy === undefined) continue;
      for (let i = 0; i < g.inner; i++) dx[(o * A + a) * g.inner + i]! += dy[(o * g.sizes[k]! + a - start) * g.inner + i]!;
    }
  }
}
