// Between pictures and network inputs: Caffe's convention for BVLC's ImageNet models.
//
// A picture is H×W×3 RGB in 0–255 (`RgbImage`). The net wants [1, 3, H, W] planes in BGR order
// with the training set's mean pixel subtracted: input[c, y, x] = pixel[y, x, 2 − c] − mean[c].
// Both directions are plain copies; no scaling to 0–1 (Caffe's models were trained on 0–255).

import { Tensor } from "../tensor/tensor.js";
import type { RgbImage } from "../io/image/image.js";

/** [1, 3, H, W] BGR planes minus `meanBgr`, Float32. */
export function imageToInput(img: RgbImage, meanBgr: readonly number[]): Tensor {
  const { width: w, height: h, data } = img;
  const plane = w * h;
  const out = new Float32Array(3 * plane);
  for (let c = 0; c < 3; c++) {
    const src = 2 - c; // B, G, R ← channel 2, 1, 0 of RGB
    const m = meanBgr[c]!;
    for (let i = 0; i < plane; i++) out[c * plane + i] = data[i * 3 + src]! - m;
  }
  return new Tensor(out, [1, 3, h, w]);
}

/** The inverse of `imageToInput` (values are not clipped or rounded). */
export function inputToImage(x: Tensor, meanBgr: readonly number[]): RgbImage {
  const [, c, h, w] = x.shape as [number, number, number, number];
  if (c !== 3) throw new RangeError(`inputToImage needs 3 channels, got ${c}`);
  const plane = w * h;
  const data = new Float32Array(3 * plane);
  for (let ch = 0; ch < 3; ch++) {
    const dst = 2 - ch;
    const m = meanBgr[ch]!;
    for (let i = 0; i < plane; i++) data[i * 3 + dst] = x.data[ch * plane + i]! + m;
  }
  return { width: w, height: h, data };
}
