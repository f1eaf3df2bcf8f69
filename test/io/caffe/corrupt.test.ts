// Bad model files: each must end in a one-line ModelError that says what is wrong (naming the
// layer and blob where it can) — never a crash, a hang, or an allocation sized by a lie.
import { readFileSync } from "node:fs";
import protobuf from "protobufjs/light.js";
import { describe, expect, it } from "vitest";
import { ModelError } from "../../../src/errors.js";
import { decodeCaffeModel } from "../../../src/io/caffe/decode.js";
import { mulberry32, randomInt } from "../../../src/tensor/random.js";
import { rawNet } from "./raw-net.js";

const SQUEEZENET = readFileSync(new URL("../../fixtures/models/squeezenet_v1.1.caffemodel", import.meta.url));
const GOOGLENET = readFileSync(new URL("../../../models/bvlc_googlenet.caffemodel", import.meta.url));

/** The ModelError that decoding throws; fails the test if it throws anything else or nothing. */
function modelError(bytes: Uint8Array): ModelError {
  try {
    decodeCaffeModel(bytes);
  } catch (e) {
    expect(e).toBeInstanceOf(ModelError);
    expect((e as Error).message).not.toContain("\n");
    return e as ModelError;
  }
  throw new Error("expected a ModelError, but the bytes decoded");
}

const conv = (blobs: unknown[]) => ({
  name: "conv1/7x7_s2",
  type: 4,
  convolution_param: { num_output: 64, kernel_size: [7], stride: [2], pad: [3] },
  blobs,
});

describe("decodeCaffeModel on bad input", () => {
  it("empty input", () => {
    expect(modelError(new Uint8Array()).message).toBe("empty model file (0 bytes): expected a binary Caffe .caffemodel");
  });

  it("truncated files, V1 and modern", () => {
    for (const file of [GOOGLENET, SQUEEZENET]) {
      for (const fraction of [0.0001, 0.3, 0.5, 0.999999]) {
        const cut = file.subarray(0, Math.floor(file.length * fraction));
        expect(modelError(cut).message).toMatch(/^not a Caffe model file, or truncated: index out of range/);
      }
    }
  });

  it("random bytes", () => {
    const rand = mulberry32(3);
    for (let trial = 0; trial < 300; trial++) {
      const bytes = Uint8Array.from({ length: randomInt(rand, 1, 3000) }, () => randomInt(rand, 0, 255));
      modelError(bytes);
    }
  });

  it("other protobuf and non-protobuf files", () => {
    expect(modelError(new TextEncoder().encode('name: "GoogleNet"\nlayer {\n')).message).toMatch(/^not a Caffe model file/);
    const solverLike = protobuf.Writer.create()
      .uint32((24 << 3) | 2)
      .string("net.prototxt")
      .finish();
    expect(modelError(solverLike).message).toBe(
      "no layers in the model file (neither `layer` nor legacy `layers`): not a Caffe .caffemodel",
    );
    expect(modelError(rawNet({ name: "empty", input: ["data"], input_dim: [1, 3, 4, 4] })).message).toMatch(/^no layers/);
  });

  it("randomly damaged bytes of a small real net: a NetDef or a ModelError, nothing else", () => {
    const small = rawNet({
      name: "small",
      input: ["data"],
      input_dim: [1, 3, 8, 8],
      layers: [
        conv([
          { num: 2, channels: 3, height: 7, width: 7, data: new Array(294).fill(0.5) },
          { num: 1, channels: 1, height: 1, width: 2, data: [1, 2] },
        ]),
      ],
    });
    expect(() => decodeCaffeModel(small)).not.toThrow();
    const rand = mulberry32(11);
    for (let trial = 0; trial < 500; trial++) {
      const bytes = small.slice();
      for (let k = randomInt(rand, 1, 4); k > 0; k--) bytes[randomInt(rand, 0, bytes.length - 1)] = randomInt(rand, 0, 255);
      try {
        decodeCaffeModel(bytes);
      } catch (e) {
        expect(e).toBeInstanceOf(ModelError);
      }
    }
  });

  it("a blob whose values disagree with its dims, named by layer and blob", () => {
    const blobs = [{ shape: { dim: [64, 3, 7, 7, 2] }, data: new Array(9408).fill(0) }];
    expect(modelError(rawNet({ layers: [conv(blobs)] })).message).toBe(
      'layer "conv1/7x7_s2" blob 0: 9408 values but dims [64,3,7,7,2] need 18816',
    );
    const legacy = [
      { num: 64, channels: 3, height: 7, width: 7, data: new Array(9408).fill(0) },
      { num: 1, channels: 1, height: 1, width: 64, data: [1] },
    ];
    expect(modelError(rawNet({ layers: [conv(legacy)] })).message).toBe(
      'layer "conv1/7x7_s2" blob 1: 1 values but dims [1,1,1,64] need 64',
    );
    const doubles = [{ shape: { dim: [3] }, double_data: [1, 2] }];
    expect(modelError(rawNet({ layers: [conv(doubles)] })).message).toBe('layer "conv1/7x7_s2" blob 0: 2 values but dims [3] need 3');
  });

  it("absurd dims: 2^31 values or more, huge or negative dims — without allocating them", () => {
    const dims = (shape: unknown) => modelError(rawNet({ layers: [conv([{ ...(shape as object), data: [1] }])] })).message;
    expect(dims({ shape: { dim: [65536, 32768] } })).toBe(
      `layer "conv1/7x7_s2" blob 0: dims [65536,32768] describe 2147483648 values, more than Caffe's limit 2^31 - 1`,
    );
    expect(dims({ shape: { dim: [2 ** 40] } })).toMatch(/dims \[1099511627776\] describe 1099511627776 values/);
    expect(dims({ shape: { dim: [4, -1] } })).toBe('layer "conv1/7x7_s2" blob 0: negative dimension in dims [4,-1]');
    expect(dims({ num: -64, channels: 3, height: 7, width: 7 })).toBe(
      'layer "conv1/7x7_s2" blob 0: negative dimension in dims [-64,3,7,7]',
    );
    expect(modelError(rawNet({ input: ["data"], input_dim: [1, 3, -224, 224], layers: [conv([])] })).message).toBe(
      'input "data": negative dimension in dims [1,3,-224,224]',
    );
    expect(modelError(rawNet({ input: ["data"], input_shape: [{ dim: [2 ** 20, 2 ** 20] }], layers: [conv([])] })).message).toMatch(
      /^input "data": dims \[1048576,1048576\] describe 1099511627776 values/,
    );
  });

  it("declared lengths beyond the bytes present: a packed blob of 2 GB, a 1 GB layer", () => {
    // layers (field 2) { name (4), type (5): RELU, blobs (6) { data (5): 0x7ffffff0 bytes, then 4 } }
    const blob = protobuf.Writer.create()
      .uint32((5 << 3) | 2)
      .uint32(0x7ffffff0)
      .float(1)
      .finish();
    const layerBytes = protobuf.Writer.create()
      .uint32((4 << 3) | 2)
      .string("big")
      .uint32((5 << 3) | 0)
      .uint32(18)
      .uint32((6 << 3) | 2)
      .bytes(blob)
      .finish();
    const net = protobuf.Writer.create()
      .uint32((2 << 3) | 2)
      .bytes(layerBytes)
      .finish();
    expect(modelError(net).message).toMatch(/^layer "big" blob 0: not a valid BlobProto, or truncated: index out of range/);
    const hugeLayer = protobuf.Writer.create()
      .uint32((2 << 3) | 2)
      .uint32(2 ** 30)
      .finish();
    expect(modelError(hugeLayer).message).toMatch(/^not a Caffe model file, or truncated: index out of range/);
  });

  it("a file with no layers, or input counts that do not match", () => {
    expect(modelError(rawNet({ name: "nothing" })).message).toMatch(/^no layers/);
    expect(modelError(rawNet({ input: ["a", "b"], input_dim: [1, 3, 4, 4], layers: [conv([])] })).message).toBe(
      "input_dim has 4 values but 2 inputs need 8 (num, channels, height, width each)",
    );
    expect(modelError(rawNet({ input: ["a"], input_shape: [{ dim: [1] }, { dim: [2] }], layers: [conv([])] })).message).toBe(
      "1 inputs but 2 input_shape entries; need one per input",
    );
  });

  it("parameters Caffe itself would reject, named by layer", () => {
    const one = (layer: Record<string, unknown>) =>
      modelError(rawNet({ layer: [{ name: "x", bottom: ["a", "b"], top: ["y"], ...layer }] })).message;
    expect(one({ type: "" })).toBe('layer "x" has no type');
    expect(one({ type: "Convolution", convolution_param: { num_output: 4 } })).toBe(
      'layer "x": convolution needs kernel_size, or kernel_h and kernel_w',
    );
    expect(one({ type: "Convolution", convolution_param: { num_output: 4, kernel_size: [3, 3, 3] } })).toBe(
      'layer "x": kernel_size has 3 values, but only 2-D convolution is supported',
    );
    expect(one({ type: "Convolution", convolution_param: { num_output: 4, kernel_size: [3], kernel_h: 3, kernel_w: 3 } })).toBe(
      'layer "x": convolution sets both kernel_size and kernel_h/kernel_w',
    );
    expect(one({ type: "Convolution", convolution_param: { num_output: 4, kernel_h: 3 } })).toBe(
      'layer "x": convolution kernel must be positive, got [3,0]',
    );
    expect(one({ type: "Convolution", convolution_param: { num_output: 4, kernel_size: [3], stride: [0] } })).toBe(
      'layer "x": convolution stride must be positive, got [0,0]',
    );
    expect(one({ type: "Convolution", convolution_param: { kernel_size: [3] } })).toBe(
      'layer "x": convolution num_output must be positive, got [0]',
    );
    expect(one({ type: "Pooling", pooling_param: { pool: 1 } })).toBe(
      'layer "x": pooling needs kernel_size, or kernel_h and kernel_w, or global_pooling',
    );
    expect(one({ type: "Pooling", pooling_param: { pool: 1, global_pooling: true, kernel_size: 3 } })).toBe(
      'layer "x": global pooling takes no kernel size',
    );
    expect(one({ type: "Pooling", pooling_param: { pool: 1, global_pooling: true, stride: 2 } })).toBe(
      'layer "x": global pooling needs stride 1 and pad 0',
    );
    expect(one({ type: "Pooling", pooling_param: { kernel_size: 3, pad: 3 } })).toBe(
      'layer "x": pooling pad [3,3] must be smaller than the kernel [3,3]',
    );
    expect(one({ type: "Pooling", pooling_param: { kernel_size: 3, pool: 7 } })).toBe('layer "x": unknown pooling method 7');
    expect(one({ type: "Pooling", pooling_param: { kernel_size: 3, round_mode: 1 } })).toBe(
      'layer "x": pooling round_mode FLOOR is not supported (only Caffe\'s default, CEIL)',
    );
    expect(one({ type: "Concat", concat_param: { axis: 1, concat_dim: 1 } })).toBe('layer "x": concat sets both axis and concat_dim');
    expect(one({ type: "Eltwise", eltwise_param: { operation: 0, coeff: [1, 2] } })).toBe(
      'layer "x": eltwise coefficients need operation SUM',
    );
    expect(one({ type: "Eltwise", eltwise_param: { coeff: [1, 2, 3] } })).toBe('layer "x": 3 eltwise coefficients for 2 bottoms');
    expect(one({ type: "Input", top: ["p", "q", "r"], input_param: { shape: [{ dim: [1] }, { dim: [2] }] } })).toBe(
      'layer "x": 2 input shapes for 3 tops; give one, or one per top',
    );
    const unnamed = modelError(rawNet({ layer: [{ type: "ReLU" }, { type: "Convolution" }] })).message;
    expect(unnamed).toBe("layer #1: convolution needs kernel_size, or kernel_h and kernel_w");
  });
});
