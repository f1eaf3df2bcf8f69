// pointwise.ts — Caffe's elementwise activations with no weights: "Sigmoid", "TanH", "ELU",
// "Power" and "AbsVal". Each is y = f(x) on every value, any shape, and its backward is
// dx += dy · f'(x), with f' written the way Caffe's CPU layers write it (src/caffe/layers/
// sigmoid_layer.cpp, tanh_layer.cpp, elu_layer.cpp, power_layer.cpp, absval_layer.cpp):
//
//     Sigmoid  y = 0.5 · tanh(0.5 x) + 0.5           dy/dx = y (1 − y)
//     TanH     y = tanh x                            dy/dx = 1 − y²
//     ELU      y = max(x, 0) + α (exp(min(x, 0)) − 1) dy/dx = 1 for x > 0, else α + y (= α eˣ)
//     Power    y = (shift + scale · x)^power          dy/dx = power · scale · (shift + scale · x)^(power − 1)
//     AbsVal   y = |x|                               dy/dx = sign x, with sign 0 = 0
//
// Sigmoid goes through tanh as Caffe's has since 2015, when it left 1 / (1 + e⁻ˣ), whose e⁻ˣ
// overflows Float32 for x below about −89. We compute in double, where both forms agree to
// Float32 rounding down to x ≈ −20 (σ ≈ 2e-9); below, the tanh form's absolute error (up to
// 5.6e-17, half an ulp of 0.5) is more than Float32's rounding, and σ is 0 from x ≈ −39
// (Caffe's, in Float32, from x ≈ −18).
// No objective DeepDream uses sees the difference. Sigmoid and TanH differentiate through their
// output, as Caffe does: no second exp or tanh in the backward.
//
// ELU at x = 0 takes the left derivative α (Caffe's `x <= 0`); it is 1 from the right, so ELU is
// differentiable there only for α = 1. Its parameter is elu_param's α (default 1).
//
// Power (power_param: power 1, scale 1, shift 0 by default) has Caffe's special cases:
//   - power · scale = 0 (power 0, or scale 0): y does not depend on x. y = 1 for power 0, else
//     shift^power, even where x is NaN, and dx = 0.
//   - power 1: y = shift + scale · x, dx = scale · dy.
//   - power 2: dy/dx = 2 · scale · (shift + scale · x), no division.
//   - otherwise Caffe reuses y instead of a second pow: dy/dx = power · scale · y / (shift + scale · x)
//     (power · y / x when shift = 0). Where the base shift + scale · x is 0 that is 0/0; Caffe
//     returns NaN there, we take the pow form instead (0 for power > 1, ∞ for power < 1), which
//     is the derivative. A negative base with a fractional power is NaN, forward and backward,
//     in Caffe and here.
//
// The fast kernels work on a range [start, end) of the values and run in pieces across threads
// like ./relu.ts: every value is computed alone, so the results are the same bits on any number
// of threads. The naive twins at the bottom write each rule the textbook way (1 / (1 + e⁻ˣ),
// α eˣ, the pow form of Power's derivative, a branch for AbsVal's sign) as independent oracles.

import { record } from "../autograd/tape.js";
import { allocOutput } from "../tensor/buffers.js";
import { allocLike, Tensor, type Floats } from "../tensor/tensor.js";
import { defineJob, pieceRange, piecesFor } from "../threads/pool.js";

/** Power's parameters: y = (shift + scale · x)^power (Caffe's power_param). */
export interface PowerParams {
  power: number;
  scale: number;
  shift: number;
}

/** One of the five functions with its parameters: what the jobs below are told to run. */
export type Pointwise =
  | { fn: "sigmoid" }
  | { fn: "tanh" }
  | { fn: "elu"; alpha: number }
  | ({ fn: "power" } & PowerParams)
  | { fn: "absval" };

// ---- Sigmoid ----

/** y = σ(x) = 0.5 · tanh(0.5 x) + 0.5 on [start, end). */
export function sigmoidForward(y: Floats, x: Floats, start: number, end: number): void {
  for (let i = start; i < end; i++) y[i] = 0.5 * Math.tanh(0.5 * x[i]!) + 0.5;
}

/** dx += dy · y (1 − y) on [start, end), from the output y. */
export function sigmoidBackward(dx: Floats, dy: Floats, y: Floats, start: number, end: number): void {
  for (let i = start; i < end; i++) {
    const s = y[i]!;
    dx[i]! += dy[i]! * s * (1 - s);
  }
}

// ---- TanH ----

/** y = tanh x on [start, end). */
export function tanhForward(y: Floats, x: Floats, start: number, end: number): void {
  for (let i = start; i < end; i++) y[i] = Math.tanh(x[i]!);
}

/** dx += dy · (1 − y²) on [start, end), from the output y. */
export function tanhBackward(dx: Floats, dy: Floats, y: Floats, start: number, end: number): void {
  for (let i = start; i < end; i++) {
    const t = y[i]!;
    dx[i]! += dy[i]! * (1 - t * t);
  }
}

// ---- ELU ----

/** y = max(x, 0) + α (exp(min(x, 0)) − 1) on [start, end): one exp per value, as Caffe. */
export function eluForward(y: Floats, x: Floats, alpha: number, start: number, end: number): void {
  for (let i = start; i < end; i++) {
    const v = x[i]!;
    y[i] = Math.max(v, 0) + alpha * (Math.exp(Math.min(v, 0)) - 1);
  }
}

/**
 * dx += dy · ((x > 0) + (α + y) (x ≤ 0)) on [start, end): for x ≤ 0, y = α (eˣ − 1), so
 * α + y = α eˣ is the derivative without a second exp. Branch-free, as ./relu.ts.
 */
export function eluBackward(dx: Floats, dy: Floats, x: Floats, y: Floats, alpha: number, start: number, end: number): void {
  for (let i = start; i < end; i++) {
    const pos = +(x[i]! > 0);
    dx[i]! += dy[i]! * (pos + (alpha + y[i]!) * (1 - pos));
  }
}

// ---- Power ----

/** y = (shift + scale · x)^power on [start, end); a constant when power · scale = 0. */
export function powerForward(y: Floats, x: Floats, p: PowerParams, start: number, end: number): void {
  const { power, scale, shift } = p;
  if (power * scale === 0) {
    y.fill(power === 0 ? 1 : shift ** power, start, end);
    return;
  }
  if (power === 1) {
    for (let i = start; i < end; i++) y[i] = scale * x[i]! + shift;
    return;
  }
  for (let i = start; i < end; i++) y[i] = (scale * x[i]! + shift) ** power;
}

/** dx += dy · dy/dx on [start, end), by Caffe's cases (the header lists them); y is the forward's output. */
export function powerBackward(dx: Floats, dy: Floats, x: Floats, y: Floats, p: PowerParams, start: number, end: number): void {
  const { power, scale, shift } = p;
  const diffScale = power * scale; // d/dx of the base's power, at base 1
  if (diffScale === 0) return; // y is a constant
  if (power === 1) {
    for (let i = start; i < end; i++) dx[i]! += dy[i]! * diffScale;
    return;
  }
  if (power === 2) {
    // 2 · scale · (shift + scale · x), as Caffe's axpby then add_scalar.
    for (let i = start; i < end; i++) dx[i]! += dy[i]! * (diffScale * scale * x[i]! + diffScale * shift);
    return;
  }
  for (let i = start; i < end; i++) {
    const base = scale * x[i]! + shift;
    // power · scale · base^(power − 1) = power · scale · y / base; power · y / x when shift = 0.
    // At base 0 the quotient is 0/0: the pow form gives the derivative there.
    let d: number;
    if (base === 0) d = diffScale * base ** (power - 1);
    else if (shift === 0) d = power * (y[i]! / x[i]!);
    else d = diffScale * (y[i]! / base);
    dx[i]! += dy[i]! * d;
  }
}

// ---- AbsVal ----

/** y = |x| on [start, end). */
export function absvalForward(y: Floats, x: Floats, start: number, end: number): void {
  for (let i = start; i < end; i++) y[i] = Math.abs(x[i]!);
}

/** dx += dy · sign x on [start, end), sign = (x > 0) − (x < 0), so 0 at 0 (Caffe's caffe_cpu_sign). */
export function absvalBackward(dx: Floats, dy: Floats, x: Floats, start: number, end: number): void {
  for (let i = start; i < end; i++) {
    const v = x[i]!;
    dx[i]! += dy[i]! * (+(v > 0) - +(v < 0));
  }
}

// ---- Jobs: one forward and one backward for the five, cut into runs of values ----

const MIN_PIECE = 4096;

function elementwisePieces(n: number): number {
  return piecesFor(n, Math.ceil(n / MIN_PIECE));
}

/** Runs f's forward kernel on [start, end). */
function forwardRange(f: Pointwise, y: Floats, x: Floats, start: number, end: number): void {
  switch (f.fn) {
    case "sigmoid":
      sigmoidForward(y, x, start, end);
      break;
    case "tanh":
      tanhForward(y, x, start, end);
      break;
    case "elu":
      eluForward(y, x, f.alpha, start, end);
      break;
    case "power":
      powerForward(y, x, f, start, end);
      break;
    case "absval":
      absvalForward(y, x, start, end);
      break;
  }
}

/** Runs f's backward kernel on [start, end); each reads x or y, whichever its rule needs. */
function backwardRange(f: Pointwise, dx: Floats, dy: Floats, x: Floats, y: Floats, start: number, end: number): void {
  switch (f.fn) {
    case "sigmoid":
      sigmoidBackward(dx, dy, y, start, end);
      break;
    case "tanh":
      tanhBackward(dx, dy, y, start, end);
      break;
    case "elu":
      eluBackward(dx, dy, x, y, f.alpha, start, end);
      break;
    case "power":
      powerBackward(dx, dy, x, y, f, start, end);
      break;
    case "absval":
      absvalBackward(dx, dy, x, start, end);
      break;
  }
}

export const pointwiseForwardJob = defineJob(
  "pointwiseForward",
  (a: { f: Pointwise; y: Floats; x: Floats }, piece: number, pieces: number) =>
    forwardRange(a.f, a.y, a.x, ...pieceRange(a.x.length, piece, pieces)),
);
export const pointwiseBackwardJob = defineJob(
  "pointwiseBackward",
  (a: { f: Pointwise; dx: Floats; dy: Floats; x: Floats; y: Floats }, piece: number, pieces: number) =>
    backwardRange(a.f, a.dx, a.dy, a.x, a.y, ...pieceRange(a.x.length, piece, pieces)),
);

/** y = f(x) for all of x, in as many pieces as the threads and the size make worth it. */
export function pointwiseForwardInThreads(f: Pointwise, y: Floats, x: Floats): void {
  pointwiseForwardJob.run({ f, y, x }, elementwisePieces(x.length));
}

/** dx += dy · f'(x) for all of x, in pieces across the threads; y is the forward's output. */
export function pointwiseBackwardInThreads(f: Pointwise, dx: Floats, dy: Floats, x: Floats, y: Floats): void {
  pointwiseBackwardJob.run({ f, dx, dy, x, y }, elementwisePieces(x.length));
}

// ---- Ops ----

/** f(x) as a new tensor on the tape, under the op name f.fn. */
function pointwise(x: Tensor, f: Pointwise): Tensor {
  const y = new Tensor(allocOutput(x.data), x.shape);
  pointwiseForwardInThreads(f, y.data, x.data);
  return record(y, f.fn, [x], (dy) => {
    const dx = allocLike(x.data);
    pointwiseBackwardInThreads(f, dx, dy, x.data, y.data);
    return [dx];
  });
}

/** Caffe Sigmoid: 1 / (1 + e⁻ˣ), computed as 0.5 · tanh(0.5 x) + 0.5. */
export function sigmoid(x: Tensor): Tensor {
  return pointwise(x, { fn: "sigmoid" });
}

/** Caffe TanH: tanh x. */
export function tanh(x: Tensor): Tensor {
  return pointwise(x, { fn: "tanh" });
}

/** Caffe ELU: x for x > 0, else α (eˣ − 1); α defaults to 1, as in Caffe. */
export function elu(x: Tensor, alpha = 1): Tensor {
  return pointwise(x, { fn: "elu", alpha });
}

/** Caffe Power: (shift + scale · x)^power, with Caffe's defaults power 1, scale 1, shift 0. */
export function power(x: Tensor, p: Partial<PowerParams> = {}): Tensor {
  return pointwise(x, { fn: "power", power: p.power ?? 1, scale: p.scale ?? 1, shift: p.shift ?? 0 });
}

/** Caffe AbsVal: |x|, whose gradient is 0 at 0. */
export function absval(x: Tensor): Tensor {
  return pointwise(x, { fn: "absval" });
}

// ---- Naive twins: each rule the textbook way, over the whole array; oracles for the tests ----

export function pointwiseForwardNaive(f: Pointwise, y: Floats, x: Floats): void {
  for (let i = 0; i < x.length; i++) {
    const v = x[i]!;
    if (f.fn === "sigmoid") y[i] = 1 / (1 + Math.exp(-v));
    else if (f.fn === "tanh") y[i] = (Math.exp(2 * v) - 1) / (Math.exp(2 * v) + 1);
    else if (f.fn === "elu") y[i] = v > 0 ? v : f.alpha * (Math.exp(v) - 1);
    else if (f.fn === "power") y[i] = f.power === 0 ? 1 : (f.shift + f.scale * v) ** f.power;
    else y[i] = v < 0 ? -v : v;
  }
}

/** dx += dy · f'(x), each derivative from x alone. */
export function pointwiseBackwardNaive(f: Pointwise, dx: Floats, dy: Floats, x: Floats): void {
  for (let i = 0; i < x.length; i++) {
    const v = x[i]!;
    let d: number;
    if (f.fn === "sigmoid") d = Math.exp(-v) / (1 + Math.exp(-v)) ** 2;
    else if (f.fn === "tanh") d = 1 / Math.cosh(v) ** 2;
    else if (f.fn === "elu") d = v > 0 ? 1 : f.alpha * Math.exp(v);
    else if (f.fn === "power") d = f.power === 0 ? 0 : f.power * f.scale * (f.shift + f.scale * v) ** (f.power - 1);
    else d = v > 0 ? 1 : v < 0 ? -1 : 0;
    dx[i]! += dy[i]! * d;
  }
}
