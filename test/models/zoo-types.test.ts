// Every other Model Zoo layer type in one net from a file (./zoo-nets.ts, `everyType`), against
// the naive Float64 evaluator at each layer's output, in Float32 and Float64.
import { describe, expect, it } from "vitest";
import { caffeNetFromBytes } from "../../src/models/sources.js";
import { Tensor } from "../../src/tensor/tensor.js";
import { naiveForward, type NaiveBlob } from "./naive-net.js";
import { everyType, zooInput } from "./zoo-nets.js";

/** The largest |ours − naive| over the blob, as a fraction of the blob's largest |value|. */
function relativeError(ours: Tensor, naive: NaiveBlob): number {
  let [err, scale] = [0, 0];
  for (let i = 0; i < naive.data.length; i++) {
    err = Math.max(err, Math.abs(ours.data[i]! - naive.data[i]!));
    scale = Math.max(scale, Math.abs(naive.data[i]!));
  }
  return err / scale;
}

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
    const naive = naiveForward(zoo.def, input, blobs);
    for (const [dtype, tolerance] of [
      ["float32", 1e-5],
      ["float64", 1e-12],
    ] as const) {
      const data = dtype === "float32" ? Float32Array.from(input.data) : input.data.slice();
      const ours = net.forward(new Tensor(data, input.shape), blobs);
      blobs.forEach((name, i) => {
        expect({ name, dtype, shape: ours[i]!.shape }).toEqual({ name, dtype, shape: naive[i]!.shape });
        expect({ name, dtype, error: relativeError(ours[i]!, naive[i]!) }).toEqual({
          name,
          dtype,
          error: expect.toSatisfy((e: number) => e <= tolerance),
        });
      });
    }
    expect(naive[blobs.indexOf("crop")]!.shape).toEqual([1, 4, 24, 24]);
    expect(naive[blobs.indexOf("prob")]!.shape).toEqual([1, 2, 5]);
  });
});
