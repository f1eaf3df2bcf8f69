// Dreaming a clip so that the dream moves with the picture instead of flickering.
//
// Dreaming each frame on its own gives a new pattern every frame: the dream is chaotic, and a
// pixel's change between two inputs grows into a different picture. DeepDreamAnim's recipe
// (samim23/DeepDreamAnim, its `--flow` mode) carries the previous frame's dream over:
//
//   detail_{k−1} = dream_{k−1} − input_{k−1}                 what the dream added to frame k−1
//   start_k      = input_k + blend · warp(detail_{k−1}, flow_{k−1→k})
//   dream_k      = dream(start_k)                            with `iterationsAfter` steps
//
// where warp moves each pixel of the detail along the optical flow between the two *inputs*
// (the dream itself has no motion to measure): pixel p of frame k takes the detail found at
// p + d(p) in frame k−1, d the backward flow (./flow.ts), sampled bilinearly (./warp.ts). Pixels
// with no trustworthy source — out of the frame, or hidden in frame k−1, which the forward flow
// fails to lead back from — take no detail: they start from the new frame alone. Without flow
// (`flow: false`) the detail stays where it was, which suits a still camera and costs nothing.
//
// Re-dreaming every frame in full on top of the carried detail piles the detail up (each frame
// amplifies what the last one added; DeepDreamAnim#11 reports the brightening), so later frames
// usually want far fewer steps: `iterationsAfter`.
//
// Reproducible: frame k dreams with a seed derived from `seed` and k, and each dreamed frame is
// rounded to 8-bit values before it is carried on or yielded — exactly what a file keeps — so a
// clip continued from its written frames (`resume`) is the same, byte for byte, as one dreamed
// in a single run.
//
// Core module: no `node:*`; it takes and yields RgbImages, so it runs in a browser too.

import type { DreamOptions, DreamProgress } from "../dream/dream.js";
import { dream, DREAM_DEFAULTS } from "../dream/dream.js";
import { OptionError } from "../errors.js";
import type { RgbImage } from "../io/image/image.js";
import { opticalFlow } from "./flow.js";
import { warpBackward } from "./warp.js";

/** Where a clip's dream is: frame `frame` of `frames`, and that frame's own progress. */
export interface VideoProgress {
  /** 1-based index of the frame being dreamed, counted from the clip's first frame. */
  frame: number;
  /** Frames in the clip, when known (`DreamVideoOptions.frames`). */
  frames: number | undefined;
  /** The progress of this frame's dream. */
  dream: DreamProgress;
  /** The share of this call's work done, 0–1, when `frames` is known: frames weighed by their steps. */
  fraction: number | undefined;
  /** Seconds this call has run. */
  elapsed: number;
  /** The seconds left, foretold from `elapsed` (when `frames` is known). */
  eta: number | undefined;
}

/** The last finished frame of a clip: its input and its dream, as written (8-bit values). */
export interface VideoFrame {
  /** 0-based index of the frame in the clip. */
  index: number;
  /** The frame as it came in. */
  input: RgbImage;
  /** Its dream, as written. */
  dream: RgbImage;
}

/** A dream's options, and how each frame carries over the one before it. */
export interface DreamVideoOptions extends Omit<DreamOptions, "onProgress"> {
  /** How much of the previous frame's dream detail each frame starts with, 0–1 (default 0.5). */
  blend?: number;
  /** Move the carried detail along the optical flow between the inputs (default true). */
  flow?: boolean;
  /** Gradient steps per octave for the frames after the first (default: `iterations`). */
  iterationsAfter?: number;
  /** The number of frames in the clip, for progress (frame k of n, fraction and ETA). */
  frames?: number;
  /**
   * Continue a clip after this finished frame: `frames` then yields frame `index + 1` on, its
   * first frame carrying this one's detail, seeded as in a single run.
   */
  resume?: VideoFrame;
  /** After every step of every frame: the frame, and that frame's dream progress. */
  onProgress?: (p: VideoProgress) => void;
}

/** The options of the package's `dreamVideo()`: the core's, with `model` optional (the bundled GoogLeNet). */
export type PackageVideoOptions = Omit<DreamVideoOptions, "model"> & {
  /** The network (default: the bundled GoogLeNet). */
  model?: DreamOptions["model"];
};

/** The defaults of `DreamVideoOptions`. */
export const VIDEO_DEFAULTS = {
  /** Half of the previous frame's dream detail carried into the next frame. */
  blend: 0.5,
  /** The carried detail moves along the optical flow. */
  flow: true,
} as const;

/**
 * Dreams a clip frame by frame, each frame starting from the previous one's dream detail moved
 * along the optical flow (see the header), and yields each dreamed frame as soon as it is done.
 * The first frame is dreamed as `dream` dreams a picture with the same options; the result is
 * the same, byte for byte, for the same frames and seed. Frames are pulled from `frames` one at a
 * time, so a long clip never has to be in memory.
 *
 * ```ts
 * for await (const frame of dreamVideo(frames, { model, blend: 0.5, iterationsAfter: 2 })) show(frame);
 * ```
 */
export async function* dreamVideo(
  frames: AsyncIterable<RgbImage> | Iterable<RgbImage>,
  options: DreamVideoOptions,
): AsyncGenerator<RgbImage, void, undefined> {
  const { blend, flow, iterationsAfter, frames: count, resume, onProgress, ...dreamOptions } = checkVideoOptions(options);
  let previous: VideoFrame | null = resume ?? null;
  const clock = clipClock(
    { iterations: dreamOptions.iterations, iterationsAfter, frames: count },
    previous === null ? 0 : previous.index + 1,
  );
  for await (const input of frames) {
    dreamOptions.signal?.throwIfAborted();
    const index = previous === null ? 0 : previous.index + 1;
    const start = previous === null ? input : frameStart(input, previous, blend, flow);
    const dreamed = await dream(start, {
      ...dreamOptions,
      ...frameOverrides({ seed: dreamOptions.seed, iterationsAfter }, index),
      onProgress: onProgress === undefined ? undefined : (p) => onProgress(clock(index, p)),
    });
    const written = roundToBytes(dreamed);
    previous = { index, input, dream: written };
    yield written;
  }
}

/** What frame `index` (0-based) changes in the dream's options: its seed, and after the first its steps. */
export function frameOverrides(o: { seed?: number; iterationsAfter?: number }, index: number): { seed: number; iterations?: number } {
  const seed = frameSeed(o.seed ?? 0, index);
  return index > 0 && o.iterationsAfter !== undefined ? { seed, iterations: o.iterationsAfter } : { seed };
}

/**
 * Frame k's seed: the clip's seed itself for the first frame (so it is dreamed as `dream`
 * would), then a different, fixed one per frame, so that the jitter of one frame does not
 * repeat in the next.
 */
export function frameSeed(seed: number, index: number): number {
  if (index === 0) return seed;
  // A murmur3-style finalizer of (seed, index): nearby indices give unrelated seeds.
  let h = (Math.imul(index, 0x9e3779b9) ^ (seed >>> 0) ^ Math.floor(seed / 2 ** 32)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/**
 * Where frame `input` starts: input + blend · (previous dream − previous input), the detail
 * moved along the optical flow from the previous input to this one when `flow` is set (pixels
 * the flow finds no source for start from the input alone); clamped to 0–255.
 */
export function frameStart(input: RgbImage, previous: VideoFrame, blend: number, flow: boolean): RgbImage {
  const { width: w, height: h } = input;
  for (const [what, img] of [
    ["input", previous.input],
    ["dream", previous.dream],
  ] as const) {
    if (img.width !== w || img.height !== h) {
      throw new OptionError(
        `frame ${previous.index + 2} is ${w}×${h} but the previous frame's ${what} is ${img.width}×${img.height}; every frame of a clip must have one size`,
      );
    }
  }
  const P = w * h;
  const detail = new Float32Array(3 * P); // 3×H×W planes, as the warp takes them
  for (let p = 0; p < P; p++) {
    for (let c = 0; c < 3; c++) detail[c * P + p] = previous.dream.data[3 * p + c]! - previous.input.data[3 * p + c]!;
  }
  let valid: Uint8Array | null = null;
  let moved: Float32Array = detail;
  if (flow) {
    const backward = opticalFlow(previous.input, input);
    const forward = opticalFlow(input, previous.input); // for the occlusion check: it must lead back
    ({ warped: moved, valid } = warpBackward(detail, 3, backward, { forward }));
  }
  const data = new Float32Array(3 * P);
  for (let p = 0; p < P; p++) {
    const keep = valid === null || valid[p] === 1 ? blend : 0;
    for (let c = 0; c < 3; c++) data[3 * p + c] = Math.min(255, Math.max(0, input.data[3 * p + c]! + keep * moved[c * P + p]!));
  }
  return { width: w, height: h, data };
}

/** The image with every value rounded and clamped to 0–255, as an 8-bit file keeps it. */
export function roundToBytes(img: RgbImage): RgbImage {
  const data = new Float32Array(img.data.length);
  for (let i = 0; i < data.length; i++) {
    const v = img.data[i]!;
    data[i] = v <= 0 ? 0 : v >= 255 ? 255 : Math.round(v); // NaN → 0, as `quantize`
  }
  return { width: img.width, height: img.height, data };
}

/**
 * The clip's progress from a frame's: the first frame weighs `iterations`, each later one
 * `iterationsAfter`, and the time left is foretold from the time spent on the work done.
 */
export function clipClock(
  o: { iterations?: number; iterationsAfter?: number; frames?: number },
  first: number,
  now: () => number = () => performance.now(),
): (index: number, p: DreamProgress) => VideoProgress {
  const started = now();
  const firstWork = o.iterations ?? DREAM_DEFAULTS.iterations;
  const laterWork = o.iterationsAfter ?? firstWork;
  const workBefore = (index: number): number => (index <= 0 ? 0 : firstWork + (index - 1) * laterWork);
  const total = o.frames === undefined ? undefined : workBefore(o.frames) - workBefore(first);
  return (index, p) => {
    const elapsed = (now() - started) / 1000;
    const done = workBefore(index) - workBefore(first) + p.fraction * (index === 0 ? firstWork : laterWork);
    const fraction = total === undefined || total <= 0 ? undefined : Math.min(1, done / total);
    const eta = fraction === undefined || fraction <= 0 ? undefined : (elapsed / fraction) * (1 - fraction);
    return { frame: index + 1, frames: o.frames, dream: p, fraction, elapsed, eta };
  };
}

type CheckedVideoOptions = DreamVideoOptions & { blend: number; flow: boolean };

function checkVideoOptions(options: DreamVideoOptions): CheckedVideoOptions {
  const o = { ...VIDEO_DEFAULTS, ...options };
  if (!(o.blend >= 0 && o.blend <= 1)) throw new OptionError(`blend must be a number from 0 to 1, got ${o.blend}`);
  if (o.iterationsAfter !== undefined && !(Number.isInteger(o.iterationsAfter) && o.iterationsAfter >= 1)) {
    throw new OptionError(`iterationsAfter must be a whole number ≥ 1, got ${o.iterationsAfter}`);
  }
  if (o.frames !== undefined && !(Number.isInteger(o.frames) && o.frames >= 1)) {
    throw new OptionError(`frames must be a whole number ≥ 1, got ${o.frames}`);
  }
  if (o.resume !== undefined && !(Number.isInteger(o.resume.index) && o.resume.index >= 0)) {
    throw new OptionError(`resume.index must be a whole number ≥ 0, got ${o.resume.index}`);
  }
  return o;
}
