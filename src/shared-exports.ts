// The names both entries export, the same in Node and in a page: dreaming, models, images and the
// engine. Each entry (./index.ts for Node, ./browser.ts for bundlers) re-exports all of them and
// adds its own way to load files, decode pictures and start threads, and its dream(),
// dreamVideo() and visualize() with their defaults. createDreamer runs the engine in a Web
// Worker: in a page it is the way to dream from the window; in Node it says to use dream().

// Dreaming
export { createDreamer, type Dreamer, type DreamerOptions, type DreamerDreamOptions, type DreamerInfo } from "./browser/dreamer.js";
export { DREAM_DEFAULTS, type DreamOptions, type DreamProgress, type LayerWeight } from "./dream/dream.js";
export type { ChannelChoice, ChannelStrategy } from "./dream/channel-strategy.js";
export type { PackageDreamOptions } from "./dream/entry-dream.js";
export { VISUALIZE_DEFAULTS, type VisualizeOptions } from "./dream/visualize.js";
export type { PackageVisualizeOptions } from "./dream/entry-visualize.js";
export { estimateDreamMemory, memoryBudget, type MemoryEstimate } from "./dream/memory.js";
export type { MemoryPlan } from "./dream/memory.js";
export { inputGradient, objectiveGradient, objectiveValue, guideFeatures } from "./dream/objective.js";
export type { InputGradient, ObjectiveKind, ObjectiveTerm } from "./dream/objective.js";
export { zoomAboutCentre } from "./dream/zoom.js";
export {
  frameSeed,
  VIDEO_DEFAULTS,
  type DreamVideoOptions,
  type PackageVideoOptions,
  type VideoFrame,
  type VideoProgress,
} from "./video/dream-video.js";

// Models
export { CaffeNet, IMAGENET_MEAN_BGR, type BlobInfo, type PlannedBlob, type ValueRef } from "./models/net.js";
export { googlenetUrl, synsetWordsUrl, type ModelSource, type ResponseLike } from "./models/sources.js";
export { classify, parseSynsetWords, type Prediction } from "./models/classify.js";
export { findClass, parseSynsets, type Synset } from "./models/labels.js";
export { imageToInput, inputToImage } from "./models/preprocess.js";
export { decodeCaffeModel } from "./io/caffe/decode.js";
export { encodeCaffeModel, type CaffeFormat } from "./io/caffe/encode.js";
export type { NetDef, LayerDef } from "./io/caffe/net-def.js";
export type {
  InputDef,
  BlobDef,
  Phase,
  ConvolutionParam,
  PoolingParam,
  LrnParam,
  InnerProductParam,
  ConcatParam,
  EltwiseParam,
  ReluParam,
  SoftmaxParam,
  DropoutParam,
  BatchNormParam,
  ScaleParam,
  BiasParam,
  PReluParam,
  EluParam,
  PowerParam,
  FlattenParam,
  ReshapeParam,
  SliceParam,
  CropParam,
} from "./io/caffe/net-def.js";

// Images
export { type RgbImage, createImage, imageFromNdarray, imageToNdarray, DEFAULT_MAX_PIXELS } from "./io/image/image.js";
export { resizeImage, resizeToFit } from "./io/image/resize.js";
export type { ResizeOptions } from "./io/image/resize.js";
export type { DecodeOptions } from "./io/image/image.js";
export {
  imageFromImageData,
  imageToImageData,
  type ImageDataLike,
  type SrgbImageData,
  type ImageDataConstructor,
} from "./io/image/image-data.js";

// The engine: tensors, the tape, and the differentiable ops the Caffe layers run on
export { Tensor, type Floats, type DType } from "./tensor/tensor.js";
export { tensorFromNdarray, tensorToNdarray } from "./tensor/ndarray-interop.js";
export type { NdArray } from "./tensor/ndarray-type.js";
export { backward, record } from "./autograd/tape.js";
export type { Node as TapeNode } from "./autograd/tape.js";
export { conv2d, type Conv2dOptions } from "./layers/conv.js";
export { deconv2d } from "./layers/deconv.js";
export type { Pair } from "./layers/conv-geometry.js";
export { innerProduct } from "./layers/inner-product.js";
export { pool2d, type PoolOptions, type PoolMethod } from "./layers/pooling.js";
export type { PoolParams } from "./layers/pooling.js";
export { lrn, type LrnParams, type LrnRegion } from "./layers/lrn.js";
export { relu } from "./layers/relu.js";
export { concat } from "./layers/concat.js";
export { eltwise, type EltwiseOp } from "./layers/eltwise.js";
export { softmax } from "./layers/softmax.js";
export { batchNorm, batchNormOwnStatistics } from "./layers/batch-norm.js";
export { scale, bias } from "./layers/scale.js";
export { sigmoid, tanh, elu, power, absval, type PowerParams } from "./layers/pointwise.js";
export { prelu } from "./layers/prelu.js";
export { reshape } from "./layers/reshape.js";
export { slice } from "./layers/slice.js";
export { crop } from "./layers/crop.js";
export { dropout } from "./layers/dropout.js";
export { setGemmBackend, gemmBackend, gemmKernels, type GemmBackend, type GemmKernel } from "./layers/gemm.js";
export type { SimdFlavour } from "./layers/wasm/gemm-simd-module.js";
export { setConvAlgorithm, convAlgorithm, type ConvAlgorithm } from "./layers/winograd.js";
export { setThreads, threadCount, threadsReady, defaultThreads, shutdownThreads } from "./threads/pool.js";
export { gradcheck, randomTensor, type GradcheckResult } from "./autograd/gradcheck.js";
export { InceptionismError, ModelError, ImageError, OptionError } from "./errors.js";
