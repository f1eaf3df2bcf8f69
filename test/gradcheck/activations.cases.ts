// Gradient checks for the activations beyond ReLU: Sigmoid, TanH, ELU, Power, AbsVal and PReLU
// (src/layers/pointwise.ts, src/layers/prelu.ts), each a tiny Float64 problem.
//
// ELU (for α ≠ 1), AbsVal and PReLU have a kink at x = 0, so their inputs keep |x| ≥ 0.1: central
// differences with h = 1e-6 would straddle it. Power's cases cover each of Caffe's forms of the
// derivative: a fractional power on a base kept positive, integer powers on bases of both signs
// (kept off 0, where a negative power has its pole), power 2, shift 0, power 1 and power 0.
import { randomTensor } from "../../src/autograd/gradcheck.js";
import { absval, elu, power, sigmoid, tanh, type PowerParams } from "../../src/layers/pointwise.js";
import { prelu } from "../../src/layers/prelu.js";
import type { Tensor } from "../../src/tensor/tensor.js";
import type { GradcheckCase } from "./cases.js";

const grad = (shape: number[], seed: number, lo = -1, hi = 1): Tensor => randomTensor(shape, seed, lo, hi, true);

/** A random tensor (requiring a gradient) whose values keep |x| ≥ 0.1, away from a kink at 0. */
function awayFromZero(shape: number[], seed: number, scale = 1): Tensor {
  const t = randomTensor(shape, seed, -1, 1, true);
  for (let i = 0; i < t.size; i++) t.data[i] = scale * Math.sign(t.data[i]!) * (0.1 + Math.abs(t.data[i]!));
  return t;
}

function powerCase(name: string, p: PowerParams, x: () => Tensor): GradcheckCase {
  return { op: "power", name: `${name}: power ${p.power}, scale ${p.scale}, shift ${p.shift}`, f: (t) => power(t, p), inputs: () => [x()] };
}

export const activationCases: GradcheckCase[] = [
  { op: "sigmoid", name: "[2, 3, 4] in [−4, 4]", f: (x) => sigmoid(x), inputs: () => [grad([2, 3, 4], 101, -4, 4)] },
  { op: "tanh", name: "[2, 3, 4] in [−2, 2]", f: (x) => tanh(x), inputs: () => [grad([2, 3, 4], 102, -2, 2)] },

  ...[1, 0.25, 2.5].map(
    (alpha, k): GradcheckCase => ({
      op: "elu",
      name: `α = ${alpha}`,
      f: (x) => elu(x, alpha),
      inputs: () => [awayFromZero([1, 3, 2, 4], 103 + k, 2)],
    }),
  ),

  // Base 0.5 + 0.4x ∈ [0.1, 0.9] for x ∈ [−1, 1].
  powerCase("fractional power, positive base", { power: 1.5, scale: 0.4, shift: 0.5 }, () => grad([2, 3, 4], 111)),
  powerCase("fractional power, shift 0, positive x", { power: 0.75, scale: 2, shift: 0 }, () => grad([3, 5], 112, 0.2, 2)),
  // Base 0.1 − 1.5x takes both signs.
  powerCase("integer power, mixed-sign base", { power: 3, scale: -1.5, shift: 0.1 }, () => grad([2, 3, 4], 113)),
  powerCase("integer power, shift 0, mixed signs", { power: 3, scale: 0.5, shift: 0 }, () => awayFromZero([2, 3, 4], 114)),
  powerCase("negative power, mixed signs off 0", { power: -2, scale: 1, shift: 0 }, () => awayFromZero([2, 3, 4], 115, 2)),
  powerCase("power 2", { power: 2, scale: -0.7, shift: 0.3 }, () => grad([2, 3, 4], 116)),
  powerCase("power 1", { power: 1, scale: -2, shift: 0.5 }, () => grad([2, 3], 117)),
  powerCase("power 0", { power: 0, scale: 3, shift: 1 }, () => grad([2, 3], 118)),

  { op: "absval", name: "[2, 3, 4] off 0", f: (x) => absval(x), inputs: () => [awayFromZero([2, 3, 4], 121)] },

  {
    op: "prelu",
    name: "per channel, input and slopes",
    f: (x, a) => prelu(x, a),
    inputs: () => [awayFromZero([2, 3, 2, 3], 131), grad([3], 132)],
  },
  {
    op: "prelu",
    name: "channel-shared, input and slope",
    f: (x, a) => prelu(x, a),
    inputs: () => [awayFromZero([2, 4, 3, 2], 133), grad([1], 134)],
  },
  {
    op: "prelu",
    name: "2-D [N, C] input, input only",
    f: (x, a) => prelu(x, a),
    inputs: () => [awayFromZero([3, 5], 135), randomTensor([5], 136)],
  },
];
