// Gradient checking by central differences, in Float64.
//
// For a scalar L(x) = Σ_i r_i · f(x)_i with a fixed random r (so every output matters), the
// analytic gradient from `backward()` must match
//     dL/dx_j ≈ (L(x + h·e_j) − L(x − h·e_j)) / 2h,
// whose error is O(h²) from truncation plus O(ε·|L|/h) from rounding. With h = 1e-6 in Float64
// that is ~1e-10 relative; in Float32 it would be ~1e-2, which is why checks run in Float64.

import { backward } from "./tape.js";
import { fillUniform } from "../tensor/random.js";
import { shapeSize, Tensor, type Floats } from "../tensor/tensor.js";

/** How far `backward()` is from central differences, per input. */
export interface GradcheckResult {
  /** Per checked input: ‖analytic − numeric‖₂ / max(‖analytic‖₂, ‖numeric‖₂, tiny). */
  relativeErrors: number[];
  /** The largest of them. */
  maxRelativeError: number;
}

/**
 * Compares `backward()` with central differences for `f` at `inputs` (Float64 tensors).
 * Every input with `requiresGrad` is checked; `h` is the difference step.
 */
export function gradcheck(
  f: (...inputs: Tensor[]) => Tensor,
  inputs: Tensor[],
  { h = 1e-6, seed = 1 }: { h?: number; seed?: number } = {},
): GradcheckResult {
  for (const x of inputs) {
    if (!(x.data instanceof Float64Array)) throw new Error("gradcheck needs Float64 inputs");
  }
  const probe = f(...inputs);
  const r = randomTensor(probe.shape, seed).data;
  const loss = (): number => {
    const y = f(...inputs).data;
    let acc = 0;
    for (let i = 0; i < y.length; i++) acc += r[i]! * y[i]!;
    return acc;
  };

  for (const x of inputs) x.grad = null;
  backward(probe, r);

  const relativeErrors: number[] = [];
  for (const x of inputs) {
    if (!x.requiresGrad) continue;
    const analytic: Floats = x.grad ?? new Float64Array(x.size);
    let diff2 = 0,
      a2 = 0,
      n2 = 0;
    for (let j = 0; j < x.size; j++) {
      const saved = x.data[j]!;
      x.data[j] = saved + h;
      const plus = loss();
      x.data[j] = saved - h;
      const minus = loss();
      x.data[j] = saved;
      const numeric = (plus - minus) / (2 * h);
      const a = analytic[j]!;
      diff2 += (a - numeric) ** 2;
      a2 += a * a;
      n2 += numeric * numeric;
    }
    relativeErrors.push(Math.sqrt(diff2) / Math.max(Math.sqrt(a2), Math.sqrt(n2), 1e-300));
  }
  return { relativeErrors, maxRelativeError: Math.max(0, ...relativeErrors) };
}

/** A Float64 tensor of uniform values in [lo, hi) from a fixed seed, for checks and tests. */
export function randomTensor(shape: readonly number[], seed = 7, lo = -1, hi = 1, requiresGrad = false): Tensor {
  return new Tensor(fillUniform(new Float64Array(shapeSize(shape)), seed, lo, hi), shape, requiresGrad);
}
