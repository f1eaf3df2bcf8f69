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
  "Data",
  "ImageData",
  "HDF5Data",
  "MemoryData",
  "WindowData",
  "DummyData",
  "AnnotatedData",
]);

/** A decoded network: its declared inputs and its layers in file order. */
export interface NetDef {
  /** The net's `name` in the file ("" when it has none). */
  name: string;
  /** Inputs declared by `input`/`input_dim`/`input_shape` or by `Input` layers. */
  inputs: InputDef[];
  /** Every layer, in the order of the file (data and loss layers included: the net skips them). */
  layers: LayerDef[];
}

/** One declared input of the network. */
export interface InputDef {
  /** The blob's name, e.g. "data". */
  name: string;
  /** The declared shape (e.g. [10, 3, 224, 224]), or null when the file gives none. */
  shape: number[] | null;
}

/** One learned parameter blob, e.g. convolution weights [out, in/group, kh, kw]. */
export interface BlobDef {
  /** The blob's dimensions (from `shape`, or from a legacy file's num/channels/height/width). */
  shape: number[];
  /** The values, row-major, as many as the shape's product. */
  data: Float32Array;
}

/** A Caffe phase: a layer with `include { phase: TRAIN }` is only in the training net. */
export type Phase = "train" | "test";

/** One layer of the file: its type, its blobs by name, its learned weights and its parameters. */
export interface LayerDef {
  /** The layer's unique name, e.g. "inception_4c/3x3". */
  name: string;
  /** Modern Caffe type string ("Convolution", "ReLU", …); V1 enums are translated to these. */
  type: string;
  /** The names of the blobs it reads. */
  bottoms: string[];
  /** The names of the blobs it writes (the same as a bottom for an in-place layer, e.g. a ReLU). */
  tops: string[];
  /** Its learned parameters: for a convolution or an inner product, the weights and then the bias. */
  blobs: BlobDef[];
  /** The phase of the layer's `include` rule, if it has one. */
  phase: Phase | null;
  /** A Convolution layer's `convolution_param`. */
  convolution?: ConvolutionParam;
  /** A Pooling layer's `pooling_param`. */
  pooling?: PoolingParam;
  /** An LRN layer's `lrn_param`. */
  lrn?: LrnParam;
  /** An InnerProduct layer's `inner_product_param`. */
  innerProduct?: InnerProductParam;
  /** A Concat layer's `concat_param`. */
  concat?: ConcatParam;
  /** An Eltwise layer's `eltwise_param`. */
  eltwise?: EltwiseParam;
  /** A ReLU layer's `relu_param`. */
  relu?: ReluParam;
  /** A Softmax layer's `softmax_param`. */
  softmax?: SoftmaxParam;
  /** A Dropout layer's `dropout_param`. */
  dropout?: DropoutParam;
  /** A BatchNorm layer's `batch_norm_param`. */
  batchNorm?: BatchNormParam;
  /** A Scale layer's `scale_param`. */
  scale?: ScaleParam;
  /** A Bias layer's `bias_param`. */
  bias?: BiasParam;
  /** A PReLU layer's `prelu_param`. */
  prelu?: PReluParam;
  /** An ELU layer's `elu_param`. */
  elu?: EluParam;
  /** A Power layer's `power_param`. */
  power?: PowerParam;
  /** A Flatten layer's `flatten_param`. */
  flatten?: FlattenParam;
  /** A Reshape layer's `reshape_param`. */
  reshape?: ReshapeParam;
  /** A Slice layer's `slice_param`. */
  slice?: SliceParam;
  /** A Crop layer's `crop_param`. */
  crop?: CropParam;
  /** An `Input` layer's `input_param`. */
  input?: {
    /** The declared shapes, one per top. */
    shapes: number[][];
  };
}

/**
 * A layer's convolution_param as the file says it, defaults filled in. Its stride, pad, dilation
 * and group are what `conv2d` and `convGeometry` take (`Conv2dOptions`); the kernel size and
 * num_output are the weights' shape, and bias_term whether there is a bias.
 */
export interface ConvolutionParam {
  /** num_output: the output channels, K. */
  numOutput: number;
  /** bias_term: whether blob 1 is a bias (default true). */
  biasTerm: boolean;
  /** The window, [kh, kw] (kernel_size or kernel_h/kernel_w). */
  kernel: Pair;
  /** [stride_h, stride_w] (default 1). */
  stride: Pair;
  /** Zero padding on each side, [pad_h, pad_w] (default 0). */
  pad: Pair;
  /** [dilation_h, dilation_w] (default 1). */
  dilation: Pair;
  /** Channel groups: input and output channels split into this many independent convolutions (default 1). */
  group: number;
}

/** A layer's pooling_param, defaults filled in. */
export interface PoolingParam {
  /** pool: MAX, AVE or STOCHASTIC (default max; stochastic is refused by the net). */
  method: "max" | "ave" | "stochastic";
  /** The window, [kh, kw]; [0, 0] with `globalPooling`, where the window is the whole input. */
  kernel: Pair;
  /** [stride_h, stride_w] (default 1). */
  stride: Pair;
  /** Padding on each side, [pad_h, pad_w] (default 0). */
  pad: Pair;
  /** global_pooling: one window over the whole plane (default false). */
  globalPooling: boolean;
}

/** A layer's lrn_param, defaults filled in: y = x · (k + α/n · Σ x²)^−β over n neighbours. */
export interface LrnParam {
  /** local_size, n: the neighbours summed over (default 5). */
  localSize: number;
  /** α (default 1). */
  alpha: number;
  /** β (default 0.75). */
  beta: number;
  /** k (default 1). */
  k: number;
  /** norm_region: across channels (default) or within a channel's plane. */
  normRegion: "across" | "within";
}

/** A layer's inner_product_param, defaults filled in. */
export interface InnerProductParam {
  /** num_output: the outputs. */
  numOutput: number;
  /** bias_term: whether blob 1 is a bias (default true). */
  biasTerm: boolean;
  /** Everything from this axis on is flattened into one vector (default 1). */
  axis: number;
  /** Whether the weights are stored [K, numOutput] rather than [numOutput, K] (default false). */
  transpose: boolean;
}

/** A layer's concat_param. */
export interface ConcatParam {
  /** The axis to join along (default 1, the channels; a legacy file's concat_dim). */
  axis: number;
}

/** A layer's eltwise_param. */
export interface EltwiseParam {
  /** operation: PROD, SUM or MAX (default sum). */
  operation: "prod" | "sum" | "max";
  /** A SUM's coefficient per input; empty means all ones. */
  coeff: number[];
}

/** A layer's relu_param. */
export interface ReluParam {
  /** negative_slope: y = slope · x for x < 0 (default 0, the plain ReLU). */
  negativeSlope: number;
}

/** A layer's softmax_param. */
export interface SoftmaxParam {
  /** The axis normalized over (default 1, the channels). */
  axis: number;
}

/** A layer's dropout_param. */
export interface DropoutParam {
  /** dropout_ratio (default 0.5). Dropout is the identity at inference: Caffe scales at train time. */
  ratio: number;
}

/**
 * A layer's batch_norm_param. At inference Caffe normalizes with the stored statistics: blob 0 the
 * mean sum, blob 1 the variance sum, blob 2 their common scale factor s (mean = blob0 / s,
 * variance = blob1 / s, with 1/s taken as 0 when s = 0).
 */
export interface BatchNormParam {
  /** use_global_stats as the file gives it, or null when unset (Caffe then uses the stored statistics in the TEST phase). */
  useGlobalStats: boolean | null;
  /** moving_average_fraction (default 0.999); used only in training. */
  movingAverageFraction: number;
  /** eps, added to the variance (default 1e-5). */
  eps: number;
}

/** A layer's scale_param: y = x · scale (+ bias), the scale broadcast over `numAxes` axes from `axis`. */
export interface ScaleParam {
  /** The first axis of the input the scale runs along (default 1, the channels). */
  axis: number;
  /** How many axes the scale covers (default 1; −1: all from `axis` on; 0: one scalar). */
  numAxes: number;
  /** bias_term: whether a learned bias follows the scale (default false). */
  biasTerm: boolean;
}

/** A layer's bias_param: y = x + bias, the bias broadcast over `numAxes` axes from `axis`. */
export interface BiasParam {
  /** The first axis of the input the bias runs along (default 1). */
  axis: number;
  /** How many axes the bias covers (default 1; −1: all from `axis` on; 0: one scalar). */
  numAxes: number;
}

/** A layer's prelu_param: y = max(0, x) + a · min(0, x), with a learned per channel. */
export interface PReluParam {
  /** channel_shared: one slope for every channel rather than one per channel (default false). */
  channelShared: boolean;
}

/** A layer's elu_param: y = x for x > 0, else α (exp(x) − 1). */
export interface EluParam {
  /** α (default 1). */
  alpha: number;
}

/** A layer's power_param: y = (shift + scale · x)^power. */
export interface PowerParam {
  /** The exponent (default 1). */
  power: number;
  /** The factor on x (default 1). */
  scale: number;
  /** The term added before the power (default 0). */
  shift: number;
}

/** A layer's flatten_param: axes `axis` … `endAxis` become one. */
export interface FlattenParam {
  /** The first axis flattened (default 1). */
  axis: number;
  /** The last axis flattened, inclusive (default −1, the last). */
  endAxis: number;
}

/** A layer's reshape_param: the axes `axis` … `axis + numAxes` of the input replaced by `shape`. */
export interface ReshapeParam {
  /** The new dimensions: 0 copies the input's dimension there, −1 (at most one) is inferred. */
  shape: number[];
  /** The first axis replaced (default 0). */
  axis: number;
  /** How many axes are replaced (default −1: all from `axis` on). */
  numAxes: number;
}

/** A layer's slice_param: the input cut along `axis` into as many tops. */
export interface SliceParam {
  /** The axis cut along (default 1; a legacy file's slice_dim). */
  axis: number;
  /** Where each cut falls, ascending; empty means equal parts, one per top. */
  slicePoints: number[];
}

/** A layer's crop_param: bottom 0 cropped to bottom 1's shape on the axes from `axis` on. */
export interface CropParam {
  /** The first axis cropped (default 2: height and width). */
  axis: number;
  /** The offsets: none (all 0), one for every cropped axis, or one per cropped axis. */
  offset: number[];
}
