// conv-geometry.ts — the sizes of one convolution, checked once and shared by its kernels
// (./conv.ts, ./im2col.ts), and the one vocabulary for its hyper-parameters.
//
// Legend: N batch, C input channels, H W input height and width; K output channels, R S kernel
// height and width; OH OW output height and width; G groups (each sees C/G inputs, makes K/G
// outputs).
//
// Output size, Caffe's (rounding down; the last window must fit inside the padded input):
//     OH = floor((H + 2·padH − (dilationH·(R − 1) + 1)) / strideH) + 1,  likewise OW.
// The kernel size R×S is not a parameter here: it is the weights' shape [K, C/G, R, S].

import { formatShape } from "../tensor/tensor.js";

/** `[height, width]`: one value per spatial axis, as Caffe's kernel_h/kernel_w style gives them. */
export type Pair = readonly [number, number];

/** Everything a convolution kernel needs to know about sizes, computed once per conv. */
export interface ConvGeometry {
  N: number;
  C: number;
  H: number;
  W: number;
  K: number;
  R: number;
  S: number;
  strideH: number;
  strideW: number;
  padH: number;
  padW: number;
  dilationH: number;
  dilationW: number;
  groups: number;
  OH: number;
  OW: number;
}

/**
 * A convolution's hyper-parameters, Caffe's convolution_param as [height, width] pairs: the
 * options of `conv2d` and the input of `convGeometry` alike. Absent ones take Caffe's defaults.
 */
export interface Conv2dOptions {
  /** [stride_h, stride_w] (default [1, 1]). */
  stride?: Pair;
  /** Zero padding on each side, [pad_h, pad_w] (default [0, 0]). */
  pad?: Pair;
  /** [dilation_h, dilation_w] (default [1, 1]). */
  dilation?: Pair;
  /** Channel groups, each an independent convolution (default 1). */
  group?: number;
  /**
   * Follow the convolution by a ReLU with this negative slope (≥ 0), fused: the output is the
   * ReLU's, and no pre-ReLU tensor is kept. Caffe nets put an in-place ReLU after almost every
   * convolution; fusing it saves the ReLU's output array and a pass over memory each way.
   */
  relu?: number;
}

/**
 * Checks a convolution's shapes and works out its output size.
 * `xShape` is [N, C, H, W]; `wShape` is [K, C/group, R, S], Caffe's weight layout.
 */
export function convGeometry(xShape: readonly number[], wShape: readonly number[], options: Conv2dOptions = {}): ConvGeometry {
  if (xShape.length !== 4) throw new RangeError(`conv2d: input must be 4-D [N, C, H, W], got ${formatShape(xShape)}`);
  if (wShape.length !== 4) {
    throw new RangeError(`conv2d: weights must be 4-D [K, C/group, R, S], got ${formatShape(wShape)}`);
  }
  const [N, C, H, W] = xShape as [number, number, number, number];
  const [K, Cg, R, S] = wShape as [number, number, number, number];
  const { stride = [1, 1], pad = [0, 0], dilation = [1, 1], group: groups = 1 } = options;
  const [strideH, strideW] = stride,
    [padH, padW] = pad,
    [dilationH, dilationW] = dilation;
  const positive = { stride: stride, dilation: dilation, group: [groups] };
  for (const [name, values] of Object.entries(positive)) {
    if (!values.every((v) => Number.isInteger(v) && v >= 1)) {
      throw new RangeError(`conv2d: ${name} must be positive integers, got ${values.join(", ")}`);
    }
  }
  if (!pad.every((v) => Number.isInteger(v) && v >= 0)) {
    throw new RangeError(`conv2d: pad must be non-negative integers, got ${pad.join(", ")}`);
  }
  if (R < 1 || S < 1) throw new RangeError(`conv2d: kernel must be at least 1×1, weights are ${formatShape(wShape)}`);
  if (C % groups !== 0) throw new RangeError(`conv2d: input has ${C} channels, not divisible by group ${groups}`);
  if (K % groups !== 0) {
    throw new RangeError(`conv2d: weights have ${K} output channels, not divisible by group ${groups}`);
  }
  if (Cg !== C / groups) {
    throw new RangeError(
      `conv2d: weights ${formatShape(wShape)} expect ${Cg} input channels per group, but input ` +
        `${formatShape(xShape)} with group ${groups} has ${C / groups}`,
    );
  }
  const spanH = dilationH * (R - 1) + 1,
    spanW = dilationW * (S - 1) + 1; // the dilated kernel
  const OH = Math.floor((H + 2 * padH - spanH) / strideH) + 1;
  const OW = Math.floor((W + 2 * padW - spanW) / strideW) + 1;
  if (OH < 1 || OW < 1) {
    const minH = Math.max(1, spanH - 2 * padH),
      minW = Math.max(1, spanW - 2 * padW);
    throw new RangeError(
      `conv2d: output would be empty: input ${H}×${W} is smaller than the ${spanH}×${spanW} ` +
        `(dilated) kernel with pad ${padH}×${padW}; the input must be at least ${minH}×${minW}`,
    );
  }
  return { N, C, H, W, K, R, S, strideH, strideW, padH, padW, dilationH, dilationW, groups, OH, OW };
}
