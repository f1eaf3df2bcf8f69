/**
 * The public surface of inceptionism (the Node entry: it adds file loading and the bundled
 * model to the core, which itself imports nothing from node:* and runs in a browser too;
 * ./browser.ts is the browser's entry, with the same names where they make sense there).
 *
 * @module Node
 */

import { dreamWithBundled, type PackageDreamOptions } from "./dream/entry-dream.js";
import { visualizeWithBundled, type PackageVisualizeOptions } from "./dream/entry-visualize.js";
import type { RgbImage } from "./io/image/image.js";
import { loadGoogLeNet, loadImageNetClasses } from "./models/load.js";
import type { NdArray } from "./tensor/ndarray-type.js";
import { dreamVideo as dreamVideoCore, type PackageVideoOptions } from "./video/dream-video.js";
import { totalmem } from "node:os";
import { memoryBudget } from "./dream/memory.js";
import "./node-relaxed-simd.js"; // INCEPTIONISM_GEMM=wasm-relaxed on Node 20
import "./threads/node-host.js"; // lets the core start worker threads here

// Dreaming
// createDreamer is for pages (it runs the engine in a Web Worker); here it says to use dream().
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
export { loadCaffeModel, loadGoogLeNet, loadImageNetLabels, loadImageNetClasses } from "./models/load.js";
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
export { readImage, writeImage, decodeImage } from "./io/image/image-file.js";
export type { WriteImageOptions } from "./io/image/image-file.js";
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
export { dropout } from "./layers/dropout.js";
export { setGemmBackend, gemmBackend, gemmKernels, type GemmBackend, type GemmKernel } from "./layers/gemm.js";
export type { SimdFlavour } from "./layers/wasm/gemm-simd-module.js";
export { setConvAlgorithm, convAlgorithm, type ConvAlgorithm } from "./layers/winograd.js";
export { setThreads, threadCount, threadsReady, defaultThreads, shutdownThreads } from "./threads/pool.js";
export { threadsReady as threadsStarted } from "./threads/pool.js";
export { gradcheck, randomTensor, type GradcheckResult } from "./autograd/gradcheck.js";
export { InceptionismError, ModelError, ImageError, OptionError } from "./errors.js";

/**
 * Dreams a picture, as the original DeepDream notebook did, with the bundled GoogLeNet unless
 * `options.model` says otherwise. `image` is an `RgbImage` (RGB, 0–255) or an H×W×C ndarray.
 * `maxMemory` defaults to half the machine's memory (at most 16 GiB): a picture whose dream
 * would need more is dreamed in tiles. Here `classes` may also name ImageNet classes
 * ("banana", "tabby", "n07753592"), resolved against the bundled labels by `findClass`: an
 * unknown or ambiguous name is an OptionError.
 *
 * ```ts
 * const out = await dream(await readImage("in.jpg"), { layer: "inception_4c/output" });
 * await writeImage("out.png", out);
 * ```
 */
export async function dream(image: RgbImage | NdArray, options: PackageDreamOptions = {}): Promise<RgbImage> {
  const maxMemory = options.maxMemory ?? memoryBudget(totalmem());
  return dreamWithBundled(image, { ...options, maxMemory }, { loadGoogLeNet, loadImageNetClasses });
}

/**
 * Dreams a clip frame by frame, each frame starting from the previous one's dream detail moved
 * along the optical flow, and yields each frame as it is done (see src/video/dream-video.ts),
 * with the bundled GoogLeNet unless `options.model` says otherwise.
 *
 * ```ts
 * for await (const frame of dreamVideo(frames, { blend: 1, iterationsAfter: 1 })) await save(frame);
 * ```
 */
export async function* dreamVideo(
  frames: AsyncIterable<RgbImage> | Iterable<RgbImage>,
  options: PackageVideoOptions = {},
): AsyncGenerator<RgbImage, void, undefined> {
  const maxMemory = options.maxMemory ?? memoryBudget(totalmem());
  yield* dreamVideoCore(frames, { ...options, maxMemory, model: options.model ?? (await loadGoogLeNet()) });
}

/**
 * Grows a picture from noise that the net sees as `classes` (indices, or ImageNet names such as
 * "banana"), or that excites `layer` (with `channels`: only those), with the bundled GoogLeNet
 * unless `options.model` says otherwise: a decorrelated Fourier parameterization, random
 * pad/jitter/scale/rotate each step and Adam, as in Lucid. `maxMemory` defaults as for `dream`.
 *
 * ```ts
 * await writeImage("banana.png", await visualize({ classes: ["banana"], steps: 128 }));
 * ```
 */
export async function visualize(options: PackageVisualizeOptions): Promise<RgbImage> {
  const maxMemory = options.maxMemory ?? memoryBudget(totalmem());
  return visualizeWithBundled({ ...options, maxMemory }, { loadGoogLeNet, loadImageNetClasses });
}
