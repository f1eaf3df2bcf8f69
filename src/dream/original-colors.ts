// Keeping the photo's colours: the dream's luminance on the photo's chroma (`originalColors`).
//
// neural-dream's -original_colors (after neural-style's) converts the photo and the dream to
// YCbCr — PIL's, the full-range BT.601 of JPEG — keeps the dream's Y and the photo's Cb and Cr,
// and converts back:
//
//   Y  = 0.299 R + 0.587 G + 0.114 B
//   Cb = 128 + (B − Y) / 1.772            Cr = 128 + (R − Y) / 1.402
//   R  = Y + 1.402 (Cr − 128)             B  = Y + 1.772 (Cb − 128)
//   G  = Y − 0.344136 (Cb − 128) − 0.714136 (Cr − 128)
//
// With Cb and Cr held at the photo's, the way back is Y plus a term that does not change, on all
// three channels alike. So the result is the photo plus the luminance of the dream's change,
// added equally to R, G and B:
//
//   out = photo + (Y(dream) − Y(photo))·(1, 1, 1) = photo + Y(dream − photo)·(1, 1, 1)
//
// (YIQ and YUV share the Y row, so they give the same.) Computed this way it needs no colour
// round trip, and a pixel the dream did not change comes out bit for bit as it went in — what a
// mask promises (./mask.ts). Where the sum leaves the RGB cube (a dark saturated pixel made much
// brighter) each channel is clipped to 0–255, as PIL clips to 8 bits: there the chroma gives way.
//
// The same "photo plus change" composes a masked dream's result without `originalColors`:
// out = photo + (x − photo's own planes), converted from the net's BGR-minus-mean planes.
//
// Core module: no `node:*` imports.

import type { RgbImage } from "../io/image/image.js";

/** Rec. 601 luma, Y = 0.299 R + 0.587 G + 0.114 B (the weights sum to 1). */
export function luma(r: number, g: number, b: number): number {
  return 0.299 * r + 0.587 * g + 0.114 * b;
}

/**
 * The dream's result as `photo` plus its change: `x` is the dreamed picture as the net's
 * [3, H, W] BGR planes minus `meanBgr`, the change is x minus the photo's own planes (recomputed
 * exactly as `imageToInput` makes them, so it is 0 where the dream did nothing). With
 * `originalColors`, only the change's luminance is added, to all three channels (see the header).
 * Changed values are clipped to 0–255; unchanged ones are the photo's, bit for bit.
 */
export function photoPlusChange(photo: RgbImage, x: Float32Array, meanBgr: readonly number[], originalColors: boolean): RgbImage {
  const { width, height, data } = photo;
  const plane = width * height;
  const out = new Float32Array(3 * plane);
  const d = [0, 0, 0]; // the change in R, G, B at one pixel
  for (let i = 0; i < plane; i++) {
    for (let c = 0; c < 3; c++) {
      const bgr = 2 - c; // R, G, B ← planes 2, 1, 0 (BGR)
      d[c] = x[bgr * plane + i]! - Math.fround(data[3 * i + c]! - meanBgr[bgr]!);
    }
    if (originalColors) d[0] = d[1] = d[2] = luma(d[0]!, d[1]!, d[2]!);
    for (let c = 0; c < 3; c++) {
      const p = data[3 * i + c]!,
        v = p + d[c]!;
      out[3 * i + c] = d[c] === 0 ? p : Math.min(255, Math.max(0, v));
    }
  }
  return { width, height, data: out };
}
