// A tiny composed net checked end to end through the tape:
// conv → relu → LRN → max pool → concat (with an ave-pool branch) → inner product → softmax.
// Per-op checks prove each backward rule; this proves they compose (fan-out included: the
// relu output feeds two branches, so its gradient is a sum).
import { randomTensor } from "../../src/autograd/gradcheck.js";
import { concat } from "../../src/layers/concat.js";
import { conv2d } from "../../src/layers/conv.js";
import { innerProduct } from "../../src/layers/inner-product.js";
import { lrn } from "../../src/layers/lrn.js";
import { pool2d } from "../../src/layers/pooling.js";
import { relu } from "../../src/layers/relu.js";
import { softmax } from "../../src/layers/softmax.js";
import type { Tensor } from "../../src/tensor/tensor.js";
import type { GradcheckCase } from "./cases.js";

function tinyNet(x: Tensor, w1: Tensor, b1: Tensor, w2: Tensor, b2: Tensor): Tensor {
  const a = relu(conv2d(x, w1, b1, { pad: [1, 1] })); // [1, 4, 6, 6]
  const n = lrn(a, { localSize: 3, alpha: 0.5, beta: 0.75, k: 2, region: "across" });
  const m = pool2d(n, { method: "max", kernel: [3, 3], stride: [2, 2], pad: [0, 0] }); // [1, 4, 3, 3]
  const v = pool2d(a, { method: "ave", kernel: [2, 2], stride: [2, 2], pad: [0, 0] }); // [1, 4, 3, 3]
  const c = concat([m, v], 1); // [1, 8, 3, 3]
  return softmax(innerProduct(c, w2, b2), 1); // [1, 5]
}

export const netCases: GradcheckCase[] = [
  {
    op: "composed net",
    name: "conv → relu → LRN → pool → concat → inner product → softmax",
    f: tinyNet,
    inputs: () => [
      randomTensor([1, 2, 6, 6], 41, -1, 1, true),
      randomTensor([4, 2, 3, 3], 42, -1, 1, true),
      randomTensor([4], 43, -0.2, 0.2, true),
      randomTensor([5, 72], 44, -0.5, 0.5, true),
      randomTensor([5], 45, -1, 1, true),
    ],
  },
];
