// The Caffe layer types we run, as one exhaustive table: for each type, how to infer its output
// shapes and how to compute it with our differentiable ops.
//
// The table is typed `{ [T in LayerType]: LayerRule }`, so adding a type to `LayerType` without a
// rule is a compile error. Types that only describe training (data sources, losses, accuracy) are
// listed in `SKIPPED_TYPES`: the net never runs them.

import { ModelError, OptionError } from "../errors.js";
import { concat } from "../layers/concat.js";
import { conv2d, convGeometry } from "../layers/conv.js";
import { dropout } from "../layers/dropout.js";
import { eltwise } from "../layers/eltwise.js";
import { innerProduct } from "../layers/inner-product.js";
import { lrn } from "../layers/lrn.js";
import { pool2d, poolGeometry } from "../layers/pooling.js";
import { relu } from "../layers/relu.js";
import { softmax } from "../layers/softmax.js";
import { Tensor, formatShape } from "../tensor/tensor.js";
import { DATA_LAYER_TYPES, type LayerDef } from "../io/caffe/net-def.js";

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
    // Fully convolutional on a larger grid: see `innerProductGrid`.
    shapes(layer, [x], [w]) {
      const p = param(layer, "innerProduct");
      const grid = innerProductGrid(x!, w!.shape, layer);
      if (grid !== null) return [[x![0]!, p.numOutput, grid.OH, grid.OW]];
      const axis = normalizeAxis(p.axis, x!.length, layer);
      return [[...x!.slice(0, axis), p.numOutput]];
    },
    forward(layer, [x], [w, b]) {
      const p = param(layer, "innerProduct");
      if (innerProductGrid(x!.shape, w!.shape, layer) !== null) return [conv2d(x!, w!, b ?? null)];
      const axis = normalizeAxis(p.axis, x!.shape.length, layer);
      if (w!.shape.length === 2) return [innerProduct(x!, w!, b ?? null, { axis, transpose: p.transpose })];
      // The convolution's [numOutput, C, kh, kw] weights are the [numOutput, K] matrix, row-major.
      const [n, c, kh, kw] = w!.shape as [number, number, number, number];
      return [innerProduct(x!, new Tensor(w!.data, [n, c * kh * kw]), b ?? null, { axis })];
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

/**
 * A fully connected layer applied at every window of a larger grid. An InnerProduct on axis 1
 * whose input, at the net's declared size, is [N, C, kh, kw] (C·kh·kw = K) gets its weights from
 * the net as a convolution [numOutput, C, kh, kw] (../models/net.ts, `convolutionalInnerProducts`):
 * the same numbers, since [numOutput, K] flattens C, kh, kw row-major. Given a larger input
 * [N, C, H, W], it then runs as that kh×kw, stride-1 convolution, output [N, numOutput, H − kh + 1,
 * W − kw + 1]: the classifier at every kh×kw window (Long, Shelhamer & Darrell, "Fully
 * Convolutional Networks", 2015). A later InnerProduct sees [N, numOutput, OH, OW] and is 1×1.
 * Returns null when the layer runs as a plain InnerProduct: a 2-D input, or exactly kh×kw.
 */
export function innerProductGrid(
  x: readonly number[], w: readonly number[], layer: LayerDef,
): { OH: number; OW: number } | null {
  if (w.length !== 4 || x.length !== 4) return null;
  const [, c, kh, kw] = w as [number, number, number, number];
  const [, xc, h, wd] = x as [number, number, number, number];
  if (h === kh && wd === kw) return null;
  if (xc !== c) {
    throw new ModelError(`layer "${layer.name}" (InnerProduct): its input ${formatShape(x)} has ${xc} channels but its weights take ${c}`);
  }
  if (h < kh || wd < kw) {
    throw new OptionError(
      `layer "${layer.name}" (InnerProduct) needs its input to be at least ${kh}×${kw}, as at the net's input size, ` +
        `but it is ${h}×${wd}; use a larger picture`,
    );
  }
  return { OH: h - kh + 1, OW: wd - kw + 1 };
}

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
