// DeepDream (Mordvintsev, Olah & Tyka, "Inceptionism", 2015): gradient ascent on the picture.
//
// One step, as in the original Caffe notebook:
//   1. roll the image by a random (dx, dy) in [−jitter, jitter] (so the net's stride-aligned
//      grid never sits in one place: without it, a checkerboard of artefacts appears);
//   2. forward to the layer, score it (objective.ts), backpropagate to get g = dL/dx (and, if
//      asked, shape g: priors, Laplacian normalization, smoothing — shaping.ts);
//   3. x ← x + stepSize · g / mean(|g|)   (normalizing makes the step size mean "pixels");
//   4. roll back, and clip to the range of real pixels (0–255 before mean subtraction).
// With `scale` or `rotate`, step 2 sees the rolled picture zoomed and turned by a random
// similarity A (./similarity.ts) and its gradient is brought back by the exact adjoint, Aᵀg:
// the gradient of L(A x) with respect to x, so the step is a true ascent step for what the net
// saw. Features that survive small zooms and turns grow; pixel-exact ones do not.
// Octaves: the same at several scales, smallest first. Each octave starts from the *original*
// picture at its scale plus the detail dreamed so far (upscaled), so large structures grow at
// coarse scales and fine texture at fine ones, while the photo itself is never blurred.

import { OptionError } from "../errors.js";
import type { RgbImage } from "../io/image/image.js";
import { zoomPlanes, zoomSize } from "../io/image/zoom-planes.js";
import type { CaffeNet } from "../models/net.js";
import { imageToInput, inputToImage } from "../models/preprocess.js";
import { mulberry32, randomInt } from "../tensor/random.js";
import { Tensor } from "../tensor/tensor.js";
import { MAX_THREADS, threadCount, threadsFallback, threadsReady, threadsRefusal, withThreads } from "../threads/pool.js";
import { guideFeatures, objectiveGradient, type ObjectiveKind, type ObjectiveTerm } from "./objective.js";
import { checkChannelStrategy, isChannelStrategy, pickChannels, type ChannelChoice } from "./channel-strategy.js";
import { defaultLayer } from "./default-layer.js";
import { dreamMask, maskPyramid, maskStep, multiplyByMask } from "./mask.js";
import { photoPlusChange } from "./original-colors.js";
import { DEFAULT_MAX_MEMORY, planDreamMemory } from "./memory.js";
import { rollPlanes } from "./roll.js";
import { gradientShaping, SHAPING_COPIES, shapeGradient, type GradientShaping, type ShapingOptions } from "./shaping.js";
import { isIdentity, similarityBackward, similarityForward, type Similarity } from "./similarity.js";
import { gradientTiles } from "./tiles.js";

/** A layer to dream on, with the weight of its score when several are combined. */
export interface LayerWeight {
  /** The layer's (or its top blob's) name, e.g. "inception_4c/output". */
  name: string;
  /** What its score is multiplied by in the sum (default 1; negative pushes the layer down). */
  weight?: number;
}

/** Where a dream is, passed to `onProgress` after every step. */
export interface DreamProgress {
  /** 1-based octave, counted from the smallest. */
  octave: number;
  /** How many octaves this dream has (fewer than asked when small ones were dropped). */
  octaves: number;
  /** 1-based step within the octave. */
  iteration: number;
  /** Steps per octave. */
  iterations: number;
  /**
   * The objective after this step's gradient (before the step was applied; with scale or rotate,
   * of the view the net saw), minus any `tv` or `pixelL2` prior.
   */
  loss: number;
  /** The share of the whole dream's work done, 0–1, counting each step by its pixels. */
  fraction: number;
}

/**
 * What to dream, on which net, and how: every field but `model` has a default. Those that shape
 * the gradient (`laplacian`, `smooth`, `tv`, `pixelL2`) are in ./shaping.ts.
 */
export interface DreamOptions extends ShapingOptions {
  /** The network; `dream` from the package entry defaults to the bundled GoogLeNet. */
  model: CaffeNet;
  /** Layer(s) to amplify (default "inception_4c/output", as the notebook). */
  layer?: string | readonly (string | LayerWeight)[];
  /** What to maximize at each layer: "l2" = ½Σa² (default, the notebook's), "mean" or "sum" = Σa. */
  objective?: ObjectiveKind;
  /**
   * Amplify only these channels of the layer(s): by number, or chosen per picture,
   * `{ strongest: N }` / `{ weakest: N }`: the N with the largest / smallest mean activation at
   * each layer on the dream's first (smallest) octave, told to `onNote` (channel-strategy.ts).
   */
  channels?: ChannelChoice;
  /**
   * Dream only where this grey-scale picture is light: its luminance, 0–1, multiplies every
   * step, with edges feathered inward by 4 pixels; where it is black the result is the input,
   * bit for bit. Resized to the picture if its size differs (mask.ts).
   */
  mask?: RgbImage;
  /** Keep the photo's colours: only the dream's change of luminance is kept (original-colors.ts). */
  originalColors?: boolean;
  /** Pull every place toward its best-matching feature of this picture (the notebook's guide). */
  guide?: RgbImage;
  /**
   * Dream toward these classes (indices of the classifier's outputs, 0–999 for ImageNet):
   * maximize the sum of their scores before the softmax, at the model's classifier layer
   * (`CaffeNet.classifierLayer()`, "loss3/classifier" for GoogLeNet), summed over positions on
   * a picture larger than the net's input. Replaces `layer`, `objective`, `channels` and
   * `guide`, which cannot be given with it.
   */
  classes?: readonly number[];
  /** Number of scales (default 4). */
  octaves?: number;
  /** Size ratio between successive octaves (default 1.4). */
  octaveScale?: number;
  /** Gradient steps per octave (default 10). */
  iterations?: number;
  /** Step length, in mean-|gradient|-normalized pixel units (default 1.5). */
  stepSize?: number;
  /** Largest random shift in pixels, in x and in y (default 32). */
  jitter?: number;
  /** Seed for the jitter: the same seed and inputs give the same picture, bit for bit (default 0). */
  seed?: number;
  /**
   * Each step, zoom the rolled picture about its centre by a random factor in [lo, hi] (e.g.
   * [0.95, 1.05]; 0 < lo ≤ hi) before taking the gradient, and bring the gradient back through
   * the exact adjoint of the zoom. Pixels zoomed in from outside the picture are the mean
   * colour. Default: none. Drawn from the seeded stream after the roll, only when lo < hi.
   */
  scale?: readonly [number, number];
  /**
   * Each step, also turn the rolled picture about its centre by a random angle in
   * [−rotate, rotate] degrees (0–180), as `scale`. Default: none. Drawn after the roll and the
   * scale, only when rotate > 0.
   */
  rotate?: number;
  /**
   * Compute each step's gradient in tiles of at most this many pixels a side, each seen with
   * 64 pixels of context (so memory is bounded by (tile + 128)² rather than the image size).
   */
  tile?: number;
  /**
   * The memory budget in bytes (see memory.ts). A dream estimated to need more is dreamed in the
   * largest tiles that fit (told to `onNote`); one that cannot fit even so, or whose `tile` does
   * not, is refused before starting, with a tile or picture size that would fit. Default: half
   * the machine's memory, at most 16 GiB, from the Node entry; 1.5 GiB where the platform does
   * not say (a browser).
   */
  maxMemory?: number;
  /**
   * Threads to compute with, for this dream only: this one and threads − 1 workers sharing its
   * memory (default: the process-wide count of `setThreads`, which is one per core where
   * workers can be started, otherwise 1). The picture is the same for every count.
   */
  threads?: number;
  /** Called after every step with where the dream is. */
  onProgress?: (p: DreamProgress) => void;
  /** Told about adjustments, e.g. octaves dropped because they are too small for the layer. */
  onNote?: (message: string) => void;
  /** Aborting it stops the dream before its next step: the promise rejects with the signal's reason. */
  signal?: AbortSignal;
}

/** The defaults of `DreamOptions`: the original notebook's settings. */
export const DREAM_DEFAULTS = {
  /** The layer dreamed on when none is given. */
  layer: "inception_4c/output",
  /** Number of scales. */
  octaves: 4,
  /** Size ratio between successive octaves. */
  octaveScale: 1.4,
  /** Gradient steps per octave. */
  iterations: 10,
  /** Step length, in mean-|gradient|-normalized pixel units. */
  stepSize: 1.5,
  /** Largest random shift in pixels. */
  jitter: 32,
  /** Seed of the jitter. */
  seed: 0,
} as const;

/** Dreams `image` (RGB, 0–255) and returns the dreamed picture at the same size. */
export async function dream(image: RgbImage, options: DreamOptions): Promise<RgbImage> {
  const o = checkOptions(options);
  const net = o.model;
  const mean = net.meanBgr;
  const terms = layerTerms(o, net);
  const shaping = gradientShaping(o, o.iterations, mean);
  const minSide = Math.max(...terms.map((t) => net.minimumInputSize(t.layer)));
  const { width, height } = image;
  if (Math.min(width, height) < minSide) {
    throw new OptionError(
      `the image is ${width}×${height} but layer "${terms.map((t) => t.layer).join('", "')}" needs at least ` +
        `${minSide}×${minSide} pixels; use a larger image or a lower layer`,
    );
  }
  if (o.tile !== undefined && o.tile < minSide) {
    throw new OptionError(`tile ${o.tile} is smaller than the side of ${minSide} the layer needs; use --tile ${minSide} or more`);
  }
  // This call's count, or the process-wide one (said when a page's limits make that 1).
  let threads = o.threads ?? threadCount();
  const fallback = o.threads === undefined ? threadsFallback() : null;
  if (fallback !== null) o.onNote?.(fallback);
  const [scaleLo, scaleHi] = o.scale ?? [1, 1];
  const rotate = o.rotate ?? 0;
  const transformed = scaleLo !== 1 || scaleHi !== 1 || rotate > 0;
  // Full-size picture copies beyond a plain dream's: shaping's scratch, and the transformed view.
  const extraCopies = (shaping === undefined ? 0 : SHAPING_COPIES) + (transformed ? 1 : 0);
  const memory = planDreamMemory(
    net,
    terms.map((t) => t.layer),
    height,
    width,
    {
      tile: o.tile,
      threads,
      minSide,
      maxMemory: o.maxMemory ?? DEFAULT_MAX_MEMORY,
      extraCopies,
      masked: o.mask !== undefined,
    },
  );
  const tile = memory.tile;
  if (memory.note !== undefined) o.onNote?.(memory.note);

  const base = imageToInput(image, mean);
  const pyramid = octavePyramid(base, o.octaves, o.octaveScale, minSide, (dropped) =>
    o.onNote?.(`dropped ${dropped} octave(s) smaller than the ${minSide}×${minSide} pixels "${terms[0]!.layer}" needs`),
  );
  if (o.guide !== undefined) {
    const guideInput = imageToInput(o.guide, mean);
    for (const t of terms) t.guide = guideFeatures(net, guideInput, t.layer);
  }
  if (isChannelStrategy(o.channels)) pickChannels(net, pyramid[0]!, terms, o.channels, tile, minSide, o.onNote);
  // The mask at each octave's size (mask.ts): steps and the detail carried up are multiplied by it.
  const masks =
    o.mask === undefined
      ? null
      : maskPyramid(
          dreamMask(o.mask, width, height, o.onNote),
          pyramid.map((t) => [t.shape[2]!, t.shape[3]!] as const),
        );

  // Every worker started before the first step. A worker that cannot start (its script is not
  // where the bundler was to put it) fails a count that was asked for; the default goes on alone.
  try {
    await threadsReady(threads);
  } catch (e) {
    if (o.threads !== undefined) throw e;
    o.onNote?.(`dreaming on 1 thread: ${e instanceof Error ? e.message : String(e)}`);
    threads = 1;
  }
  const rand = mulberry32(o.seed);
  const step: StepContext = {
    net,
    terms,
    tile,
    minSide,
    threads,
    stepSize: o.stepSize,
    shaping,
    iteration: 0,
    low: mean.map((m) => -m),
    high: mean.map((m) => 255 - m),
    rolled: new Float32Array(0),
    tileGrad: undefined,
    warped: undefined,
  };
  let detail: Float32Array | null = null;
  let detailH = 0,
    detailW = 0;
  const pixels = pyramid.map((t) => t.size);
  const totalWork = pixels.reduce((a, b) => a + b, 0) * o.iterations;
  let work = 0;
  // A step's cost grows with the pixels the net sees (tiles with their context), so one step's
  // time, scaled by them, foretells the whole dream's: said at once if it is long. The second
  // step is timed where there is one: the first carries one-time costs (the Winograd weight
  // transforms, compiling and warming up the kernels), which on a small first octave made a
  // 12-second dream foretell two minutes.
  const seen = pyramid.map((t) => seenPixels(t.shape[2]!, t.shape[3]!, tile, minSide));
  const timedStep = o.iterations > 1 ? 1 : 0;
  for (const [k, octaveBase] of pyramid.entries()) {
    const [, , h, w] = octaveBase.shape as [number, number, number, number];
    const last = k === pyramid.length - 1;
    // The last octave's base is not needed afterwards, so it is dreamed in place: large pictures
    // then hold three full-size buffers (picture, rolled copy, gradient) instead of five.
    const x = last ? (octaveBase.data as Float32Array) : new Float32Array(octaveBase.data);
    if (detail !== null) {
      const up = zoomPlanes(detail, 3, detailH, detailW, h, w);
      if (masks !== null) multiplyByMask(up, masks[k]!);
      for (let i = 0; i < x.length; i++) x[i]! += up[i]!;
    }
    step.rolled = new Float32Array(x.length); // reused by every step of this octave
    step.tileGrad = tile === undefined ? undefined : new Float32Array(x.length); // likewise, when tiling
    step.warped = transformed ? new Float32Array(x.length) : undefined; // likewise, with scale or rotate
    const before = masks === null ? null : new Float32Array(x.length); // x before each step, for the mask
    for (let it = 0; it < o.iterations; it++) {
      if (o.signal?.aborted) throw o.signal.reason ?? new DOMException("The dream was aborted", "AbortError");
      const dx = randomInt(rand, -o.jitter, o.jitter),
        dy = randomInt(rand, -o.jitter, o.jitter);
      // Only what varies draws, after the roll: without scale and rotate the stream, and so the
      // picture, is what it was before they existed.
      const similarity: Similarity = {
        scale: scaleLo < scaleHi ? scaleLo + (scaleHi - scaleLo) * rand() : scaleLo,
        degrees: rotate > 0 ? rotate * (2 * rand() - 1) : 0,
      };
      const stepStart = performance.now();
      step.iteration = it;
      before?.set(x);
      const loss = ascend(x, h, w, dx, dy, step, isIdentity(similarity) ? null : similarity);
      if (before !== null) maskStep(x, before, masks![k]!);
      if (k === 0 && it === timedStep) {
        const seconds = (((performance.now() - stepStart) / 1000) * o.iterations * seen.reduce((a, b) => a + b, 0)) / seen[0]!;
        if (seconds > LONG_DREAM_SECONDS) o.onNote?.(longDreamNote(seconds, threads, width, height, minSide));
      }
      work += pixels[k]!;
      const fraction = work / totalWork;
      o.onProgress?.({ octave: k + 1, octaves: pyramid.length, iteration: it + 1, iterations: o.iterations, loss, fraction });
      await new Promise((resolve) => setTimeout(resolve, 0)); // let aborts and progress UIs through
    }
    if (!last) {
      detail = new Float32Array(x.length);
      for (let i = 0; i < x.length; i++) detail[i] = x[i]! - octaveBase.data[i]!;
      detailH = h;
      detailW = w;
    }
  }
  // The last octave was dreamed in place, in `base`. A mask's untouched pixels must stay the
  // input's bit for bit, which the trip through BGR-minus-mean Float32 planes does not promise.
  if (o.mask !== undefined || o.originalColors === true)
    return photoPlusChange(image, base.data as Float32Array, mean, o.originalColors === true);
  return inputToImage(base, mean);
}

/**
 * The octave pyramid of `base` ([1, 3, H, W]), smallest first, each octave 1/scale of the next
 * and `base` itself the largest, resampled as the notebook's scipy zoom(order=1) (see
 * ../io/image/zoom-planes.ts for why). Octaves smaller than `minSide` are left out, and
 * `onDropped` is told how many.
 */
function octavePyramid(base: Tensor, octaves: number, scale: number, minSide: number, onDropped: (count: number) => void): Tensor[] {
  const pyramid: Tensor[] = [base];
  for (let k = 1; k < octaves; k++) {
    const [, , h, w] = pyramid[k - 1]!.shape as [number, number, number, number];
    const nh = zoomSize(h, 1 / scale),
      nw = zoomSize(w, 1 / scale);
    if (Math.min(nh, nw) < minSide) {
      onDropped(octaves - k);
      break;
    }
    pyramid.push(new Tensor(zoomPlanes(pyramid[k - 1]!.data as Float32Array, 3, h, w, nh, nw), [1, 3, nh, nw]));
  }
  return pyramid.reverse();
}

/** What every step of a dream shares: the net and objective, and the step's own buffers. */
interface StepContext {
  net: CaffeNet;
  terms: readonly ObjectiveTerm[];
  tile: number | undefined;
  minSide: number;
  threads: number;
  stepSize: number;
  /** What is done to the gradient before the step (./shaping.ts), if anything; and the step's index in its octave. */
  shaping: GradientShaping | undefined;
  iteration: number;
  /** The valid range of each BGR plane: 0–255 before the mean was subtracted. */
  low: readonly number[];
  high: readonly number[];
  /** The rolled picture, and (when tiling) the gradient: reused by every step of an octave. */
  rolled: Float32Array;
  tileGrad: Float32Array | undefined;
  /** With scale or rotate: the transformed picture, then the gradient brought back; likewise reused. */
  warped: Float32Array | undefined;
}

/**
 * One step of gradient ascent on `x` (3×h×w, BGR minus mean), in place: roll it by (dy, dx),
 * take the objective's gradient g there, x ← x + stepSize · g / mean|g|, roll back, clip to the
 * valid pixels. With a similarity A, g is Aᵀ·(the gradient at A·rolled): the whole picture is
 * transformed, then tiled as ever. Returns the objective before the step (of what the net saw).
 */
function ascend(x: Float32Array, h: number, w: number, dx: number, dy: number, s: StepContext, similarity: Similarity | null): number {
  const { rolled, warped } = s;
  rollPlanes(x, 3, h, w, dy, dx, rolled);
  const view = similarity === null ? rolled : similarityForward(warped!, rolled, 3, h, w, similarity);
  const { loss: netLoss, grad: viewGrad } = withThreads(s.threads, () =>
    tiledGradient(s.net, view, h, w, s.terms, s.tile, s.minSide, s.tileGrad),
  );
  // The transformed picture is not needed any more: its buffer takes the gradient brought back.
  const grad = similarity === null ? viewGrad : similarityBackward(warped!.fill(0), viewGrad, 3, h, w, similarity);
  const loss = s.shaping === undefined ? netLoss : netLoss + shapeGradient(grad, x, h, w, dy, dx, s.iteration, s.shaping);
  let meanAbs = 0;
  for (let i = 0; i < grad.length; i++) meanAbs += Math.abs(grad[i]!);
  meanAbs /= grad.length;
  const scale = meanAbs > 0 ? s.stepSize / meanAbs : 0;
  for (let i = 0; i < rolled.length; i++) rolled[i]! += scale * grad[i]!;
  rollPlanes(rolled, 3, h, w, -dy, -dx, x);
  const plane = h * w;
  for (let c = 0; c < 3; c++) {
    const lo = s.low[c]!,
      hi = s.high[c]!;
    for (let i = c * plane; i < (c + 1) * plane; i++) x[i] = Math.min(hi, Math.max(lo, x[i]!));
  }
  return loss;
}

/** Dreams expected to take longer than this are announced, with the time and a way to shorten it. */
const LONG_DREAM_SECONDS = 60;

/** The pixels one step's net passes see on an h×w octave: the whole, or every tile's crop. */
function seenPixels(h: number, w: number, tile: number | undefined, minSide: number): number {
  if (tile === undefined || (h <= tile && w <= tile)) return h * w;
  return gradientTiles(h, w, tile, minSide).reduce((sum, t) => sum + t.cropH * t.cropW, 0);
}

/** "this dream will take about 24m00s on 2 threads (timed on one step); at most 2000 px a side (--max-size 2000) would make it about 4× quicker" */
export function longDreamNote(seconds: number, threads: number, width: number, height: number, minSide: number): string {
  const time =
    seconds < 3600
      ? `${Math.floor(seconds / 60)}m${String(Math.floor(seconds % 60)).padStart(2, "0")}s`
      : `${Math.floor(seconds / 3600)}h${String(Math.floor((seconds % 3600) / 60)).padStart(2, "0")}m`;
  const half = Math.round(Math.max(width, height) / 2);
  const quicker =
    Math.min(width, height) / 2 >= minSide ? `; at most ${half} px a side (--max-size ${half}) would make it about 4× quicker` : "";
  return `this dream will take about ${time} on ${threads} thread${threads > 1 ? "s" : ""} (timed on one step)${quicker}`;
}

/** The objective's gradient for the whole (rolled) image, computed whole or tile by tile. */
function tiledGradient(
  net: CaffeNet,
  x: Float32Array,
  h: number,
  w: number,
  terms: readonly ObjectiveTerm[],
  tile: number | undefined,
  minSide: number,
  grad: Float32Array = new Float32Array(x.length),
): { loss: number; grad: Float32Array } {
  if (tile === undefined || (h <= tile && w <= tile)) {
    const { loss, grad } = objectiveGradient(net, new Tensor(x, [1, 3, h, w]), terms);
    return { loss, grad: grad as Float32Array };
  }
  let loss = 0; // every pixel of `grad` belongs to exactly one tile's core, so no zeroing is needed
  for (const t of gradientTiles(h, w, tile, minSide)) {
    const crop = new Float32Array(3 * t.cropH * t.cropW);
    for (let c = 0; c < 3; c++) {
      for (let r = 0; r < t.cropH; r++) {
        const src = (c * h + t.cropY + r) * w + t.cropX;
        crop.set(x.subarray(src, src + t.cropW), (c * t.cropH + r) * t.cropW);
      }
    }
    const part = objectiveGradient(net, new Tensor(crop, [1, 3, t.cropH, t.cropW]), terms);
    loss += part.loss; // context overlaps, so the tiled loss only approximates the whole one
    for (let c = 0; c < 3; c++) {
      for (let r = 0; r < t.h; r++) {
        const from = (c * t.cropH + t.y - t.cropY + r) * t.cropW + (t.x - t.cropX);
        grad.set(part.grad.subarray(from, from + t.w), (c * h + t.y + r) * w + t.x);
      }
    }
  }
  return { loss, grad };
}

/**
 * A class dream: the sum of the classes' logits, Σ over positions. Not the softmax's
 * probability: its gradient p(1 − p)·… vanishes once the class wins, and the dream stalls.
 */
function classTerms(o: CheckedOptions, net: CaffeNet): ObjectiveTerm[] {
  if (o.classes!.length === 0) throw new OptionError("give at least one class to dream toward");
  const layer = net.classifierLayer();
  const side = net.minimumInputSize(layer);
  const count = net.outputShape(layer, [1, net.inputChannels, side, side])[1]!;
  for (const c of o.classes!) {
    if (!Number.isInteger(c) || c < 0 || c >= count) {
      throw new OptionError(`class ${c} is out of range: "${layer}" scores classes 0–${count - 1}`);
    }
  }
  return [{ layer, weight: 1, objective: "sum", channels: [...new Set(o.classes)] }];
}

type CheckedOptions = Required<Pick<DreamOptions, "octaves" | "octaveScale" | "iterations" | "stepSize" | "jitter" | "seed">> &
  DreamOptions;

function checkOptions(options: DreamOptions): CheckedOptions {
  const o = { ...DREAM_DEFAULTS, ...options, layer: options.layer }; // no layer: layerTerms picks one
  const integer = (name: string, v: number, min: number): void => {
    if (!Number.isInteger(v) || v < min) throw new OptionError(`${name} must be a whole number ≥ ${min}, got ${v}`);
  };
  integer("octaves", o.octaves, 1);
  integer("iterations", o.iterations, 1);
  integer("jitter", o.jitter, 0);
  if (!Number.isSafeInteger(o.seed)) throw new OptionError(`seed must be a whole number, got ${o.seed}`);
  if (!(o.octaveScale > 1) || !Number.isFinite(o.octaveScale)) {
    throw new OptionError(`octave scale must be a number greater than 1, got ${o.octaveScale}`);
  }
  if (!(o.stepSize > 0) || !Number.isFinite(o.stepSize)) throw new OptionError(`step size must be a positive number, got ${o.stepSize}`);
  if (o.tile !== undefined) integer("tile", o.tile, 1);
  if (o.threads !== undefined) {
    integer("threads", o.threads, 1);
    if (o.threads > MAX_THREADS) throw new OptionError(`threads must be at most ${MAX_THREADS}, got ${o.threads}`);
    const refusal = o.threads > 1 ? threadsRefusal(`threads ${o.threads}`) : null;
    if (refusal !== null) throw new OptionError(refusal);
  }
  if (o.scale !== undefined) {
    const ok =
      Array.isArray(o.scale) && o.scale.length === 2 && o.scale[0]! > 0 && o.scale[1]! >= o.scale[0]! && Number.isFinite(o.scale[1]);
    const got = Array.isArray(o.scale) ? `[${o.scale.join(", ")}]` : String(o.scale);
    if (!ok) throw new OptionError(`scale must be [lo, hi] with 0 < lo ≤ hi, e.g. [0.95, 1.05], got ${got}`);
  }
  if (o.rotate !== undefined && !(o.rotate >= 0 && o.rotate <= 180)) {
    throw new OptionError(`rotate must be a number of degrees from 0 to 180, got ${o.rotate}`);
  }
  if (o.maxMemory !== undefined && !(o.maxMemory > 0))
    throw new OptionError(`maxMemory must be a positive number of bytes, got ${o.maxMemory}`);
  if (o.model === undefined) throw new OptionError("dream needs a model");
  if (isChannelStrategy(o.channels)) checkChannelStrategy(o.channels);
  if (o.originalColors !== undefined && typeof o.originalColors !== "boolean") {
    throw new OptionError(`originalColors must be true or false, got ${String(o.originalColors)}`);
  }
  if (options.classes !== undefined) {
    const given = (["layer", "objective", "channels", "guide"] as const).filter((k) => options[k] !== undefined);
    if (given.length > 0) throw new OptionError(`classes choose the layer and objective themselves; leave out ${given.join(", ")}`);
  }
  return o;
}

function layerTerms(o: CheckedOptions, net: CaffeNet): ObjectiveTerm[] {
  if (o.classes !== undefined) return classTerms(o, net);
  const layers =
    o.layer === undefined ? [defaultLayer(net, DREAM_DEFAULTS.layer, o.onNote)] : typeof o.layer === "string" ? [o.layer] : o.layer;
  if (layers.length === 0) throw new OptionError("give at least one layer to dream on");
  return layers.map((l) => {
    const { name, weight = 1 } = typeof l === "string" ? { name: l } : l;
    net.resolve(name); // unknown names fail here, with the nearest valid ones
    if (!Number.isFinite(weight)) throw new OptionError(`the weight of layer "${name}" must be a number, got ${weight}`);
    const term: ObjectiveTerm = { layer: name, weight, objective: o.objective ?? "l2" };
    if (o.channels !== undefined && !isChannelStrategy(o.channels)) term.channels = o.channels; // a strategy picks them later
    return term;
  });
}
