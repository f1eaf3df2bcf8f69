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

// Everything the browser entry has too (./shared-exports.ts), then what Node does its own way
export * from "./shared-exports.js";
export { loadCaffeModel, loadGoogLeNet, loadImageNetLabels, loadImageNetClasses } from "./models/load.js";
export { readImage, writeImage, decodeImage } from "./io/image/image-file.js";
export type { WriteImageOptions } from "./io/image/image-file.js";
export { threadsReady as threadsStarted } from "./threads/pool.js";

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
