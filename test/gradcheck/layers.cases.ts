// Gradient checks for the parameter-free layers: ReLU, pooling, LRN, concat, softmax, dropout,
// eltwise. Each case is a tiny Float64 problem; every input that requires a gradient is checked.
//
// ReLU and max pooling are not differentiable at kinks (x = 0) and ties (two equal maxima), so
// their inputs are kept away from those: central differences with h = 1e-6 would straddle them.
import { randomTensor } from "../../src/autograd/gradcheck.js";
import { concat } from "../../src/layers/concat.js";
import { dropout } from "../../src/layers/dropout.js";
import { eltwise } from "../../src/layers/eltwise.js";
import { lrn, type LrnParams } from "../../src/layers/lrn.js";
import { pool2d, type PoolParams } from "../../src/layers/pooling.js";
import { relu } from "../../src/layers/relu.js";
import { softmax } from "../../src/layers/softmax.js";
import type { Tensor } from "../../src/tensor/tensor.js";
import type { GradcheckCase } from "./cases.js";

/** A random tensor (requiring a gradient) whose values keep |x| ≥ 0.1, away from ReLU's kink. */
function awayFromZero(shape: number[], seed: number): Tensor {
  const t = randomTensor(shape, seed, -1, 1, true);
  for (let i = 0; i < t.size; i++) t.data[i] = Math.sign(t.data[i]!) * (0.1 + Math.abs(t.data[i]!));
  return t;
}

/**
 * A tensor (requiring a gradient) holding a shuffled ramp −1 + offset + 0.01·rank: no ties within
 * it, nor with other such tensors whose offsets differ (by less than 0.01).
 */
function distinct(shape: number[], seed: number, offset = 0): Tensor {
  const t = randomTensor(shape, seed, 0, 1, true);
  const order = Array.from(t.data.keys()).sort((a, b) => t.data[a]! - t.data[b]!);
  order.forEach((i, rank) => {
    t.data[i] = -1 + offset + 0.01 * rank;
  });
  return t;
}

const grad = (shape: number[], seed: number): Tensor => randomTensor(shape, seed, -1, 1, true);

function poolCase(name: string, shape: number[], p: PoolParams): GradcheckCase {
  return {
    op: "pool2d",
    name: `${p.method} ${name}`,
    f: (x) => pool2d(x, p),
    inputs: () => [p.method === "max" ? distinct(shape, 11) : grad(shape, 11)],
  };
}

const poolShapes: Array<[string, number[], Omit<PoolParams, "method">]> = [
  ["3×3/2 pad 1 on 5×5", [1, 2, 5, 5], { kernel: [3, 3], stride: [2, 2], pad: [1, 1] }],
  ["3×3/2 on 6×6 (ceil: last window partial)", [2, 1, 6, 6], { kernel: [3, 3], stride: [2, 2], pad: [0, 0] }],
  ["3×3/2 pad 2 on 4×4 (last window dropped)", [1, 1, 4, 4], { kernel: [3, 3], stride: [2, 2], pad: [2, 2] }],
  ["2×2/2 pad 1 on 5×6 (last row dropped)", [1, 2, 5, 6], { kernel: [2, 2], stride: [2, 2], pad: [1, 1] }],
  ["2×3 kernel, stride 2×1, pad 1×0 on 5×4", [1, 2, 5, 4], { kernel: [2, 3], stride: [2, 1], pad: [1, 0] }],
  ["5×5/3 pad 2 on 7×8", [1, 1, 7, 8], { kernel: [5, 5], stride: [3, 3], pad: [2, 2] }],
  ["global on 3×4", [2, 2, 3, 4], { kernel: [1, 1], stride: [1, 1], pad: [0, 0], global: true }],
];

// α is large in these cases (GoogLeNet's is 1e-4) so that the normalization term really matters.
function lrnCase(name: string, shape: number[], p: LrnParams): GradcheckCase {
  return { op: "lrn", name: `${p.region} n=${p.localSize} β=${p.beta} ${name}`, f: (x) => lrn(x, p), inputs: () => [grad(shape, 21)] };
}

export const layerCases: GradcheckCase[] = [
  { op: "relu", name: "slope 0", f: (x) => relu(x), inputs: () => [awayFromZero([2, 3, 4], 1)] },
  { op: "relu", name: "leaky slope 0.1", f: (x) => relu(x, 0.1), inputs: () => [awayFromZero([1, 3, 5, 2], 2)] },

  ...poolShapes.flatMap(([name, shape, p]) => [
    poolCase(name, shape, { method: "max", ...p }),
    poolCase(name, shape, { method: "ave", ...p }),
  ]),

  lrnCase("1 channel", [1, 1, 2, 3], { localSize: 5, alpha: 2, beta: 0.75, k: 1, region: "across" }),
  lrnCase("2 channels", [2, 2, 2, 2], { localSize: 3, alpha: 2, beta: 0.75, k: 1, region: "across" }),
  lrnCase("3 channels", [1, 3, 3, 2], { localSize: 5, alpha: 1.5, beta: 0.75, k: 2, region: "across" }),
  lrnCase("7 channels", [1, 7, 2, 2], { localSize: 3, alpha: 1, beta: 0.6, k: 1, region: "across" }),
  lrnCase("3×4 planes", [1, 2, 3, 4], { localSize: 3, alpha: 2, beta: 0.75, k: 1, region: "within" }),
  lrnCase("4×5 planes", [2, 1, 4, 5], { localSize: 5, alpha: 3, beta: 0.9, k: 1, region: "within" }),

  { op: "softmax", name: "axis 1 of [2, 4, 2, 3]", f: (x) => softmax(x, 1), inputs: () => [grad([2, 4, 2, 3], 31)] },
  { op: "softmax", name: "axis −1 of [3, 5]", f: (x) => softmax(x, -1), inputs: () => [grad([3, 5], 32)] },

  {
    op: "concat",
    name: "axis 0, two inputs",
    f: (a, b) => concat([a, b], 0),
    inputs: () => [grad([1, 2, 2, 3], 41), grad([2, 2, 2, 3], 42)],
  },
  {
    op: "concat",
    name: "axis 1, three inputs, the middle one constant",
    f: (a, b, c) => concat([a, b, c], 1),
    inputs: () => [grad([2, 1, 2, 2], 43), randomTensor([2, 3, 2, 2], 44), grad([2, 2, 2, 2], 45)],
  },
  {
    op: "concat",
    name: "axis 3, two inputs",
    f: (a, b) => concat([a, b], 3),
    inputs: () => [grad([2, 2, 3, 1], 46), grad([2, 2, 3, 4], 47)],
  },

  { op: "dropout", name: "identity", f: (x) => dropout(x), inputs: () => [grad([2, 3], 51)] },

  {
    op: "eltwise",
    name: "sum with coefficients",
    f: (a, b, c) => eltwise([a, b, c], "sum", [1, -0.5, 2]),
    inputs: () => [grad([2, 3, 2], 61), grad([2, 3, 2], 62), grad([2, 3, 2], 63)],
  },
  {
    op: "eltwise",
    name: "prod of three",
    f: (a, b, c) => eltwise([a, b, c], "prod"),
    inputs: () => [grad([3, 4], 64), grad([3, 4], 65), grad([3, 4], 66)],
  },
  {
    op: "eltwise",
    name: "max of three",
    f: (a, b, c) => eltwise([a, b, c], "max"),
    inputs: () => [distinct([3, 4], 67), distinct([3, 4], 68, 0.003), distinct([3, 4], 69, 0.006)],
  },
];
