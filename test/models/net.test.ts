import { describe, expect, it } from "vitest";
import { ModelError, OptionError, UnknownLayerError } from "../../src/errors.js";
import { decodeCaffeModel } from "../../src/io/caffe/decode.js";
import { encodeCaffeModel } from "../../src/io/caffe/encode.js";
import { CaffeNet } from "../../src/models/net.js";
import type { LayerDef, NetDef } from "../../src/io/caffe/net-def.js";
import { randomTensor } from "../../src/autograd/gradcheck.js";

const f32 = (t: { data: ArrayLike<number> }): Float32Array => Float32Array.from(t.data);

function conv(name: string, bottom: string, top: string, cin: number, cout: number, k: number, seed: number, pad = 0): LayerDef {
  return {
    name,
    type: "Convolution",
    bottoms: [bottom],
    tops: [top],
    phase: null,
    convolution: { numOutput: cout, biasTerm: true, kernel: [k, k], stride: [1, 1], pad: [pad, pad], dilation: [1, 1], group: 1 },
    blobs: [
      { shape: [cout, cin, k, k], data: f32(randomTensor([cout * cin * k * k], seed)) },
      { shape: [1, 1, 1, cout], data: f32(randomTensor([cout], seed + 1)) }, // legacy V1 bias dims
    ],
  };
}
const relu = (name: string, blob: string): LayerDef => ({
  name,
  type: "ReLU",
  bottoms: [blob],
  tops: [blob],
  blobs: [],
  phase: null,
  relu: { negativeSlope: 0 },
});

/** A training-style file: data layers, a main branch, an auxiliary branch and a loss. */
function tinyNet(): NetDef {
  return {
    name: "tiny",
    inputs: [],
    layers: [
      { name: "train-data", type: "Data", bottoms: [], tops: ["data", "label"], blobs: [], phase: "train" },
      { name: "test-data", type: "Data", bottoms: [], tops: ["data", "label"], blobs: [], phase: "test" },
      conv("conv1", "data", "conv1", 3, 4, 3, 10, 1),
      relu("relu1", "conv1"),
      {
        name: "pool1",
        type: "Pooling",
        bottoms: ["conv1"],
        tops: ["pool1"],
        blobs: [],
        phase: null,
        pooling: { method: "max", kernel: [3, 3], stride: [2, 2], pad: [0, 0], globalPooling: false },
      },
      conv("aux/conv", "pool1", "aux/conv", 4, 2, 1, 20),
      { name: "aux/weird", type: "BNLL", bottoms: ["aux/conv"], tops: ["aux/out"], blobs: [], phase: null },
      conv("conv2", "pool1", "conv2", 4, 5, 3, 30),
      relu("relu2", "conv2"),
      { name: "loss", type: "SoftmaxWithLoss", bottoms: ["conv2", "label"], tops: ["loss"], blobs: [], phase: null },
    ],
  };
}

describe("CaffeNet", () => {
  const net = new CaffeNet(tinyNet());
  const x = () => randomTensor([1, 3, 12, 12], 5).to("float32");

  it("takes the input name from the data layer and skips data and loss layers", () => {
    expect(net.inputName).toBe("data");
    expect(net.outputNames).not.toContain("loss");
  });

  it("resolves a layer name to its top right after it ran: conv1 is pre-ReLU, relu1 post-ReLU", () => {
    const [pre, post, blob] = net.forward(x(), ["conv1", "relu1", "pool1"]);
    expect(Math.min(...pre!.data)).toBeLessThan(0);
    expect(Math.min(...post!.data) === 0).toBe(true);
    expect(post!.data).toBeAllClose(
      pre!.data.map((v) => Math.max(v, 0)),
      { atol: 0, rtol: 0 },
    );
    expect(blob!.shape).toEqual([1, 4, 6, 6]); // ceil((12 − 3) / 2) + 1 = 6
  });

  it("runs only what the output needs: an unsupported layer in another branch is fine", () => {
    expect(() => net.forward(x(), ["relu2"])).not.toThrow();
    expect(() => net.forward(x(), ["aux/out"])).toThrow(ModelError);
    expect(() => net.forward(x(), ["aux/out"])).toThrow(/layer "aux\/weird" has type "BNLL"/);
  });

  it("names the nearest names for an unknown one, not all of them", () => {
    expect(() => net.forward(x(), ["conv9"])).toThrow(OptionError);
    expect(() => net.forward(x(), ["conv9"])).toThrow(UnknownLayerError);
    expect(() => net.forward(x(), ["conv9"])).toThrow(
      /^unknown layer "conv9"; did you mean "conv1", "conv2", .* or ".*"\? CaffeNet.outputNames lists all \d+$/,
    );
    let error: UnknownLayerError | undefined;
    try {
      net.resolve("conv9");
    } catch (e) {
      error = e as UnknownLayerError;
    }
    expect(error!.layer).toBe("conv9");
    expect(error!.suggestions.slice(0, 2)).toEqual(["conv1", "conv2"]);
    expect(error!.suggestions.length).toBeGreaterThanOrEqual(3);
    expect(error!.suggestions.length).toBeLessThanOrEqual(5);
    expect(error!.problem).toBe(error!.message.replace(/ CaffeNet.outputNames lists all \d+$/, ""));
  });

  it("describes shapes in order and finds the smallest input that reaches a layer", () => {
    const rows = net.describe([1, 3, 12, 12]);
    expect(rows.map((r) => r.name).slice(0, 4)).toEqual(["data", "conv1", "relu1", "pool1"]);
    expect(rows.find((r) => r.name === "conv2")!.shape).toEqual([1, 5, 4, 4]);
    // conv2 (3×3, no pad) needs pool1 ≥ 3 wide: ceil((s − 3) / 2) + 1 ≥ 3 holds from s = 6.
    expect(net.minimumInputSize("conv2")).toBe(6);
    expect(net.outputShape("conv2", [1, 3, 6, 6])).toEqual([1, 5, 1, 1]);
    expect(() => net.outputShape("conv2", [1, 3, 5, 5])).toThrow();
  });

  it("says how large the input must be when a layer would be empty", () => {
    expect(() => net.forward(randomTensor([1, 3, 5, 9]).to("float32"), ["conv2"])).toThrow(
      'the input is 9×5 pixels but "conv2" needs at least 6×6; use a larger image or a lower layer',
    );
  });

  it("has no classifier to dream toward without a Softmax", () => {
    expect(() => net.classifierLayer()).toThrow(OptionError);
    expect(() => net.classifierLayer()).toThrow(
      'model "tiny" has no Softmax layer, so no classifier to dream toward; choose a layer instead',
    );
  });

  it("checks the input's channels", () => {
    expect(() => net.forward(randomTensor([1, 1, 12, 12]).to("float32"), ["conv1"])).toThrow(/\[N, 3, H, W\]/);
  });

  it("catches weights that disagree with the layer, naming it", () => {
    const def = tinyNet();
    def.layers[7]!.blobs[1]!.data = new Float32Array(4);
    expect(() => new CaffeNet(def)).toThrow(/layer "conv2" \(Convolution\): blob 1 has 4 values/);
  });

  it("gives the same outputs after a round trip through both file formats", () => {
    const [expected] = net.forward(x(), ["relu2"]);
    for (const format of ["v1", "modern"] as const) {
      const reloaded = new CaffeNet(decodeCaffeModel(encodeCaffeModel(tinyNet(), format)));
      const [y] = reloaded.forward(x(), ["relu2"]);
      expect(y!.data, format).toBeAllClose(expected!.data, { atol: 0, rtol: 0 });
    }
  });
});
