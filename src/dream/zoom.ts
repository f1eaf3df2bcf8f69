// The notebook's "infinite zoom": after each dream, magnify the picture a little about its
// centre and dream again, so the dream keeps growing new detail as the camera dives in.

import type { RgbImage } from "../io/image/image.js";
import { resizeImage } from "../io/image/resize.js";

/**
 * `img` magnified by `factor` (> 1) about its centre, cropped back to the same size: the centre
 * (W/factor)×(H/factor) region, resampled bilinearly to W×H.
 */
export function zoomAboutCentre(img: RgbImage, factor: number): RgbImage {
  const { width: w, height: h } = img;
  const cw = Math.max(1, Math.round(w / factor)),
    ch = Math.max(1, Math.round(h / factor));
  const x0 = Math.floor((w - cw) / 2),
    y0 = Math.floor((h - ch) / 2);
  const crop = new Float32Array(cw * ch * 3);
  for (let y = 0; y < ch; y++) {
    const from = ((y0 + y) * w + x0) * 3;
    crop.set(img.data.subarray(from, from + cw * 3), y * cw * 3);
  }
  return resizeImage({ width: cw, height: ch, data: crop }, w, h);
}
