// Whole Model-Zoo-shaped nets (./zoo-nets.ts) loaded from the bytes of a .caffemodel: their
// forward against the naive Float64 evaluator (./naive-net.ts) at blobs along the net, in
// Float32 and Float64; the default dream layer they get; a dream on them; a made-up layer type.
import { describe, expect, it } from "vitest";
import { deepestFeatureMap } from "../../src/dream/default-layer.js";
import { dream } from "../../src/dream/dream.js";
import { ModelError } from "../../src/errors.js";
import type { RgbImage } from "../../src/io/image/image.js";
import { caffeNetFromBytes } from "../../src/models/sources.js";
import { CaffeNet } from "../../src/models/net.js";
import { Tensor } from "../../src/tensor/tensor.js";
import { randomTensor } from "../../src/autograd/gradcheck.js";
import { expectNetMatchesNaive } from "./expect-naive.js";
import type { NaiveBlob } from "./naive-net.js";
import { nin, vgg16, viaFile, zooInput, type ZooNet } from "./zoo-nets.js";

const rms = (b: NaiveBlob): number => Math.sqrt(b.data.reduce((a, v) => a + v * v, 0) / b.data.length);

/**
 * The net from `zoo`'s bytes against the naive evaluator of the decoded def, at `blobs`: shapes
 * equal, values within Float32's or Float64's rounding of the blob's scale.
 */
function expectMatchesNaive(zoo: ZooNet, blobs: string[], side: number): NaiveBlob[] {
  const net = caffeNetFromBytes(zoo.bytes, zoo.def.name);
  const input = zooInput(side, 77);
  return expectNetMatchesNaive(net, zoo.def, input, blobs, { float32: 1e-4, float64: 1e-11 });
}

/** A 0–255 RGB picture of seeded noise. */
function noisePicture(width: number, height: number): RgbImage {
  return { width, height, data: Float32Array.from(randomTensor([width * height * 3], 8, 0, 255).data) };
}

describe("a VGG-16-shaped deploy net", () => {
  const zoo = vgg16();

  it("has VGG-16's layers: 13 convolutions in 5 blocks, 3 inner products, prob", () => {
    const types = (t: string) => zoo.def.layers.filter((l) => l.type === t).map((l) => l.name);
    expect(types("Convolution")).toEqual([
      ...["conv1_1", "conv1_2", "conv2_1", "conv2_2"],
      ...["conv3_1", "conv3_2", "conv3_3", "conv4_1", "conv4_2", "conv4_3", "conv5_1", "conv5_2", "conv5_3"],
    ]);
    expect(types("Pooling")).toEqual(["pool1", "pool2", "pool3", "pool4", "pool5"]);
    expect(types("InnerProduct")).toEqual(["fc6", "fc7", "fc8"]);
    expect(types("Softmax")).toEqual(["prob"]);
  });

  it("runs as the naive Float64 evaluation of the same file does, in Float32 and Float64", () => {
    const blobs = ["conv1_1", "relu1_2", "pool2", "conv3_3", "relu4_3", "relu5_3", "pool5", "fc6", "drop7", "fc8", "prob"];
    const naive = expectMatchesNaive(zoo, blobs, 224);
    // The seeded weights keep the activations' scale: neither vanishing nor exploding, and a
    // classifier whose softmax is not one-hot.
    const inputRms = rms(zooInput(224, 77));
    for (const i of [1, 3, 5, 7]) expect(rms(naive[i]!) / inputRms).toSatisfy((r: number) => r > 0.1 && r < 10);
    const prob = naive[blobs.indexOf("prob")]!.data;
    expect(Math.max(...prob)).toSatisfy((p: number) => p > 2 / 1000 && p < 0.9);
  });

  it("dreams by default on pool5, its last feature map, not on fc6 or the classifier", async () => {
    const net = new CaffeNet(zoo.def);
    expect(deepestFeatureMap(net)).toBe("pool5");
    const notes: string[] = [];
    const picture = noisePicture(40, 36);
    const out = await dream(picture, { model: net, octaves: 2, iterations: 2, threads: 1, onNote: (m) => notes.push(m) });
    expect([out.width, out.height]).toEqual([40, 36]);
    expect(notes).toContainEqual(expect.stringContaining('dreaming on "pool5", its deepest feature map'));
    expect(out.data.some((v, i) => Math.abs(v - picture.data[i]!) > 1)).toBe(true);
  });
});

describe("a Network-in-Network net", () => {
  const zoo = nin();

  it("runs as the naive evaluation does: 11×11/4 convolution, 1×1 cccp convolutions, global average pool", () => {
    expectMatchesNaive(zoo, ["conv1", "cccp1", "relu2", "pool0", "relu3", "cccp4", "pool4", "prob"], 64);
  });

  it("dreams by default on the last cccp map before the class maps (relu5, after cccp3)", () => {
    expect(deepestFeatureMap(new CaffeNet(zoo.def))).toBe("relu5");
  });
});

describe("a layer type we do not know", () => {
  // A NIN whose cccp1 is followed by a made-up normalization.
  const made = nin();
  const layers = [...made.def.layers];
  layers.splice(layers.findIndex((l) => l.name === "relu1") + 1, 0, {
    name: "cccp1/fancy",
    type: "FancyNorm",
    bottoms: ["cccp1"],
    tops: ["cccp1"],
    blobs: [],
    phase: null,
  });
  const zoo = viaFile({ ...made.def, layers });

  it("loads, and runs what does not need it", () => {
    const net = caffeNetFromBytes(zoo.bytes, "fancy");
    expect(net.forward(new Tensor(new Float32Array(3 * 64 * 64), [1, 3, 64, 64]), ["relu1"])[0]!.shape).toEqual([1, 8, 14, 14]);
  });

  it("fails with the layer and its type named when an output needs it", async () => {
    const net = caffeNetFromBytes(zoo.bytes, "fancy");
    const x = new Tensor(new Float32Array(3 * 64 * 64), [1, 3, 64, 64]);
    const message = 'layer "cccp1/fancy" has type "FancyNorm", which inceptionism does not support';
    expect(() => net.forward(x, ["cccp2"])).toThrow(ModelError);
    expect(() => net.forward(x, ["cccp2"])).toThrow(message);
    // Not "no square input … reaches": the size search must not hide the unsupported layer.
    await expect(dream(noisePicture(64, 64), { model: net, layer: "relu3", iterations: 1, octaves: 1 })).rejects.toThrow(message);
    expect(() => net.minimumInputSize("relu3")).toThrow(message);
  });

  it("is named, too, when the dream picks its layer: not a shallower map before it, nor 'no feature map'", () => {
    const net = caffeNetFromBytes(zoo.bytes, "fancy");
    expect(() => deepestFeatureMap(net)).toThrow(ModelError);
    expect(() => deepestFeatureMap(net)).toThrow('layer "cccp1/fancy" has type "FancyNorm", which inceptionism does not support');
  });
});
