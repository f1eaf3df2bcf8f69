// What a dream maximizes, and its gradient with respect to the input image.
//
// DeepDream is gradient *ascent* on the input: pick an activation a = f(x) deep in the net and
// push x in the direction that increases a score of a. The scores here, with dL/da:
//   l2     L = ½ Σ a²              dL/da = a      (the original notebook: "set the top diff to
//                                                  the data" — whatever the layer sees, amplify)
//   mean   L = (1/n) Σ a           dL/da = 1/n
//   sum    L = Σ a                 dL/da = 1      (a class dream: the class's logit, summed over
//                                                  the positions of a fully convolutional
//                                                  classifier; at the net's own size, the logit)
//   guide  L = Σ_p ⟨a_p, g_m(p)⟩   dL/da_p = g_m(p), where a_p is the C-vector of features at
//          position p and g_m(p) the guide feature (from a guide image at the same layer) with
//          the largest dot product with a_p: each place is pulled toward what it most resembles.
// `channels` restricts a score to some feature maps; several layers add their weighted scores.
// Backpropagating dL/da through the net (the tape) gives dL/dx.

import { backward } from "../autograd/tape.js";
import { OptionError } from "../errors.js";
import { BufferPool, withRecycling } from "../tensor/buffers.js";
import { Tensor, allocLike, copyOf, type Floats } from "../tensor/tensor.js";
import type { CaffeNet } from "../models/net.js";

/** How a layer is scored: "l2" = ½Σa² (the notebook's), "mean" = Σa/n, "sum" = Σa. */
export type ObjectiveKind = "l2" | "mean" | "sum";

/** One term of the objective: a named layer (blob), its weight and how it is scored. */
export interface ObjectiveTerm {
  /** The layer's (or its top blob's) name. */
  layer: string;
  /** Multiplies this term's score (default 1). */
  weight?: number;
  /** "l2" (default), "mean" or "sum"; ignored when `guide` is given. */
  objective?: ObjectiveKind;
  /** Score only these channels of the layer. */
  channels?: readonly number[];
  /** Guide features at this layer, [C, P] (channels × positions), from `guideFeatures()`. */
  guide?: Tensor;
}

/** The objective's value at an input and its gradient there. */
export interface InputGradient {
  /** The objective's value at x. */
  loss: number;
  /** dL/dx, the input's shape and dtype. */
  grad: Floats;
}

/**
 * The objective at `x` ([1, C, H, W], BGR minus mean) and its gradient with respect to `x`.
 * The weights get no gradients: only the input is differentiated.
 */
export function objectiveGradient(net: CaffeNet, x: Tensor, terms: readonly ObjectiveTerm[]): InputGradient {
  if (terms.length === 0) throw new OptionError("the objective needs at least one layer");
  // A dream calls this with the same shapes step after step: every activation and gradient
  // array is recycled from the previous call (../tensor/buffers.ts), and only the gradient,
  // copied out, escapes.
  return withRecycling(poolFor(net), () => {
    const input = new Tensor(copyOf(x.data), x.shape, true); // in shared memory when threads are on
    const outputs = net.forward(
      input,
      terms.map((t) => t.layer),
    );
    let loss = 0;
    const seeds = outputs.map((a, k) => {
      const { value, seed } = scoreTerm(a, terms[k]!);
      loss += value;
      return seed;
    });
    backward(outputs, seeds);
    return { loss, grad: (input.grad ?? input.data.fill(0)).slice() }; // slice(): a fresh, unshared copy
  });
}

const pools = new WeakMap<CaffeNet, BufferPool>();

function poolFor(net: CaffeNet): BufferPool {
  let pool = pools.get(net);
  if (pool === undefined) {
    pool = new BufferPool();
    pools.set(net, pool);
  }
  return pool;
}

/**
 * `inputGradient(net, x, { layer, objective })`: the DeepDream gradient for one layer, with
 * "l2" = ½ Σ a² (the original objective), "mean" = mean of a, or "sum" = Σ a.
 */
export function inputGradient(
  net: CaffeNet,
  x: Tensor,
  { layer, objective = "l2" }: { layer: string; objective?: ObjectiveKind },
): InputGradient {
  return objectiveGradient(net, x, [{ layer, objective }]);
}

/** The value of `objectiveGradient` without the gradient (no tape): for measuring dreams. */
export function objectiveValue(net: CaffeNet, x: Tensor, terms: readonly ObjectiveTerm[]): number {
  const outputs = net.forward(
    new Tensor(x.data, x.shape),
    terms.map((t) => t.layer),
  );
  return outputs.reduce((sum, a, k) => sum + scoreTerm(a, terms[k]!).value, 0);
}

/**
 * The features of `guideInput` ([1, C, H, W]) at `layer` as a [C, P] matrix of P guide vectors,
 * for the "guide" objective.
 */
export function guideFeatures(net: CaffeNet, guideInput: Tensor, layer: string): Tensor {
  const [a] = net.forward(new Tensor(guideInput.data, guideInput.shape), [layer]);
  const c = a!.shape[1]!;
  return new Tensor(a!.data.slice(), [c, a!.size / c]); // P = H·W positions, or 1 for [1, C]
}

/**
 * The score of one activation and dL/da, weight included. Axis 1 is the channels (the classes of
 * a classifier) whatever the rank: [N, C] at a classifier, [N, C, H, W] at a convolution, with
 * `plane` values per channel (1 for [N, C]).
 */
function scoreTerm(a: Tensor, term: ObjectiveTerm): { value: number; seed: Floats } {
  const [n, c] = a.shape as [number, number];
  if (a.shape.length < 2) throw new OptionError(`"${term.layer}" is a ${a.shape.length}-D blob; a score needs [N, C, …]`);
  const plane = n * c === 0 ? 0 : a.size / (n * c);
  const weight = term.weight ?? 1;
  const channels = term.channels ?? null;
  if (channels !== null) {
    for (const ch of channels) {
      if (!Number.isInteger(ch) || ch < 0 || ch >= c) {
        throw new OptionError(`channel ${ch} is out of range for "${term.layer}", which has channels 0–${c - 1}`);
      }
    }
  }
  const selected = channels === null ? null : new Set(channels);
  const seed = allocLike(a.data);
  let value = 0;

  if (term.guide !== undefined) {
    value = scoreGuide(a.data, seed, n, c, plane, term.guide, selected, term.layer);
  } else if ((term.objective ?? "l2") === "l2") {
    for (let b = 0; b < n; b++) {
      for (let ch = 0; ch < c; ch++) {
        if (selected !== null && !selected.has(ch)) continue;
        const off = (b * c + ch) * plane;
        for (let i = off; i < off + plane; i++) {
          const v = a.data[i]!;
          value += 0.5 * v * v;
          seed[i] = v;
        }
      }
    }
  } else {
    // "mean" and "sum": the same sum, divided by the number of values for "mean".
    const count = term.objective === "sum" ? 1 : n * (selected === null ? c : selected.size) * plane;
    for (let b = 0; b < n; b++) {
      for (let ch = 0; ch < c; ch++) {
        if (selected !== null && !selected.has(ch)) continue;
        const off = (b * c + ch) * plane;
        for (let i = off; i < off + plane; i++) {
          value += a.data[i]! / count;
          seed[i] = 1 / count;
        }
      }
    }
  }
  if (weight !== 1) for (let i = 0; i < seed.length; i++) seed[i]! *= weight;
  return { value: weight * value, seed };
}

/** Guided score: each position matched to its best guide vector by dot product. */
function scoreGuide(
  a: Floats,
  seed: Floats,
  n: number,
  c: number,
  plane: number,
  guide: Tensor,
  selected: Set<number> | null,
  layer: string,
): number {
  const [gc, gp] = guide.shape as [number, number];
  if (gc !== c) throw new OptionError(`the guide features have ${gc} channels but "${layer}" has ${c}`);
  const g = guide.data;
  const chans = selected === null ? Array.from({ length: c }, (_, ch) => ch) : [...selected];
  let value = 0;
  for (let b = 0; b < n; b++) {
    const base = b * c * plane;
    for (let p = 0; p < plane; p++) {
      let best = 0,
        bestDot = -Infinity;
      for (let j = 0; j < gp; j++) {
        let dot = 0;
        for (const ch of chans) dot += a[base + ch * plane + p]! * g[ch * gp + j]!;
        if (dot > bestDot) {
          bestDot = dot;
          best = j;
        }
      }
      value += bestDot;
      for (const ch of chans) seed[base + ch * plane + p] = g[ch * gp + best]!;
    }
  }
  return value;
}
