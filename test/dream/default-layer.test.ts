// The layer a dream uses when none is given (src/dream/default-layer.ts).
import { describe, expect, it } from "vitest";
import { defaultLayer, deepestFeatureMap } from "../../src/dream/default-layer.js";
import { dream } from "../../src/dream/dream.js";
import { OptionError, UnknownLayerError } from "../../src/errors.js";
import { createImage } from "../../src/io/image/image.js";
import { loadCaffeModel, loadGoogLeNet } from "../../src/models/load.js";
import { CaffeNet } from "../../src/models/net.js";

const SQUEEZENET = new URL("../fixtures/models/squeezenet_v1.1.caffemodel", import.meta.url).pathname;

describe("deepestFeatureMap", () => {
  it("is GoogLeNet's last inception output, before the 1×1 pooling and the classifier", async () => {
    expect(deepestFeatureMap(await loadGoogLeNet())).toBe("inception_5b/output");
  });
  it("is SqueezeNet's last fire module, not the 1000-channel conv10 that classifies nor the dropout", async () => {
    expect(deepestFeatureMap(await loadCaffeModel(SQUEEZENET))).toBe("fire9/concat");
  });
  it("refuses a net without any spatial map", () => {
    const net = new CaffeNet({
      name: "pointwise",
      inputs: [{ name: "data", shape: [1, 3, 1, 1] }],
      layers: [{ name: "relu", type: "ReLU", bottoms: ["data"], tops: ["out"], blobs: [], phase: null, relu: { negativeSlope: 0 } }],
    });
    expect(() => deepestFeatureMap(net)).toThrow(OptionError);
    expect(() => deepestFeatureMap(net)).toThrow('model "pointwise" has no feature map with spatial extent to dream on; give a layer');
  });
});

describe("defaultLayer", () => {
  it("keeps the preferred layer where the net has it, without a note", async () => {
    const notes: string[] = [];
    expect(defaultLayer(await loadGoogLeNet(), "inception_4c/output", (m) => notes.push(m))).toBe("inception_4c/output");
    expect(notes).toEqual([]);
  });
  it("falls back on the deepest feature map, with one note saying so", async () => {
    const notes: string[] = [];
    expect(defaultLayer(await loadCaffeModel(SQUEEZENET), "inception_4c/output", (m) => notes.push(m))).toBe("fire9/concat");
    expect(notes).toEqual([
      'model "SqueezeNet" has no "inception_4c/output" (the default layer); dreaming on "fire9/concat", its deepest feature map; give a layer to choose another',
    ]);
  });
});

describe("dream without a layer", () => {
  it("tells onNote which layer it took, where the net lacks the default", async () => {
    const notes: string[] = [];
    const out = await dream(createImage(48, 40), {
      model: await loadCaffeModel(SQUEEZENET),
      octaves: 1,
      iterations: 1,
      threads: 1,
      onNote: (m) => notes.push(m),
    });
    expect([out.width, out.height]).toEqual([48, 40]);
    expect(notes).toEqual([
      expect.stringMatching(/^model "SqueezeNet" has no "inception_4c\/output" \(the default layer\); dreaming on "fire9\/concat"/),
    ]);
  });
  it("but a layer asked for by name is never replaced", async () => {
    const model = await loadCaffeModel(SQUEEZENET);
    await expect(dream(createImage(48, 40), { model, layer: "inception_4c/output" })).rejects.toThrow(UnknownLayerError);
  });
});
