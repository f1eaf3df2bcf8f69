// Caffe "InnerProduct", a fully connected layer: out [N, numOutput] = x [N, K] · wᵀ + bias, with
// x flattened from `axis` on (K = C·H·W for a 4-D blob on axis 1) and w [numOutput, K] ([K,
// numOutput] with `transpose`).
//
// Such a layer takes exactly K values per image, so on a 4-D blob it fixes the picture size,
// unless it can run fully convolutionally (`innerProductGrid`): GoogLeNet's classifier can. The
// net reshapes its weights for that once, when loaded (`atDeclaredSize` below).

import { ModelError, OptionError } from "../../errors.js";
import { conv2d } from "../../layers/conv.js";
import { innerProduct as innerProductOp } from "../../layers/inner-product.js";
import { Tensor, formatShape } from "../../tensor/tensor.js";
import type { LayerDef } from "../../io/caffe/net-def.js";
import { im2colScratch } from "./convolution.js";
import { blobTensor, fail, layerAxis, param, type LayerRule } from "./rule.js";

export const innerProduct: LayerRule = {
  bottoms: "exactly 1",
  tops: "exactly 1",
  weights(layer) {
    const p = layer.innerProduct ?? fail(layer, "no inner_product parameters");
    const w = layer.blobs[0] ?? fail(layer, "has no weights (blob 0)");
    if (p.numOutput <= 0 || w.data.length % p.numOutput !== 0) {
      fail(layer, `weights have ${w.data.length} values, not a multiple of num_output ${p.numOutput}`);
    }
    const k = w.data.length / p.numOutput;
    const weights = [blobTensor(layer, 0, p.transpose ? [k, p.numOutput] : [p.numOutput, k])];
    if (p.biasTerm) weights.push(blobTensor(layer, 1, [p.numOutput]));
    return weights;
  },
  channels(layer, [x], weights) {
    const p = layer.innerProduct!;
    const k = weights[0]!.shape[p.transpose ? 0 : 1]!;
    // On a 4-D blob the input size is C·H·W, which depends on the picture: checked when run.
    if (x?.flat && p.axis === 1 && k !== x.count) {
      fail(layer, `weights take ${k} inputs but the ${x.count} outputs of the layer before reach it; the file is broken or mismatched`);
    }
    return p.axis === 1 ? { count: p.numOutput, flat: true } : null;
  },
  /**
   * Gives an InnerProduct on axis 1 its weights as a convolution [numOutput, C, kh, kw], so that
   * on a picture larger than the net's input it runs at every window (`innerProductGrid`).
   * (kh, kw) is the grid its input has at the declared input size: 1×1 for GoogLeNet's
   * loss3/classifier after pool5's 7×7 average pooling, 6×6 for an AlexNet-style fc6, 1×1 after
   * another InnerProduct. Without a declared size, an input of C channels with K = C·s² is taken
   * to be s×s. The data is the file's own [numOutput, K] matrix (copied only to undo
   * `transpose`). An InnerProduct none of this applies to keeps its matrix and runs at one size.
   */
  atDeclaredSize(layer, weights, x, channels) {
    const p = layer.innerProduct!;
    if (p.axis !== 1) return [...weights];
    const [w, ...rest] = weights;
    const [numOutput, k] = p.transpose ? [w!.shape[1]!, w!.shape[0]!] : [w!.shape[0]!, w!.shape[1]!];
    let window: [number, number, number] | null = null; // C, kh, kw
    if (x?.length === 4 && x[1]! * x[2]! * x[3]! === k) window = [x[1]!, x[2]!, x[3]!];
    else if (x?.length === 2 && x[1] === k) window = [k, 1, 1];
    else if (x === undefined && channels !== null && k % channels.count === 0) {
      const side = Math.round(Math.sqrt(k / channels.count));
      if (side * side * channels.count === k) window = [channels.count, side, side];
    }
    if (window === null) return [...weights];
    let data = w!.data;
    if (p.transpose) {
      data = new Float32Array(k * numOutput);
      for (let r = 0; r < k; r++) for (let n = 0; n < numOutput; n++) data[n * k + r] = w!.data[r * numOutput + n]!;
    }
    return [new Tensor(data, [numOutput, ...window]), ...rest];
  },
  shapes(layer, [x], [w]) {
    const p = param(layer, "innerProduct");
    const axis = layerAxis(p.axis, x!, layer);
    checkInnerProductInput(layer, x!, w!, axis);
    const grid = innerProductGrid(x!, w!.shape, layer);
    if (grid !== null) return [[x![0]!, p.numOutput, grid.OH, grid.OW]];
    return [[...x!.slice(0, axis), p.numOutput]];
  },
  // On a grid its columns are those of the kh×kw convolution it runs as.
  scratch: (weights, outputs) => (outputs[0]!.length === 4 ? im2colScratch(weights, outputs) : 0),
  forward(layer, [x], [w, b]) {
    const p = param(layer, "innerProduct");
    if (innerProductGrid(x!.shape, w!.shape, layer) !== null) return [conv2d(x!, w!, b ?? null)];
    const axis = layerAxis(p.axis, x!.shape, layer);
    if (w!.shape.length === 2) return [innerProductOp(x!, w!, b ?? null, { axis, transpose: p.transpose })];
    // The convolution's [numOutput, C, kh, kw] weights are the [numOutput, K] matrix, row-major.
    const [n, c, kh, kw] = w!.shape as [number, number, number, number];
    return [innerProductOp(x!, new Tensor(w!.data, [n, c * kh * kw]), b ?? null, { axis })];
  },
};

/**
 * With its [numOutput, K] matrix, an InnerProduct takes exactly K values per image; another
 * input size is the caller's choice, not a broken file. (With convolution weights, see
 * `innerProductGrid`.)
 */
function checkInnerProductInput(layer: LayerDef, x: readonly number[], w: Tensor, axis: number): void {
  if (w.shape.length === 4 && x.length === 4) return; // fully convolutional: innerProductGrid checks
  // Made a convolution [numOutput, C, kh, kw] at load, yet given a 2-D input (after a Flatten): K = C·kh·kw.
  const k = w.shape.length === 4 ? w.size / w.shape[0]! : w.shape[layer.innerProduct!.transpose ? 0 : 1]!;
  const got = x.slice(axis).reduce((a, d) => a * d, 1);
  if (got !== k) {
    throw new OptionError(
      `layer "${layer.name}" (InnerProduct) takes ${k} values per image but gets ${formatShape(x.slice(axis))} = ${got} ` +
        `at this input size; fully connected layers only run at the size the net was made for — choose an earlier layer`,
    );
  }
}

/**
 * A fully connected layer applied at every window of a larger grid. An InnerProduct on axis 1
 * whose input, at the net's declared size, is [N, C, kh, kw] (C·kh·kw = K) gets its weights as a
 * convolution [numOutput, C, kh, kw] (`atDeclaredSize` above): the same numbers, since
 * [numOutput, K] flattens C, kh, kw row-major. Given a larger input [N, C, H, W], it then runs as
 * that kh×kw, stride-1 convolution, output [N, numOutput, H − kh + 1, W − kw + 1]: the classifier
 * at every kh×kw window (Long, Shelhamer & Darrell, "Fully Convolutional Networks", 2015). A
 * later InnerProduct sees [N, numOutput, OH, OW] and is 1×1.
 * Returns null when the layer runs as a plain InnerProduct: a 2-D input, or exactly kh×kw.
 */
export function innerProductGrid(x: readonly number[], w: readonly number[], layer: LayerDef): { OH: number; OW: number } | null {
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
