// eltwise.ts — Caffe "Eltwise": combine K same-shaped tensors elementwise.
//
//     SUM:  y = Σ_k c_k · x_k     (coefficients c_k, all 1 by default)
//     PROD: y = Π_k x_k
//     MAX:  y = max_k x_k         (the forward remembers which input won)
//
// Caffe accepts coefficients only for SUM. On a tie, MAX here picks the first input holding the
// maximum; Caffe picks input 1 over input 0 on a tie between those two and the earlier one after
// that. Ties have measure zero on real activations, and either choice is a valid subgradient.
//
// Legend: K inputs, all of the same (any) shape.

import { record } from "../autograd/tape.js";
import { allocLike, checkSameDtype, formatShape, sameShape, Tensor, type Floats } from "../tensor/tensor.js";

/** Caffe's Eltwise operations: a weighted sum, the product, or the maximum, element by element. */
export type EltwiseOp = "sum" | "prod" | "max";

export function eltwiseSumForward(y: Floats, xs: readonly Floats[], coeffs: readonly number[]): void {
  y.fill(0);
  xs.forEach((x, k) => {
    const c = coeffs[k]!;
    for (let i = 0; i < y.length; i++) y[i]! += c * x[i]!;
  });
}

/** ∂y/∂x_k = c_k. Accumulates; null skips. */
export function eltwiseSumBackward(dxs: ReadonlyArray<Floats | null>, dy: Floats, coeffs: readonly number[]): void {
  dxs.forEach((dx, k) => {
    if (dx === null) return;
    const c = coeffs[k]!;
    for (let i = 0; i < dy.length; i++) dx[i]! += c * dy[i]!;
  });
}

export function eltwiseProdForward(y: Floats, xs: readonly Floats[]): void {
  y.fill(1);
  for (const x of xs) for (let i = 0; i < y.length; i++) y[i]! *= x[i]!;
}

/**
 * ∂y/∂x_k = Π_{j≠k} x_j: the product of the others, multiplied out rather than computed as y/x_k,
 * which would fail where x_k = 0 (Caffe's "stable" product gradient). Accumulates; null skips.
 */
export function eltwiseProdBackward(dxs: ReadonlyArray<Floats | null>, dy: Floats, xs: readonly Floats[]): void {
  dxs.forEach((dx, k) => {
    if (dx === null) return;
    for (let i = 0; i < dy.length; i++) {
      let others = 1;
      for (let j = 0; j < xs.length; j++) if (j !== k) others *= xs[j]![i]!;
      dx[i]! += dy[i]! * others;
    }
  });
}

/** y = max_k x_k; argmax[i] = the first k holding the maximum. */
export function eltwiseMaxForward(y: Floats, argmax: Int32Array, xs: readonly Floats[]): void {
  y.set(xs[0]!);
  argmax.fill(0);
  for (let k = 1; k < xs.length; k++) {
    const x = xs[k]!;
    for (let i = 0; i < y.length; i++) {
      if (x[i]! > y[i]!) {
        y[i] = x[i]!;
        argmax[i] = k;
      }
    }
  }
}

/** ∂y/∂x_k = 1 where input k won, else 0. Accumulates; null skips. */
export function eltwiseMaxBackward(dxs: ReadonlyArray<Floats | null>, dy: Floats, argmax: Int32Array): void {
  dxs.forEach((dx, k) => {
    if (dx === null) return;
    for (let i = 0; i < dy.length; i++) if (argmax[i] === k) dx[i]! += dy[i]!;
  });
}

/** Caffe Eltwise: SUM (with optional coefficients), PROD or MAX of same-shaped tensors. */
export function eltwise(xs: readonly Tensor[], op: EltwiseOp, coeffs?: readonly number[]): Tensor {
  if (xs.length === 0) throw new RangeError(`eltwise ${op}: needs at least one input`);
  const first = xs[0]!;
  xs.forEach((x, k) => {
    if (!sameShape(x.shape, first.shape)) {
      throw new RangeError(
        `eltwise ${op}: input ${k} has shape ${formatShape(x.shape)} but input 0 has ${formatShape(first.shape)}; shapes must match`,
      );
    }
  });
  checkSameDtype(`eltwise ${op}`, xs);
  if (coeffs !== undefined && op !== "sum") {
    throw new RangeError(`eltwise ${op}: coefficients are only allowed for "sum"`);
  }
  if (coeffs !== undefined && coeffs.length !== xs.length) {
    throw new RangeError(`eltwise sum: ${coeffs.length} coefficients for ${xs.length} inputs; give one per input`);
  }
  const y = new Tensor(allocLike(first.data), first.shape);
  const data = xs.map((x) => x.data);
  const gradsFor = (): Array<Floats | null> => xs.map((x) => (x.requiresGrad ? allocLike(x.data) : null));

  if (op === "sum") {
    const c = coeffs ?? xs.map(() => 1);
    eltwiseSumForward(y.data, data, c);
    return record(y, "eltwise", xs, (dy) => {
      const dxs = gradsFor();
      eltwiseSumBackward(dxs, dy, c);
      return dxs;
    });
  }
  if (op === "prod") {
    eltwiseProdForward(y.data, data);
    return record(y, "eltwise", xs, (dy) => {
      const dxs = gradsFor();
      eltwiseProdBackward(dxs, dy, data);
      return dxs;
    });
  }
  if (op !== "max") throw new RangeError(`eltwise: unknown operation "${String(op)}" (expected "sum", "prod" or "max")`);
  const argmax = new Int32Array(y.size);
  eltwiseMaxForward(y.data, argmax, data);
  return record(y, "eltwise", xs, (dy) => {
    const dxs = gradsFor();
    eltwiseMaxBackward(dxs, dy, argmax);
    return dxs;
  });
}
