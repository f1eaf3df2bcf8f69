// The parameters of the Model Zoo's later layer types (issue 19): BatchNorm, Scale, Bias, PReLU,
// ELU, Power, Flatten, Reshape, Slice, Crop — and Deconvolution, Sigmoid, TanH, AbsVal, which
// bring none of their own.
//
// The first tests decode bytes assembled here by hand, tag by tag, with the field numbers copied
// from caffe.proto (BVLC/caffe master) into the tables below — not from src/io/caffe/schema.ts —
// so a wrong field number or default in the schema fails them. Every field gets a value unlike
// its default and unlike its neighbours', so that two swapped numbers fail too. The round trips
// after them use our encoder.
import { describe, expect, it } from "vitest";
import { ModelError } from "../../../src/errors.js";
import { decodeCaffeModel } from "../../../src/io/caffe/decode.js";
import { encodeCaffeModel } from "../../../src/io/caffe/encode.js";
import type { LayerDef, NetDef } from "../../../src/io/caffe/net-def.js";
import { rawNet } from "./raw-net.js";

// ------------------------------------------------------------------------------------------
// A protobuf writer, just enough for these messages. Wire types: 0 varint, 2 length-delimited,
// 5 32-bit. A negative int32/int64 is a 10-byte varint (two's complement over 64 bits).

type Bytes = Uint8Array;

function varint(value: number | bigint): number[] {
  let v = BigInt.asUintN(64, BigInt(value));
  const out: number[] = [];
  do {
    const low = Number(v & 0x7fn);
    v >>= 7n;
    out.push(v > 0n ? low | 0x80 : low);
  } while (v > 0n);
  return out;
}

const cat = (...parts: (Bytes | number[])[]): Bytes => Uint8Array.from(parts.flatMap((p) => [...p]));
const tag = (field: number, wireType: number) => varint((field << 3) | wireType);
/** A varint field: int32, int64, uint32, bool, enum. */
const int = (field: number, value: number | boolean) => cat(tag(field, 0), varint(Number(value)));
const float = (field: number, value: number) => {
  const four = new Uint8Array(4);
  new DataView(four.buffer).setFloat32(0, value, true);
  return cat(tag(field, 5), four);
};
const bytes = (field: number, payload: Bytes) => cat(tag(field, 2), varint(payload.length), payload);
const str = (field: number, s: string) => bytes(field, new TextEncoder().encode(s));
const message = (field: number, ...fields: Bytes[]) => bytes(field, cat(...fields));
/** A packed repeated varint field (`[packed = true]`, or a proto2 reader's accepted alternative). */
const packedInts = (field: number, values: number[]) => bytes(field, cat(...values.map((v) => varint(v))));

// caffe.proto's numbers (BVLC/caffe master, src/caffe/proto/caffe.proto).
const NET = { layer: 100, layers: 2 };
const BLOB_SHAPE = { dim: 1 }; // repeated int64, packed
const LAYER = {
  name: 1,
  type: 2,
  bottom: 3,
  top: 4,
  convolution_param: 106,
  batch_norm_param: 139,
  bias_param: 141,
  crop_param: 144,
  elu_param: 140,
  flatten_param: 135,
  power_param: 122,
  prelu_param: 131,
  reshape_param: 133,
  scale_param: 142,
  slice_param: 126,
};
const V1_LAYER = { bottom: 2, top: 3, name: 4, type: 5, power_param: 21, slice_param: 31 };
const V1_TYPE = { POWER: 26, SLICE: 33, FLATTEN: 8, ABSVAL: 35, SIGMOID: 19, TANH: 23 };
const BATCH_NORM = { use_global_stats: 1, moving_average_fraction: 2, eps: 3 };
const SCALE = { axis: 1, num_axes: 2, bias_term: 4 };
const BIAS = { axis: 1, num_axes: 2 };
const PRELU = { channel_shared: 2 };
const ELU = { alpha: 1 };
const POWER = { power: 1, scale: 2, shift: 3 };
const FLATTEN = { axis: 1, end_axis: 2 };
const RESHAPE = { shape: 1, axis: 2, num_axes: 3 };
const SLICE = { slice_dim: 1, slice_point: 2, axis: 3 };
const CROP = { axis: 1, offset: 2 };
const CONVOLUTION = { num_output: 1, kernel_size: 4, stride: 6, group: 5 };

/** A modern layer: name "l", `type`, bottoms, tops, then the parameter fields given. */
function modernLayer(type: string, bottoms: string[], tops: string[], ...params: Bytes[]): Bytes {
  const blobs = [...bottoms.map((b) => str(LAYER.bottom, b)), ...tops.map((t) => str(LAYER.top, t))];
  return message(NET.layer, str(LAYER.name, "l"), str(LAYER.type, type), ...blobs, ...params);
}

function v1Layer(type: number, bottoms: string[], tops: string[], ...params: Bytes[]): Bytes {
  const blobs = [...bottoms.map((b) => str(V1_LAYER.bottom, b)), ...tops.map((t) => str(V1_LAYER.top, t))];
  return message(NET.layers, str(V1_LAYER.name, "l"), int(V1_LAYER.type, type), ...blobs, ...params);
}

const onlyLayer = (net: Bytes): LayerDef => decodeCaffeModel(net).layers[0]!;

/** The one-line ModelError decoding throws; fails if it throws anything else, or nothing. */
function decodeError(net: Bytes): string {
  try {
    decodeCaffeModel(net);
  } catch (e) {
    expect(e).toBeInstanceOf(ModelError);
    expect((e as Error).message).not.toContain("\n");
    return (e as Error).message;
  }
  throw new Error("expected a ModelError, but the bytes decoded");
}

// ------------------------------------------------------------------------------------------

describe("decodeCaffeModel: hand-assembled Model Zoo layers (caffe.proto's field numbers)", () => {
  it("BatchNorm: use_global_stats, moving_average_fraction, eps (floats as their shortest float32 decimal)", () => {
    const l = onlyLayer(
      modernLayer(
        "BatchNorm",
        ["x"],
        ["x"],
        message(
          LAYER.batch_norm_param,
          int(BATCH_NORM.use_global_stats, true),
          float(BATCH_NORM.moving_average_fraction, 0.9),
          float(BATCH_NORM.eps, 1e-3),
        ),
      ),
    );
    expect(l.batchNorm).toEqual({ useGlobalStats: true, movingAverageFraction: 0.9, eps: 1e-3 });
    const off = onlyLayer(modernLayer("BatchNorm", ["x"], ["x"], message(LAYER.batch_norm_param, int(BATCH_NORM.use_global_stats, false))));
    expect(off.batchNorm!.useGlobalStats).toBe(false);
  });

  it("Scale (negative axis, bias term) and Bias", () => {
    const scale = onlyLayer(
      modernLayer(
        "Scale",
        ["x"],
        ["y"],
        message(LAYER.scale_param, int(SCALE.axis, -3), int(SCALE.num_axes, 2), int(SCALE.bias_term, true)),
      ),
    );
    expect(scale.scale).toEqual({ axis: -3, numAxes: 2, biasTerm: true });
    const bias = onlyLayer(modernLayer("Bias", ["x"], ["y"], message(LAYER.bias_param, int(BIAS.axis, 0), int(BIAS.num_axes, -1))));
    expect(bias.bias).toEqual({ axis: 0, numAxes: -1 });
  });

  it("PReLU, ELU and Power", () => {
    expect(onlyLayer(modernLayer("PReLU", ["x"], ["x"], message(LAYER.prelu_param, int(PRELU.channel_shared, true)))).prelu).toEqual({
      channelShared: true,
    });
    expect(onlyLayer(modernLayer("ELU", ["x"], ["x"], message(LAYER.elu_param, float(ELU.alpha, 0.1)))).elu).toEqual({ alpha: 0.1 });
    const power = onlyLayer(
      modernLayer(
        "Power",
        ["x"],
        ["y"],
        message(LAYER.power_param, float(POWER.power, 2), float(POWER.scale, 0.5), float(POWER.shift, -3)),
      ),
    );
    expect(power.power).toEqual({ power: 2, scale: 0.5, shift: -3 });
  });

  it("Flatten, Reshape (a packed BlobShape with 0 and −1), Crop (packed offsets)", () => {
    const flatten = onlyLayer(
      modernLayer("Flatten", ["x"], ["y"], message(LAYER.flatten_param, int(FLATTEN.axis, 2), int(FLATTEN.end_axis, -2))),
    );
    expect(flatten.flatten).toEqual({ axis: 2, endAxis: -2 });
    const reshape = onlyLayer(
      modernLayer(
        "Reshape",
        ["x"],
        ["y"],
        message(
          LAYER.reshape_param,
          message(RESHAPE.shape, packedInts(BLOB_SHAPE.dim, [0, -1, 4])),
          int(RESHAPE.axis, 1),
          int(RESHAPE.num_axes, 2),
        ),
      ),
    );
    expect(reshape.reshape).toEqual({ shape: [0, -1, 4], axis: 1, numAxes: 2 });
    const crop = onlyLayer(
      modernLayer("Crop", ["x", "ref"], ["y"], message(LAYER.crop_param, int(CROP.axis, 1), packedInts(CROP.offset, [3, 0, 7]))),
    );
    expect(crop.crop).toEqual({ axis: 1, offset: [3, 0, 7] });
  });

  it("Slice: axis (negative) and slice points (one field each, as Caffe writes them), or the legacy slice_dim", () => {
    const points = [int(SLICE.slice_point, 2), int(SLICE.slice_point, 5)];
    const slice = onlyLayer(modernLayer("Slice", ["x"], ["a", "b", "c"], message(LAYER.slice_param, int(SLICE.axis, -1), ...points)));
    expect(slice.slice).toEqual({ axis: -1, slicePoints: [2, 5] });
    const legacy = onlyLayer(modernLayer("Slice", ["x"], ["a", "b"], message(LAYER.slice_param, int(SLICE.slice_dim, 3))));
    expect(legacy.slice).toEqual({ axis: 3, slicePoints: [] });
  });

  it("Deconvolution reads convolution_param; Sigmoid, TanH and AbsVal carry no parameters", () => {
    const conv = message(
      LAYER.convolution_param,
      int(CONVOLUTION.num_output, 8),
      int(CONVOLUTION.kernel_size, 4),
      int(CONVOLUTION.stride, 2),
    );
    const deconv = onlyLayer(modernLayer("Deconvolution", ["x"], ["y"], conv, message(LAYER.power_param, float(POWER.power, 2))));
    expect(deconv.convolution).toEqual({
      numOutput: 8,
      biasTerm: true,
      kernel: [4, 4],
      stride: [2, 2],
      pad: [0, 0],
      dilation: [1, 1],
      group: 1,
    });
    expect(deconv).not.toHaveProperty("power");
    for (const type of ["Sigmoid", "TanH", "AbsVal"]) {
      expect(onlyLayer(modernLayer(type, ["x"], ["x"], message(LAYER.power_param, float(POWER.power, 2)))), type).toEqual({
        name: "l",
        type,
        bottoms: ["x"],
        tops: ["x"],
        blobs: [],
        phase: null,
      });
    }
  });

  it("V1 files: POWER and SLICE (slice_dim, slice points) layers decode; FLATTEN, ABSVAL, SIGMOID, TANH by type", () => {
    const power = v1Layer(
      V1_TYPE.POWER,
      ["x"],
      ["y"],
      message(V1_LAYER.power_param, float(POWER.power, 0.75), float(POWER.scale, -2), float(POWER.shift, 1e-4)),
    );
    const slice = v1Layer(
      V1_TYPE.SLICE,
      ["y"],
      ["a", "b"],
      message(V1_LAYER.slice_param, int(SLICE.slice_dim, 2), int(SLICE.slice_point, 3)),
    );
    const def = decodeCaffeModel(cat(power, slice, v1Layer(V1_TYPE.SLICE, ["a"], ["c", "d"])));
    expect(def.layers.map((l) => l.type)).toEqual(["Power", "Slice", "Slice"]);
    expect(def.layers[0]!.power).toEqual({ power: 0.75, scale: -2, shift: 1e-4 });
    expect(def.layers[1]!.slice).toEqual({ axis: 2, slicePoints: [3] });
    expect(def.layers[2]!.slice).toEqual({ axis: 1, slicePoints: [] });

    const types = decodeCaffeModel(
      cat(...[V1_TYPE.FLATTEN, V1_TYPE.ABSVAL, V1_TYPE.SIGMOID, V1_TYPE.TANH].map((t) => v1Layer(t, ["x"], ["y"]))),
    );
    expect(types.layers.map((l) => l.type)).toEqual(["Flatten", "AbsVal", "Sigmoid", "TanH"]);
    expect(types.layers[0]!.flatten).toEqual({ axis: 1, endAxis: -1 });
  });
});

describe("decodeCaffeModel: Caffe's defaults for the Model Zoo layers", () => {
  // caffe.proto's defaults, written out here.
  const defaults = {
    BatchNorm: ["batchNorm", { useGlobalStats: null, movingAverageFraction: 0.999, eps: 1e-5 }],
    Scale: ["scale", { axis: 1, numAxes: 1, biasTerm: false }],
    Bias: ["bias", { axis: 1, numAxes: 1 }],
    PReLU: ["prelu", { channelShared: false }],
    ELU: ["elu", { alpha: 1 }],
    Power: ["power", { power: 1, scale: 1, shift: 0 }],
    Flatten: ["flatten", { axis: 1, endAxis: -1 }],
    Reshape: ["reshape", { shape: [], axis: 0, numAxes: -1 }],
    Slice: ["slice", { axis: 1, slicePoints: [] }],
    Crop: ["crop", { axis: 2, offset: [] }],
  } as const;
  const paramField = {
    BatchNorm: LAYER.batch_norm_param,
    Scale: LAYER.scale_param,
    Bias: LAYER.bias_param,
    PReLU: LAYER.prelu_param,
    ELU: LAYER.elu_param,
    Power: LAYER.power_param,
    Flatten: LAYER.flatten_param,
    Reshape: LAYER.reshape_param,
    Slice: LAYER.slice_param,
    Crop: LAYER.crop_param,
  };

  for (const [type, [key, expected]] of Object.entries(defaults)) {
    it(`${type}: when its parameter message is absent, or present but empty`, () => {
      expect(onlyLayer(modernLayer(type, ["x"], ["y"]))[key]).toEqual(expected);
      expect(onlyLayer(modernLayer(type, ["x"], ["y"], message(paramField[type as keyof typeof paramField])))[key]).toEqual(expected);
    });
  }
});

describe("decodeCaffeModel: what a Model Zoo layer's parameters get wrong", () => {
  const slice = (tops: string[], ...fields: Bytes[]) => modernLayer("Slice", ["x"], tops, message(LAYER.slice_param, ...fields));
  const reshape = (dims: number[], ...fields: Bytes[]) =>
    modernLayer("Reshape", ["x"], ["y"], message(LAYER.reshape_param, message(RESHAPE.shape, packedInts(BLOB_SHAPE.dim, dims)), ...fields));

  it("Slice: both axis and slice_dim, points not ascending or at 0, points that do not match the tops", () => {
    expect(decodeError(slice(["a", "b"], int(SLICE.axis, 1), int(SLICE.slice_dim, 1)))).toBe(
      'layer "l": slice sets both axis and slice_dim',
    );
    const points = (...p: number[]) => p.map((x) => int(SLICE.slice_point, x));
    expect(decodeError(slice(["a", "b", "c"], ...points(4, 4)))).toBe(
      'layer "l": slice points [4,4] must be positive and strictly ascending',
    );
    expect(decodeError(slice(["a", "b", "c"], ...points(5, 2)))).toBe(
      'layer "l": slice points [5,2] must be positive and strictly ascending',
    );
    expect(decodeError(slice(["a", "b"], ...points(0)))).toBe('layer "l": slice points [0] must be positive and strictly ascending');
    expect(decodeError(slice(["a", "b"], ...points(1, 2)))).toBe(
      'layer "l": 2 slice points for 2 tops; give one fewer than the tops, or none',
    );
  });

  it("Reshape: two −1s, a dim below −1, num_axes below −1", () => {
    expect(decodeError(reshape([-1, 3, -1]))).toBe('layer "l": reshape shape [-1,3,-1] has more than one −1; only one dim can be inferred');
    expect(decodeError(reshape([2, -2]))).toBe(
      'layer "l": reshape dim -2 in [2,-2]: each dim must be −1 (inferred), 0 (copied) or positive, below 2^31',
    );
    expect(decodeError(reshape([2 ** 31, 1]))).toMatch(/^layer "l": reshape dim 2147483648 in/);
    expect(decodeError(reshape([0, -1], int(RESHAPE.num_axes, -2)))).toBe('layer "l": reshape num_axes must be ≥ 0, or −1 for all, got -2');
  });

  it("Scale and Bias: num_axes below −1 for a learned multiplier (a second bottom makes Caffe ignore it)", () => {
    expect(decodeError(modernLayer("Scale", ["x"], ["y"], message(LAYER.scale_param, int(SCALE.num_axes, -2))))).toBe(
      'layer "l": scale num_axes must be ≥ 0, or −1 for all axes from axis on, got -2',
    );
    expect(decodeError(modernLayer("Bias", ["x"], ["y"], message(LAYER.bias_param, int(BIAS.num_axes, -5))))).toBe(
      'layer "l": bias num_axes must be ≥ 0, or −1 for all axes from axis on, got -5',
    );
    expect(onlyLayer(modernLayer("Scale", ["x", "s"], ["y"], message(LAYER.scale_param, int(SCALE.num_axes, -2)))).scale!.numAxes).toBe(-2);
  });
});

// ------------------------------------------------------------------------------------------

const layer = (name: string, type: string, bottoms: string[], tops: string[], rest: Partial<LayerDef> = {}): LayerDef => ({
  name,
  type,
  bottoms,
  tops,
  blobs: [],
  phase: null,
  ...rest,
});

const f32 = (...values: number[]) => Float32Array.from(values);

/** A ResNet/VGG-flavoured net with every Model Zoo type, each parameter away from its default. */
function zooNet(): NetDef {
  return {
    name: "zoo",
    inputs: [{ name: "data", shape: [1, 2, 6, 6] }],
    layers: [
      layer("bn", "BatchNorm", ["data"], ["bn"], {
        batchNorm: { useGlobalStats: true, movingAverageFraction: 0.9, eps: 1e-3 },
        blobs: [
          { shape: [2], data: f32(0.5, -1) },
          { shape: [2], data: f32(2, 3) },
          { shape: [1], data: f32(1) },
        ],
      }),
      layer("bn_unset", "BatchNorm", ["data"], ["bn_unset"], {
        batchNorm: { useGlobalStats: null, movingAverageFraction: 0.999, eps: 1e-5 },
      }),
      layer("scale", "Scale", ["bn"], ["bn"], {
        scale: { axis: 1, numAxes: 1, biasTerm: true },
        blobs: [
          { shape: [2], data: f32(1.5, -0.25) },
          { shape: [2], data: f32(0.1, 0.2) },
        ],
      }),
      layer("scale2", "Scale", ["bn", "data"], ["scaled"], { scale: { axis: -4, numAxes: -1, biasTerm: false } }),
      layer("bias", "Bias", ["scaled"], ["biased"], { bias: { axis: 2, numAxes: 0 }, blobs: [{ shape: [], data: f32(0.3) }] }),
      layer("prelu", "PReLU", ["biased"], ["biased"], { prelu: { channelShared: true }, blobs: [{ shape: [1], data: f32(0.25) }] }),
      layer("elu", "ELU", ["biased"], ["elu"], { elu: { alpha: 0.1 } }),
      layer("power", "Power", ["elu"], ["power"], { power: { power: 2, scale: 0.5, shift: -3 } }),
      layer("abs", "AbsVal", ["power"], ["abs"]),
      layer("sigmoid", "Sigmoid", ["abs"], ["sigmoid"]),
      layer("tanh", "TanH", ["sigmoid"], ["tanh"]),
      layer("up", "Deconvolution", ["tanh"], ["up"], {
        convolution: { numOutput: 2, biasTerm: false, kernel: [4, 4], stride: [2, 2], pad: [1, 1], dilation: [1, 1], group: 2 },
        blobs: [{ shape: [2, 1, 4, 4], data: new Float32Array(32).fill(0.125) }],
      }),
      layer("crop", "Crop", ["up", "data"], ["crop"], { crop: { axis: 2, offset: [3, 1] } }),
      layer("slice", "Slice", ["crop"], ["s0", "s1", "s2"], { slice: { axis: -2, slicePoints: [1, 4] } }),
      layer("flat", "Flatten", ["s1"], ["flat"], { flatten: { axis: 2, endAxis: -2 } }),
      layer("reshape", "Reshape", ["flat"], ["reshaped"], { reshape: { shape: [0, -1, 3], axis: 1, numAxes: 2 } }),
    ],
  };
}

describe("encodeCaffeModel → decodeCaffeModel: the Model Zoo layers", () => {
  it("modern: gives back the same NetDef, non-default values and defaults alike", () => {
    const def = zooNet();
    expect(decodeCaffeModel(encodeCaffeModel(def, "modern"))).toEqual(def);
    // Each type's layer as a file without its parameter message decodes (Deconvolution needs a kernel size).
    const bare = def.layers.filter((l) => l.type !== "Deconvolution");
    const defaults: NetDef = {
      ...def,
      layers: bare.map((l) => decodeCaffeModel(rawNet({ layer: [{ name: l.name, type: l.type }] })).layers[0]!),
    };
    expect(decodeCaffeModel(encodeCaffeModel(defaults, "modern"))).toEqual(defaults);
  });

  it("v1: Power, Slice (as slice_dim, or axis when negative), Flatten, AbsVal, Sigmoid, TanH, Deconvolution", () => {
    const v1Types = new Set(["Power", "Slice", "Flatten", "AbsVal", "Sigmoid", "TanH", "Deconvolution"]);
    const def = zooNet();
    def.layers = def.layers.filter((l) => v1Types.has(l.type));
    def.layers.find((l) => l.type === "Flatten")!.flatten = { axis: 1, endAxis: -1 }; // all a V1 Flatten can do
    def.layers.push(layer("slice_pos", "Slice", ["crop"], ["t0", "t1"], { slice: { axis: 3, slicePoints: [2] } }));
    const v1 = (d: NetDef) => ({
      ...d,
      layers: d.layers.map((l) => ({
        ...l,
        blobs: l.blobs.map((b) => ({ ...b, shape: [...Array<number>(4 - b.shape.length).fill(1), ...b.shape] })),
      })),
    });
    expect(decodeCaffeModel(encodeCaffeModel(def, "v1"))).toEqual(v1(def));
  });

  it("v1: refuses what V1 cannot say, naming the layer", () => {
    const flat = zooNet().layers.find((l) => l.type === "Flatten")!;
    const net: NetDef = { name: "v1", inputs: [{ name: "s1", shape: [1, 2, 3, 4] }], layers: [flat] };
    expect(() => encodeCaffeModel(net, "v1")).toThrow(ModelError);
    expect(() => encodeCaffeModel(net, "v1")).toThrow('layer "flat": a V1 Flatten cannot say axis 2 … -2; use the modern format');
    const scale = zooNet().layers.find((l) => l.type === "Scale")!;
    expect(() => encodeCaffeModel({ ...net, layers: [scale] }, "v1")).toThrow('layer "scale": type "Scale" has no V1 layer type');
  });
});
