// Round trips NetDef → bytes → NetDef in both formats, for a hand-made net that uses every
// parameter, and for the real GoogLeNet file.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { ModelError } from "../../../src/errors.js";
import { decodeCaffeModel } from "../../../src/io/caffe/decode.js";
import { encodeCaffeModel } from "../../../src/io/caffe/encode.js";
import { caffeRoot } from "../../../src/io/caffe/schema.js";
import type { BlobDef, LayerDef, NetDef } from "../../../src/io/caffe/net-def.js";
import { fillUniform } from "../../../src/tensor/random.js";

const GOOGLENET = new URL("../../../models/bvlc_googlenet.caffemodel", import.meta.url);

function blob(shape: number[], seed: number): BlobDef {
  return { shape, data: fillUniform(new Float32Array(shape.reduce((a, b) => a * b, 1)), seed) };
}

const layer = (name: string, type: string, bottoms: string[], tops: string[], rest: Partial<LayerDef> = {}): LayerDef => ({
  name,
  type,
  bottoms,
  tops,
  blobs: [],
  phase: null,
  ...rest,
});

/** A net using every parameter of the base layer types, non-default where possible (the Model Zoo types: ./zoo-params.test.ts). */
function everyParamNet(): NetDef {
  return {
    name: "every-param",
    inputs: [
      { name: "data", shape: [2, 3, 9, 11] },
      { name: "train_data", shape: null },
    ],
    layers: [
      layer("input", "Input", [], ["data"], { input: { shapes: [[2, 3, 9, 11]] } }),
      layer("train_data", "Data", [], ["train_data", "label"], { phase: "train" }),
      layer("conv1", "Convolution", ["data"], ["conv1"], {
        convolution: { numOutput: 6, biasTerm: true, kernel: [3, 5], stride: [2, 1], pad: [1, 2], dilation: [1, 2], group: 3 },
        blobs: [blob([6, 1, 3, 5], 1), blob([6], 2)],
      }),
      layer("relu1", "ReLU", ["conv1"], ["conv1"], { relu: { negativeSlope: 0.1 } }),
      layer("pool1", "Pooling", ["conv1"], ["pool1"], {
        pooling: { method: "ave", kernel: [2, 3], stride: [2, 2], pad: [1, 0], globalPooling: false },
      }),
      layer("pool2", "Pooling", ["conv1"], ["pool2"], {
        pooling: { method: "stochastic", kernel: [3, 3], stride: [1, 1], pad: [0, 0], globalPooling: false },
      }),
      layer("norm1", "LRN", ["pool1"], ["norm1"], { lrn: { localSize: 3, alpha: 1e-4, beta: 0.75, k: 2, normRegion: "within" } }),
      layer("cat", "Concat", ["norm1", "pool2"], ["cat"], { concat: { axis: 1 } }),
      layer("cat_last", "Concat", ["norm1", "pool2"], ["cat_last"], { concat: { axis: -1 } }),
      layer("sum", "Eltwise", ["norm1", "pool2"], ["sum"], { eltwise: { operation: "sum", coeff: [0.5, -1] } }),
      layer("max", "Eltwise", ["norm1", "pool2"], ["max"], { eltwise: { operation: "max", coeff: [] } }),
      layer("gpool", "Pooling", ["sum"], ["gpool"], {
        pooling: { method: "ave", kernel: [0, 0], stride: [1, 1], pad: [0, 0], globalPooling: true },
      }),
      layer("drop", "Dropout", ["gpool"], ["gpool"], { dropout: { ratio: 0.3 } }),
      layer("fc", "InnerProduct", ["gpool"], ["fc"], {
        innerProduct: { numOutput: 4, biasTerm: false, axis: 1, transpose: true },
        blobs: [blob([6, 4], 3)],
      }),
      layer("fc2", "InnerProduct", ["fc"], ["fc2"], {
        innerProduct: { numOutput: 5, biasTerm: true, axis: 1, transpose: false },
        blobs: [blob([1, 1, 5, 4], 4), blob([1, 1, 1, 5], 5)],
      }),
      layer("prob", "Softmax", ["fc2"], ["prob"], { softmax: { axis: 1 }, phase: "test" }),
      layer("loss", "SoftmaxWithLoss", ["fc2", "label"], ["loss"], { softmax: { axis: 1 }, phase: "train" }),
    ],
  };
}

/** What a V1 file gives back: Input layers become plain inputs, blob shapes become 4-D. */
function asV1Decodes(def: NetDef): NetDef {
  return {
    ...def,
    layers: def.layers
      .filter((l) => l.type !== "Input")
      .map((l) => ({ ...l, blobs: l.blobs.map((b) => ({ ...b, shape: [...Array<number>(4 - b.shape.length).fill(1), ...b.shape] })) })),
  };
}

/** toEqual, but comparing blob values as bytes: a deep compare of 7M floats takes a minute. */
function expectSameNet(actual: NetDef, expected: NetDef): void {
  const withoutData = (def: NetDef) => ({
    ...def,
    layers: def.layers.map((l) => ({ ...l, blobs: l.blobs.map((b) => ({ shape: b.shape, size: b.data.length })) })),
  });
  expect(withoutData(actual)).toEqual(withoutData(expected));
  const bytes = (b: BlobDef) => Buffer.from(b.data.buffer, b.data.byteOffset, b.data.byteLength);
  actual.layers.forEach((l, i) => {
    l.blobs.forEach((b, j) => {
      expect(bytes(b).equals(bytes(expected.layers[i]!.blobs[j]!)), `${l.name} blob ${j}`).toBe(true);
    });
  });
}

describe("encodeCaffeModel → decodeCaffeModel", () => {
  it("modern: gives back the same NetDef", () => {
    const def = everyParamNet();
    expect(decodeCaffeModel(encodeCaffeModel(def, "modern"))).toEqual(def);
  });

  it("v1: gives back the same NetDef but for Input layers (→ input/input_dim) and 4-D blob dims", () => {
    const def = everyParamNet();
    const bytes = encodeCaffeModel(def, "v1");
    expect(decodeCaffeModel(bytes)).toEqual(asV1Decodes(def));
    const raw = caffeRoot
      .lookupType("caffe.NetParameter")
      .toObject(caffeRoot.lookupType("caffe.NetParameter").decode(bytes), { longs: Number });
    expect(raw.layer).toBeUndefined();
    expect(raw.input).toEqual(["data"]);
    expect(raw.input_dim).toEqual([2, 3, 9, 11]);
    expect(raw.layers[0].type).toBe(5); // DATA
  });

  it("writes inputs as input_shape when not 4-D, and input names alone when no shape is known", () => {
    const relu = layer("relu", "ReLU", ["x"], ["x"], { relu: { negativeSlope: 0 } });
    for (const format of ["v1", "modern"] as const) {
      const flat: NetDef = { name: "flat", inputs: [{ name: "x", shape: [5, 7] }], layers: [relu] };
      expect(decodeCaffeModel(encodeCaffeModel(flat, format)), format).toEqual(flat);
      const unknown: NetDef = { name: "unknown", inputs: [{ name: "x", shape: null }], layers: [relu] };
      expect(decodeCaffeModel(encodeCaffeModel(unknown, format)), format).toEqual(unknown);
    }
  });

  it("re-encodes the real GoogLeNet file in either format to the same NetDef", () => {
    const def = decodeCaffeModel(readFileSync(GOOGLENET));
    // No differences expected: the V1 file's input is already input/input_dim (written back as
    // input/input_shape in the modern format), and its blobs already have 4-D dims.
    for (const format of ["modern", "v1"] as const) expectSameNet(decodeCaffeModel(encodeCaffeModel(def, format)), def);
  });

  it("refuses what the format cannot say, naming the layer", () => {
    const def = everyParamNet();
    def.layers.push(layer("bn", "BatchNorm", ["fc"], ["fc"]));
    expect(() => encodeCaffeModel(def, "v1")).toThrow(ModelError);
    expect(() => encodeCaffeModel(def, "v1")).toThrow(/layer "bn": type "BatchNorm" has no V1 layer type; use the modern format/);
    expect(() => encodeCaffeModel(def, "modern")).not.toThrow();

    const fiveD = everyParamNet();
    fiveD.layers[2]!.blobs[0] = blob([6, 1, 3, 5, 1], 1);
    expect(() => encodeCaffeModel(fiveD, "v1")).toThrow(/layer "conv1" blob 0: dims \[6,1,3,5,1\] have more than the 4 axes of a V1 blob/);

    const mixed: NetDef = {
      name: "m",
      inputs: [
        { name: "a", shape: [1] },
        { name: "b", shape: null },
      ],
      layers: [],
    };
    expect(() => encodeCaffeModel(mixed, "modern")).toThrow(/inputs "a", "b": give every input a shape or none/);
  });
});
