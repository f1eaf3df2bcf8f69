// Deploy nets shaped like the Model Zoo's classics, with seeded weights, for the whole-net tests:
//
//   resnet50  Caffe's ResNet-50-deploy (He et al. 2015) layer for layer and name for name: conv1
//             7×7/2 + bn_conv1 + scale_conv1 + conv1_relu, pool1 3×3/2 max, the 3-4-6-3 bottleneck
//             stages res2a … res5c (1×1 → 3×3 → 1×1, BatchNorm + Scale after every convolution,
//             a projection shortcut res{s}a_branch1 opening each stage, the stride on the 1×1
//             branch2a and branch1 as in Caffe's files, Eltwise res{s}{b}, in-place ReLU
//             res{s}{b}_relu), pool5 7×7 average, fc1000, prob. Only the channels are narrowed
//             (conv1 and the stage widths are `width`, 2, 4, 8 × `width`, ×4 after each block).
//   vgg16     VGG-16's deploy (Simonyan & Zisserman 2014): 13 3×3 convolutions conv1_1 … conv5_3 in
//             five blocks with ReLUs and 2×2/2 max pools, fc6/fc7 with ReLU and Dropout, fc8, prob.
//   nin       two Network-in-Network blocks (Lin et al. 2013, Caffe's nin_imagenet names): a
//             convolution then 1×1 "cccp" convolutions, and a global average pool as classifier.
//
// Weights are He-uniform, U(±√(6 / fan_in)), so that a ReLU net keeps its activations' scale
// layer after layer; a classifier's are scaled down to logits of a few units. Each BatchNorm's statistics are those its input actually has on a seeded
// calibration picture (computed with the naive evaluator as the net is built), perturbed a little
// and stored Caffe's way (sums times a moving-average factor in blob 2), so BatchNorm outputs
// are near unit scale, as in a trained net, without being exactly so.
//
// Every net goes through our encoder and decoder (`viaFile`), so what the tests load is what a
// .caffemodel file says.
import { randomTensor } from "../../src/autograd/gradcheck.js";
import { decodeCaffeModel } from "../../src/io/caffe/decode.js";
import { encodeCaffeModel } from "../../src/io/caffe/encode.js";
import type { LayerDef, NetDef } from "../../src/io/caffe/net-def.js";
import { naiveLayer, type NaiveBlob } from "./naive-net.js";

/** A built net: its bytes as a modern .caffemodel, and what decoding them gives. */
export interface ZooNet {
  bytes: Uint8Array;
  def: NetDef;
}

/** The calibration picture: mean-subtracted BGR values of a 0–255 image, seeded. */
export function zooInput(side: number, seed = 3, [lo, hi] = [-110, 130]): NaiveBlob {
  return { shape: [1, 3, side, side], data: Float64Array.from(randomTensor([3 * side * side], seed, lo, hi).data) };
}

/** Encodes a NetDef as a modern .caffemodel and decodes it back. */
export function viaFile(def: NetDef): ZooNet {
  const bytes = encodeCaffeModel(def, "modern");
  return { bytes, def: decodeCaffeModel(bytes) };
}

// A net under construction: its layers, and every blob's value on the calibration picture.
class Builder {
  readonly layers: LayerDef[] = [];
  private readonly values = new Map<string, NaiveBlob>();
  private seed: number;

  constructor(
    readonly name: string,
    side: number,
    seed: number,
    range?: [number, number],
  ) {
    this.seed = seed * 1000;
    this.values.set("data", zooInput(side, seed, range));
  }

  channels(blob: string): number {
    return this.values.get(blob)!.shape[1]!;
  }

  add(layer: Omit<LayerDef, "phase" | "blobs"> & { blobs?: LayerDef["blobs"] }): string {
    const full: LayerDef = { phase: null, blobs: [], ...layer };
    const tops = naiveLayer(
      full,
      full.bottoms.map((b) => this.values.get(b)!),
    );
    full.tops.forEach((t, k) => {
      this.values.set(t, tops[k]!);
    });
    this.layers.push(full);
    return full.tops[0]!;
  }

  uniform(count: number, lo: number, hi: number): Float32Array {
    return Float32Array.from(randomTensor([count], ++this.seed, lo, hi).data);
  }

  conv(name: string, bottom: string, cout: number, k: number, { stride = 1, pad = 0, bias = true } = {}): string {
    const cin = this.channels(bottom);
    const limit = Math.sqrt(6 / (cin * k * k));
    const blobs = [{ shape: [cout, cin, k, k], data: this.uniform(cout * cin * k * k, -limit, limit) }];
    if (bias) blobs.push({ shape: [cout], data: this.uniform(cout, -0.1, 0.1) });
    return this.add({
      name,
      type: "Convolution",
      bottoms: [bottom],
      tops: [name],
      blobs,
      convolution: {
        numOutput: cout,
        biasTerm: bias,
        kernel: [k, k],
        stride: [stride, stride],
        pad: [pad, pad],
        dilation: [1, 1],
        group: 1,
      },
    });
  }

  relu(name: string, blob: string): string {
    return this.add({ name, type: "ReLU", bottoms: [blob], tops: [blob], relu: { negativeSlope: 0 } });
  }

  /** BatchNorm then Scale (with bias), both in place, as ResNet's files pair them. */
  batchNormScale(bnName: string, scaleName: string, blob: string, eps = 1e-5): string {
    const x = this.values.get(blob)!;
    const [C, spatial] = [x.shape[1]!, x.data.length / x.shape[1]!];
    const factor = 999.982; // what Caffe's moving average leaves after many iterations: Σ 0.999^i
    const noise = this.uniform(2 * C, -1, 1);
    const mean = new Float32Array(C);
    const variance = new Float32Array(C);
    for (let c = 0; c < C; c++) {
      let [s, s2] = [0, 0];
      for (let i = 0; i < spatial; i++) s += x.data[c * spatial + i]!;
      const mu = s / spatial;
      for (let i = 0; i < spatial; i++) s2 += (x.data[c * spatial + i]! - mu) ** 2;
      const sigma2 = s2 / spatial;
      mean[c] = factor * (mu + 0.1 * Math.sqrt(sigma2) * noise[c]!);
      variance[c] = factor * sigma2 * (1 + 0.2 * noise[C + c]!);
    }
    this.add({
      name: bnName,
      type: "BatchNorm",
      bottoms: [blob],
      tops: [blob],
      blobs: [
        { shape: [C], data: mean },
        { shape: [C], data: variance },
        { shape: [1], data: Float32Array.of(factor) },
      ],
      batchNorm: { useGlobalStats: true, movingAverageFraction: 0.999, eps },
    });
    return this.add({
      name: scaleName,
      type: "Scale",
      bottoms: [blob],
      tops: [blob],
      blobs: [
        { shape: [C], data: this.uniform(C, 0.5, 1.2) },
        { shape: [C], data: this.uniform(C, -0.2, 0.2) },
      ],
      scale: { axis: 1, numAxes: 1, biasTerm: true },
    });
  }

  pool(name: string, bottom: string, method: "max" | "ave", k: number, stride: number, global = false): string {
    return this.add({
      name,
      type: "Pooling",
      bottoms: [bottom],
      tops: [name],
      pooling: { method, kernel: global ? [0, 0] : [k, k], stride: [stride, stride], pad: [0, 0], globalPooling: global },
    });
  }

  /**
   * He-uniform weights, or with `logitScale` weights scaled so the outputs' spread is about that
   * (He's gives √2 · rms(x)): a classifier's logits of a few units, as a trained net's, so that
   * its softmax is not one-hot.
   */
  innerProduct(name: string, bottom: string, outputs: number, logitScale?: number): string {
    const x = this.values.get(bottom)!.data;
    const inputs = x.length;
    const rms = Math.sqrt(x.reduce((a, v) => a + v * v, 0) / inputs);
    const limit = Math.sqrt(6 / inputs) * (logitScale === undefined ? 1 : logitScale / (Math.SQRT2 * rms));
    return this.add({
      name,
      type: "InnerProduct",
      bottoms: [bottom],
      tops: [name],
      blobs: [
        { shape: [outputs, inputs], data: this.uniform(outputs * inputs, -limit, limit) },
        { shape: [outputs], data: this.uniform(outputs, -0.1, 0.1) },
      ],
      innerProduct: { numOutput: outputs, biasTerm: true, axis: 1, transpose: false },
    });
  }

  softmax(name: string, bottom: string): string {
    return this.add({ name, type: "Softmax", bottoms: [bottom], tops: [name], softmax: { axis: 1 } });
  }

  net(side: number): NetDef {
    return { name: this.name, inputs: [{ name: "data", shape: [1, 3, side, side] }], layers: this.layers };
  }
}

/** ResNet-50's deploy net, channels narrowed to `width` (Caffe's is 64), `classes` outputs. */
export function resnet50({ width = 4, classes = 1000, seed = 50 } = {}): ZooNet {
  const side = 224;
  const b = new Builder("ResNet-50", side, seed);
  b.conv("conv1", "data", width, 7, { stride: 2, pad: 3 });
  b.batchNormScale("bn_conv1", "scale_conv1", "conv1");
  b.relu("conv1_relu", "conv1");
  let x = b.pool("pool1", "conv1", "max", 3, 2);
  const stages = [3, 4, 6, 3];
  stages.forEach((blocks, s) => {
    const inner = width << s;
    for (let k = 0; k < blocks; k++) {
      const id = `${s + 2}${"abcdef"[k]}`;
      const stride = k === 0 && s > 0 ? 2 : 1;
      // Caffe's eps everywhere but on the 3×3 branches, whose larger one shows if eps is misread.
      const branch = (suffix: string, bottom: string, cout: number, kernel: number, strideHere = 1): string => {
        const top = b.conv(`res${id}_branch${suffix}`, bottom, cout, kernel, { stride: strideHere, pad: (kernel - 1) / 2, bias: false });
        return b.batchNormScale(`bn${id}_branch${suffix}`, `scale${id}_branch${suffix}`, top, kernel === 3 ? 0.05 : 1e-5);
      };
      const shortcut = k === 0 ? branch("1", x, 4 * inner, 1, stride) : x;
      let y = branch("2a", x, inner, 1, stride);
      b.relu(`res${id}_branch2a_relu`, y);
      y = branch("2b", y, inner, 3);
      b.relu(`res${id}_branch2b_relu`, y);
      y = branch("2c", y, 4 * inner, 1);
      x = b.add({
        name: `res${id}`,
        type: "Eltwise",
        bottoms: [shortcut, y],
        tops: [`res${id}`],
        eltwise: { operation: "sum", coeff: [] },
      });
      b.relu(`res${id}_relu`, x);
    }
  });
  b.pool("pool5", x, "ave", 7, 1);
  b.innerProduct("fc1000", "pool5", classes, 3);
  b.softmax("prob", "fc1000");
  return viaFile(b.net(side));
}

/** VGG-16's deploy net, channels narrowed to `width` × (1, 2, 4, 8, 8) (Caffe's `width` is 64). */
export function vgg16({ width = 4, fc = 64, classes = 1000, seed = 16 } = {}): ZooNet {
  const side = 224;
  const b = new Builder("VGG_ILSVRC_16_layers", side, seed);
  let x = "data";
  [2, 2, 3, 3, 3].forEach((convs, s) => {
    for (let k = 1; k <= convs; k++) {
      x = b.conv(`conv${s + 1}_${k}`, x, width << Math.min(s, 3), 3, { pad: 1 });
      b.relu(`relu${s + 1}_${k}`, x);
    }
    x = b.pool(`pool${s + 1}`, x, "max", 2, 2);
  });
  for (const n of [6, 7]) {
    x = b.innerProduct(`fc${n}`, x, fc);
    b.relu(`relu${n}`, x);
    b.add({ name: `drop${n}`, type: "Dropout", bottoms: [x], tops: [x], dropout: { ratio: 0.5 } });
  }
  b.innerProduct("fc8", x, classes, 3);
  b.softmax("prob", "fc8");
  return viaFile(b.net(side));
}

/** Two Network-in-Network blocks and a global-average-pooling classifier of `classes` maps. */
export function nin({ width = 8, classes = 10, seed = 9, side = 64 } = {}): ZooNet {
  const b = new Builder("NIN", side, seed);
  let x = b.conv("conv1", "data", width, 11, { stride: 4 });
  b.relu("relu0", x);
  x = b.conv("cccp1", x, width, 1);
  b.relu("relu1", x);
  x = b.conv("cccp2", x, width, 1);
  b.relu("relu2", x);
  x = b.pool("pool0", x, "max", 3, 2);
  x = b.conv("conv2", x, 2 * width, 5, { pad: 2 });
  b.relu("relu3", x);
  x = b.conv("cccp3", x, 2 * width, 1);
  b.relu("relu5", x);
  x = b.conv("cccp4", x, classes, 1);
  b.relu("relu6", x);
  b.pool("pool4", x, "ave", 0, 1, true);
  b.softmax("prob", "pool4");
  return viaFile(b.net(side));
}

/**
 * A small net around one ResNet bottleneck block, for the end-to-end gradient check: conv1 3×3
 * (+ BatchNorm + Scale) and ReLU, the block res2a with its projection shortcut (stride 2),
 * Eltwise and ReLU, then a global average pool, an inner product and prob. Without `batchNorm`
 * the BatchNorm + Scale pairs are left out. Calibrated on inputs in ±1 (`BOTTLENECK_RANGE`):
 * small values keep a Float64 finite difference's rounding, ε·|loss| / h, far below the gradient.
 */
export function bottleneck({ batchNorm = true, side = 9, seed = 5 } = {}): ZooNet {
  const b = new Builder("bottleneck", side, seed, BOTTLENECK_RANGE);
  const norm = (id: string, blob: string): string => (batchNorm ? b.batchNormScale(`bn${id}`, `scale${id}`, blob) : blob);
  norm("_conv1", b.conv("conv1", "data", 4, 3, { pad: 1 }));
  b.relu("conv1_relu", "conv1");
  const shortcut = norm("2a_branch1", b.conv("res2a_branch1", "conv1", 6, 1, { stride: 2, bias: false }));
  let y = norm("2a_branch2a", b.conv("res2a_branch2a", "conv1", 3, 1, { stride: 2, bias: false }));
  b.relu("res2a_branch2a_relu", y);
  y = norm("2a_branch2b", b.conv("res2a_branch2b", y, 3, 3, { pad: 1, bias: false }));
  b.relu("res2a_branch2b_relu", y);
  y = norm("2a_branch2c", b.conv("res2a_branch2c", y, 6, 1, { bias: false }));
  const x = b.add({ name: "res2a", type: "Eltwise", bottoms: [shortcut, y], tops: ["res2a"], eltwise: { operation: "sum", coeff: [] } });
  b.relu("res2a_relu", x);
  b.pool("pool5", x, "ave", 0, 1, true);
  b.innerProduct("fc", "pool5", 5, 2);
  b.softmax("prob", "fc");
  return viaFile(b.net(side));
}

/** The range of the inputs `bottleneck` is calibrated for. */
export const BOTTLENECK_RANGE: [number, number] = [-1, 1];

/**
 * One net with every other layer type of the Model Zoo, on a 24×24 input: a PReLU per channel, a
 * depthwise convolution (group = channels), ELU, a Slice into 3 + 5 channels with TanH and Sigmoid
 * on the parts, Concat, a stride-2 Deconvolution cropped back to the input's size (as FCN's
 * score layers are), AbsVal, Bias, Power, max pooling, a channel-shared PReLU, Flatten, an
 * InnerProduct, a Reshape to [N, 2, 5] and a Softmax on its last axis.
 */
export function everyType({ seed = 19 } = {}): ZooNet {
  const side = 24;
  const b = new Builder("every-type", side, seed, [-1, 1]);
  let x = b.conv("conv1", "data", 8, 3, { pad: 1 });
  b.add({
    name: "prelu1",
    type: "PReLU",
    bottoms: [x],
    tops: [x],
    blobs: [{ shape: [8], data: b.uniform(8, 0.05, 0.3) }],
    prelu: { channelShared: false },
  });
  x = b.add({
    name: "dw",
    type: "Convolution",
    bottoms: [x],
    tops: ["dw"],
    blobs: [
      { shape: [8, 1, 3, 3], data: b.uniform(72, -0.8, 0.8) },
      { shape: [8], data: b.uniform(8, -0.1, 0.1) },
    ],
    convolution: { numOutput: 8, biasTerm: true, kernel: [3, 3], stride: [1, 1], pad: [1, 1], dilation: [1, 1], group: 8 },
  });
  b.add({ name: "elu1", type: "ELU", bottoms: [x], tops: [x], elu: { alpha: 0.7 } });
  b.add({ name: "slice1", type: "Slice", bottoms: [x], tops: ["part_a", "part_b"], slice: { axis: 1, slicePoints: [3] } });
  b.add({ name: "tanh_a", type: "TanH", bottoms: ["part_a"], tops: ["tanh_a"] });
  b.add({ name: "sigmoid_b", type: "Sigmoid", bottoms: ["part_b"], tops: ["sigmoid_b"] });
  x = b.add({ name: "joined", type: "Concat", bottoms: ["tanh_a", "sigmoid_b"], tops: ["joined"], concat: { axis: 1 } });
  x = b.add({
    name: "up",
    type: "Deconvolution",
    bottoms: [x],
    tops: ["up"],
    blobs: [
      { shape: [8, 4, 4, 4], data: b.uniform(512, -0.5, 0.5) },
      { shape: [4], data: b.uniform(4, -0.1, 0.1) },
    ],
    convolution: { numOutput: 4, biasTerm: true, kernel: [4, 4], stride: [2, 2], pad: [1, 1], dilation: [1, 1], group: 1 },
  });
  x = b.add({ name: "crop", type: "Crop", bottoms: [x, "data"], tops: ["crop"], crop: { axis: 2, offset: [3, 5] } });
  b.add({ name: "abs", type: "AbsVal", bottoms: [x], tops: [x] });
  b.add({
    name: "bias1",
    type: "Bias",
    bottoms: [x],
    tops: [x],
    blobs: [{ shape: [4], data: b.uniform(4, -0.2, 0.2) }],
    bias: { axis: 1, numAxes: 1 },
  });
  x = b.add({ name: "power", type: "Power", bottoms: [x], tops: ["power"], power: { power: 2, scale: 0.5, shift: 1 } });
  x = b.pool("pool", x, "max", 2, 2);
  b.add({
    name: "prelu2",
    type: "PReLU",
    bottoms: [x],
    tops: [x],
    blobs: [{ shape: [1], data: Float32Array.of(0.2) }],
    prelu: { channelShared: true },
  });
  x = b.add({ name: "flat", type: "Flatten", bottoms: [x], tops: ["flat"], flatten: { axis: 1, endAxis: -1 } });
  x = b.innerProduct("fc", x, 10, 2);
  x = b.add({ name: "pairs", type: "Reshape", bottoms: [x], tops: ["pairs"], reshape: { shape: [0, 2, -1], axis: 0, numAxes: -1 } });
  b.add({ name: "prob", type: "Softmax", bottoms: [x], tops: ["prob"], softmax: { axis: 2 } });
  return viaFile(b.net(side));
}
