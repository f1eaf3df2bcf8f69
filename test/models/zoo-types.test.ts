// Every other Model Zoo layer type in one net from a file (./zoo-nets.ts, `everyType`), against
// the naive Float64 evaluator at each layer's output, in Float32 and Float64.
import { describe, expect, it } from "vitest";
import { caffeNetFromBytes } from "../../src/models/sources.js";
import { expectNetMatchesNaive } from "./expect-naive.js";
import { everyType, zooInput } from "./zoo-nets.js";

describe("a net of every other Model Zoo layer type", () => {
  const zoo = everyType();
  const blobs = zoo.def.layers.map((l) => l.name);

  it("uses them all", () => {
    expect(new Set(zoo.def.layers.map((l) => l.type))).toEqual(
      new Set([
        ...["Convolution", "PReLU", "ELU", "Slice", "TanH", "Sigmoid", "Concat", "Deconvolution", "Crop"],
        ...["AbsVal", "Bias", "Power", "Pooling", "Flatten", "InnerProduct", "Reshape", "Softmax"],
      ]),
    );
    expect(zoo.def.layers.find((l) => l.name === "dw")!.convolution!.group).toBe(8); // depthwise
  });

  it("runs as the naive Float64 evaluation of the same file does, at every layer, in Float32 and Float64", () => {
    const net = caffeNetFromBytes(zoo.bytes, zoo.def.name);
    const input = zooInput(24, 13, [-1, 1]);
    const naive = expectNetMatchesNaive(net, zoo.def, input, blobs, { float32: 1e-5, float64: 1e-12 });
    expect(naive[blobs.indexOf("crop")]!.shape).toEqual([1, 4, 24, 24]);
    expect(naive[blobs.indexOf("prob")]!.shape).toEqual([1, 2, 5]);
  });
});
