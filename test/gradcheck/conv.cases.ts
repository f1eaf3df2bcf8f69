// Gradient checks for conv2d and innerProduct: every input (x, w, bias), every option.
import { randomTensor } from "../../src/autograd/gradcheck.js";
import { conv2d, type Conv2dOptions } from "../../src/layers/conv.js";
import { innerProduct } from "../../src/layers/inner-product.js";
import type { Tensor } from "../../src/tensor/tensor.js";
import type { GradcheckCase } from "./cases.js";

/** A conv2d case on x [N, C, H, W], w [K, C/group, R, S], bias [K], all requiring gradients. */
function convCase(name: string, xShape: number[], wShape: number[], p: Conv2dOptions, bias = true): GradcheckCase {
  return {
    op: "conv2d",
    name,
    f: (x: Tensor, w: Tensor, b?: Tensor) => conv2d(x, w, b ?? null, p),
    inputs: () => [
      randomTensor(xShape, 11, -1, 1, true),
      randomTensor(wShape, 12, -1, 1, true),
      ...(bias ? [randomTensor([wShape[0]!], 13, -1, 1, true)] : []),
    ],
  };
}

export const convCases: GradcheckCase[] = [
  convCase("3×3 pad 1", [1, 2, 5, 5], [3, 2, 3, 3], { pad: [1, 1] }),
  convCase("stride 2, pad 2, batch 2", [2, 2, 7, 6], [2, 2, 3, 3], { stride: [2, 2], pad: [2, 2] }),
  convCase("groups 2", [1, 4, 5, 4], [4, 2, 3, 3], { group: 2, pad: [1, 0] }),
  convCase("dilation 2", [1, 2, 7, 7], [2, 2, 3, 3], { dilation: [2, 2], pad: [1, 1] }),
  convCase("non-square 3×2 kernel, stride [2, 1], no bias", [1, 2, 6, 5], [3, 2, 3, 2], { stride: [2, 1], pad: [1, 0] }, false),
  convCase("1×1 pointwise (no im2col), batch 2", [2, 3, 3, 4], [4, 3, 1, 1], {}),
  convCase("with a fused ReLU", [1, 2, 5, 5], [3, 2, 3, 3], { pad: [1, 1], relu: 0 }),
  // 3×3 stride 1 runs by Winograd's algorithm (src/layers/winograd.ts), forward and dx; 7×6 is no
  // multiple of its 4×4 tiles, and pad 2 makes the gradient's own convolution unpadded.
  convCase("3×3 stride 1 pad 2 on 7×6, batch 2 (Winograd)", [2, 3, 7, 6], [4, 3, 3, 3], { pad: [2, 2] }),
  convCase("3×3 stride 1 pad 0 on 9×5, fused ReLU (Winograd)", [1, 2, 9, 5], [3, 2, 3, 3], { relu: 0 }),
  convCase("with a fused leaky ReLU, 1×1", [1, 3, 4, 4], [4, 3, 1, 1], { relu: 0.1 }),
  {
    op: "conv2d",
    name: "dx only (weights and bias constant)",
    f: (x: Tensor, w: Tensor, b: Tensor) => conv2d(x, w, b, { pad: [1, 1] }),
    inputs: () => [randomTensor([1, 2, 4, 4], 21, -1, 1, true), randomTensor([2, 2, 3, 3], 22), randomTensor([2], 23)],
  },
  {
    op: "innerProduct",
    name: "axis 1 on a 4-D input [2, 3, 2, 2]",
    f: (x: Tensor, w: Tensor, b: Tensor) => innerProduct(x, w, b),
    inputs: () => [randomTensor([2, 3, 2, 2], 31, -1, 1, true), randomTensor([5, 12], 32, -1, 1, true), randomTensor([5], 33, -1, 1, true)],
  },
  {
    op: "innerProduct",
    name: "axis 2, transposed weights [K, numOutput], no bias",
    f: (x: Tensor, w: Tensor) => innerProduct(x, w, null, { axis: 2, transpose: true }),
    inputs: () => [randomTensor([2, 3, 4], 41, -1, 1, true), randomTensor([4, 3], 42, -1, 1, true)],
  },
];
