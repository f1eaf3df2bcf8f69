// ImageNet classification with a Caffe net: the whole picture resized to the net's input size
// (bilinear, no crop), BGR minus the mean, forward to the softmax, the K most probable classes.

import { OptionError } from "../errors.js";
import type { RgbImage } from "../io/image/image.js";
import { resizeImage } from "../io/image/resize.js";
import type { CaffeNet } from "./net.js";
import { imageToInput } from "./preprocess.js";

/** One class of `classify`'s answer. */
export interface Prediction {
  /** The classifier's output index (0–999 for ImageNet). */
  index: number;
  /** Its label: the first name in `labels` (e.g. "tabby"), or "class 281" without labels. */
  label: string;
  /** Its softmax probability, 0–1. */
  probability: number;
}

/** The `top` most probable classes for `image`, most probable first. */
export function classify(
  net: CaffeNet,
  image: RgbImage,
  { labels = [], top = 5, output = "prob" }: { labels?: readonly string[]; top?: number; output?: string } = {},
): Prediction[] {
  if (!Number.isInteger(top) || top < 1) throw new OptionError(`top must be a whole number ≥ 1, got ${top}`);
  const side = net.declaredInputShape;
  const h = side?.[2] ?? 224,
    w = side?.[3] ?? 224;
  const x = imageToInput(resizeImage(image, w, h), net.meanBgr);
  const [prob] = net.forward(x, [output]);
  const p = prob!.data;
  const order = Array.from(p.keys()).sort((a, b) => p[b]! - p[a]!);
  return order.slice(0, top).map((index) => ({ index, label: labels[index] ?? `class ${index}`, probability: p[index]! }));
}

/** Class names from a `synset_words.txt` ("n01440764 tench, Tinca tinca" per line): "tench". */
export function parseSynsetWords(text: string): string[] {
  return text
    .split("\n")
    .filter((line) => line.trim() !== "")
    .map((line) =>
      line
        .replace(/^\S+\s+/, "")
        .split(",")[0]!
        .trim(),
    );
}
