// The layers whose one top has their bottom's shape and channels, and no weights: LRN, ReLU,
// Softmax, Dropout. Each is one of our ops with its Caffe parameters passed on.

import { dropout as dropoutOp } from "../../layers/dropout.js";
import { lrn as lrnOp } from "../../layers/lrn.js";
import { relu as reluOp } from "../../layers/relu.js";
import { softmax as softmaxOp } from "../../layers/softmax.js";
import { noWeights, layerAxis, param, sameChannels, sameShape, type LayerRule } from "./rule.js";

const oneToOne = { bottoms: "exactly 1", tops: "exactly 1", weights: noWeights, channels: sameChannels, shapes: sameShape } as const;

export const lrn: LayerRule = {
  ...oneToOne,
  forward(layer, [x]) {
    const p = param(layer, "lrn");
    return [lrnOp(x!, { localSize: p.localSize, alpha: p.alpha, beta: p.beta, k: p.k, region: p.normRegion })];
  },
};

export const relu: LayerRule = {
  ...oneToOne,
  // A ReLU after a convolution runs inside it (its `fusesRelu`), unless it leaks the other way.
  fusedSlope(layer) {
    const slope = layer.relu?.negativeSlope ?? 0;
    return slope >= 0 ? slope : null;
  },
  forward(layer, [x]) {
    return [reluOp(x!, layer.relu?.negativeSlope ?? 0)];
  },
};

export const softmax: LayerRule = {
  ...oneToOne,
  forward(layer, [x]) {
    return [softmaxOp(x!, layerAxis(layer.softmax?.axis ?? 1, x!.shape, layer))];
  },
};

export const dropout: LayerRule = {
  sharesInput: true,
  ...oneToOne,
  forward(_layer, [x]) {
    return [dropoutOp(x!)];
  },
};
