// Caffe "Pooling": the max or the mean of each kernel window, plane by plane, out [N, C, OH, OW]
// with Caffe's round-up rule for OH OW (../../layers/pooling.ts). Stochastic pooling samples at
// training time; we do not run it.

import { ModelError } from "../../errors.js";
import { pool2d, poolGeometry } from "../../layers/pooling.js";
import type { LayerDef } from "../../io/caffe/net-def.js";
import { noWeights, param, sameChannels, type LayerRule } from "./rule.js";

export const pooling: LayerRule = {
  bottoms: "exactly 1",
  tops: "exactly 1",
  weights: noWeights,
  channels: sameChannels,
  shapes(layer, [x]) {
    const g = poolGeometry(x!, poolParams(layer));
    return [[x![0]!, x![1]!, g.OH, g.OW]];
  },
  forward(layer, [x]) {
    return [pool2d(x!, poolParams(layer))];
  },
};

function poolParams(layer: LayerDef) {
  const p = param(layer, "pooling");
  if (p.method === "stochastic") {
    throw new ModelError(`layer "${layer.name}": stochastic pooling is not supported (only MAX and AVE)`);
  }
  return { method: p.method, kernel: p.kernel, stride: p.stride, pad: p.pad, global: p.globalPooling };
}
