// InnerProducts on pictures larger than the net's input: the classifier at every window
// (src/models/layer-rules/inner-product.ts, `innerProductGrid`), checked against computing it
// window by window.
import { readFileSync } from "node:fs";
import { beforeAll, describe, expect, it } from "vitest";
import { randomTensor } from "../../src/autograd/gradcheck.js";
import { objectiveGradient } from "../../src/dream/objective.js";
import { decodeCaffeModel } from "../../src/io/caffe/decode.js";
import { encodeCaffeModel } from "../../src/io/caffe/encode.js";
import { innerProductForwardNaive } from "../../src/layers/inner-product.js";
import { loadGoogLeNet } from "../../src/models/load.js";
import { googlenetUrl } from "../../src/models/sources.js";
import { CaffeNet } from "../../src/models/net.js";
import type { LayerDef, NetDef } from "../../src/io/caffe/net-def.js";
import { Tensor } from "../../src/tensor/tensor.js";

const f32 = (t: { data: ArrayLike<number> }): Float32Array => Float32Array.from(t.data);

/**
 * data 3×8×8 → conv1 3×3 (4) → ReLU → pool1 max 2×2/2 (4×3×3) → fc6 (5, K = 36: a 3×3 window)
 * → ReLU → fc7 (3) → prob. A window of the grid at (gy, gx) is the 8×8 crop at (2·gy, 2·gx).
 */
function tinyClassifier({ declared = true, transpose = false } = {}): NetDef {
  const ip = (name: string, bottom: string, k: number, n: number, seed: number, t: boolean): LayerDef => ({
    name,
    type: "InnerProduct",
    bottoms: [bottom],
    tops: [name],
    phase: null,
    innerProduct: { numOutput: n, biasTerm: true, axis: 1, transpose: t },
    blobs: [
      { shape: t ? [k, n] : [n, k], data: f32(randomTensor([n * k], seed)) },
      { shape: [n], data: f32(randomTensor([n], seed + 1)) },
    ],
  });
  const relu = (name: string, blob: string): LayerDef => ({
    name,
    type: "ReLU",
    bottoms: [blob],
    tops: [blob],
    blobs: [],
    phase: null,
    relu: { negativeSlope: 0 },
  });
  return {
    name: "tiny-classifier",
    inputs: declared ? [{ name: "data", shape: [1, 3, 8, 8] }] : [{ name: "data", shape: null }],
    layers: [
      {
        name: "conv1",
        type: "Convolution",
        bottoms: ["data"],
        tops: ["conv1"],
        phase: null,
        convolution: { numOutput: 4, biasTerm: true, kernel: [3, 3], stride: [1, 1], pad: [0, 0], dilation: [1, 1], group: 1 },
        blobs: [
          { shape: [4, 3, 3, 3], data: f32(randomTensor([108], 1)) },
          { shape: [4], data: f32(randomTensor([4], 2)) },
        ],
      },
      relu("relu1", "conv1"),
      {
        name: "pool1",
        type: "Pooling",
        bottoms: ["conv1"],
        tops: ["pool1"],
        blobs: [],
        phase: null,
        pooling: { method: "max", kernel: [2, 2], stride: [2, 2], pad: [0, 0], globalPooling: false },
      },
      ip("fc6", "pool1", 36, 5, 3, transpose),
      relu("relu6", "fc6"),
      ip("fc7", "fc6", 5, 3, 5, false),
      { name: "prob", type: "Softmax", bottoms: ["fc7"], tops: ["prob"], blobs: [], phase: null, softmax: { axis: 1 } },
    ],
  };
}

/** [1, C, H, W] → the h×w crop at (y, x). */
function crop(t: Tensor, y: number, x: number, h: number, w: number): Tensor {
  const [, c, H, W] = t.shape as number[];
  const out = new Float32Array(c! * h * w);
  for (let ch = 0; ch < c!; ch++) {
    for (let r = 0; r < h; r++) {
      const from = (ch * H! + y + r) * W! + x;
      out.set(t.data.subarray(from, from + w), (ch * h + r) * w);
    }
  }
  return new Tensor(out, [1, c!, h, w]);
}

/** Value [c] at grid position (gy, gx) of a [1, C, GH, GW] blob. */
const at = (t: Tensor, gy: number, gx: number): number[] => {
  const [, c, gh, gw] = t.shape as number[];
  return Array.from({ length: c! }, (_, ch) => t.data[(ch * gh! + gy) * gw! + gx]!);
};

describe("a fully connected layer on a larger picture runs at every window", () => {
  const variants = [
    ["declared input, modern file", tinyClassifier(), "modern"],
    ["declared input, V1 file, transposed fc6", tinyClassifier({ transpose: true }), "v1"],
    ["no declared input (K = C·3²)", tinyClassifier({ declared: false }), "modern"],
  ] as const;
  for (const [what, def, format] of variants) {
    it(`${what}: each position equals the net on its 8×8 window`, () => {
      const net = new CaffeNet(decodeCaffeModel(encodeCaffeModel(def, format)));
      const x = randomTensor([1, 3, 12, 14], 9).to("float32");
      const [fc7, prob] = net.forward(x, ["fc7", "prob"]);
      // conv1 → 10×12, pool1 → 5×6, fc6's 3×3 windows → a 3×4 grid.
      expect(fc7!.shape).toEqual([1, 3, 3, 4]);
      for (let gy = 0; gy < 3; gy++) {
        for (let gx = 0; gx < 4; gx++) {
          const [alone] = net.forward(crop(x, 2 * gy, 2 * gx, 8, 8), ["fc7"]);
          expect(alone!.shape).toEqual([1, 3]); // at the net's own size, the plain InnerProduct
          expect(at(fc7!, gy, gx), `(${gy}, ${gx})`).toBeAllClose(alone!.data, { rtol: 1e-5, atol: 1e-5 });
          const p = at(prob!, gy, gx);
          expect(p.reduce((a, v) => a + v, 0)).toBeCloseTo(1, 6); // a softmax per position
        }
      }
      // 7 → conv1 5×5 → pool1 3×3, Caffe's pooling rounding up: the last window hangs over.
      expect(net.minimumInputSize("prob")).toBe(7);
      // 6×9 → conv1 4×7 → pool1 2×4: fewer rows than fc6's window.
      expect(() => net.outputShape("fc6", [1, 3, 6, 9])).toThrow(
        'layer "fc6" (InnerProduct) needs its input to be at least 3×3, as at the net\'s input size, but it is 2×4; use a larger picture',
      );
    });
  }

  it("differentiates through the grid: the gradient matches central differences (Float64)", () => {
    const net = new CaffeNet(tinyClassifier());
    const x = randomTensor([1, 3, 10, 12], 4); // float64: fc7 on a 2×3 grid
    const terms = [{ layer: "fc7", objective: "mean" as const, channels: [1] }];
    const { grad } = objectiveGradient(net, x, terms);
    const v = randomTensor([1, 3, 10, 12], 8);
    const eps = 1e-5;
    const shifted = (s: number): number => {
      const y = new Float64Array(x.data.length);
      for (let i = 0; i < y.length; i++) y[i] = x.data[i]! + s * eps * v.data[i]!;
      const [a] = net.forward(new Tensor(y, x.shape), ["fc7"]);
      const [, , gh, gw] = a!.shape as number[];
      let sum = 0;
      for (let i = gh! * gw!; i < 2 * gh! * gw!; i++) sum += a!.data[i]!;
      return sum / (gh! * gw!);
    };
    let dot = 0;
    for (let i = 0; i < grad.length; i++) dot += grad[i]! * v.data[i]!;
    expect(dot).toBeCloseTo((shifted(1) - shifted(-1)) / (2 * eps), 6);
  });

  it("leaves a layer whose window cannot be known to the size it was made for", () => {
    // No declared input, and fc6 takes 72 values from 4 channels: 18 positions, not a square.
    const def = tinyClassifier({ declared: false });
    const fc6 = def.layers[3]!;
    fc6.blobs[0] = { shape: [5, 72], data: f32(randomTensor([360], 3)) };
    const net = new CaffeNet(def);
    expect(() => net.outputShape("fc6", [1, 3, 12, 14])).toThrow(/"fc6" \(InnerProduct\) takes 72 values per image/);
  });
});

describe("GoogLeNet's classifier on a 288×256 picture", () => {
  let net: CaffeNet;
  beforeAll(async () => {
    net = await loadGoogLeNet();
  });

  it("gives a 2×3 grid of logits, each W·pool5 + b at its position", () => {
    const x = randomTensor([1, 3, 256, 288], 3).to("float32");
    for (let i = 0; i < x.data.length; i++) x.data[i]! *= 60;
    const [pool5, logits, prob] = net.forward(x, ["pool5/7x7_s1", "loss3/classifier", "prob"]);
    expect(pool5!.shape).toEqual([1, 1024, 2, 3]);
    expect(logits!.shape).toEqual([1, 1000, 2, 3]);
    const layer = decodeCaffeModel(readFileSync(googlenetUrl)).layers.find((l) => l.name === "loss3/classifier")!;
    const [w, b] = layer.blobs;
    for (let gy = 0; gy < 2; gy++) {
      for (let gx = 0; gx < 3; gx++) {
        const expected = new Float32Array(1000);
        innerProductForwardNaive(expected, Float32Array.from(at(pool5!, gy, gx)), w!.data, b!.data, {
          M: 1,
          K: 1024,
          N: 1000,
          transpose: false,
        });
        expect(at(logits!, gy, gx), `(${gy}, ${gx})`).toBeAllClose(expected, { rtol: 1e-4, atol: 1e-4 });
        expect(at(prob!, gy, gx).reduce((a, v) => a + v, 0)).toBeCloseTo(1, 5);
      }
    }
  });

  it("names loss3/classifier as the classifier, the softmax's input", () => {
    expect(net.classifierLayer()).toBe("loss3/classifier");
  });

  it("reaches prob from a 223-pixel side, the real minimum (224 gives the same shapes)", () => {
    expect(net.minimumInputSize("prob")).toBe(223);
    expect(net.outputShape("prob", [1, 3, 223, 223])).toEqual([1, 1000]);
    expect(() => net.outputShape("prob", [1, 3, 222, 400])).toThrow();
    expect(net.outputShape("prob", [1, 3, 240, 320])).toEqual([1, 1000, 1, 4]);
  });
});
