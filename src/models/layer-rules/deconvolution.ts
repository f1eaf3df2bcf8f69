// Caffe "Deconvolution": out [N, K, OH, OW] = deconv(x [N, C, H, W], wt [C, K/G, R, S]) + bias [K]
// (../../layers/deconv.ts has the formula: the input gradient of a convolution run the other
// way). It reads the same convolution_param as a Convolution, but its weight blob is transposed
// against one: the *input* channels come first, as Caffe's base_conv_layer.cpp lays it out
// (conv_out_channels_ = channels_ when the dimensions are reversed). So K/G = num_output / group
// is known from the parameters, and C is what is left over.

import { deconv2d, deconvGeometry } from "../../layers/deconv.js";
import { convAlgorithm, winogradScratchBound } from "../../layers/winograd.js";
import { formatShape } from "../../tensor/tensor.js";
import { blobTensor, fail, param, type LayerRule } from "./rule.js";

export const deconvolution: LayerRule = {
  bottoms: "exactly 1",
  tops: "exactly 1",
  weights(layer) {
    const p = layer.convolution ?? fail(layer, "no convolution parameters");
    const w = layer.blobs[0] ?? fail(layer, "has no weights (blob 0)");
    if (p.group < 1 || p.numOutput % p.group !== 0) fail(layer, `num_output ${p.numOutput} cannot be split into ${p.group} groups`);
    const [kh, kw] = p.kernel;
    const perInput = (p.numOutput / p.group) * kh * kw;
    if (perInput <= 0 || w.data.length % perInput !== 0) {
      fail(
        layer,
        `weights have ${w.data.length} values, not a multiple of num_output/group × kernel = ${p.numOutput / p.group}×${kh}×${kw}`,
      );
    }
    const weights = [blobTensor(layer, 0, [w.data.length / perInput, p.numOutput / p.group, kh, kw])];
    if (p.biasTerm) weights.push(blobTensor(layer, 1, [p.numOutput]));
    return weights;
  },
  channels(layer, [x], [w]) {
    const p = layer.convolution!;
    if (x) {
      if (x.flat) fail(layer, `its input is a 2-D blob [N, ${x.count}], but a deconvolution needs [N, C, H, W]`);
      if (x.count % p.group !== 0) fail(layer, `${x.count} input channels cannot be split into ${p.group} groups`);
      if (w!.shape[0] !== x.count) {
        fail(
          layer,
          `weights are ${formatShape(w!.shape)} (in × out/group × kh × kw) but ${x.count} channels reach the layer, so they ` +
            `should be ${formatShape([x.count, p.numOutput / p.group, ...p.kernel])}; the file is broken or mismatched`,
        );
      }
    }
    return { count: p.numOutput, flat: false };
  },
  shapes(layer, [x], [w]) {
    const g = deconvGeometry(x!, w!.shape, param(layer, "convolution"));
    return [[g.N, g.C, g.H, g.W]];
  },
  // The adjoint convolution's buffers (its columns, or Winograd's for a 3×3), both on the
  // deconvolution's *input* plane: its columns are K/G·R·S rows of H·W — none when it is
  // depthwise (K/G = 1, so G = K), which runs by ../../layers/depthwise.ts. And the backward's
  // dx goes through a temporary of the input's size (../../layers/deconv.ts).
  scratch([w], [out], [x]) {
    const [C = 0, Kg = 0, R = 0, S = 0] = w!.shape,
      [N = 0, , H = 0, W = 0] = x!;
    const depthwise = Kg === 1 && (out![1] ?? 0) > 1 && convAlgorithm() !== "im2col";
    const columns = depthwise ? 0 : Kg * R * S * H * W;
    const winograd = R === 3 && S === 3 ? winogradScratchBound(out![1] ?? 0, C, H, W) : 0;
    return Math.max(columns, winograd) + N * C * H * W;
  },
  forward(layer, [x], [w, b]) {
    return [deconv2d(x!, w!, b ?? null, param(layer, "convolution"))];
  },
};
