// A ResNet-50-shaped deploy net (./zoo-nets.ts) loaded from the bytes of a .caffemodel: Caffe's
// names and structure, the forward against the naive Float64 evaluator at blobs along the net
// (BatchNorm's and Scale's in-place values and a convolution's pre-BatchNorm output included),
// the default dream layer, and a dream.
import { describe, expect, it } from "vitest";
import { randomTensor } from "../../src/autograd/gradcheck.js";
import { deepestFeatureMap } from "../../src/dream/default-layer.js";
import { dream } from "../../src/dream/dream.js";
import { caffeNetFromBytes } from "../../src/models/sources.js";
import { expectNetMatchesNaive } from "./expect-naive.js";
import type { NaiveBlob } from "./naive-net.js";
import { resnet50, zooInput } from "./zoo-nets.js";

const zoo = resnet50();
const net = caffeNetFromBytes(zoo.bytes, zoo.def.name);

describe("a ResNet-50-shaped deploy net", () => {
  it("has Caffe's ResNet-50 layers: 53 convolutions each with its BatchNorm and Scale, 16 shortcuts, pool5, fc1000, prob", () => {
    const named = (type: string) => zoo.def.layers.filter((l) => l.type === type).map((l) => l.name);
    const blocks = [3, 4, 6, 3].flatMap((n, s) => [..."abcdef"].slice(0, n).map((b) => `${s + 2}${b}`));
    expect(named("Eltwise")).toEqual(blocks.map((id) => `res${id}`));
    const convs = named("Convolution");
    expect(convs).toHaveLength(53);
    expect(convs.slice(0, 5)).toEqual(["conv1", "res2a_branch1", "res2a_branch2a", "res2a_branch2b", "res2a_branch2c"]);
    expect(named("BatchNorm")).toEqual(convs.map((c) => (c === "conv1" ? "bn_conv1" : c.replace(/^res/, "bn"))));
    expect(named("Scale")).toEqual(convs.map((c) => (c === "conv1" ? "scale_conv1" : c.replace(/^res/, "scale"))));
    expect(named("ReLU")).toContain("res5c_relu");
    expect(zoo.def.layers.slice(-3).map((l) => [l.name, l.type])).toEqual([
      ["pool5", "Pooling"],
      ["fc1000", "InnerProduct"],
      ["prob", "Softmax"],
    ]);
  });

  it("runs as the naive Float64 evaluation of the same file does, in Float32 and Float64", () => {
    const blobs = [
      ...["conv1", "bn_conv1", "scale_conv1", "conv1_relu", "pool1"],
      ...["res2a_branch1", "bn2a_branch1", "scale2a_branch2c", "res2a", "res2a_relu", "res3a_relu"],
      ...["res4f_branch2b_relu", "res4f_relu", "res5c_relu", "pool5", "fc1000", "prob"],
    ];
    const input = zooInput(224, 77);
    // Float32's rounding grows with depth through 53 BatchNorms (each divides by a σ), to 8e-5 of
    // the blob's scale by res5c; a misread eps or a wrong formula is 1e-2 to 1.
    const naive = expectNetMatchesNaive(net, zoo.def, input, blobs, { float32: 1e-3, float64: 1e-11 });
    // The seeded weights and statistics keep every stage's output at a trained net's scale.
    const rms = (b: NaiveBlob) => Math.sqrt(b.data.reduce((a, v) => a + v * v, 0) / b.data.length);
    for (const name of ["bn_conv1", "res2a_relu", "res3a_relu", "res4f_relu", "res5c_relu"]) {
      expect({ name, rms: rms(naive[blobs.indexOf(name)]!) }).toEqual({ name, rms: expect.toSatisfy((r: number) => r > 0.2 && r < 20) });
    }
    expect(Math.max(...naive[blobs.indexOf("prob")]!.data)).toSatisfy((p: number) => p > 2 / 1000 && p < 0.9);
  });

  it("dreams by default on res5c_relu, the last block's output, not a BatchNorm's in-place value nor the pooled 1×1", async () => {
    expect(deepestFeatureMap(net)).toBe("res5c_relu");
    const notes: string[] = [];
    const picture = { width: 48, height: 40, data: Float32Array.from(randomTensor([48 * 40 * 3], 8, 0, 255).data) };
    const out = await dream(picture, { model: net, octaves: 2, iterations: 2, threads: 1, onNote: (m) => notes.push(m) });
    expect([out.width, out.height]).toEqual([48, 40]);
    expect(notes).toContainEqual(expect.stringContaining('dreaming on "res5c_relu", its deepest feature map'));
    expect(out.data.some((v, i) => Math.abs(v - picture.data[i]!) > 1)).toBe(true);
  });
});
