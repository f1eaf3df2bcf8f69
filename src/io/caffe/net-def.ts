// What a Caffe model file says, once decoded: a plain, normalized description of the network.
//
// Both file formats decode to this. Legacy V1 files (enum layer types, num/channels/height/width
// blob dims, `input`/`input_dim`) are translated to the modern vocabulary here, so the net
// builder sees a single format. Every parameter carries Caffe's default when the file omits it
// (see caffe.proto), and per-axis values (kernel_h/kernel_w, repeated kernel_size) are resolved
// into [h, w] pairs: the `Pair` of the layers that run them (a type only; io runs no layer).

import type { Pair } from "../../layers/conv-geometry.js";

/** Layer types that produce the network's input from a data source; their first top is an input. */
export const DATA_LAYER_TYPES: ReadonlySet<string> = new Set([
  "Data", "ImageData", "HDF5Data", "MemoryData", "WindowData", "DummyData", "AnnotatedData",
]);

/** A decoded network: its declared inputs and its layers in file order. */
export interface NetDef {
  name: string;
  /** Inputs declared by `input`/`input_dim`/`input_shape` or by `Input` layers. */
  inputs: InputDef[];
  layers: LayerDef[];
}

export interface InputDef {
  name: string;
  /** The declared shape (e.g. [10, 3, 224, 224]), or null when the file gives none. */
  shape: number[] | null;
}

/** One learned parameter blob, e.g. convolution weights [out, in/group, kh, kw]. */
export interface BlobDef {
  shape: number[];
  data: Float32Array;
}

export type Phase = "train" | "test";

export interface LayerDef {
  name: string;
  /** Modern Caffe type string ("Convolution", "ReLU", …); V1 enums are translated to these. */
  type: string;
  bottoms: string[];
  tops: string[];
  blobs: BlobDef[];
  /** The phase of the layer's `include` rule, if it has one. */
  phase: Phase | null;
  convolution?: ConvolutionParam;
  pooling?: PoolingParam;
  lrn?: LrnParam;
  innerProduct?: InnerProductParam;
  concat?: ConcatParam;
  eltwise?: EltwiseParam;
  relu?: ReluParam;
  softmax?: SoftmaxParam;
  dropout?: DropoutParam;
  /** Shapes declared by an `Input` layer, one per top. */
  input?: { shapes: number[][] };
}

/**
 * A layer's convolution_param as the file says it, defaults filled in. Its stride, pad, dilation
 * and group are what `conv2d` and `convGeometry` take (`Conv2dOptions`); the kernel size and
 * num_output are the weights' shape, and bias_term whether there is a bias.
 */
export interface ConvolutionParam {
  numOutput: number;
  biasTerm: boolean; // default true
  kernel: Pair;
  stride: Pair; // default 1
  pad: Pair; // default 0
  dilation: Pair; // default 1
  group: number; // default 1
}

export interface PoolingParam {
  method: "max" | "ave" | "stochastic"; // default max
  kernel: Pair; // [0, 0] with globalPooling: the window is the whole input
  stride: Pair; // default 1
  pad: Pair; // default 0
  globalPooling: boolean; // default false
}

export interface LrnParam {
  localSize: number; // default 5
  alpha: number; // default 1
  beta: number; // default 0.75
  k: number; // default 1
  normRegion: "across" | "within"; // default across channels
}

export interface InnerProductParam {
  numOutput: number;
  biasTerm: boolean; // default true
  axis: number; // default 1: flatten everything from this axis on
  transpose: boolean; // default false: weights are [numOutput, K]
}

export interface ConcatParam {
  axis: number; // default 1 (legacy concat_dim)
}

export interface EltwiseParam {
  operation: "prod" | "sum" | "max"; // default sum
  coeff: number[]; // empty: all ones
}

export interface ReluParam {
  negativeSlope: number; // default 0
}

export interface SoftmaxParam {
  axis: number; // default 1
}

export interface DropoutParam {
  ratio: number; // default 0.5; identity at inference (Caffe scales at train time)
}
