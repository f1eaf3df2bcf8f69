// Decoding real model files in both dialects, and parameter normalization. (The hand-written
// BlobProto reader is tested in ./blob.test.ts.)
//
// Expected layer names and types come from the deploy prototxts in test/fixtures/models, written
// independently of the binary files (BVLC's and DeepScale's published deploy nets).
import { readFileSync } from "node:fs";
import { beforeAll, describe, expect, it } from "vitest";
import { decodeCaffeModel } from "../../../src/io/caffe/decode.js";
import { DATA_LAYER_TYPES, type LayerDef, type NetDef } from "../../../src/io/caffe/net-def.js";
import { rawNet } from "./raw-net.js";

const GOOGLENET = new URL("../../../models/bvlc_googlenet.caffemodel", import.meta.url);
const SQUEEZENET = new URL("../../fixtures/models/squeezenet_v1.1.caffemodel", import.meta.url);
const prototxt = (name: string) => readFileSync(new URL(`../../fixtures/models/${name}`, import.meta.url), "utf8");

/** Layer names and types of a prototxt, from the two-space-indented lines of its layer blocks. */
function prototxtLayers(text: string): { name: string; type: string }[] {
  const names = [...text.matchAll(/^ {2}name: "(.*)"$/gm)].map((m) => m[1]!);
  const types = [...text.matchAll(/^ {2}type: "(.*)"$/gm)].map((m) => m[1]!);
  return names.map((name, i) => ({ name, type: types[i]! }));
}

/** A modern net with one layer of `type` carrying `params`; decodes it and returns that layer. */
function decodeOneLayer(type: string, params: Record<string, unknown>, extra: Record<string, unknown> = {}): LayerDef {
  return decodeCaffeModel(rawNet({ layer: [{ name: "l", type, bottom: ["a", "b"], top: ["y"], ...params, ...extra }] })).layers[0]!;
}

const byName = (def: NetDef, name: string): LayerDef => {
  const layer = def.layers.find((l) => l.name === name);
  if (!layer) throw new Error(`no layer ${name}`);
  return layer;
};

describe("decodeCaffeModel: BVLC GoogLeNet (legacy V1 file)", () => {
  let def: NetDef;
  beforeAll(() => {
    def = decodeCaffeModel(readFileSync(GOOGLENET));
  });

  it("declares its input the old way: input + input_dim", () => {
    expect(def.name).toBe("GoogleNet");
    expect(def.inputs).toEqual([{ name: "data", shape: [10, 3, 224, 224] }]);
  });

  it("has the deploy net's layers in order, V1 enum types translated to the prototxt's strings", () => {
    // The prototxt declares the input with an Input layer; the V1 file with input/input_dim.
    const expected = prototxtLayers(prototxt("googlenet-deploy.prototxt")).slice(1);
    expect(def.layers).toHaveLength(142);
    expect(def.layers.map((l) => ({ name: l.name, type: l.type }))).toEqual(expected);
    const names = def.layers.map((l) => l.name);
    expect(names[0]).toBe("conv1/7x7_s2");
    expect(names).toContain("inception_4c/output");
    expect(names.slice(-2)).toEqual(["loss3/classifier", "prob"]);
    expect(def.layers.every((l) => l.phase === null)).toBe(true);
  });

  it("reads conv1/7x7_s2: geometry from kernel_size/stride/pad, weights [64,3,7,7], legacy bias dims", () => {
    const conv1 = byName(def, "conv1/7x7_s2");
    expect(conv1.bottoms).toEqual(["data"]);
    expect(conv1.tops).toEqual(["conv1/7x7_s2"]);
    expect(conv1.convolution).toEqual({
      numOutput: 64,
      biasTerm: true,
      kernel: [7, 7],
      stride: [2, 2],
      pad: [3, 3],
      dilation: [1, 1],
      group: 1,
    });
    expect(conv1.blobs.map((b) => b.shape)).toEqual([
      [64, 3, 7, 7],
      [1, 1, 1, 64],
    ]);
    expect(conv1.blobs[0]!.data).toBeInstanceOf(Float32Array);
    expect(conv1.blobs[0]!.data).toHaveLength(64 * 3 * 7 * 7);
    expect(conv1.blobs[0]!.data.every(Number.isFinite)).toBe(true);
  });

  it("reads pooling, LRN, concat, dropout and the classifier", () => {
    expect(byName(def, "pool1/3x3_s2").pooling).toEqual({
      method: "max",
      kernel: [3, 3],
      stride: [2, 2],
      pad: [0, 0],
      globalPooling: false,
    });
    expect(byName(def, "pool5/7x7_s1").pooling).toEqual({
      method: "ave",
      kernel: [7, 7],
      stride: [1, 1],
      pad: [0, 0],
      globalPooling: false,
    });
    // alpha is stored as float32 9.99999974e-5; the decoder gives the decimal the prototxt had.
    for (const name of ["pool1/norm1", "conv2/norm2"]) {
      expect(byName(def, name).lrn).toEqual({ localSize: 5, alpha: 1e-4, beta: 0.75, k: 1, normRegion: "across" });
    }
    const concat = byName(def, "inception_4c/output");
    expect(concat.concat).toEqual({ axis: 1 });
    expect(concat.bottoms).toEqual(["inception_4c/1x1", "inception_4c/3x3", "inception_4c/5x5", "inception_4c/pool_proj"]);
    expect(byName(def, "pool5/drop_7x7_s1").dropout).toEqual({ ratio: 0.4 });
    const classifier = byName(def, "loss3/classifier");
    expect(classifier.innerProduct).toEqual({ numOutput: 1000, biasTerm: true, axis: 1, transpose: false });
    expect(classifier.blobs.map((b) => b.shape)).toEqual([
      [1, 1, 1000, 1024],
      [1, 1, 1, 1000],
    ]);
    expect(byName(def, "prob").softmax).toEqual({ axis: 1 });
    expect(byName(def, "conv1/relu_7x7").relu).toEqual({ negativeSlope: 0 });
  });

  it("has weights for exactly the 57 convolutions and the classifier, consistent with their params", () => {
    const withWeights = def.layers.filter((l) => l.blobs.length > 0);
    expect(withWeights).toHaveLength(58);
    const convs = def.layers.filter((l) => l.type === "Convolution");
    expect(convs).toHaveLength(57);
    for (const c of convs) {
      const [w, b] = c.blobs;
      expect(w!.shape, c.name).toEqual([c.convolution!.numOutput, w!.shape[1], ...c.convolution!.kernel]);
      expect(b!.shape, c.name).toEqual([1, 1, 1, c.convolution!.numOutput]);
    }
    const total = withWeights.reduce((n, l) => n + l.blobs.reduce((m, b) => m + b.data.length, 0), 0);
    expect(total).toBe(6_998_552);
  });
});

describe("decodeCaffeModel: SqueezeNet v1.1 (modern file)", () => {
  let def: NetDef;
  beforeAll(() => {
    def = decodeCaffeModel(readFileSync(SQUEEZENET));
  });

  it("declares its input with an Input layer", () => {
    expect(def.inputs).toEqual([{ name: "data", shape: [10, 3, 227, 227] }]);
    const input = def.layers[0]!;
    expect(input).toMatchObject({ name: "data", type: "Input", bottoms: [], tops: ["data"], blobs: [] });
    expect(input.input).toEqual({ shapes: [[10, 3, 227, 227]] });
  });

  it("has the prototxt's layers and type strings", () => {
    const expected = prototxtLayers(prototxt("squeezenet-deploy.prototxt"));
    expect(def.layers.map((l) => ({ name: l.name, type: l.type }))).toEqual(expected);
  });

  it("reads fire modules: squeeze 1×1, expand 1×1 and 3×3 (pad 1), concatenated; BlobShape dims", () => {
    for (let i = 2; i <= 9; i++) {
      const squeeze = byName(def, `fire${i}/squeeze1x1`);
      const e1 = byName(def, `fire${i}/expand1x1`);
      const e3 = byName(def, `fire${i}/expand3x3`);
      expect(squeeze.convolution!.kernel).toEqual([1, 1]);
      expect(e1.convolution!.kernel).toEqual([1, 1]);
      expect(e3.convolution).toMatchObject({ kernel: [3, 3], pad: [1, 1], stride: [1, 1] });
      expect(e1.bottoms).toEqual([`fire${i}/squeeze1x1`]);
      expect(byName(def, `fire${i}/concat`)).toMatchObject({
        type: "Concat",
        bottoms: [`fire${i}/expand1x1`, `fire${i}/expand3x3`],
        concat: { axis: 1 },
      });
      const n = e3.convolution!.numOutput;
      expect(e3.blobs.map((b) => b.shape)).toEqual([[n, squeeze.convolution!.numOutput, 3, 3], [n]]);
    }
    expect(byName(def, "conv1").blobs.map((b) => b.shape)).toEqual([[64, 3, 3, 3], [64]]);
  });

  it("reads global average pooling on pool10 (kernel [0, 0]: the input's size) and dropout", () => {
    expect(byName(def, "pool10").pooling).toEqual({
      method: "ave",
      kernel: [0, 0],
      stride: [1, 1],
      pad: [0, 0],
      globalPooling: true,
    });
    expect(byName(def, "pool1").pooling).toMatchObject({ method: "max", kernel: [3, 3], stride: [2, 2] });
    expect(byName(def, "drop9").dropout).toEqual({ ratio: 0.5 });
  });
});

describe("decodeCaffeModel: parameters", () => {
  it("fills Caffe's defaults when a parameter message is absent or empty", () => {
    expect(decodeOneLayer("LRN", {}).lrn).toEqual({ localSize: 5, alpha: 1, beta: 0.75, k: 1, normRegion: "across" });
    expect(decodeOneLayer("InnerProduct", { inner_product_param: { num_output: 7 } }).innerProduct).toEqual({
      numOutput: 7,
      biasTerm: true,
      axis: 1,
      transpose: false,
    });
    expect(decodeOneLayer("Concat", {}).concat).toEqual({ axis: 1 });
    expect(decodeOneLayer("Eltwise", {}).eltwise).toEqual({ operation: "sum", coeff: [] });
    expect(decodeOneLayer("ReLU", {}).relu).toEqual({ negativeSlope: 0 });
    expect(decodeOneLayer("Softmax", {}).softmax).toEqual({ axis: 1 });
    expect(decodeOneLayer("SoftmaxWithLoss", {}).softmax).toEqual({ axis: 1 });
    expect(decodeOneLayer("Dropout", {}).dropout).toEqual({ ratio: 0.5 });
    expect(decodeOneLayer("Convolution", { convolution_param: { num_output: 2, kernel_size: [3] } }).convolution).toEqual({
      numOutput: 2,
      biasTerm: true,
      kernel: [3, 3],
      stride: [1, 1],
      pad: [0, 0],
      dilation: [1, 1],
      group: 1,
    });
    expect(decodeOneLayer("Pooling", { pooling_param: { kernel_size: 2 } }).pooling).toEqual({
      method: "max",
      kernel: [2, 2],
      stride: [1, 1],
      pad: [0, 0],
      globalPooling: false,
    });
  });

  it("attaches only the parameters of the layer's type", () => {
    const layer = decodeOneLayer("ReLU", { relu_param: { negative_slope: 0.5 }, lrn_param: { local_size: 3 } });
    expect(layer.relu).toEqual({ negativeSlope: 0.5 });
    expect(layer).not.toHaveProperty("lrn");
    expect(decodeOneLayer("Sigmoid", {})).toEqual({
      name: "l",
      type: "Sigmoid",
      bottoms: ["a", "b"],
      tops: ["y"],
      blobs: [],
      phase: null,
    });
  });

  it("resolves convolution geometry: repeated [h, w], or the _h/_w fields, dilation", () => {
    const hw = decodeOneLayer("Convolution", {
      convolution_param: { num_output: 4, kernel_size: [3, 5], stride: [2, 1], pad: [0, 2], dilation: [2, 3], group: 2, bias_term: false },
    }).convolution;
    expect(hw).toEqual({ numOutput: 4, biasTerm: false, kernel: [3, 5], stride: [2, 1], pad: [0, 2], dilation: [2, 3], group: 2 });
    const fields = decodeOneLayer("Convolution", {
      convolution_param: { num_output: 4, kernel_h: 1, kernel_w: 7, stride_h: 3, stride_w: 2, pad_h: 0, pad_w: 3, dilation: [2] },
    }).convolution;
    expect(fields).toMatchObject({ kernel: [1, 7], stride: [3, 2], pad: [0, 3], dilation: [2, 2] });
  });

  it("resolves pooling geometry and method", () => {
    const p = decodeOneLayer("Pooling", {
      pooling_param: { pool: 2, kernel_h: 3, kernel_w: 2, stride_h: 1, stride_w: 2, pad_h: 2, pad_w: 1 },
    }).pooling;
    expect(p).toEqual({ method: "stochastic", kernel: [3, 2], stride: [1, 2], pad: [2, 1], globalPooling: false });
    expect(decodeOneLayer("Pooling", { pooling_param: { pool: 1, kernel_size: 3, stride: 2, pad: 1 } }).pooling).toEqual({
      method: "ave",
      kernel: [3, 3],
      stride: [2, 2],
      pad: [1, 1],
      globalPooling: false,
    });
  });

  it("reads concat_dim (the V1 name of axis), eltwise operations and coefficients, float params", () => {
    expect(decodeOneLayer("Concat", { concat_param: { concat_dim: 2 } }).concat).toEqual({ axis: 2 });
    expect(decodeOneLayer("Concat", { concat_param: { axis: -1 } }).concat).toEqual({ axis: -1 });
    expect(decodeOneLayer("Eltwise", { eltwise_param: { operation: 1, coeff: [0.1, -1] } }).eltwise).toEqual({
      operation: "sum",
      coeff: [0.1, -1],
    });
    expect(decodeOneLayer("Eltwise", { eltwise_param: { operation: 0 } }).eltwise!.operation).toBe("prod");
    expect(decodeOneLayer("Eltwise", { eltwise_param: { operation: 2 } }).eltwise!.operation).toBe("max");
    expect(decodeOneLayer("LRN", { lrn_param: { norm_region: 1, local_size: 3, alpha: 5e-5, beta: 0.7, k: 2 } }).lrn).toEqual({
      localSize: 3,
      alpha: 5e-5,
      beta: 0.7,
      k: 2,
      normRegion: "within",
    });
    expect(decodeOneLayer("Dropout", { dropout_param: { dropout_ratio: 0.3 } }).dropout).toEqual({ ratio: 0.3 });
  });

  it("reads the phase from include, else exclude rules", () => {
    const phase = (extra: Record<string, unknown>) => decodeOneLayer("ReLU", {}, extra).phase;
    expect(phase({ include: [{ phase: 0 }] })).toBe("train");
    expect(phase({ include: [{ phase: 1 }] })).toBe("test");
    expect(phase({ include: [{ phase: 0 }, { phase: 1 }] })).toBe(null);
    expect(phase({ include: [{}] })).toBe(null);
    expect(phase({ exclude: [{ phase: 0 }] })).toBe("test");
    expect(phase({ exclude: [{ phase: 1 }] })).toBe("train");
    expect(() => phase({ include: [{ phase: 0 }], exclude: [{ phase: 0 }] })).toThrow(
      /layer "l": its include\/exclude rules leave no phase/,
    );
  });

  it("reads every V1 layer type and keeps an unknown enum value as a named type", () => {
    const v1 = (type: number) =>
      decodeCaffeModel(rawNet({ layers: [{ name: "l", type, top: ["y"], convolution_param: { num_output: 1, kernel_size: [1] } }] }))
        .layers[0]!.type;
    expect(v1(4)).toBe("Convolution");
    expect(v1(14)).toBe("InnerProduct");
    expect(v1(15)).toBe("LRN");
    expect(v1(18)).toBe("ReLU");
    expect(v1(21)).toBe("SoftmaxWithLoss");
    expect(v1(22)).toBe("Split");
    expect(v1(23)).toBe("TanH");
    expect(v1(39)).toBe("Deconvolution");
    expect(v1(99)).toBe("unknown V1 type 99");
    expect(() => v1(0)).toThrow(/layer "l" has no type \(V1 type NONE\)/);
  });

  it("prefers `layer` over legacy `layers` when a file has both", () => {
    const def = decodeCaffeModel(rawNet({ layer: [{ name: "new", type: "ReLU" }], layers: [{ name: "old", type: 18 }] }));
    expect(def.layers.map((l) => l.name)).toEqual(["new"]);
  });
});

describe("decodeCaffeModel: inputs", () => {
  it("takes input + input_shape, input + input_dim (4 each), or names alone", () => {
    const layers = [{ name: "r", type: "ReLU", bottom: ["a"], top: ["a"] }];
    expect(decodeCaffeModel(rawNet({ input: ["a", "b"], input_shape: [{ dim: [1, 2] }, { dim: [3] }], layer: layers })).inputs).toEqual([
      { name: "a", shape: [1, 2] },
      { name: "b", shape: [3] },
    ]);
    expect(decodeCaffeModel(rawNet({ input: ["a", "b"], input_dim: [1, 2, 3, 4, 5, 6, 7, 8], layer: layers })).inputs).toEqual([
      { name: "a", shape: [1, 2, 3, 4] },
      { name: "b", shape: [5, 6, 7, 8] },
    ]);
    expect(decodeCaffeModel(rawNet({ input: ["a"], layer: layers })).inputs).toEqual([{ name: "a", shape: null }]);
  });

  it("takes Input layer tops (one shape for all tops, or one each) and data layers' first tops, once per name", () => {
    const def = decodeCaffeModel(
      rawNet({
        layer: [
          { name: "in", type: "Input", top: ["x", "y"], input_param: { shape: [{ dim: [2, 3] }] } },
          { name: "train", type: "Data", top: ["img", "label"], include: [{ phase: 0 }] },
          { name: "test", type: "ImageData", top: ["img", "label"], include: [{ phase: 1 }] },
          { name: "in2", type: "Input", top: ["u", "v"], input_param: { shape: [{ dim: [1] }, { dim: [4, 5] }] } },
          { name: "in3", type: "Input", top: ["w"] },
        ],
      }),
    );
    expect(def.inputs).toEqual([
      { name: "x", shape: [2, 3] },
      { name: "y", shape: [2, 3] },
      { name: "img", shape: null },
      { name: "u", shape: [1] },
      { name: "v", shape: [4, 5] },
      { name: "w", shape: null },
    ]);
    expect(def.layers[0]!.input).toEqual({
      shapes: [
        [2, 3],
        [2, 3],
      ],
    });
    expect(def.layers[4]!.input).toEqual({ shapes: [] });
    expect(DATA_LAYER_TYPES.has("HDF5Data")).toBe(true);
  });
});
