// What the net must know about one Caffe layer type, as one record: how many blobs it reads and
// writes, how its weights are laid out, what it does to channel counts and shapes, how much
// scratch its kernel needs, and how to run it. The net (../net.ts) knows none of this itself: it
// asks the type's rule (../layer-table.ts), so a new layer type is one new rule.
//
// Two kinds of checks run in two places. At load, a rule sees only the file: the weights and the
// channel counts, which do not depend on the picture, so a broken file is refused before anything
// runs. When a size is asked for, it sees shapes, which depend on the picture: a picture too
// small, or one the layer was not made for, is the caller's choice, said then.

import { ModelError } from "../../errors.js";
import { Tensor, formatShape, normalizeAxis } from "../../tensor/tensor.js";
import type { LayerDef } from "../../io/caffe/net-def.js";

/** What is known of a blob value's channels at load time: axis 1, and whether the blob is 2-D [N, count]. */
export interface Channels {
  count: number;
  flat: boolean;
}

/** How many bottoms or tops a type takes; the words go into the error message as they are. */
export type Count = "exactly 1" | "exactly 2" | "at least 1";

export interface LayerRule {
  bottoms: Count;
  tops: Count;
  /**
   * The layer's blobs as tensors in the shapes our ops take, checked against its parameters so
   * that a file whose weights disagree with its layers fails at load, naming the layer.
   */
  weights(layer: LayerDef): Tensor[];
  /**
   * The channels of every top, from those reaching the bottoms (null where unknown): one value
   * for all tops, or an array with one per top (a Slice on the channels gives each its own);
   * throws when the weights disagree with them (a broken file).
   */
  channels(
    layer: LayerDef,
    inputs: readonly (Channels | null)[],
    weights: readonly Tensor[],
  ): Channels | null | readonly (Channels | null)[];
  /**
   * Run once the whole net is loaded, with the shape of the layer's input at the net's declared
   * input size (undefined when unknown) and its input's channels: the weights the layer keeps.
   * Only an InnerProduct has it, to become a convolution that runs on larger pictures.
   */
  atDeclaredSize?(layer: LayerDef, weights: readonly Tensor[], x: readonly number[] | undefined, channels: Channels | null): Tensor[];
  /** Output shapes from input shapes; throws when the input does not suit the layer. */
  shapes(layer: LayerDef, inputs: readonly (readonly number[])[], weights: readonly Tensor[]): number[][];
  /** Scratch values the layer's kernel needs for these output (and input) shapes; none when absent. */
  scratch?(weights: readonly Tensor[], outputs: readonly (readonly number[])[], inputs: readonly (readonly number[])[]): number;
  /** Values the layer's kernel keeps from pass to pass beside the weights (Winograd's transformed weights); none when absent. */
  kept?(layer: LayerDef, weights: readonly Tensor[]): number;
  /**
   * True when every top is the bottom's tensor itself (Split, and Dropout at test time), or a
   * view of its values under another shape (Flatten, Reshape): it costs no memory, and shows
   * nothing its input does not.
   */
  sharesInput?: boolean;
  /** True when `forward` can apply a ReLU itself (`reluAfter`): the net fuses the next ReLU into it. */
  fusesRelu?: boolean;
  /** For a layer that can be fused into the one before it: the slope it applies, or null when it cannot be. */
  fusedSlope?(layer: LayerDef): number | null;
  /**
   * Runs the layer on the tape. `weights` are the layer's blobs in the input's dtype.
   * `reluAfter`, given only when the rule `fusesRelu`, is the negative slope of a ReLU that the
   * net has fused into it (../net.ts, `fusedRelus`).
   */
  forward(layer: LayerDef, inputs: readonly Tensor[], weights: readonly Tensor[], reluAfter?: number): Tensor[];
}

/** Throws a ModelError if the layer's bottoms and tops are not as many as its rule takes. */
export function checkArity(def: LayerDef, rule: LayerRule): void {
  const [bottoms, tops] = [def.bottoms.length, def.tops.length];
  const fits = (count: Count, n: number): boolean => (count === "at least 1" ? n >= 1 : n === (count === "exactly 2" ? 2 : 1));
  if (!fits(rule.bottoms, bottoms) || !fits(rule.tops, tops)) {
    throw new ModelError(
      `layer "${def.name}" (${def.type}) has ${bottoms} bottom(s) and ${tops} top(s); it needs ${rule.bottoms} bottom${rule.bottoms === "exactly 2" ? "s" : ""} and ${rule.tops} top`,
    );
  }
}

/** Throws the ModelError of a broken file: `layer "name" (Type): what`. */
export function fail(layer: LayerDef, what: string): never {
  throw new ModelError(`layer "${layer.name}" (${layer.type}): ${what}`);
}

/** Blob `k` of the layer as a tensor of `shape`, which must hold exactly its values. */
export function blobTensor(layer: LayerDef, k: number, shape: number[]): Tensor {
  const b = layer.blobs[k];
  if (b === undefined) return fail(layer, `blob ${k} is missing`);
  const need = shape.reduce((a, d) => a * d, 1);
  if (b.data.length !== need) {
    fail(layer, `blob ${k} has ${b.data.length} values (dims ${formatShape(b.shape)}) but the layer needs ${formatShape(shape)}`);
  }
  return new Tensor(b.data, shape);
}

/** The rule parts of a layer without weights whose tops have its first input's shape and channels. */
export const noWeights: LayerRule["weights"] = () => [];
export const sameChannels: LayerRule["channels"] = (_layer, [x]) => x ?? null;
export const sameShape: LayerRule["shapes"] = (_layer, inputs) => [[...inputs[0]!]];

/** The layer's parameters of one kind, which its type requires. */
export function param<K extends keyof LayerDef>(layer: LayerDef, key: K): NonNullable<LayerDef[K]> {
  const p = layer[key];
  if (p === undefined || p === null) throw new ModelError(`layer "${layer.name}" (${layer.type}) has no ${String(key)} parameters`);
  return p as NonNullable<LayerDef[K]>;
}

/**
 * A layer's axis on a blob of `shape`, by Caffe's convention (../../tensor/tensor.ts's
 * `normalizeAxis`); out of range, it is the file's fault: a ModelError naming the layer.
 */
export function layerAxis(axis: number, shape: readonly number[], layer: LayerDef): number {
  try {
    return normalizeAxis(axis, shape, layer.type);
  } catch {
    throw new ModelError(`layer "${layer.name}": axis ${axis} is out of range for a ${shape.length}-D blob`);
  }
}
