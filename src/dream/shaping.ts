// Gradient shaping: what a dream may do to the objective's gradient between the net's backward
// pass and the step (./dream.ts), each piece off unless asked for. In this order:
//   1. regularizers (./regularizers.ts), subtracted from the objective:
//        L = L_net − tv · TV(x) − pixelL2 · P(x),   g = ∂L_net/∂x − tv · ∂TV/∂x − pixelL2 · ∂P/∂x
//      and the loss the dream reports includes them;
//   2. Laplacian-pyramid normalization of g (./laplacian.ts), the TF notebook's lap_normalize;
//   3. Gaussian smoothing of g (./smooth.ts), pytorch-deepdream's cascade, its σ growing over
//      the octave's steps.
// Smoothing comes after the normalization, not before: the normalization would scale the fine
// bands that smoothing damped back up to the energy of the others. The step then divides by
// mean|g| as always, so what shaping sets is the direction, not the length.
//
// The net's gradient arrives in the frame of the rolled picture (the roll's jitter). Shaping is
// done in the picture's own frame, as the notebook applies lap_normalize to the rolled-back
// gradient: the filters' borders then lie on the picture's borders rather than on the seam the
// roll made inside it, and the priors see the picture's true neighbours. The gradient is
// assembled whole first (tiles included), so tiling does not change what shaping sees.

import { OptionError } from "../errors.js";
import { laplacianNormalize, MAX_LAPLACIAN_LEVELS } from "./laplacian.js";
import { pixelL2, pixelL2Backward, squaredTotalVariation, squaredTotalVariationBackward } from "./regularizers.js";
import { rollPlanes } from "./roll.js";
import { cascadeSigma, MAX_SMOOTH, smoothCascade } from "./smooth.js";

/**
 * Full-size Float32 copies of the picture shaping holds at a step's peak, beyond the dream's own
 * (for ./memory.ts): the rolled-back gradient, and the smoothing's sum and Float64 plane (or the
 * pyramid's bands, a third of a copy, and its scratch), and the garbage V8 has not yet collected.
 * Measured (1600×1200 in tiles of 256, one thread, smooth + laplacian + tv, 2 steps): peak RSS
 * 736 MB, where the plain estimate is 669 MB and 3 copies make 738 MB; 4 leave a margin.
 */
export const SHAPING_COPIES = 4;

/** The gradient-shaping options of a dream (all off by default). */
export interface ShapingOptions {
  /**
   * Laplacian-pyramid normalization of the gradient with this many levels, 1–8 (the TensorFlow
   * notebook's `lap_normalize`, which uses 4): each octave band of the gradient is scaled to the
   * same energy, so larger, smoother forms grow instead of fine texture.
   */
  laplacian?: number;
  /**
   * Gaussian smoothing of the gradient, pytorch-deepdream's cascade: the mean of blurs of ½σ, σ
   * and 2σ pixels, with σ = smooth + 2·(step + 1)/iterations growing over each octave
   * (pytorch-deepdream's default is 0.5). Positive, at most 20.
   */
  smooth?: number;
  /**
   * Weight of the squared total variation ½Σ(dx² + dy²) (pixels 0–255), subtracted from the
   * objective: larger values give smoother pictures. Its scale is the objective's; with the
   * defaults (½Σa² at inception_4c) 1 kept flowers.jpg's dream about as smooth as the photo
   * itself, and 10 blurred it. 0 is off.
   */
  tv?: number;
  /**
   * Weight of ½Σ(pixel − 127.5)², the picture's squared distance from mid-grey, subtracted from
   * the objective: keeps the colours from running to the extremes. (Not the "l2" objective,
   * which is ½Σa² of the layer.) With the defaults, 0.1 is mild and 1 already greys the
   * picture (flowers.jpg: RMS distance from grey 63 → 60 and 43). 0 is off.
   */
  pixelL2?: number;
}

/** The checked options of one dream, with what the shaping needs of the dream. */
export interface GradientShaping extends ShapingOptions {
  /** Steps per octave, for the smoothing's σ schedule. */
  iterations: number;
  /** Mid-grey in the net's input (BGR minus the mean pixel), per plane: 127.5 − mean. */
  centre: readonly number[];
}

/**
 * The dream's shaping, checked (bad values are OptionErrors naming the fix), or undefined when
 * none is asked for — then the dream is exactly the one without shaping.
 */
export function gradientShaping(o: ShapingOptions, iterations: number, meanBgr: readonly number[]): GradientShaping | undefined {
  const { laplacian, smooth, tv, pixelL2: l2 } = o;
  if (
    laplacian !== undefined &&
    !(typeof laplacian === "number" && Number.isInteger(laplacian) && laplacian >= 1 && laplacian <= MAX_LAPLACIAN_LEVELS)
  ) {
    throw new OptionError(
      `laplacian must be a whole number of levels from 1 to ${MAX_LAPLACIAN_LEVELS} (the notebook uses 4), got ${show(laplacian)}`,
    );
  }
  if (smooth !== undefined && !(typeof smooth === "number" && smooth > 0 && smooth <= MAX_SMOOTH)) {
    throw new OptionError(
      `smooth must be a positive number of pixels up to ${MAX_SMOOTH} (pytorch-deepdream uses 0.5), got ${show(smooth)}`,
    );
  }
  for (const [name, weight] of [
    ["tv", tv],
    ["pixelL2", l2],
  ] as const) {
    if (weight !== undefined && !(typeof weight === "number" && weight >= 0 && Number.isFinite(weight))) {
      throw new OptionError(`${name} must be a weight of 0 or more, got ${show(weight)}`);
    }
  }
  const shaping: GradientShaping = { iterations, centre: meanBgr.map((m) => 127.5 - m) };
  if (laplacian !== undefined) shaping.laplacian = laplacian;
  if (smooth !== undefined) shaping.smooth = smooth;
  if (tv !== undefined && tv > 0) shaping.tv = tv;
  if (l2 !== undefined && l2 > 0) shaping.pixelL2 = l2;
  const on = shaping.laplacian !== undefined || shaping.smooth !== undefined || shaping.tv !== undefined || shaping.pixelL2 !== undefined;
  return on ? shaping : undefined;
}

const show = (v: unknown): string => (typeof v === "string" ? JSON.stringify(v) : String(v));

/**
 * Shapes `grad` (3×h×w, the net's gradient at the picture `x` rolled by (dy, dx)) in place, for
 * step `iteration` (0-based) of the octave. Returns what the regularizers add to the objective
 * (≤ 0).
 */
export function shapeGradient(
  grad: Float32Array,
  x: Float32Array,
  h: number,
  w: number,
  dy: number,
  dx: number,
  iteration: number,
  s: GradientShaping,
): number {
  const g = rollPlanes(grad, 3, h, w, -dy, -dx, new Float32Array(grad.length)); // into the picture's frame
  let loss = 0;
  if (s.tv !== undefined) {
    loss -= s.tv * squaredTotalVariation(x, 3, h, w);
    squaredTotalVariationBackward(g, x, 3, h, w, -s.tv);
  }
  if (s.pixelL2 !== undefined) {
    loss -= s.pixelL2 * pixelL2(x, 3, h * w, s.centre);
    pixelL2Backward(g, x, 3, h * w, s.centre, -s.pixelL2);
  }
  if (s.laplacian !== undefined) laplacianNormalize(g, 3, h, w, s.laplacian);
  if (s.smooth !== undefined) smoothCascade(g, 3, h, w, cascadeSigma(s.smooth, iteration, s.iterations));
  rollPlanes(g, 3, h, w, dy, dx, grad); // back where the step is taken
  return loss;
}
