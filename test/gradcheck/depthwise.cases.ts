// Gradient checks for conv2d's depthwise path (group = C, src/layers/depthwise.ts): the stride-1
// input gradient (a gather with the flipped window), the strided one (a scatter), a channel
// multiplier, a fused ReLU, and a window the 3×3 unrolling does not cover. The weights' and
// bias's gradients come from the grouped path.
import { randomTensor } from "../../src/autograd/gradcheck.js";
import { conv2d, type Conv2dOptions } from "../../src/layers/conv.js";
import type { Tensor } from "../../src/tensor/tensor.js";
import type { GradcheckCase } from "./cases.js";

/** A depthwise conv2d case on x [N, C, H, W], w [K, 1, R, S], bias [K], all requiring gradients. */
function depthwiseCase(name: string, xShape: number[], wShape: number[], p: Conv2dOptions): GradcheckCase {
  return {
    op: "conv2d",
    name: `depthwise: ${name}`,
    f: (x: Tensor, w: Tensor, b: Tensor) => conv2d(x, w, b, { ...p, group: xShape[1]! }),
    inputs: () => [
      randomTensor(xShape, 61, -1, 1, true),
      randomTensor(wShape, 62, -1, 1, true),
      randomTensor([wShape[0]!], 63, -1, 1, true),
    ],
  };
}

export const depthwiseCases: GradcheckCase[] = [
  depthwiseCase("3×3 pad 1, batch 2", [2, 3, 5, 6], [3, 1, 3, 3], { pad: [1, 1] }),
  depthwiseCase("3×3 stride 2 pad 1", [1, 2, 7, 6], [2, 1, 3, 3], { stride: [2, 2], pad: [1, 1] }),
  depthwiseCase("channel multiplier 2, dilation 2", [1, 2, 7, 7], [4, 1, 3, 3], { dilation: [2, 2], pad: [2, 1] }),
  depthwiseCase("with a fused ReLU", [1, 3, 5, 5], [3, 1, 3, 3], { pad: [1, 1], relu: 0 }),
  depthwiseCase("5×3 window, stride [1, 2]", [1, 2, 7, 6], [2, 1, 5, 3], { stride: [1, 2], pad: [2, 1] }),
];
