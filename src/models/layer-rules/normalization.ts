// The layers of a ResNet's normalization: BatchNorm (../../layers/batch-norm.ts) and the Scale
// after it that holds the learned factor and offset, and Bias (../../layers/scale.ts).
//
// BatchNorm's three blobs are the stored statistics; the rule turns them into the mean and
// variance [C] once, at load, and checks them against the channels that reach the layer. Scale
// and Bias take their factors from a learned blob (one bottom) or from a second bottom; a
// learned blob is checked against the channels at load when it is the usual per-channel one
// (axis 1, num_axes 1), and against the axes it covers whenever a size is asked for.
//
// A BatchNorm and a Scale right after a convolution usually never run at all: the net folds them
// into its weights (../fold-batch-norm.ts). These rules are the unfolded path, and its oracle.

import { batchNorm as batchNormOp, batchNormGeometry, batchNormOwnStatistics, storedStatistics } from "../../layers/batch-norm.js";
import { bias as biasOp, scale as scaleOp, scaleGeometry } from "../../layers/scale.js";
import { Tensor, formatShape } from "../../tensor/tensor.js";
import type { BatchNormParam, BiasParam, LayerDef, ScaleParam } from "../../io/caffe/net-def.js";
import { blobTensor, fail, layerAxis, type LayerRule } from "./rule.js";

/** Caffe's defaults (caffe.proto), for a layer whose file gives no parameters. */
const BATCH_NORM_DEFAULTS: BatchNormParam = { useGlobalStats: null, movingAverageFraction: 0.999, eps: 1e-5 };
const SCALE_DEFAULTS: ScaleParam = { axis: 1, numAxes: 1, biasTerm: false };
const BIAS_DEFAULTS: BiasParam = { axis: 1, numAxes: 1 };

/** A BatchNorm's parameters, defaults filled in. */
export function batchNormParam(layer: LayerDef): BatchNormParam {
  return layer.batchNorm ?? BATCH_NORM_DEFAULTS;
}

/**
 * Whether a BatchNorm normalizes by the statistics in the file: unless it says
 * `use_global_stats: false`, since we only run the TEST phase, where that is Caffe's default.
 */
export function usesStoredStatistics(layer: LayerDef): boolean {
  return batchNormParam(layer).useGlobalStats !== false;
}

export const batchNorm: LayerRule = {
  bottoms: "exactly 1",
  tops: "exactly 1",
  // [mean, variance], each [C]; none for a layer that normalizes by its own statistics and has no blobs.
  weights(layer) {
    if (layer.blobs.length === 0 && !usesStoredStatistics(layer)) return [];
    if (layer.blobs.length !== 3) {
      fail(
        layer,
        `has ${layer.blobs.length} blobs, but a BatchNorm stores 3 (mean sum, variance sum, scale factor); the weights do not match the file`,
      );
    }
    const C = layer.blobs[0]!.data.length;
    const [sums, squares, factor] = [blobTensor(layer, 0, [C]), blobTensor(layer, 1, [C]), blobTensor(layer, 2, [1])];
    const { mean, variance } = storedStatistics(sums.data, squares.data, factor.data[0]!);
    return [new Tensor(mean, [C]), new Tensor(variance, [C])];
  },
  channels(layer, [x], weights) {
    if (x && weights.length > 0 && x.count !== weights[0]!.size) {
      fail(layer, `its statistics are for ${weights[0]!.size} channels but ${x.count} reach it; the file is broken or mismatched`);
    }
    return x ?? null;
  },
  shapes(layer, [x], weights) {
    const { C } = batchNormGeometry(x!);
    if (weights.length > 0 && C !== weights[0]!.size)
      fail(layer, `its statistics are for ${weights[0]!.size} channels but its input is ${formatShape(x!)}`);
    return [[...x!]];
  },
  forward(layer, [x], [mean, variance]) {
    const { eps } = batchNormParam(layer);
    return [usesStoredStatistics(layer) ? batchNormOp(x!, mean!, variance!, eps) : batchNormOwnStatistics(x!, eps)];
  },
};

/**
 * The axes of an input of `shape` that a learned blob covers, from `axis` over `numAxes` of them
 * (−1: to the end; 0: none, a single number, wherever the axis points).
 */
function coveredAxes(layer: LayerDef, shape: readonly number[], axis: number, numAxes: number): number[] {
  if (numAxes === 0) return [];
  const ax = layerAxis(axis, shape, layer);
  if (numAxes === -1) return shape.slice(ax);
  if (ax + numAxes > shape.length)
    fail(layer, `num_axes ${numAxes} from axis ${axis} reaches past the ${shape.length} axes of its input ${formatShape(shape)}`);
  return shape.slice(ax, ax + numAxes);
}

/**
 * What Scale and Bias share: a learned blob, or a second bottom, broadcast over some axes of the
 * first bottom. `learned` is how many blobs the layer has with one bottom; a second bottom takes
 * the place of the first of them.
 */
function broadcastRule(
  kind: "scale" | "bias",
  params: (layer: LayerDef) => { axis: number; numAxes: number; blobs: number },
  run: (layer: LayerDef, x: Tensor, operand: Tensor, rest: readonly Tensor[], axis: number) => Tensor,
): LayerRule {
  /** The shape the operand has on an input of shape x: the second bottom's, or the axes its blob covers. */
  const operandShape = (layer: LayerDef, inputs: readonly (readonly number[])[]): number[] => {
    const p = params(layer);
    return inputs.length > 1 ? [...inputs[1]!] : coveredAxes(layer, inputs[0]!, p.axis, p.numAxes);
  };
  return {
    bottoms: "at least 1",
    tops: "exactly 1",
    weights(layer) {
      const p = params(layer);
      if (layer.bottoms.length > 2) fail(layer, `has ${layer.bottoms.length} bottoms; it takes 1, or 2 with the ${kind} as the second`);
      if (p.numAxes < -1) fail(layer, `num_axes is ${p.numAxes}; it must be ≥ 0, or −1 for all axes from ${p.axis} on`);
      const blobs = p.blobs - (layer.bottoms.length - 1); // a second bottom replaces the first blob
      if (blobs === 0) return [];
      const first = layer.blobs[0] ?? fail(layer, `has no ${blobs === p.blobs ? kind : "bias"} (blob 0)`);
      const count = first.data.length;
      return Array.from({ length: blobs }, (_, k) => blobTensor(layer, k, [count]));
    },
    channels(layer, inputs, weights) {
      const [x] = inputs;
      const p = params(layer);
      if (x && inputs.length === 1 && p.axis === 1 && p.numAxes === 1 && weights[0]!.size !== x.count) {
        fail(layer, `its ${kind} has ${weights[0]!.size} values but ${x.count} channels reach it; the file is broken or mismatched`);
      }
      return x ?? null;
    },
    shapes(layer, inputs, weights) {
      const x = inputs[0]!,
        shape = operandShape(layer, inputs);
      const count = shape.reduce((a, d) => a * d, 1);
      try {
        scaleGeometry(x, shape, params(layer).axis, kind);
      } catch {
        fail(layer, `its second bottom ${formatShape(shape)} does not match the axes of ${formatShape(x)} from axis ${params(layer).axis}`);
      }
      const wrong = weights.find((w) => w.size !== count);
      if (wrong !== undefined)
        fail(layer, `its blobs have ${wrong.size} values but the axes they cover in ${formatShape(x)} hold ${count}`);
      return [[...x]];
    },
    forward(layer, inputs, weights) {
      const shape = operandShape(
        layer,
        inputs.map((t) => t.shape),
      );
      const [x, second] = inputs;
      const reshaped = weights.map((w) => new Tensor(w.data, shape));
      const [operand, ...rest] = second === undefined ? reshaped : [second, ...reshaped];
      return [run(layer, x!, operand!, rest, params(layer).axis)];
    },
  };
}

export const scale: LayerRule = broadcastRule(
  "scale",
  (layer) => {
    const p = layer.scale ?? SCALE_DEFAULTS;
    return { axis: p.axis, numAxes: p.numAxes, blobs: p.biasTerm ? 2 : 1 };
  },
  // With bias_term, Caffe runs a Bias over the same axes after the product: here one pass.
  (_layer, x, factors, [offsets], axis) => scaleOp(x, factors, offsets ?? null, axis),
);

export const bias: LayerRule = broadcastRule(
  "bias",
  (layer) => ({ ...(layer.bias ?? BIAS_DEFAULTS), blobs: 1 }),
  (_layer, x, offsets, _rest, axis) => biasOp(x, offsets, axis),
);
