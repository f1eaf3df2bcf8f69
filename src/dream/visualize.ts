// Feature visualization: a picture grown from noise until the net sees a class or a feature in
// it — the "bananas" of the Inceptionism post, with the recipe of Olah, Mordvintsev & Schubert,
// "Feature Visualization" (Distill, 2017) and their library Lucid.
//
// A dream changes a photo a little; here there is no photo, and plain gradient ascent on pixels
// from noise gives high-frequency patterns the net responds to but no person would see as
// anything. Two things make the pictures look like things:
//   1. the parameterization (./fourier-image.ts): the optimizer moves a decorrelated, 1/f-scaled
//      spectrum, and a sigmoid keeps every pixel valid;
//   2. robustness: each step the net sees the picture padded, shifted, scaled and turned at
//      random, so only what is still there under all those survives (Lucid's
//      `standard_transforms`: pad 12, jitter 8, scale 0.9–1.1, rotate ±10°, jitter 4).
// One step, for a size×size picture and P = size + 2·pad:
//   x = picture(θ)                                  [3, size, size], BGR minus mean
//   u = roll₂(A · roll₁(pad(x)))                    [3, P, P]; A = bilinear similarity (./similarity.ts)
//   L, ∂L/∂u = objective and its input gradient     (./objective.ts)
//   ∂L/∂x = crop(roll₁⁻¹(Aᵀ · roll₂⁻¹(∂L/∂u)))       every transform's adjoint, in reverse order
//   ∂L/∂θ = picture's backward (∂L/∂x);  θ ← Adam ascent step (./adam.ts)
// The objective: a class's logit before the softmax (Σ over positions, as a class dream's), or
// the mean of some channels of a layer, or ½Σa² of a whole layer (the dream's).
// Every random draw (the start and each step's transforms) comes from one mulberry32 stream
// seeded by `seed`, and the kernels give the same bits on any number of threads, so a seed
// gives the same picture bit for bit.

import { OptionError } from "../errors.js";
import type { RgbImage } from "../io/image/image.js";
import type { CaffeNet } from "../models/net.js";
import { mulberry32, randomInt } from "../tensor/random.js";
import { Tensor } from "../tensor/tensor.js";
import { MAX_THREADS, threadCount, threadsFallback, threadsReady, threadsRefusal, withThreads } from "../threads/pool.js";
import { ADAM_DEFAULTS, adamAscend, adamState } from "./adam.js";
import type { DreamProgress } from "./dream.js";
import { createFourierImage, fourierImageBackward, fourierImageForward, fourierImagePicture } from "./fourier-image.js";
import { DEFAULT_MAX_MEMORY, estimateDreamMemory, mb } from "./memory.js";
import { objectiveGradient, type ObjectiveTerm } from "./objective.js";
import { rollPlanes } from "./roll.js";
import { similarityBackward, similarityForward, type Similarity } from "./similarity.js";

/** What `visualize` grows a picture toward, and how: every field but `model` and the objective has a default. */
export interface VisualizeOptions {
  /** The network; `visualize` from the package entry defaults to the bundled GoogLeNet. */
  model: CaffeNet;
  /**
   * Classes to make the picture of (indices of the classifier's outputs, 0–999 for ImageNet):
   * the sum of their logits at the model's classifier layer is maximized. Not with `layer`.
   */
  classes?: readonly number[];
  /** The layer whose features to make visible (with `channels`: only those). Not with `classes`. */
  layer?: string;
  /** Channels of `layer` to maximize the mean of (default: ½Σa² of the whole layer). */
  channels?: readonly number[];
  /** The picture's side in pixels (default 224); at least the side the layer needs. */
  size?: number;
  /** Adam steps (default 128). */
  steps?: number;
  /** Seed of the start and of every step's transforms (default 0). */
  seed?: number;
  /** Adam's learning rate on the Fourier parameters (default 0.05, Lucid's). */
  learningRate?: number;
  /**
   * The memory budget in bytes: a size estimated to need more is refused before starting
   * (default: as for `dream`).
   */
  maxMemory?: number;
  /** Threads to compute with, for this call only (default: the process-wide count); the picture is the same for every count. */
  threads?: number;
  /** After every step: `octave` is always 1 of 1, `iteration` the step. */
  onProgress?: (p: DreamProgress) => void;
  /** Told about adjustments, and why a dead channel was refused. */
  onNote?: (message: string) => void;
  /** Stops the visualization at its next step (it rejects with the signal's reason). */
  signal?: AbortSignal;
}

/** The defaults of `VisualizeOptions`. */
export const VISUALIZE_DEFAULTS = {
  /** The picture's side in pixels. */
  size: 224,
  /** Adam steps. */
  steps: 128,
  /** The seed of the start and of every step's transforms. */
  seed: 0,
  /** Adam's learning rate on the Fourier parameters (Lucid's). */
  learningRate: ADAM_DEFAULTS.learningRate,
} as const;

/** The transforms of the header, Lucid's `standard_transforms`. */
const PAD = 12;
const JITTER_BEFORE = 8;
const JITTER_AFTER = 4;
/** Zooms 0.90, 0.92, …, 1.10. */
const SCALES = Array.from({ length: 11 }, (_, i) => 1 + (i - 5) / 50);
/** Whole degrees −10…10, with 0 five times more often: most steps are not turned. */
const DEGREES = [...Array.from({ length: 21 }, (_, i) => i - 10), 0, 0, 0, 0, 0];

/** Grows a picture from noise that the net sees as `classes`, or that excites `layer` (see the header). */
export async function visualize(options: VisualizeOptions): Promise<RgbImage> {
  const o = checkOptions(options);
  const net = o.model;
  const terms = objectiveTerms(o, net);
  const layer = terms[0]!.layer;
  const minSide = net.minimumInputSize(layer);
  if (o.size < minSide) {
    throw new OptionError(
      `size ${o.size} is too small for "${layer}", which needs pictures of at least ${minSide}×${minSide}; use a size of ${minSide} or more`,
    );
  }
  let threads = o.threads ?? threadCount();
  const fallback = o.threads === undefined ? threadsFallback() : null;
  if (fallback !== null) o.onNote?.(fallback);
  const side = o.size + 2 * PAD; // what the net sees
  const maxMemory = o.maxMemory ?? DEFAULT_MAX_MEMORY;
  const needs = estimateDreamMemory(net, [layer], side, side, { threads }).bytes;
  if (needs > maxMemory) {
    throw new OptionError(
      `visualizing at size ${o.size} would need about ${mb(needs)}, more than the budget of ${mb(maxMemory)}; use a smaller size`,
    );
  }
  try {
    await threadsReady(threads);
  } catch (e) {
    if (o.threads !== undefined) throw e;
    o.onNote?.(`visualizing on 1 thread: ${e instanceof Error ? e.message : String(e)}`);
    threads = 1;
  }

  const rand = mulberry32(o.seed);
  const mean = net.meanBgr;
  const n = o.size;
  const picture = createFourierImage(n, n, rand);
  const adam = adamState(picture.params.length);
  const x = new Float32Array(3 * n * n);
  const padded = new Float32Array(3 * side * side),
    rolled = new Float32Array(padded.length),
    turned = new Float32Array(padded.length);
  const grad = new Float32Array(padded.length),
    dx = new Float64Array(x.length),
    dParams = new Float64Array(picture.params.length);
  for (let c = 0; c < 3; c++) padded.fill(127.5 - mean[c]!, c * side * side, (c + 1) * side * side); // Lucid pads with grey 0.5

  for (let step = 0; step < o.steps; step++) {
    if (o.signal?.aborted) throw o.signal.reason ?? new DOMException("The visualization was aborted", "AbortError");
    const s = fourierImageForward(x, picture, mean);
    const dy1 = randomInt(rand, -JITTER_BEFORE, JITTER_BEFORE),
      dx1 = randomInt(rand, -JITTER_BEFORE, JITTER_BEFORE);
    const t: Similarity = {
      scale: SCALES[randomInt(rand, 0, SCALES.length - 1)]!,
      degrees: DEGREES[randomInt(rand, 0, DEGREES.length - 1)]!,
    };
    const dy2 = randomInt(rand, -JITTER_AFTER, JITTER_AFTER),
      dx2 = randomInt(rand, -JITTER_AFTER, JITTER_AFTER);

    // Forward through the transforms: pad, roll, scale and turn, roll.
    for (let c = 0; c < 3; c++) {
      for (let y = 0; y < n; y++) padded.set(x.subarray((c * n + y) * n, (c * n + y + 1) * n), (c * side + PAD + y) * side + PAD);
    }
    rollPlanes(padded, 3, side, side, dy1, dx1, rolled);
    similarityForward(turned, rolled, 3, side, side, t);
    rollPlanes(turned, 3, side, side, dy2, dx2, rolled);
    const { loss, grad: g } = withThreads(threads, () => objectiveGradient(net, new Tensor(rolled, [1, 3, side, side]), terms));
    // Channels that a ReLU leaves at 0 all over the near-grey start (more than half of
    // inception_3b/output's) give no gradient, and Adam never moves: refused now, not after
    // minutes of a flat grey picture.
    if (step === 0 && g.every((v) => v === 0)) {
      throw new OptionError(
        `${deadObjective(terms[0]!)} is 0 all over the starting picture, so it gives no gradient to grow from; ` +
          `choose other channels or another seed, or a blob before the layer's ReLU (see "inceptionism layers")`,
      );
    }

    // Back through them, each adjoint in turn: a roll's is the opposite roll, the pad's the crop.
    rollPlanes(g as Float32Array, 3, side, side, -dy2, -dx2, turned);
    grad.fill(0);
    similarityBackward(grad, turned, 3, side, side, t);
    rollPlanes(grad, 3, side, side, -dy1, -dx1, turned);
    for (let c = 0; c < 3; c++) {
      for (let y = 0; y < n; y++) {
        for (let i = 0; i < n; i++) dx[(c * n + y) * n + i] = turned[(c * side + PAD + y) * side + PAD + i]!;
      }
    }
    fourierImageBackward(dParams, dx, s, picture);
    adamAscend(picture.params, dParams, adam, { learningRate: o.learningRate });

    o.onProgress?.({ octave: 1, octaves: 1, iteration: step + 1, iterations: o.steps, loss, fraction: (step + 1) / o.steps });
    await new Promise((resolve) => setTimeout(resolve, 0)); // let aborts and progress UIs through
  }
  return fourierImagePicture(fourierImageForward(x, picture, mean), n, n);
}

/** "channel 100 of "inception_3b/output"", "channels 3, 5 of …", or the layer's name. */
function deadObjective(term: ObjectiveTerm): string {
  const channels = term.channels ?? [];
  if (channels.length === 0) return `"${term.layer}"`;
  return `channel${channels.length > 1 ? "s" : ""} ${channels.join(", ")} of "${term.layer}"`;
}

/** A class's logit summed over positions, a layer's channels' mean, or a whole layer's ½Σa². */
function objectiveTerms(o: CheckedOptions, net: CaffeNet): ObjectiveTerm[] {
  if (o.classes !== undefined) {
    if (o.classes.length === 0) throw new OptionError("give at least one class to visualize");
    const layer = net.classifierLayer();
    const side = net.minimumInputSize(layer);
    const count = net.outputShape(layer, [1, net.inputChannels, side, side])[1]!;
    for (const c of o.classes) {
      if (!Number.isInteger(c) || c < 0 || c >= count)
        throw new OptionError(`class ${c} is out of range: "${layer}" scores classes 0–${count - 1}`);
    }
    return [{ layer, objective: "sum", channels: [...new Set(o.classes)] }];
  }
  const layer = o.layer!;
  net.resolve(layer); // an unknown name fails here, with the nearest valid ones
  if (o.channels === undefined) return [{ layer, objective: "l2" }];
  if (o.channels.length === 0) throw new OptionError(`give at least one channel of "${layer}" to visualize`);
  const side = net.minimumInputSize(layer);
  const count = net.outputShape(layer, [1, net.inputChannels, side, side])[1]!;
  for (const c of o.channels) {
    if (!Number.isInteger(c) || c < 0 || c >= count) {
      throw new OptionError(`channel ${c} is out of range for "${layer}", which has channels 0–${count - 1}`);
    }
  }
  return [{ layer, objective: "mean", channels: [...new Set(o.channels)] }];
}

type CheckedOptions = Required<Pick<VisualizeOptions, "size" | "steps" | "seed" | "learningRate">> & VisualizeOptions;

function checkOptions(options: VisualizeOptions): CheckedOptions {
  const o = { ...VISUALIZE_DEFAULTS, ...definedOnly(options) } as CheckedOptions;
  if (o.model === undefined) throw new OptionError("visualize needs a model");
  if (o.classes !== undefined && o.layer !== undefined) throw new OptionError("give classes or a layer to visualize, not both");
  if (o.classes === undefined && o.layer === undefined) throw new OptionError("give classes or a layer to visualize");
  if (o.classes !== undefined && o.channels !== undefined) throw new OptionError("channels belong to a layer; leave them out with classes");
  const integer = (name: string, v: number, min: number): void => {
    if (!Number.isInteger(v) || v < min) throw new OptionError(`${name} must be a whole number ≥ ${min}, got ${v}`);
  };
  integer("size", o.size, 1);
  integer("steps", o.steps, 1);
  if (!Number.isSafeInteger(o.seed)) throw new OptionError(`seed must be a whole number, got ${o.seed}`);
  if (!(o.learningRate > 0) || !Number.isFinite(o.learningRate))
    throw new OptionError(`learning rate must be a positive number, got ${o.learningRate}`);
  if (o.maxMemory !== undefined && !(o.maxMemory > 0))
    throw new OptionError(`maxMemory must be a positive number of bytes, got ${o.maxMemory}`);
  if (o.threads !== undefined) {
    integer("threads", o.threads, 1);
    if (o.threads > MAX_THREADS) throw new OptionError(`threads must be at most ${MAX_THREADS}, got ${o.threads}`);
    const refusal = o.threads > 1 ? threadsRefusal(`threads ${o.threads}`) : null;
    if (refusal !== null) throw new OptionError(refusal);
  }
  return o;
}

/** `options` without its undefined entries, so that they do not hide the defaults. */
function definedOnly<T extends object>(options: T): Partial<T> {
  return Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)) as Partial<T>;
}
