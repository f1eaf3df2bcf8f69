// The op each Caffe layer type runs (src/models/layer-rules/), as one table typed by LayerType:
// a new type without its op here is a compile error, and the tests that read this table then
// require the op's gradient check (test/gradcheck) and its export from the package.
import type { LayerType } from "../src/models/layer-table.js";

/** The op a layer of each type runs; null for Split, which hands on its input's tensor. */
export const LAYER_OPS: { readonly [T in LayerType]: string | null } = {
  Convolution: "conv2d",
  Deconvolution: "deconv2d",
  Pooling: "pool2d",
  LRN: "lrn",
  ReLU: "relu",
  Concat: "concat",
  InnerProduct: "innerProduct",
  Softmax: "softmax",
  Sigmoid: "sigmoid",
  TanH: "tanh",
  ELU: "elu",
  Power: "power",
  AbsVal: "absval",
  PReLU: "prelu",
  Dropout: "dropout",
  Eltwise: "eltwise",
  Split: null,
  BatchNorm: "batchNorm",
  Scale: "scale",
  Bias: "bias",
  Flatten: "reshape",
  Reshape: "reshape",
  Slice: "slice",
  Crop: "crop",
};

/** Every op the layer table runs, once each. */
export const layerOps = (): string[] => [...new Set(Object.values(LAYER_OPS).filter((op): op is string => op !== null))];
