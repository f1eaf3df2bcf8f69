// Which layers an input is too small for, so that `inceptionism layers --size WxH` can say why
// they are missing from its table instead of dropping them silently.
//
// CaffeNet.describe() leaves out every layer whose window no longer fits its input. A layer
// missing at W×H but present at the model's own input size (its declared one, else 224×224)
// needs a bigger input when the smallest square side that reaches it is above min(W, H). That
// side is found by bisection on [1, reference]: below the reference, a layer once reached stays
// reached as the input grows. (Above it, a classifier with fixed weights may drop out again
// because its input is too large; that is not this note's business.)

import type { CaffeNet } from "../models/net.js";

/** Layers missing from `describe` at `width`×`height` for want of pixels, and the side that reaches them all. */
export interface TooSmall {
  layers: string[];
  side: number;
}

export function layersTooSmallFor(net: CaffeNet, width: number, height: number): TooSmall | null {
  const declared = net.declaredInputShape;
  const reference = declared !== null && declared.length === 4 ? Math.max(declared[2]!, declared[3]!) : 224;
  const seen = new Map<number, Set<string>>(); // square side → layer names describe() gives
  const namesAt = (side: number): Set<string> => {
    let names = seen.get(side);
    if (names === undefined) {
      names = new Set(net.describe([1, net.inputChannels, side, side]).map((r) => r.name));
      seen.set(side, names);
    }
    return names;
  };
  const minimumSide = (name: string): number => {
    let lo = 0,
      hi = reference; // reached at hi; not at lo (0: nothing is)
    while (hi - lo > 1) {
      const mid = (lo + hi) >> 1;
      if (namesAt(mid).has(name)) hi = mid;
      else lo = mid;
    }
    return hi;
  };
  const shown = new Set(net.describe([1, net.inputChannels, height, width]).map((r) => r.name));
  const small = Math.min(width, height);
  const layers = [...namesAt(reference)].filter((name) => !shown.has(name) && minimumSide(name) > small);
  if (layers.length === 0) return null;
  return { layers, side: Math.max(...layers.map(minimumSide)) };
}

/** The one-line note for `inceptionism layers`, or null when every layer is listed. */
export function tooSmallNote(net: CaffeNet, width: number, height: number): string | null {
  const small = layersTooSmallFor(net, width, height);
  if (small === null) return null;
  const [first, last, count] = [small.layers[0], small.layers[small.layers.length - 1], small.layers.length];
  const which = count === 1 ? `"${first}" needs` : `${count} layers, "${first}" to "${last}", need`;
  return `note: ${which} a larger input than ${width}×${height} and are not listed; --size ${small.side}x${small.side} is the smallest that reaches them all`;
}
