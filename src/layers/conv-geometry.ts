// conv-geometry.ts — the sizes of one convolution, checked once and shared by its kernels
// (./conv.ts, ./im2col.ts), and the one vocabulary for its hyper-parameters; with them, which
// input cells a row of output cells reads (`validRange`) and col2im's walk over them
// (`col2imRuns`), which the JS kernels and their WebAssembly twins share.
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

/** The output columns [lo, hi) whose input column ow·stride + offset lies inside [0, size). */
export function validRange(offset: number, stride: number, size: number, outSize: number): [number, number] {
  const lo = offset >= 0 ? 0 : Math.ceil(-offset / stride);
  const hi = Math.min(outSize, Math.floor((size - 1 - offset) / stride) + 1);
  return [Math.min(lo, outSize), Math.max(hi, 0)];
}

/**
 * The loops of col2im (./im2col.ts), shared by its WebAssembly twin: for each column row
 * (c, r, s) in order, the output rows [ohLo, ohHi) whose entries land in input rows [h0, h1) and
 * the output columns [owLo, owHi) whose input column lies inside the image, when both are
 * non-empty; `row` is the column row's first entry in col, ((c·R + r)·S + s)·OH·OW, and (ih, iw)
 * the input pixel that entry (ohLo, owLo) lands on. Entry (oh, ow) lands on
 * (ih + (oh − ohLo)·strideH, iw + (ow − owLo)·strideW) of channel c.
 */
export function col2imRuns(
  g: ConvGeometry,
  h0: number,
  h1: number,
  visit: (row: number, c: number, ohLo: number, ohHi: number, owLo: number, owHi: number, ih: number, iw: number) => void,
): void {
  const { W, R, S, OH, OW, strideH, strideW, padH, padW, dilationH, dilationW } = g;
  let row = 0;
  for (let c = 0; c < g.C / g.groups; c++) {
    for (let r = 0; r < R; r++) {
      // The output rows whose input row oh·strideH − padH + r·dilationH falls in [h0, h1).
      const shift = padH - r * dilationH;
      const ohLo = Math.max(0, Math.ceil((h0 + shift) / strideH)),
        ohHi = Math.min(OH, Math.ceil((h1 + shift) / strideH));
      for (let s = 0; s < S; s++) {
        const dw = s * dilationW - padW;
        const [owLo, owHi] = validRange(dw, strideW, W, OW);
        if (ohHi > ohLo && owHi > owLo) visit(row, c, ohLo, ohHi, owLo, owHi, ohLo * strideH - shift, dw + owLo * strideW);
        row += OH * OW;
      }
    }
  }
}
