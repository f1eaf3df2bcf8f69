// InnerProduct, Caffe's fully connected layer:
//
//     y[m, n] = bias[n] + Σ_k x[m, k] · W[n, k]        i.e.  y = x · Wᵀ + b
//
// Legend: M rows (everything before `axis`), K features (everything from `axis` on, flattened),
// N = numOutput. Shapes: x [...lead, ...rest] read as [M, K]; W [N, K], or [K, N] when
// `transpose` (Caffe's inner_product_param.transpose); bias [N]; y [...lead, N].
// GoogLeNet's loss3/classifier: x [1, 1024, 1, 1] (axis 1, so M = 1, K = 1024), W [1000, 1024].
//
// Caffe stores legacy weight blobs as 4-D [1, 1, N, K]; the model loader reshapes them to
// [N, K], and this op accepts only the 2-D shape.

import { record } from "../autograd/tape.js";
import { allocLike, checkSameDtype, formatShape, normalizeAxis, Tensor, type Floats } from "../tensor/tensor.js";
import { gemm } from "./gemm.js";

/** The sizes of one inner product, computed once. */
export interface InnerProductGeometry {
  M: number;
  K: number;
  N: number;
  /** W is stored [K, N] rather than [N, K]. */
  transpose: boolean;
}

/** y[M×N] = x[M×K] · Wᵀ + bias, overwriting y. */
export function innerProductForward(y: Floats, x: Floats, w: Floats, bias: Floats | null, g: InnerProductGeometry): void {
  const { M, K, N, transpose } = g;
  // Start every row at the bias and let the GEMM add x·Wᵀ on top.
  if (bias !== null) for (let m = 0; m < M; m++) y.set(bias, m * N);
  gemm(y, x, w, M, N, K, { transB: !transpose, accumulate: bias !== null });
}

/**
 * Gradients of `innerProductForward`, accumulated (+=); null skips one. From y = x·Wᵀ + b:
 *     dx += dy · W          [M×N]·[N×K]    (dy · W'ᵀ when W' = Wᵀ is stored [K×N])
 *     dW += dyᵀ · x         [N×M]·[M×K]    (dW' += xᵀ · dy for the transposed storage)
 *     db += Σ_m dy[m, :]
 */
export function innerProductBackward(
  dx: Floats | null,
  dw: Floats | null,
  db: Floats | null,
  dy: Floats,
  x: Floats,
  w: Floats,
  g: InnerProductGeometry,
): void {
  const { M, K, N, transpose } = g;
  if (dx !== null) gemm(dx, dy, w, M, K, N, { transB: transpose, accumulate: true });
  if (dw !== null) {
    if (transpose) gemm(dw, x, dy, K, N, M, { transA: true, accumulate: true });
    else gemm(dw, dy, x, N, K, M, { transA: true, accumulate: true });
  }
  if (db !== null) {
    for (let m = 0; m < M; m++) for (let n = 0; n < N; n++) db[n]! += dy[m * N + n]!;
  }
}

/**
 * Differentiable fully connected layer (Caffe "InnerProduct"). x is flattened from `axis`
 * (default 1; negative counts from the end) into [M, K]; w is [numOutput, K], or [K, numOutput]
 * with `transpose`; bias is [numOutput] or null. Returns [...x.shape.slice(0, axis), numOutput].
 */
export function innerProduct(x: Tensor, w: Tensor, bias: Tensor | null, p: { axis?: number; transpose?: boolean } = {}): Tensor {
  const transpose = p.transpose ?? false;
  const axis = normalizeAxis(p.axis ?? 1, x.shape, "innerProduct");
  const M = x.shape.slice(0, axis).reduce((a, d) => a * d, 1);
  const K = x.shape.slice(axis).reduce((a, d) => a * d, 1);
  const layout = transpose ? "[K, numOutput]" : "[numOutput, K]";
  const kIndex = transpose ? 0 : 1;
  if (w.shape.length !== 2 || w.shape[kIndex] !== K) {
    throw new RangeError(
      `innerProduct: weights must be ${layout} with K = ${K} (input ${formatShape(x.shape)} flattened ` +
        `from axis ${axis}), got ${formatShape(w.shape)}; reshape legacy 4-D blobs when loading`,
    );
  }
  const N = w.shape[1 - kIndex]!;
  if (bias !== null && (bias.shape.length !== 1 || bias.shape[0] !== N)) {
    throw new RangeError(`innerProduct: bias must be [${N}] for weights ${formatShape(w.shape)}, got ${formatShape(bias.shape)}`);
  }
  const inputs = bias === null ? [x, w] : [x, w, bias];
  checkSameDtype("innerProduct", inputs);
  const g: InnerProductGeometry = { M, K, N, transpose };
  const y = new Tensor(allocLike(x.data, M * N), [...x.shape.slice(0, axis), N]);
  innerProductForward(y.data, x.data, w.data, bias?.data ?? null, g);
  return record(y, "innerProduct", inputs, (dy) => {
    const dx = x.requiresGrad ? allocLike(x.data) : null;
    const dw = w.requiresGrad ? allocLike(w.data) : null;
    const db = bias?.requiresGrad ? allocLike(bias.data) : null;
    innerProductBackward(dx, dw, db, dy, x.data, w.data, g);
    return bias === null ? [dx, dw] : [dx, dw, db];
  });
}

/** Reference forward: one dot product per output. */
export function innerProductForwardNaive(y: Floats, x: Floats, w: Floats, bias: Floats | null, g: InnerProductGeometry): void {
  const { M, K, N } = g;
  for (let m = 0; m < M; m++) {
    for (let n = 0; n < N; n++) {
      let acc = bias === null ? 0 : bias[n]!;
      for (let k = 0; k < K; k++) acc += x[m * K + k]! * w[weightIndex(g, n, k)]!;
      y[m * N + n] = acc;
    }
  }
}

/** Reference backward: each term x[m, k]·W[n, k] sends dy·W to dx and dy·x to dW. Accumulates. */
export function innerProductBackwardNaive(
  dx: Floats | null,
  dw: Floats | null,
  db: Floats | null,
  dy: Floats,
  x: Floats,
  w: Floats,
  g: InnerProductGeometry,
): void {
  const { M, K, N } = g;
  for (let m = 0; m < M; m++) {
    for (let n = 0; n < N; n++) {
      const d = dy[m * N + n]!;
      if (db !== null) db[n]! += d;
      for (let k = 0; k < K; k++) {
        const wi = weightIndex(g, n, k);
        if (dx !== null) dx[m * K + k]! += d * w[wi]!;
        if (dw !== null) dw[wi]! += d * x[m * K + k]!;
      }
    }
  }
}

/** Where W[n, k] lives: row-major [N, K], or [K, N] when transposed. */
function weightIndex(g: InnerProductGeometry, n: number, k: number): number {
  return g.transpose ? k * g.N + n : n * g.K + k;
}
