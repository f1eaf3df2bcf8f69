// The part of Caffe's protobuf schema (caffe.proto, package `caffe`) that describes a trained
// network, as a protobufjs reflection Root built in code — no .proto file is read at run time, so
// this works without a file system (in a browser too).
//
// A `.caffemodel` is one binary `NetParameter`. It comes in two dialects:
//
//   legacy V1 (Caffe ≤ 2014)            modern (Caffe 2015+)
//   NetParameter.layers  (field 2)       NetParameter.layer  (field 100)
//   V1LayerParameter.type: enum          LayerParameter.type: string ("Convolution")
//   BlobProto num/channels/height/width  BlobProto.shape (BlobShape, packed int64 dims)
//   NetParameter.input + input_dim       an "Input" layer (or NetParameter.input_shape)
//
// Only the fields a forward pass needs are declared; protobuf skips every other field on decode
// (fillers, learning-rate multipliers, blob diffs, data-layer sources, …). Field numbers, enum
// values and defaults are Caffe's; names keep caffe.proto's snake_case, so a decoded message
// reads like the .proto (`layer.convolution_param.kernel_size`).
//
// proto2 packing: repeated scalars are unpacked unless marked; caffe.proto packs BlobShape.dim
// and BlobProto's data arrays. A decoder accepts both encodings either way.
//
// Enum fields are declared int32 — the same varint on the wire — with their values in comments:
// protobufjs drops a proto2 enum value it does not know (a Caffe fork's, say) and falls back to
// the default, silently; as an int32 the value reaches the decoder, which can name it.

import protobuf from "protobufjs/light.js";

type FieldJson = { type: string; id: number; rule?: "repeated"; options?: { packed?: boolean; default?: unknown } };
type MessageJson = { fields: Record<string, FieldJson> };

const f = (type: string, id: number, defaultValue?: unknown): FieldJson =>
  defaultValue === undefined ? { type, id } : { type, id, options: { default: defaultValue } };
const repeated = (type: string, id: number): FieldJson => ({ type, id, rule: "repeated" });
const packed = (type: string, id: number): FieldJson => ({ type, id, rule: "repeated", options: { packed: true } });

/** V1LayerParameter.LayerType → the modern type string (Caffe's own upgrade table). */
export const V1_LAYER_TYPES = {
  ABSVAL: [35, "AbsVal"],
  ACCURACY: [1, "Accuracy"],
  ARGMAX: [30, "ArgMax"],
  BNLL: [2, "BNLL"],
  CONCAT: [3, "Concat"],
  CONTRASTIVE_LOSS: [37, "ContrastiveLoss"],
  CONVOLUTION: [4, "Convolution"],
  DATA: [5, "Data"],
  DECONVOLUTION: [39, "Deconvolution"],
  DROPOUT: [6, "Dropout"],
  DUMMY_DATA: [32, "DummyData"],
  EUCLIDEAN_LOSS: [7, "EuclideanLoss"],
  ELTWISE: [25, "Eltwise"],
  EXP: [38, "Exp"],
  FLATTEN: [8, "Flatten"],
  HDF5_DATA: [9, "HDF5Data"],
  HDF5_OUTPUT: [10, "HDF5Output"],
  HINGE_LOSS: [28, "HingeLoss"],
  IM2COL: [11, "Im2col"],
  IMAGE_DATA: [12, "ImageData"],
  INFOGAIN_LOSS: [13, "InfogainLoss"],
  INNER_PRODUCT: [14, "InnerProduct"],
  LRN: [15, "LRN"],
  MEMORY_DATA: [29, "MemoryData"],
  MULTINOMIAL_LOGISTIC_LOSS: [16, "MultinomialLogisticLoss"],
  MVN: [34, "MVN"],
  POOLING: [17, "Pooling"],
  POWER: [26, "Power"],
  RELU: [18, "ReLU"],
  SIGMOID: [19, "Sigmoid"],
  SIGMOID_CROSS_ENTROPY_LOSS: [27, "SigmoidCrossEntropyLoss"],
  SILENCE: [36, "Silence"],
  SOFTMAX: [20, "Softmax"],
  SOFTMAX_LOSS: [21, "SoftmaxWithLoss"],
  SPLIT: [22, "Split"],
  SLICE: [33, "Slice"],
  TANH: [23, "TanH"],
  WINDOW_DATA: [24, "WindowData"],
  THRESHOLD: [31, "Threshold"],
} as const satisfies Record<string, readonly [number, string]>;

// The layer parameters shared by both layer dialects (same message, different field numbers in
// the layer: modern id, V1 id).
const LAYER_PARAMS = {
  concat_param: ["ConcatParameter", 104, 9],
  convolution_param: ["ConvolutionParameter", 106, 10],
  dropout_param: ["DropoutParameter", 108, 12],
  eltwise_param: ["EltwiseParameter", 110, 24],
  inner_product_param: ["InnerProductParameter", 117, 17],
  lrn_param: ["LRNParameter", 118, 18],
  pooling_param: ["PoolingParameter", 121, 19],
  power_param: ["PowerParameter", 122, 21],
  relu_param: ["ReLUParameter", 123, 30],
  slice_param: ["SliceParameter", 126, 31],
  softmax_param: ["SoftmaxParameter", 125, 39],
} as const;

// The layer parameters that only modern Caffe has: their layer types came after V1 (Flatten had a
// V1 enum value, but never a V1 flatten_param; a V1 Flatten always used the defaults).
const MODERN_LAYER_PARAMS = {
  batch_norm_param: ["BatchNormParameter", 139],
  bias_param: ["BiasParameter", 141],
  crop_param: ["CropParameter", 144],
  elu_param: ["ELUParameter", 140],
  flatten_param: ["FlattenParameter", 135],
  input_param: ["InputParameter", 143],
  prelu_param: ["PReLUParameter", 131],
  reshape_param: ["ReshapeParameter", 133],
  scale_param: ["ScaleParameter", 142],
} as const;

const layerParamFields = (which: 1 | 2): Record<string, FieldJson> =>
  Object.fromEntries(Object.entries(LAYER_PARAMS).map(([name, p]) => [name, f(p[0], p[which])]));
const modernLayerParamFields: Record<string, FieldJson> = Object.fromEntries(
  Object.entries(MODERN_LAYER_PARAMS).map(([name, [type, id]]) => [name, f(type, id)]),
);

const messages = (blobsAsBytes: boolean): Record<string, MessageJson> => ({
  BlobShape: { fields: { dim: packed("int64", 1) } },
  BlobProto: {
    fields: {
      shape: f("BlobShape", 7),
      data: packed("float", 5),
      double_data: packed("double", 8),
      // Deprecated 4-D dims; when any of them is present, Caffe ignores `shape`.
      num: f("int64", 1, 0),
      channels: f("int64", 2, 0),
      height: f("int64", 3, 0),
      width: f("int64", 4, 0),
    },
  },
  NetStateRule: { fields: { phase: f("int32", 1) } }, // enum Phase: TRAIN = 0, TEST = 1
  NetParameter: {
    fields: {
      name: f("string", 1),
      input: repeated("string", 3),
      input_shape: repeated("BlobShape", 8), // one per input
      input_dim: repeated("int64", 4), // or 4 per input: num, channels, height, width
      layer: repeated("LayerParameter", 100),
      layers: repeated("V1LayerParameter", 2),
    },
  },
  LayerParameter: {
    fields: {
      name: f("string", 1),
      type: f("string", 2),
      bottom: repeated("string", 3),
      top: repeated("string", 4),
      blobs: repeated(blobsAsBytes ? "bytes" : "BlobProto", 7),
      include: repeated("NetStateRule", 8),
      exclude: repeated("NetStateRule", 9),
      ...layerParamFields(1),
      ...modernLayerParamFields,
    },
  },
  V1LayerParameter: {
    fields: {
      bottom: repeated("string", 2),
      top: repeated("string", 3),
      name: f("string", 4),
      type: f("int32", 5), // enum LayerType: V1_LAYER_TYPES, NONE = 0
      blobs: repeated(blobsAsBytes ? "bytes" : "BlobProto", 6),
      include: repeated("NetStateRule", 32),
      exclude: repeated("NetStateRule", 33),
      ...layerParamFields(2),
    },
  },
  ConvolutionParameter: {
    fields: {
      num_output: f("uint32", 1),
      bias_term: f("bool", 2, true),
      // Each geometry value is either the repeated field — one value for both axes, or [h, w] —
      // or the `_h`/`_w` pair. Dilation has no pair.
      kernel_size: repeated("uint32", 4),
      stride: repeated("uint32", 6), // default 1
      pad: repeated("uint32", 3), // default 0
      dilation: repeated("uint32", 18), // default 1
      kernel_h: f("uint32", 11),
      kernel_w: f("uint32", 12),
      stride_h: f("uint32", 13),
      stride_w: f("uint32", 14),
      pad_h: f("uint32", 9, 0),
      pad_w: f("uint32", 10, 0),
      group: f("uint32", 5, 1),
    },
  },
  PoolingParameter: {
    fields: {
      pool: f("int32", 1, 0), // enum PoolMethod: MAX = 0, AVE = 1, STOCHASTIC = 2
      kernel_size: f("uint32", 2), // square; or kernel_h and kernel_w
      kernel_h: f("uint32", 5),
      kernel_w: f("uint32", 6),
      stride: f("uint32", 3, 1),
      stride_h: f("uint32", 7),
      stride_w: f("uint32", 8),
      pad: f("uint32", 4, 0),
      pad_h: f("uint32", 9, 0),
      pad_w: f("uint32", 10, 0),
      global_pooling: f("bool", 12, false),
      round_mode: f("int32", 13, 0), // enum RoundMode (Caffe 2017+): CEIL = 0, FLOOR = 1
    },
  },
  LRNParameter: {
    fields: {
      local_size: f("uint32", 1, 5),
      alpha: f("float", 2, 1),
      beta: f("float", 3, 0.75),
      norm_region: f("int32", 4, 0), // enum NormRegion: ACROSS_CHANNELS = 0, WITHIN_CHANNEL = 1
      k: f("float", 5, 1),
    },
  },
  InnerProductParameter: {
    fields: {
      num_output: f("uint32", 1),
      bias_term: f("bool", 2, true),
      axis: f("int32", 5, 1),
      transpose: f("bool", 6, false),
    },
  },
  // `concat_dim` is the V1-era name of `axis`; a file sets at most one of them.
  ConcatParameter: { fields: { axis: f("int32", 2, 1), concat_dim: f("uint32", 1, 1) } },
  EltwiseParameter: {
    fields: {
      operation: f("int32", 1, 1), // enum EltwiseOp: PROD = 0, SUM = 1, MAX = 2
      coeff: repeated("float", 2),
    },
  },
  ReLUParameter: { fields: { negative_slope: f("float", 1, 0) } },
  SoftmaxParameter: { fields: { axis: f("int32", 2, 1) } },
  DropoutParameter: { fields: { dropout_ratio: f("float", 1, 0.5) } },
  InputParameter: { fields: { shape: repeated("BlobShape", 1) } },
  // use_global_stats has no default: unset means "by phase" (the stored statistics at test time).
  BatchNormParameter: {
    fields: { use_global_stats: f("bool", 1), moving_average_fraction: f("float", 2, 0.999), eps: f("float", 3, 1e-5) },
  },
  // Scale and Bias: `filler`/`bias_filler` (3, 5) only initialize training, and are skipped.
  ScaleParameter: { fields: { axis: f("int32", 1, 1), num_axes: f("int32", 2, 1), bias_term: f("bool", 4, false) } },
  BiasParameter: { fields: { axis: f("int32", 1, 1), num_axes: f("int32", 2, 1) } },
  PReLUParameter: { fields: { channel_shared: f("bool", 2, false) } }, // filler (1) skipped
  ELUParameter: { fields: { alpha: f("float", 1, 1) } },
  PowerParameter: { fields: { power: f("float", 1, 1), scale: f("float", 2, 1), shift: f("float", 3, 0) } },
  FlattenParameter: { fields: { axis: f("int32", 1, 1), end_axis: f("int32", 2, -1) } },
  ReshapeParameter: { fields: { shape: f("BlobShape", 1), axis: f("int32", 2, 0), num_axes: f("int32", 3, -1) } },
  // `slice_dim` is the V1-era name of `axis` (unsigned: no negative indexing); a file sets at
  // most one of them.
  SliceParameter: { fields: { axis: f("int32", 3, 1), slice_point: repeated("uint32", 2), slice_dim: f("uint32", 1, 1) } },
  CropParameter: { fields: { axis: f("int32", 1, 2), offset: repeated("uint32", 2) } },
});

/**
 * A fresh Root holding the schema subset (proto2, package `caffe`).
 *
 * With `blobsAsBytes`, the layers' `blobs` fields are declared `bytes` instead of `BlobProto`.
 * That is wire-compatible — an embedded message is a length-delimited run of bytes — and lets a
 * caller parse BlobProto itself: the decoder does, to read weights straight into Float32Arrays.
 */
export function createCaffeRoot({ blobsAsBytes = false } = {}): protobuf.Root {
  // protobufjs reads a JSON descriptor as proto3 unless each type says otherwise.
  const types = Object.entries(messages(blobsAsBytes)).map(([name, json]) => [name, { edition: "proto2", ...json }]);
  return protobuf.Root.fromJSON({ nested: { caffe: { nested: Object.fromEntries(types) } } });
}

/** The schema, for encoding (and for decoding with protobufjs's own BlobProto reader). */
export const caffeRoot: protobuf.Root = createCaffeRoot();

// What a message decoded with `createCaffeRoot({ blobsAsBytes: true })` looks like, for the fields
// above. protobufjs leaves absent proto2 fields off the object and puts their defaults on its
// prototype, so reading an absent field gives Caffe's default; `has(msg, "field")` tells the two
// apart. Enums arrive as numbers, int64 values as a number or a `Long`.

/** An int64 as protobufjs delivers it: a number, or a Long (two signed 32-bit halves). */
export type Int64 = number | protobuf.Long;

export interface BlobShapeMessage {
  dim: Int64[];
}

export interface NetStateRuleMessage {
  phase: number; // Phase: TRAIN = 0, TEST = 1; check has(rule, "phase")
}

/**
 * caffe.proto's ConvolutionParameter as protobufjs hands it over: the wire format, with every
 * per-axis spelling Caffe allows. ./decode.ts resolves it into net-def's `ConvolutionParam`, and
 * nothing else reads it.
 */
export interface ConvolutionParameterMessage {
  num_output: number;
  bias_term: boolean;
  kernel_size: number[];
  stride: number[];
  pad: number[];
  dilation: number[];
  kernel_h: number;
  kernel_w: number;
  stride_h: number;
  stride_w: number;
  pad_h: number;
  pad_w: number;
  group: number;
}

export interface PoolingParameterMessage {
  pool: number; // MAX = 0, AVE = 1, STOCHASTIC = 2
  kernel_size: number;
  kernel_h: number;
  kernel_w: number;
  stride: number;
  stride_h: number;
  stride_w: number;
  pad: number;
  pad_h: number;
  pad_w: number;
  global_pooling: boolean;
  round_mode: number; // CEIL = 0, FLOOR = 1
}

export interface LRNParameterMessage {
  local_size: number;
  alpha: number;
  beta: number;
  norm_region: number; // ACROSS_CHANNELS = 0, WITHIN_CHANNEL = 1
  k: number;
}

export interface InnerProductParameterMessage {
  num_output: number;
  bias_term: boolean;
  axis: number;
  transpose: boolean;
}

export interface ConcatParameterMessage {
  axis: number;
  concat_dim: number;
}

export interface EltwiseParameterMessage {
  operation: number; // PROD = 0, SUM = 1, MAX = 2
  coeff: number[];
}

export interface BatchNormParameterMessage {
  use_global_stats: boolean; // no default: check has(p, "use_global_stats")
  moving_average_fraction: number;
  eps: number;
}

export interface ScaleParameterMessage {
  axis: number;
  num_axes: number;
  bias_term: boolean;
}

export interface PowerParameterMessage {
  power: number;
  scale: number;
  shift: number;
}

export interface ReshapeParameterMessage {
  shape: BlobShapeMessage | null; // null when absent
  axis: number;
  num_axes: number;
}

export interface SliceParameterMessage {
  axis: number;
  slice_point: number[];
  slice_dim: number;
}

/** The per-type parameter messages of a layer; null when the file has none. */
export interface LayerParamMessages {
  concat_param: ConcatParameterMessage | null;
  convolution_param: ConvolutionParameterMessage | null;
  dropout_param: { dropout_ratio: number } | null;
  eltwise_param: EltwiseParameterMessage | null;
  inner_product_param: InnerProductParameterMessage | null;
  lrn_param: LRNParameterMessage | null;
  pooling_param: PoolingParameterMessage | null;
  relu_param: { negative_slope: number } | null;
  softmax_param: { axis: number } | null;
  input_param: { shape: BlobShapeMessage[] } | null;
  batch_norm_param: BatchNormParameterMessage | null;
  scale_param: ScaleParameterMessage | null;
  bias_param: { axis: number; num_axes: number } | null;
  prelu_param: { channel_shared: boolean } | null;
  elu_param: { alpha: number } | null;
  power_param: PowerParameterMessage | null;
  flatten_param: { axis: number; end_axis: number } | null;
  reshape_param: ReshapeParameterMessage | null;
  slice_param: SliceParameterMessage | null;
  crop_param: { axis: number; offset: number[] } | null;
}

/** A modern `LayerParameter` or a legacy `V1LayerParameter` (whose `type` is the enum value). */
export interface LayerMessage extends LayerParamMessages {
  name: string;
  type: string | number;
  bottom: string[];
  top: string[];
  /** Each a serialized BlobProto (the `blobsAsBytes` declaration). */
  blobs: Uint8Array[];
  include: NetStateRuleMessage[];
  exclude: NetStateRuleMessage[];
}

export interface NetParameterMessage {
  name: string;
  input: string[];
  input_shape: BlobShapeMessage[];
  input_dim: Int64[];
  layer: LayerMessage[];
  layers: LayerMessage[];
}

/** Whether a decoded message carries `field` explicitly (rather than by default). */
export function has(message: object, field: string): boolean {
  return Object.hasOwn(message, field);
}
