// scale.ts — Caffe "Scale" and "Bias": a factor and an offset broadcast over some axes of x.
//
//     Scale:  y[o, d, i] = x[o, d, i] · scale[d]  (+ bias[d] with bias_term)
//     Bias:   y[o, d, i] = x[o, d, i] + bias[d]
//
// x is viewed as [outer, D, inner] (scale_layer.cpp): the scale covers the axes `axis` …
// `axis + numAxes − 1` of x, whose sizes multiply to D; outer is the product of the axes before,
// inner of those after. The scale's own shape is those axes' sizes: [C] for the usual
// per-channel Scale after a BatchNorm (axis 1, num_axes 1), the whole of x from `axis` with
// num_axes −1, a single number with num_axes 0 (then the axis does not matter: Caffe takes 0).
//
// The scale (and the bias) is a learned blob of the layer, or, given a second bottom, that
// blob's values, whose axes are then the ones covered (num_axes is ignored, as in Caffe). A
// learned blob needs no gradient in a dream; a second bottom is a value of the net, and its
// gradient flows back through it like any other:
//
//     ∂L/∂x[o, d, i] = dy[o, d, i] · scale[d]
//     ∂L/∂scale[d]   = Σ_{o, i} dy[o, d, i] · x[o, d, i]
//     ∂L/∂bias[d]    = Σ_{o, i} dy[o, d, i]
//
// Legend: outer, D, inner as above; a "row" is the inner values of one (o, d).

import { record } from "../autograd/tape.js";
import { allocOutput } from "../tensor/buffers.js";
import { defineJob, pieceRange, piecesFor } from "../threads/pool.js";
import { allocLike, checkSameDtype, formatShape, normalizeAxis, shapeSize, Tensor, type Floats } from "../tensor/tensor.js";

/** x as [outer, D, inner] around the axes a scale covers. */
export interface ScaleGeometry {
  outer: number;
  /** The values the scale holds: the product of the axes it covers. */
  D: number;
  inner: number;
}

/**
 * The view of x (`shape`) for a scale of shape `covered` along `axis`; throws a RangeError
 * naming `op` when the scale's axes are not x's there.
 */
export function scaleGeometry(shape: readonly number[], covered: readonly number[], axis: number, op = "scale"): ScaleGeometry {
  const ax = covered.length === 0 ? 0 : normalizeAxis(axis, shape, op);
  const fits = ax + covered.length <= shape.length && covered.every((d, k) => shape[ax + k] === d);
  if (!fits) {
    throw new RangeError(`${op}: a ${formatShape(covered)} scale does not match the axes of ${formatShape(shape)} from axis ${axis}`);
  }
  return { outer: shapeSize(shape.slice(0, ax)), D: shapeSize(covered), inner: shapeSize(shape.slice(ax + covered.length)) };
}

// ---- The kernels: rows [start, end) of the outer·D rows (or scale entries d, for the sums) ----

/** y = x · scale[d] + bias[d] on rows [start, end); a null scale is 1, a null bias 0. */
export function scaleForward(
  y: Floats,
  x: Floats,
  scale: Floats | null,
  bias: Floats | null,
  D: number,
  inner: number,
  start: number,
  end: number,
): void {
  for (let r = start; r < end; r++) {
    const d = r % D,
      a = scale === null ? 1 : scale[d]!,
      b = bias === null ? 0 : bias[d]!;
    for (let i = r * inner, stop = i + inner; i < stop; i++) y[i] = x[i]! * a + b;
  }
}

/** dx += dy · scale[d] on rows [start, end); a null scale is 1 (the Bias layer's dx = dy). */
export function scaleBackward(dx: Floats, dy: Floats, scale: Floats | null, D: number, inner: number, start: number, end: number): void {
  for (let r = start; r < end; r++) {
    const a = scale === null ? 1 : scale[r % D]!;
    for (let i = r * inner, stop = i + inner; i < stop; i++) dx[i]! += dy[i]! * a;
  }
}

/**
 * dscale[d] += Σ_{o, i} dy · x and dbias[d] += Σ_{o, i} dy for d in [start, end), each sum in
 * the order o, i whatever the threads. Null skips.
 */
export function scaleParamBackward(
  dscale: Floats | null,
  dbias: Floats | null,
  dy: Floats,
  x: Floats,
  g: ScaleGeometry,
  start: number,
  end: number,
): void {
  const { outer, D, inner } = g;
  for (let d = start; d < end; d++) {
    let sumDyX = 0,
      sumDy = 0;
    for (let o = 0; o < outer; o++) {
      for (let i = (o * D + d) * inner, stop = i + inner; i < stop; i++) {
        sumDyX += dy[i]! * x[i]!;
        sumDy += dy[i]!;
      }
    }
    if (dscale !== null) dscale[d]! += sumDyX;
    if (dbias !== null) dbias[d]! += sumDy;
  }
}

type Rows = { D: number; inner: number; scale: Floats | null };
export const scaleForwardJob = defineJob(
  "scaleForward",
  (a: Rows & { y: Floats; x: Floats; bias: Floats | null }, piece: number, pieces: number) =>
    scaleForward(a.y, a.x, a.scale, a.bias, a.D, a.inner, ...pieceRange(a.x.length / a.inner, piece, pieces)),
);
export const scaleBackwardJob = defineJob("scaleBackward", (a: Rows & { dx: Floats; dy: Floats }, piece: number, pieces: number) =>
  scaleBackward(a.dx, a.dy, a.scale, a.D, a.inner, ...pieceRange(a.dx.length / a.inner, piece, pieces)),
);
export const scaleParamBackwardJob = defineJob(
  "scaleParamBackward",
  (a: { dscale: Floats | null; dbias: Floats | null; dy: Floats; x: Floats; g: ScaleGeometry }, piece: number, pieces: number) =>
    scaleParamBackward(a.dscale, a.dbias, a.dy, a.x, a.g, ...pieceRange(a.g.D, piece, pieces)),
);

/** Pieces for a job over `units` rows (or scale entries) of a blob of `values` values. */
function pieces(values: number, units: number): number {
  return units === 0 ? 1 : piecesFor(values, units);
}

// ---- The differentiable ops ----

/**
 * Caffe Scale: y = x · scale (+ bias), `scale` broadcast over the axes of x from `axis` that its
 * shape covers ([] for one number). `bias`, if given, holds as many values. Gradients flow to
 * every input that requires one (a second bottom does; learned blobs do not).
 */
export function scale(x: Tensor, factors: Tensor, bias: Tensor | null, axis: number): Tensor {
  const g = scaleGeometry(x.shape, factors.shape, axis, "scale");
  if (bias !== null && bias.size !== g.D) {
    throw new RangeError(`scale: the bias has ${bias.size} values but the scale ${formatShape(factors.shape)} has ${g.D}`);
  }
  const inputs = bias === null ? [x, factors] : [x, factors, bias];
  checkSameDtype("scale", inputs);
  return affine("scale", x, factors, bias, g, inputs);
}

/**
 * Caffe Bias: y = x + bias, `bias` broadcast over the axes of x from `axis` that its shape
 * covers ([] for one number). Gradients flow to both inputs where they require one.
 */
export function bias(x: Tensor, offsets: Tensor, axis: number): Tensor {
  const g = scaleGeometry(x.shape, offsets.shape, axis, "bias");
  checkSameDtype("bias", [x, offsets]);
  return affine("bias", x, null, offsets, g, [x, offsets]);
}

/** The op both layers are: y = x · scale + bias, either part absent. `inputs` as recorded. */
function affine(op: string, x: Tensor, factors: Tensor | null, offsets: Tensor | null, g: ScaleGeometry, inputs: Tensor[]): Tensor {
  const rows = g.outer * g.D;
  const y = new Tensor(allocOutput(x.data), x.shape);
  const common = { D: g.D, inner: g.inner, scale: factors?.data ?? null };
  if (g.inner > 0) scaleForwardJob.run({ ...common, y: y.data, x: x.data, bias: offsets?.data ?? null }, pieces(x.size, rows));
  return record(y, op, inputs, (dy) => {
    const dx = x.requiresGrad ? allocLike(x.data) : null;
    const dscale = factors?.requiresGrad ? allocLike(factors.data) : null;
    const dbias = offsets?.requiresGrad ? allocLike(offsets.data) : null;
    if (dx !== null && g.inner > 0) scaleBackwardJob.run({ ...common, dx, dy }, pieces(x.size, rows));
    if (dscale !== null || dbias !== null) scaleParamBackwardJob.run({ dscale, dbias, dy, x: x.data, g }, pieces(x.size, g.D));
    return factors === null ? [dx, dbias] : offsets === null ? [dx, dscale] : [dx, dscale, dbias];
  });
}

// ---- Naive twins: the index (o, d, i) spelled out; the oracles of the tests ----

export function scaleForwardNaive(y: Floats, x: Floats, scale: Floats | null, bias: Floats | null, g: ScaleGeometry): void {
  for (let o = 0; o < g.outer; o++) {
    for (let d = 0; d < g.D; d++) {
      for (let i = 0; i < g.inner; i++) {
        const at = (o * g.D + d) * g.inner + i;
        y[at] = x[at]! * (scale === null ? 1 : scale[d]!) + (bias === null ? 0 : bias[d]!);
      }
    }
  }
}

/** All three gradients of `scaleForwardNaive`, accumulated; null skips. */
export function scaleBackwardNaive(
  dx: Floats | null,
  dscale: Floats | null,
  dbias: Floats | null,
  dy: Floats,
  x: Floats,
  scale: Floats | null,
  g: ScaleGeometry,
): void {
  for (let o = 0; o < g.outer; o++) {
    for (let d = 0; d < g.D; d++) {
      for (let i = 0; i < g.inner; i++) {
        const at = (o * g.D + d) * g.inner + i;
        if (dx !== null) dx[at]! += dy[at]! * (scale === null ? 1 : scale[d]!);
        if (dscale !== null) dscale[d]! += dy[at]! * x[at]!;
        if (dbias !== null) dbias[d]! += dy[at]!;
      }
    }
  }
}
