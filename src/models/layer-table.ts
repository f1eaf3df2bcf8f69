// The Caffe layer types we run, as one exhaustive table: for each type, how to infer its output
// shapes and how to compute it with our differentiable ops.
//
// The table is typed `{ [T in LayerType]: LayerRule }`, so adding a type to `LayerType` without a
// rule is a compile error. Types that only describe training (data sources, losses, accuracy) are
// listed in `SKIPPED_TYPES`: the net never runs them.

import { ModelError } from "../errors.js";
import { concat } from "../layers/concat.js";
import { conv2d, convGeometry } from "../layers/conv.js";
import { dropout } from "../layers/dropout.js";
import { eltwise } from "../layers/eltwise.js";
import { innerProduct } from "../layers/inner-product.js";
import { lrn } from "../layers/lrn.js";
import { pool2d, poolGeometry } from "../layers/pooling.js";
import { relu } from "../layers/relu.js";
import { softmax } from "../layers/softmax.js";
import type { Tensor } from "../tensor/tensor.js";
import { DATA_LAYER_TYPES, type LayerDef } from "./net-def.js";

export type LayerType =
  | "Convolution"
  | "Pooling"
  | "LRN"
  | "ReLU"
  | "Concat"
  | "InnerProduct"
  | "Softmax"
  | "Dropout"
  | "Eltwise"
  | "Split";

/** Layers that feed or score training; they never take part in a forward to a named blob. */
export const SKIPPED_TYPES: ReadonlySet<string> = new Set([
  "Input", ...DATA_LAYER_TYPES,
  "SoftmaxWithLoss", "EuclideanLoss", "HingeLoss", "InfogainLoss", "MultinomialLogisticLoss",
  "SigmoidCrossEntropyLoss", "ContrastiveLoss", "Accuracy", "Silence",
]);


export interface LayerRule {
  /** Output shapes from input shapes; throws when the input is too small for the layer. */
  shapes(layer: LayerDef, inputs: readonly (readonly number[])[], weights: readonly Tensor[]): number[][];
  /**
   * Runs the layer on the tape. `weights` are the layer's blobs in the input's dtype.
   * `reluAfter`, given only to a Convolution, is the negative slope of a ReLU that the net has
   * fused into it (../models/net.ts, `fusedRelus`).
   */
  forward(layer: LayerDef, inputs: readonly Tensor[], weights: readonly Tensor[], reluAfter?: number): Tensor[];
}

export function isLayerType(type: string): type is LayerType {
  return Object.prototype.hasOwnProperty.call(LAYER_RULES, type);
}

const same: LayerRule["shapes"] = (_layer, inputs) => [[...inputs[0]!]];

function param<K extends keyof LayerDef>(layer: LayerDef, key: K): NonNullable<LayerDef[K]> {
  const p = layer[key];
  if (p === undefined || p === null) throw new ModelError(`layer "${layer.name}" (${layer.type}) has no ${String(key)} parameters`);
  return p as NonNullable<LayerDef[K]>;
}

export const LAYER_RULES: { readonly [T in LayerType]: LayerRule } = {
  Convolution: {
    shapes(layer, [x], [w]) {
      const p = param(layer, "convolution");
      const g = convGeometry(x!, w!.shape, p);
      return [[g.N, g.K, g.OH, g.OW]];
    },
    forward(layer, [x], [w, b], reluAfter) {
      return [conv2d(x!, w!, b ?? null, { ...param(layer, "convolution"), relu: reluAfter })];
    },
  },
  Pooling: {
    shapes(layer, [x]) {
      const g = poolGeometry(x!, poolParams(layer));
      return [[x![0]!, x![1]!, g.OH, g.OW]];
    },
    forward(layer, [x]) {
      return [pool2d(x!, poolParams(layer))];
    },
  },
  LRN: {
    shapes: same,
    forward(layer, [x]) {
      const p = param(layer, "lrn");
      return [lrn(x!, { localSize: p.localSize, alpha: p.alpha, beta: p.beta, k: p.k, region: p.normRegion })];
    },
  },
  ReLU: {
    shapes: same,
    forward(layer, [x]) {
      return [relu(x!, layer.relu?.negativeSlope ?? 0)];
    },
  },
  Concat: {
    shapes(layer, inputs) {
      const axis = normalizeAxis(layer.concat?.axis ?? 1, inputs[0]!.length, layer);
      const out = [...inputs[0]!];
      out[axis] = inputs.reduce((sum, s) => sum + s[axis]!, 0);
      return [out];
    },
    forward(layer, inputs) {
      return [concat(inputs, normalizeAxis(layer.concat?.axis ?? 1, inputs[0]!.shape.length, layer))];
    },
  },
  InnerProduct: {
    shapes(layer, [x]) {
      const p = param(layer, "innerProduct");
      const axis = normalizeAxis(p.axis, x!.length, layer);
      return [[...x!.slice(0, axis), p.numOutput]];
    },
    forward(layer, [x], [w, b]) {
      const p = param(layer, "innerProduct");
      return [innerProduct(x!, w!, b ?? null, { axis: normalizeAxis(p.axis, x!.shape.length, layer), transpose: p.transpose })];
    },
  },
  Softmax: {
    shapes: same,
    forward(layer, [x]) {
      return [softmax(x!, normalizeAxis(layer.softmax?.axis ?? 1, x!.shape.length, layer))];
    },
  },
  Dropout: {
    shapes: same,
    forward(_layer, [x]) {
      return [dropout(x!)];
    },
  },
  Eltwise: {
    shapes: same,
    forward(layer, inputs) {
      const p = layer.eltwise ?? { operation: "sum", coeff: [] };
      return [eltwise([...inputs], p.operation, p.coeff.length > 0 ? p.coeff : undefined)];
    },
  },
  Split: {
    // Caffe's Split copies one blob to several tops; on a tape, sharing the tensor is enough
    // (gradients from every consumer are summed by backward()).
    shapes(layer, [x]) {
      return layer.tops.map(() => [...x!]);
    },
    forward(layer, [x]) {
      return layer.tops.map(() => x!);
    },
  },
};

function poolParams(layer: LayerDef) {
  const p = param(layer, "pooling");
  if (p.method === "stochastic") {
    throw new ModelError(`layer "${layer.name}": stochastic pooling is not supported (only MAX and AVE)`);
  }
  return { method: p.method, kernel: p.kernel, stride: p.stride, pad: p.pad, global: p.globalPooling };
}

function normalizeAxis(axis: number, rank: number, layer: LayerDef): number {
  const a = axis < 0 ? axis + rank : axis;
  if (!Number.isInteger(a) || a < 0 || a >= rank) {
    throw new ModelError(`layer "${layer.name}": axis ${axis} is out of range for a ${rank}-D blob`);
  }
  return a;
}
