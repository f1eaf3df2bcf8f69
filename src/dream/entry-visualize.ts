// `visualize()` as both package entries offer it (../index.ts for Node, ../browser.ts): the
// core's ./visualize.ts, with the bundled GoogLeNet when no model is given and classes by
// ImageNet name as well as by index — as ./entry-dream.ts does for `dream()`.

import type { RgbImage } from "../io/image/image.js";
import { findClass } from "../models/labels.js";
import type { BundledFiles } from "./entry-dream.js";
import { visualize as visualizeCore, type VisualizeOptions } from "./visualize.js";

/** The options of the package's `visualize()`: the core's, with `model` optional and `classes` by name too. */
export type PackageVisualizeOptions = Partial<Omit<VisualizeOptions, "classes">> & {
  /** Classes by index (0–999) or by ImageNet name, e.g. "banana" (as `--class` takes them). */
  classes?: readonly (number | string)[];
};

/** Visualizes with `bundled`'s model and labels where `options` names none. */
export async function visualizeWithBundled(options: PackageVisualizeOptions, bundled: BundledFiles): Promise<RgbImage> {
  const { classes, ...rest } = options;
  const core: Partial<VisualizeOptions> = rest;
  if (classes !== undefined) {
    const synsets = classes.some((c) => typeof c === "string") ? await bundled.loadImageNetClasses() : [];
    core.classes = classes.map((c) => (typeof c === "string" ? findClass(c, synsets) : c));
  }
  return visualizeCore({ ...core, model: options.model ?? (await bundled.loadGoogLeNet()) });
}
