// The Caffe layer types we run, as one exhaustive table: for each type, its rule — arity,
// weights, channels, shapes, scratch, fusion and forward (./layer-rules/rule.ts says what each
// part is). The rules live in ./layer-rules/ by family; this file only assembles them.
//
// The table is typed `{ [T in LayerType]: LayerRule }`, so adding a type to `LayerType` without a
// rule is a compile error. Types that only describe training (data sources, losses, accuracy) are
// listed in `SKIPPED_TYPES`: the net never runs them.

import { absval, elu, power, prelu, sigmoid, tanh } from "./layer-rules/activations.js";
import { concat, eltwise, split } from "./layer-rules/branches.js";
import { convolution } from "./layer-rules/convolution.js";
import { deconvolution } from "./layer-rules/deconvolution.js";
import { innerProduct } from "./layer-rules/inner-product.js";
import { batchNorm, bias, scale } from "./layer-rules/normalization.js";
import { pooling } from "./layer-rules/pooling.js";
import { crop, flatten, reshape, slice } from "./layer-rules/reshaping.js";
import type { LayerRule } from "./layer-rules/rule.js";
import { dropout, lrn, relu, softmax } from "./layer-rules/same-shape.js";
import { DATA_LAYER_TYPES } from "../io/caffe/net-def.js";

export type LayerType =
  | "Convolution"
  | "Deconvolution"
  | "Pooling"
  | "LRN"
  | "ReLU"
  | "Concat"
  | "InnerProduct"
  | "Softmax"
  | "Sigmoid"
  | "TanH"
  | "ELU"
  | "Power"
  | "AbsVal"
  | "PReLU"
  | "Dropout"
  | "Eltwise"
  | "Split"
  | "BatchNorm"
  | "Scale"
  | "Bias"
  | "Flatten"
  | "Reshape"
  | "Slice"
  | "Crop";

/** Layers that feed or score training; they never take part in a forward to a named blob. */
export const SKIPPED_TYPES: ReadonlySet<string> = new Set([
  "Input",
  ...DATA_LAYER_TYPES,
  "SoftmaxWithLoss",
  "EuclideanLoss",
  "HingeLoss",
  "InfogainLoss",
  "MultinomialLogisticLoss",
  "SigmoidCrossEntropyLoss",
  "ContrastiveLoss",
  "Accuracy",
  "Silence",
]);

export const LAYER_RULES: { readonly [T in LayerType]: LayerRule } = {
  Convolution: convolution,
  Deconvolution: deconvolution,
  Pooling: pooling,
  LRN: lrn,
  ReLU: relu,
  Concat: concat,
  InnerProduct: innerProduct,
  Softmax: softmax,
  Sigmoid: sigmoid,
  TanH: tanh,
  ELU: elu,
  Power: power,
  AbsVal: absval,
  PReLU: prelu,
  Dropout: dropout,
  Eltwise: eltwise,
  Split: split,
  BatchNorm: batchNorm,
  Scale: scale,
  Bias: bias,
  Flatten: flatten,
  Reshape: reshape,
  Slice: slice,
  Crop: crop,
};

/** Whether a layer of this type hands on its input's tensor itself (see `LayerRule.sharesInput`). */
export function sharesInput(type: string): boolean {
  return isLayerType(type) && LAYER_RULES[type].sharesInput === true;
}

export function isLayerType(type: string): type is LayerType {
  return Object.hasOwn(LAYER_RULES, type);
}
