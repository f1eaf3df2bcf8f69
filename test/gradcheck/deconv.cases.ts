// Gradient checks for deconv2d (the transposed convolution): x, wt and bias, every option, and
// the adjoint convolution's 1×1 and Winograd paths.
import { randomTensor } from "../../src/autograd/gradcheck.js";
import type { Conv2dOptions } from "../../src/layers/conv.js";
import { deconv2d } from "../../src/layers/deconv.js";
import type { Tensor } from "../../src/tensor/tensor.js";
import type { GradcheckCase } from "./cases.js";

/** A deconv2d case on x [N, C, H, W], wt [C, K/group, R, S], bias [K], all requiring gradients. */
function deconvCase(name: string, xShape: number[], wShape: number[], p: Conv2dOptions, bias = true): GradcheckCase {
  return {
    op: "deconv2d",
    name,
    f: (x: Tensor, w: Tensor, b?: Tensor) => deconv2d(x, w, b ?? null, p),
    inputs: () => [
      randomTensor(xShape, 51, -1, 1, true),
      randomTensor(wShape, 52, -1, 1, true),
      ...(bias ? [randomTensor([wShape[1]! * (p.group ?? 1)], 53, -1, 1, true)] : []),
    ],
  };
}

export const deconvCases: GradcheckCase[] = [
  deconvCase("4×4 stride 2 pad 1, batch 2", [2, 2, 3, 3], [2, 3, 4, 4], { stride: [2, 2], pad: [1, 1] }),
  deconvCase("3×3 stride 1 pad 1 (Winograd's adjoint)", [1, 2, 5, 4], [2, 3, 3, 3], { pad: [1, 1] }),
  deconvCase("groups 2, stride [2, 1], no bias", [1, 4, 3, 4], [4, 2, 3, 2], { group: 2, stride: [2, 1] }, false),
  deconvCase("dilation 2, pad 1", [1, 2, 4, 4], [2, 2, 3, 3], { dilation: [2, 2], pad: [1, 1] }),
  deconvCase("1×1 pointwise", [2, 3, 3, 2], [3, 4, 1, 1], {}),
];
