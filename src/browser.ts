/**
 * The public surface of inceptionism in a browser (the "browser" condition of package.json's
 * exports, which Vite, webpack and esbuild choose by default, and Rollup's node-resolve with
 * `browser: true`): the names of the Node entry, ./index.ts, wherever they make sense in a page —
 * not reading or writing files.
 *
 * What differs from Node:
 * - the bundled files are fetched: `googlenetUrl` and `synsetWordsUrl` are written so that a
 *   bundler emits them (./models/sources.ts), and `loadCaffeModel` takes a URL, a Response or
 *   bytes;
 * - pictures come from bytes (`decodeImage`, PNG or JPEG) or a canvas's ImageData
 *   (`imageFromImageData`), and go back to one with `imageToImageData`;
 * - threads are Web Workers (./threads/web-host.ts). They need a cross-origin-isolated page
 *   (served with Cross-Origin-Opener-Policy: same-origin and Cross-Origin-Embedder-Policy:
 *   require-corp) and an engine running in a dedicated worker, since a window may not block;
 *   elsewhere `dream()` runs on one thread and says why in a note;
 * - `maxMemory` defaults to 1.5 GiB, since a page cannot ask how much memory the machine has.
 *
 * Nothing reachable from here imports node:* or a Node-only package, and importing it touches
 * neither a file system nor the environment.
 *
 * @module browser
 */

import { dreamWithBundled, type PackageDreamOptions } from "./dream/entry-dream.js";
import { visualizeWithBundled, type PackageVisualizeOptions } from "./dream/entry-visualize.js";
import type { RgbImage } from "./io/image/image.js";
import { loadGoogLeNet, loadImageNetClasses } from "./models/sources.js";
import type { NdArray } from "./tensor/ndarray-type.js";
import { dreamVideo as dreamVideoCore, type PackageVideoOptions } from "./video/dream-video.js";
import "./threads/web-host.js"; // lets the core start Web Workers here

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
export { loadCaffeModel, loadGoogLeNet, loadImageNetLabels, loadImageNetClasses } from "./models/sources.js";
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
export { decodeImage } from "./io/image/decode.js";
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
export { threadsStarted } from "./threads/web-host.js";
export { gradcheck, randomTensor, type GradcheckResult } from "./autograd/gradcheck.js";
export { InceptionismError, ModelError, ImageError, OptionError } from "./errors.js";

/**
 * Dreams a picture, as the original DeepDream notebook did, with the bundled GoogLeNet (fetched
 * from `googlenetUrl` once) unless `options.model` says otherwise. `image` is an `RgbImage`
 * (RGB, 0–255) or an H×W×C ndarray. `classes` may also name ImageNet classes ("banana",
 * "tabby", "n07753592"): an unknown or ambiguous name is an OptionError. Run it in a dedicated
 * worker of a cross-origin-isolated page to use every core (see the top of this file).
 *
 * ```ts
 * const out = await dream(image, { layer: "inception_4c/output", onProgress: (p) => show(p) });
 * ```
 */
export async function dream(image: RgbImage | NdArray, options: PackageDreamOptions = {}): Promise<RgbImage> {
  return dreamWithBundled(image, options, { loadGoogLeNet, loadImageNetClasses });
}

/**
 * Dreams a clip frame by frame, each frame starting from the previous one's dream detail moved
 * along the optical flow, and yields each frame as it is done (frames from a <video> through a
 * canvas's ImageData, for instance), with the bundled GoogLeNet unless `options.model` says
 * otherwise.
 */
export async function* dreamVideo(
  frames: AsyncIterable<RgbImage> | Iterable<RgbImage>,
  options: PackageVideoOptions = {},
): AsyncGenerator<RgbImage, void, undefined> {
  yield* dreamVideoCore(frames, { ...options, model: options.model ?? (await loadGoogLeNet()) });
}

/**
 * Grows a picture from noise that the net sees as `classes` (indices, or ImageNet names such as
 * "banana"), or that excites `layer` (with `channels`: only those), with the bundled GoogLeNet
 * (fetched from `googlenetUrl` once) unless `options.model` says otherwise. Run it in a
 * dedicated worker of a cross-origin-isolated page to use every core, as `dream()`.
 */
export async function visualize(options: PackageVisualizeOptions): Promise<RgbImage> {
  return visualizeWithBundled(options, { loadGoogLeNet, loadImageNetClasses });
}
