// `dream()` as both package entries offer it (../index.ts for Node, ../browser.ts): the core's
// ./dream.ts, with the bundled GoogLeNet when no model is given, classes by ImageNet name as
// well as by index, and an ndarray as well as an RgbImage. Each entry brings its own way of
// loading the bundled files (Node reads them, a browser fetches them) and its own defaults.

import type { RgbImage } from "../io/image/image.js";
import { imageFromNdarray } from "../io/image/image.js";
import { findClass, type Synset } from "../models/labels.js";
import type { CaffeNet } from "../models/net.js";
import type { NdArray } from "../tensor/ndarray-type.js";
import { dream as dreamCore, type DreamOptions } from "./dream.js";

/** The options of the package's `dream()`: the core's, with `model` optional and `classes` by name too. */
export type PackageDreamOptions = Partial<Omit<DreamOptions, "classes">> & {
  /** Classes to dream toward, by classifier index or by ImageNet name ("banana", "tabby", "n07753592"). */
  classes?: readonly (number | string)[];
};

/** How an entry loads the files bundled with the package. */
export interface BundledFiles {
  loadGoogLeNet(): Promise<CaffeNet>;
  loadImageNetClasses(): Promise<Synset[]>;
}

/** Dreams with `bundled`'s model and labels where `options` names none (see the header). */
export async function dreamWithBundled(image: RgbImage | NdArray, options: PackageDreamOptions, bundled: BundledFiles): Promise<RgbImage> {
  const img = "shape" in image ? imageFromNdarray(image) : image;
  const { classes, ...rest } = options;
  const core: Partial<DreamOptions> = rest;
  if (classes !== undefined) {
    const synsets = classes.some((c) => typeof c === "string") ? await bundled.loadImageNetClasses() : [];
    core.classes = classes.map((c) => (typeof c === "string" ? findClass(c, synsets) : c));
  }
  return dreamCore(img, { ...core, model: options.model ?? (await bundled.loadGoogLeNet()) });
}
