// The activations beyond ReLU: Sigmoid, TanH, ELU, Power, AbsVal (../../layers/pointwise.ts) and
// PReLU (../../layers/prelu.ts). Each has one bottom and one top of its shape and channels; only
// PReLU has weights, its slopes, checked at load against the channels that reach it.
//
// A file may leave a parameter message out; Caffe then uses its defaults (ELU α = 1; Power 1, 1,
// 0; PReLU per channel), and so do we.

import { absval as absvalOp, elu as eluOp, power as powerOp, sigmoid as sigmoidOp, tanh as tanhOp } from "../../layers/pointwise.js";
import { prelu as preluOp } from "../../layers/prelu.js";
import { blobTensor, fail, noWeights, sameChannels, sameShape, type LayerRule } from "./rule.js";

const oneToOne = { bottoms: "exactly 1", tops: "exactly 1", weights: noWeights, channels: sameChannels, shapes: sameShape } as const;

export const sigmoid: LayerRule = { ...oneToOne, forward: (_layer, [x]) => [sigmoidOp(x!)] };

export const tanh: LayerRule = { ...oneToOne, forward: (_layer, [x]) => [tanhOp(x!)] };

export const absval: LayerRule = { ...oneToOne, forward: (_layer, [x]) => [absvalOp(x!)] };

export const elu: LayerRule = { ...oneToOne, forward: (layer, [x]) => [eluOp(x!, layer.elu?.alpha ?? 1)] };

export const power: LayerRule = { ...oneToOne, forward: (layer, [x]) => [powerOp(x!, layer.power ?? {})] };

export const prelu: LayerRule = {
  bottoms: "exactly 1",
  tops: "exactly 1",
  // Blob 0, the slopes: one value when channel_shared (Caffe stores it with shape [] or [1]),
  // else one per channel, which only the channels reaching the layer can confirm.
  weights(layer) {
    const a = layer.blobs[0] ?? fail(layer, "has no slopes (blob 0)");
    if (layer.prelu?.channelShared === true) {
      if (a.data.length !== 1) fail(layer, `channel_shared, so blob 0 should hold 1 slope, but it holds ${a.data.length}`);
      return [blobTensor(layer, 0, [1])];
    }
    return [blobTensor(layer, 0, [a.data.length])];
  },
  channels(layer, [x], [a]) {
    if (x && layer.prelu?.channelShared !== true && a!.size !== x.count) {
      fail(layer, `has ${slopes(a!.size)} (blob 0) but ${x.count} channels reach it; the file is broken or mismatched`);
    }
    return x ?? null;
  },
  shapes(layer, [x], [a]) {
    // Caffe needs axis 1 to be the channels; known at load unless the channels were not.
    if (x!.length < 2) fail(layer, `its input is ${x!.length}-D, but PReLU needs [N, C, …]`);
    if (layer.prelu?.channelShared !== true && a!.size !== x![1]) {
      fail(layer, `has ${slopes(a!.size)} (blob 0) but its input has ${x![1]} channels; the file is broken or mismatched`);
    }
    return [[...x!]];
  },
  forward(_layer, [x], [a]) {
    return [preluOp(x!, a!)];
  },
};

const slopes = (n: number): string => (n === 1 ? "1 slope" : `${n} slopes`);
