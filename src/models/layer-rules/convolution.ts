// Caffe "Convolution": out [N, K, OH, OW] = conv(x [N, C, H, W], w [K, C/G, R, S]) + bias [K]
// (../../layers/conv.ts has the formula). The file gives the weights as a flat blob, and its
// convolution_param gives K = num_output and R×S = kernel; C/G is what is left over.
//
// Caffe lets a convolution map several bottoms to as many tops with shared weights; no model we
// know does, and we run one, so more is refused at load.

import { conv2d, convGeometry } from "../../layers/conv.js";
import { convAlgorithm, winogradKeptValues, winogradScratchBound } from "../../layers/winograd.js";
import { formatShape, type Tensor } from "../../tensor/tensor.js";
import { blobTensor, fail, param, type LayerRule } from "./rule.js";

export const convolution: LayerRule = {
  bottoms: "exactly 1",
  tops: "exactly 1",
  weights(layer) {
    const p = layer.convolution ?? fail(layer, "no convolution parameters");
    const w = layer.blobs[0] ?? fail(layer, "has no weights (blob 0)");
    const [kh, kw] = p.kernel;
    const perOutput = p.numOutput * kh * kw;
    if (perOutput <= 0 || w.data.length % perOutput !== 0) {
      fail(layer, `weights have ${w.data.length} values, not a multiple of num_output × kernel = ${p.numOutput}×${kh}×${kw}`);
    }
    const weights = [blobTensor(layer, 0, [p.numOutput, w.data.length / perOutput, kh, kw])];
    if (p.biasTerm) weights.push(blobTensor(layer, 1, [p.numOutput]));
    return weights;
  },
  channels(layer, [x], weights) {
    const p = layer.convolution!;
    const w = weights[0]!;
    if (x) {
      if (x.flat) fail(layer, `its input is a 2-D blob [N, ${x.count}], but a convolution needs [N, C, H, W]`);
      if (x.count % p.group !== 0) fail(layer, `${x.count} input channels cannot be split into ${p.group} groups`);
      if (w.shape[1] !== x.count / p.group) {
        fail(
          layer,
          `weights are ${formatShape(w.shape)} (out × in/group × kh × kw) but ${x.count} channels reach the layer` +
            `${p.group > 1 ? ` in ${p.group} groups` : ""}, so they should be ` +
            `${formatShape([p.numOutput, x.count / p.group, ...p.kernel])}; the file is broken or mismatched`,
        );
      }
    }
    if (p.numOutput % p.group !== 0) fail(layer, `num_output ${p.numOutput} cannot be split into ${p.group} groups`);
    return { count: p.numOutput, flat: false };
  },
  shapes(layer, [x], [w]) {
    const p = param(layer, "convolution");
    const g = convGeometry(x!, w!.shape, p);
    return [[g.N, g.K, g.OH, g.OW]];
  },
  // A 3×3 convolution may run by Winograd's algorithm instead, in the same buffer (../../layers/winograd.ts).
  // A depthwise one (one input channel per group, more than one group) needs none: its direct
  // kernels read the planes themselves (../../layers/depthwise.ts; only a weight gradient, which
  // a dream never asks for, would take the grouped path's columns).
  scratch: (weights, outputs, inputs) => {
    const [K = 0, C = 0, R, S] = weights[0]!.shape,
      [, , OH = 0, OW = 0] = outputs[0]!;
    if (C === 1 && (inputs[0]?.[1] ?? 1) > 1 && convAlgorithm() !== "im2col") return 0;
    return Math.max(im2colScratch(weights, outputs), R === 3 && S === 3 ? winogradScratchBound(C, K, OH, OW) : 0);
  },
  kept(layer, [w]) {
    const { kernel, stride, dilation, group } = layer.convolution!;
    const eligible = [...kernel, ...stride, ...dilation, group].join() === "3,3,1,1,1,1,1";
    return eligible ? winogradKeptValues(w!.shape[0]!, w!.shape[1]!) : 0;
  },
  // The GEMM's epilogue applies the ReLU, saving a pass over the output.
  fusesRelu: true,
  forward(layer, [x], [w, b], reluAfter) {
    return [conv2d(x!, w!, b ?? null, { ...param(layer, "convolution"), relu: reluAfter })];
  },
};

/** A convolution's im2col columns: C/G·R·S rows of OH·OW (see ../../layers/conv.ts). */
export function im2colScratch([w]: readonly Tensor[], [out]: readonly (readonly number[])[]): number {
  const [, cPerGroup = 0, r = 0, s = 0] = w!.shape;
  return cPerGroup * r * s * (out![2] ?? 0) * (out![3] ?? 0);
}
