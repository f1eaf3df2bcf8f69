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

// Everything the Node entry has too (./shared-exports.ts), then what a page does its own way
export * from "./shared-exports.js";
export { loadCaffeModel, loadGoogLeNet, loadImageNetLabels, loadImageNetClasses } from "./models/sources.js";
export { decodeImage } from "./io/image/decode.js";
export { threadsStarted } from "./threads/web-host.js";

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
