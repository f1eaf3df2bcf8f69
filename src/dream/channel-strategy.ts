// Channels chosen by the picture: the N strongest or weakest at a layer (neural-dream's
// -channel_mode strong / weak).
//
// A layer's channels are feature detectors; on a given photo some respond a lot and most
// hardly at all. Dreaming on the strongest amplifies what the net already sees there; on the
// weakest, what it barely sees. A channel's strength is its mean activation over the picture:
//
//   mean_c = (1 / (N·H·W)) Σ_{n,y,x} a[n, c, y, x]        (for a [N, C] blob, the mean over N)
//
// ranked largest first for { strongest: N }, smallest first for { weakest: N }; ties go to the
// lower channel index, so the choice is reproducible.
//
// Which picture: the first octave of the dream — the photo at the smallest scale, before any
// step — in one forward pass without the tape, and once per dream (neural-dream's default
// "capture once"). Why not the full-size photo: the first octave costs a fraction of the
// pixels (1/7.7 with 4 octaves of 1.4), it is the picture the dream starts from, and a pass
// without the tape keeps only its working set, so it fits wherever the dream's own steps do.
// When the dream is tiled and the first octave is larger than a tile, it is first shrunk to fit
// one tile (antialiased, never below the layer's smallest input): a channel's mean changes
// little with scale, a memory budget's overrun would not.
//
// The picks are told to onNote, per layer, and then the dream proceeds as with those channels
// given by number: the same picture, bit for bit.
//
// Core module: no `node:*` imports.

import { OptionError } from "../errors.js";
import { resizePlanes } from "../io/image/resize.js";
import type { CaffeNet } from "../models/net.js";
import { Tensor } from "../tensor/tensor.js";
import type { ObjectiveTerm } from "./objective.js";

/** Channels chosen per picture: the N with the largest, or the smallest, mean activation at the layer. */
export type ChannelStrategy =
  | {
      /** Dream on the N channels with the largest mean activation. */
      strongest: number;
    }
  | {
      /** Dream on the N channels with the smallest mean activation. */
      weakest: number;
    };

/** `channels` as the dream takes them: numbers, or a strategy. */
export type ChannelChoice = readonly number[] | ChannelStrategy;

/** Whether `channels` is a strategy rather than a list of numbers. */
export function isChannelStrategy(channels: ChannelChoice | undefined): channels is ChannelStrategy {
  return channels !== undefined && !Array.isArray(channels);
}

/** The strategy's direction and count, checked: exactly one of the two keys, a whole number ≥ 1. */
export function checkChannelStrategy(s: ChannelStrategy): { strongest: boolean; count: number } {
  const keys = typeof s === "object" && s !== null ? Object.keys(s) : null;
  if (keys === null || keys.length !== 1 || (keys[0] !== "strongest" && keys[0] !== "weakest")) {
    const got = keys === null ? JSON.stringify(s) : `{ ${keys.join(", ")} }`;
    throw new OptionError(`channels must be a list of channel numbers, { strongest: N } or { weakest: N }; got ${got}`);
  }
  const strongest = keys[0] === "strongest";
  const count = strongest ? (s as { strongest: number }).strongest : (s as { weakest: number }).weakest;
  if (!Number.isInteger(count) || count < 1) throw new OptionError(`channels ${keys[0]} must be a whole number ≥ 1, got ${count}`);
  return { strongest, count };
}

/** The mean activation of each channel of `a` ([N, C, …]), Float64. */
export function channelMeans(a: Tensor): Float64Array {
  const [n, c] = a.shape as [number, number];
  const plane = a.size / (n * c);
  const means = new Float64Array(c);
  for (let b = 0; b < n; b++) {
    for (let ch = 0; ch < c; ch++) {
      const off = (b * c + ch) * plane;
      let s = 0;
      for (let i = off; i < off + plane; i++) s += a.data[i]!;
      means[ch]! += s;
    }
  }
  for (let ch = 0; ch < c; ch++) means[ch]! /= n * plane;
  return means;
}

/** The `count` channels with the largest (or smallest) mean, ties to the lower index; in that order. */
export function rankChannels(means: Float64Array, count: number, strongest: boolean): number[] {
  const order = Array.from(means.keys());
  order.sort((i, j) => (strongest ? means[j]! - means[i]! : means[i]! - means[j]!) || i - j);
  return order.slice(0, count);
}

/**
 * Sets each term's `channels` to the strategy's picks on `firstOctave` ([1, 3, h, w], the dream's
 * smallest octave), telling `onNote` which. `tile` (the dream's tile side, if tiled) bounds the
 * picture the channels are ranked on; `minSide` is the smallest side the layers accept.
 */
export function pickChannels(
  net: CaffeNet,
  firstOctave: Tensor,
  terms: ObjectiveTerm[],
  strategy: ChannelStrategy,
  tile: number | undefined,
  minSide: number,
  onNote?: (message: string) => void,
): void {
  const { strongest, count } = checkChannelStrategy(strategy);
  const input = fitTile(firstOctave, tile, minSide);
  const outputs = net.forward(
    input,
    terms.map((t) => t.layer),
  );
  for (const [k, term] of terms.entries()) {
    const a = outputs[k]!;
    const channels = a.shape[1]!;
    if (count > channels) {
      throw new OptionError(
        `channels ${strongest ? "strongest" : "weakest"}: ${count} is more than the ${channels} channels of "${term.layer}"; ask for at most ${channels}`,
      );
    }
    const means = channelMeans(a);
    term.channels = rankChannels(means, count, strongest);
    const silent = term.channels.filter((c) => means[c] === 0).length;
    const why = silent === 0 ? "" : `; ${silent} of them are silent (mean 0) on the first octave`;
    onNote?.(
      `${strongest ? "strongest" : "weakest"} ${count} channel${count > 1 ? "s" : ""} of "${term.layer}": ${term.channels.join(", ")}${why}`,
    );
  }
}

/** `x`, or when the dream is tiled and `x` is larger than a tile, `x` shrunk to fit one (see the header). */
function fitTile(x: Tensor, tile: number | undefined, minSide: number): Tensor {
  const [, c, h, w] = x.shape as [number, number, number, number];
  if (tile === undefined || (h <= tile && w <= tile)) return new Tensor(x.data, x.shape);
  const f = Math.max(tile / Math.max(h, w), minSide / Math.min(h, w));
  if (f >= 1) return new Tensor(x.data, x.shape);
  const nh = Math.max(minSide, Math.round(h * f)),
    nw = Math.max(minSide, Math.round(w * f));
  return new Tensor(resizePlanes(x.data as Float32Array, c, h, w, nh, nw), [1, c, nh, nw]);
}
