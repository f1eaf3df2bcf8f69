// Adam (Kingma & Ba, "Adam: A Method for Stochastic Optimization", 2015, Algorithm 1), as
// visualize uses it on the Fourier parameters — for ascent, since it maximizes a score:
//
//   m ← β₁·m + (1 − β₁)·g            a running mean of the gradient (momentum)
//   v ← β₂·v + (1 − β₂)·g²           a running mean of its square, per parameter
//   m̂ = m / (1 − β₁ᵗ),  v̂ = v / (1 − β₂ᵗ)   both start at 0, so early means are scaled up
//   θ ← θ + lr · m̂ / (√v̂ + ε)
//
// Each parameter moves about lr per step whatever its gradient's scale: the spectrum's
// parameters have gradients that differ by orders of magnitude between frequencies, and Adam
// evens that out (Lucid uses it for the same reason, with lr = 0.05). The paper's defaults
// β₁ = 0.9, β₂ = 0.999, ε = 1e-8 are ours too.

export interface AdamOptions {
  /** The step length lr (default 0.05, Lucid's). */
  learningRate?: number;
  /** β₁, the momentum's decay (default 0.9). */
  beta1?: number;
  /** β₂, the squared gradient's decay (default 0.999). */
  beta2?: number;
  /** ε, which keeps a parameter with no gradient from dividing by zero (default 1e-8). */
  epsilon?: number;
}

export const ADAM_DEFAULTS = { learningRate: 0.05, beta1: 0.9, beta2: 0.999, epsilon: 1e-8 } as const;

/** Adam's running means for one parameter array, and the number of steps taken. */
export interface AdamState {
  m: Float64Array;
  v: Float64Array;
  t: number;
}

export function adamState(length: number): AdamState {
  return { m: new Float64Array(length), v: new Float64Array(length), t: 0 };
}

/** One Adam step of ascent on `params` along `grad` (the header's update), in place. */
export function adamAscend(params: Float64Array, grad: ArrayLike<number>, state: AdamState, options: AdamOptions = {}): void {
  const { learningRate: lr, beta1: b1, beta2: b2, epsilon: eps } = { ...ADAM_DEFAULTS, ...options };
  if (grad.length !== params.length || state.m.length !== params.length) {
    throw new RangeError(`adamAscend: ${params.length} parameters, ${grad.length} gradients, ${state.m.length} moments`);
  }
  state.t++;
  const c1 = 1 - b1 ** state.t,
    c2 = 1 - b2 ** state.t;
  const { m, v } = state;
  for (let i = 0; i < params.length; i++) {
    const g = grad[i]!;
    m[i] = b1 * m[i]! + (1 - b1) * g;
    v[i] = b2 * v[i]! + (1 - b2) * g * g;
    params[i]! += (lr * (m[i]! / c1)) / (Math.sqrt(v[i]! / c2) + eps);
  }
}
