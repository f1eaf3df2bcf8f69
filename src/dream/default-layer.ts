// The layer to dream on when none is given: the notebook's "inception_4c/output" where the model
// has it; in any other model, its deepest feature map.
//
// A feature map is a 4-D blob [N, C, H, W] with spatial extent (H, W > 1), so that gradient
// ascent paints patterns at places. The deepest one is the most abstract (objects rather than
// strokes), but the classifier at the end of the net is not one: its C outputs are classes, and
// maximizing them is a class dream, not a deep dream. It is found by walking back from the last
// blob over every blob with the same channel count (prob, a 1×1 pooling, a 1000-channel
// convolution as in SqueezeNet's conv10). A layer that only hands on its input's tensor (Dropout
// at test time) is skipped: it shows nothing its input does not. A net with a layer we cannot
// run on the way to its end gets that layer's error, not a pick among the blobs before it.

import { OptionError } from "../errors.js";
import { sharesInput } from "../models/layer-table.js";
import type { CaffeNet } from "../models/net.js";

/** The name of the deepest spatial feature map before `net`'s classifier. */
export function deepestFeatureMap(net: CaffeNet): string {
  // A layer of a type we do not run hides every blob after it from describe(): name it, rather
  // than dream on a shallower map before it or find none.
  const names = net.outputNames;
  net.checkSupported([names[names.length - 1]!]);
  const declared = net.declaredInputShape;
  const side = declared !== null && declared.length === 4 ? Math.max(declared[2]!, declared[3]!) : 224;
  const rows = net.describe([1, net.inputChannels, side, side]);
  const classes = rows[rows.length - 1]!.shape[1];
  let end = rows.length;
  while (end > 1 && rows[end - 1]!.shape[1] === classes) end--; // the classifier's blobs
  for (let i = end - 1; i > 0; i--) {
    const { name, type, shape } = rows[i]!;
    if (shape.length === 4 && shape[2]! > 1 && shape[3]! > 1 && !sharesInput(type)) return name;
  }
  throw new OptionError(`model "${net.name}" has no feature map with spatial extent to dream on; give a layer`);
}

/**
 * `preferred` if the net has it, else its deepest feature map, saying so through `onNote`.
 */
export function defaultLayer(net: CaffeNet, preferred: string, onNote?: (message: string) => void): string {
  if (net.outputNames.includes(preferred)) return preferred;
  const deepest = deepestFeatureMap(net);
  onNote?.(
    `model "${net.name}" has no "${preferred}" (the default layer); dreaming on "${deepest}", its deepest feature map; give a layer to choose another`,
  );
  return deepest;
}
