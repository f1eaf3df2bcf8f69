// The layers that join branches of the net and split them: Concat stacks its bottoms along one
// axis (GoogLeNet's inception outputs, on channels), Eltwise combines them value by value (sum,
// product or max: ResNet's shortcuts), Split copies one bottom to several tops.

import { ModelError } from "../../errors.js";
import { concat as concatOp } from "../../layers/concat.js";
import { eltwise as eltwiseOp } from "../../layers/eltwise.js";
import { formatShape } from "../../tensor/tensor.js";
import type { LayerDef } from "../../io/caffe/net-def.js";
import { fail, noWeights, layerAxis, sameChannels, sameShape, type Channels, type LayerRule } from "./rule.js";

export const concat: LayerRule = {
  bottoms: "at least 1",
  tops: "exactly 1",
  weights: noWeights,
  channels(layer, inputs) {
    const axis = layer.concat?.axis ?? 1;
    if (inputs.some((c) => c === null)) return null;
    const known = inputs as Channels[];
    if (axis === 1) return { count: known.reduce((n, c) => n + c.count, 0), flat: known[0]!.flat };
    if (known.some((c) => c.count !== known[0]!.count)) {
      fail(layer, `its inputs have ${known.map((c) => c.count).join(", ")} channels; concatenating on axis ${axis} needs equal ones`);
    }
    return known[0]!;
  },
  shapes(layer, inputs) {
    const raw = layer.concat?.axis ?? 1;
    const axis = layerAxis(raw, inputs[0]!, layer);
    checkBranchesAlign(layer, inputs, { axis, raw });
    const out = [...inputs[0]!];
    out[axis] = inputs.reduce((sum, s) => sum + s[axis]!, 0);
    return [out];
  },
  forward(layer, inputs) {
    return [concatOp(inputs, layerAxis(layer.concat?.axis ?? 1, inputs[0]!.shape, layer))];
  },
};

export const eltwise: LayerRule = {
  bottoms: "at least 1",
  tops: "exactly 1",
  weights: noWeights,
  channels(layer, inputs) {
    const counts = inputs.filter((c): c is Channels => c !== null).map((c) => c.count);
    if (counts.some((c) => c !== counts[0])) fail(layer, `its inputs have ${counts.join(", ")} channels; they must be equal`);
    return inputs[0] ?? null;
  },
  shapes(layer, inputs) {
    checkBranchesAlign(layer, inputs, null);
    return sameShape(layer, inputs, []);
  },
  forward(layer, inputs) {
    const p = layer.eltwise ?? { operation: "sum", coeff: [] };
    return [eltwiseOp([...inputs], p.operation, p.coeff.length > 0 ? p.coeff : undefined)];
  },
};

export const split: LayerRule = {
  sharesInput: true,
  bottoms: "exactly 1",
  tops: "at least 1",
  weights: noWeights,
  channels: sameChannels,
  // Caffe's Split copies one blob to several tops; on a tape, sharing the tensor is enough
  // (gradients from every consumer are summed by backward()).
  shapes(layer, [x]) {
    return layer.tops.map(() => [...x!]);
  },
  forward(layer, [x]) {
    return layer.tops.map(() => x!);
  },
};

/**
 * Concat joins blobs along one axis and Eltwise combines them value by value, so their inputs
 * must agree on every other axis (on all of them for Eltwise). Branches with different strides
 * or pads can line up at some input sizes and not at others: said when a size is asked for,
 * before anything runs. `along` is a Concat's axis (and as the file gives it), null for an Eltwise.
 */
function checkBranchesAlign(layer: LayerDef, inputs: readonly (readonly number[])[], along: { axis: number; raw: number } | null): void {
  const rank = inputs[0]!.length;
  const differs = inputs.find((s) => s.length !== rank || s.some((d, i) => i !== along?.axis && d !== inputs[0]![i]));
  if (differs !== undefined) {
    const what = along !== null ? `every axis but ${along.raw}` : "every axis";
    throw new ModelError(
      `layer "${layer.name}" (${layer.type}): its inputs ${inputs.map(formatShape).join(" and ")} must agree on ${what} ` +
        `for this input size; the branches before it do not line up — try another picture size or an earlier layer`,
    );
  }
}
