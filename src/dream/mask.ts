// Dreaming through a mask: only where a grey-scale picture is light.
//
// The mask is a picture the user draws: white = dream, black = leave alone, grey = a share of
// the dream. Its value at a pixel is its luminance (Rec. 601, the Y of ./original-colors.ts:
// 0.299 R + 0.587 G + 0.114 B, over 255), so a coloured mask counts as it looks, not as the
// mean of its channels. A mask of another size is resized to the picture (antialiased, as
// --max-size resizes), stretched if its shape differs.
//
// Feathered edges: a hard black/white edge would make a hard edge in the dream — a seam where
// the dreamed texture stops. So the mask is softened, but only inward, never into the black:
//
//   feathered = tent_r ∗ erode_r(mask),      r = MASK_FEATHER pixels (of the full-size picture)
//
// erode_r is the minimum over the (2r+1)² square around each pixel, tent_r the separable
// triangle filter of radius r (weights r + 1 − |d|, renormalized at the borders). A black pixel
// p has every pixel q of its square eroded to 0 (q's square contains p), and tent_r at p reads
// only that square: so feathered(p) = 0 exactly. Past 2r from any black pixel the mask is
// untouched; a hard edge becomes a ramp from 0 at the edge to 1 at 2r inside it.
//
// How the dream uses it (./dream.ts): with M_k the feathered mask resampled to octave k's size
// (by the same zoom chain as the octave pyramid, the full-size mask at the last octave),
//
//   - every step is multiplied by the mask: x ← x_before + M_k ⊙ (x_step − x_before), where
//     x_step is whatever the unmasked step made of x (roll, gradient, clip): at M = 0 the pixel
//     keeps its value bit for bit, at M = 1 it takes the full step; the step's normalization,
//     mean|g|, is still over the whole picture, so the dream where the mask is white is as strong
//     as an unmasked one;
//   - the detail carried up from a smaller octave is multiplied by M_k too: upsampling spreads it
//     by a coarse pixel into the black, and would otherwise leak there;
//   - the result is the photo plus the change (./original-colors.ts), since going through the
//     net's BGR-minus-mean Float32 planes and back can move an untouched value by an ulp.
// So pixels where the (feathered) mask is 0 come out exactly as they went in.
//
// Layout: a mask is one H×W plane, row-major, values 0–1 (Float32Array).
// Core module: no `node:*` imports.

import { OptionError } from "../errors.js";
import type { RgbImage } from "../io/image/image.js";
import { resizeImage } from "../io/image/resize.js";
import { zoomPlanes } from "../io/image/zoom-planes.js";
import { luma } from "./original-colors.js";

/** The feather's radius in pixels of the full-size picture: the ramp at a hard edge is 2r wide. */
export const MASK_FEATHER = 4;

/**
 * The mask for a `width`×`height` picture: `mask`'s luminance over 255, clamped to 0–1, resized
 * to the picture if needed (`onNote` is told), then feathered (see the header).
 */
export function dreamMask(mask: RgbImage, width: number, height: number, onNote?: (message: string) => void): Float32Array {
  const { width: mw, height: mh, data } = (typeof mask === "object" && mask !== null ? mask : {}) as Partial<RgbImage>;
  if (
    mw === undefined ||
    mh === undefined ||
    data === undefined ||
    !Number.isInteger(mw) ||
    !Number.isInteger(mh) ||
    mw < 1 ||
    mh < 1 ||
    !(data instanceof Float32Array) ||
    data.length !== mw * mh * 3
  ) {
    throw new OptionError("the mask must be an RgbImage: width × height × 3 values in a Float32Array, as readImage gives");
  }
  let img = mask as RgbImage;
  if (mw !== width || mh !== height) {
    // Stretched: no one scale maps the mask onto the picture, allowing for the rounding of either's sides.
    const stretched = Math.abs((mh * width) / mw - height) > Math.max(1, width / mw) ? ", stretched to its shape" : "";
    onNote?.(`the mask is ${mw}×${mh}; resized to the picture's ${width}×${height}${stretched}`);
    img = resizeImage(img, width, height);
  }
  const plane = new Float32Array(width * height);
  for (let i = 0; i < plane.length; i++) {
    const v = luma(img.data[3 * i]!, img.data[3 * i + 1]!, img.data[3 * i + 2]!) / 255;
    plane[i] = v > 0 ? Math.min(1, v) : 0; // NaN → 0
  }
  return featherMask(plane, height, width, MASK_FEATHER);
}

/** `tent_r ∗ erode_r(mask)` over an H×W plane (see the header): a new plane. */
export function featherMask(mask: Float32Array, H: number, W: number, r: number): Float32Array {
  if (r === 0) return mask.slice();
  const eroded = new Float32Array(mask.length);
  const tmp = new Float32Array(mask.length);
  // The square minimum is separable: the minimum of the row minima.
  alongRows(mask, tmp, H, W, (line, out) => slideMin(line, out, r));
  alongColumns(tmp, eroded, H, W, (line, out) => slideMin(line, out, r));
  const out = new Float32Array(mask.length);
  alongRows(eroded, tmp, H, W, (line, o) => tent(line, o, r));
  alongColumns(tmp, out, H, W, (line, o) => tent(line, o, r));
  return out;
}

/**
 * The reference for `featherMask`: every pixel straight from the definition, the minimum over
 * each square and the 2-D tent sum (O(H·W·r⁴) — tests only).
 */
export function featherMaskNaive(mask: Float32Array, H: number, W: number, r: number): Float32Array {
  const eroded = new Float32Array(mask.length);
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      let m = Infinity;
      for (let v = Math.max(0, y - r); v <= Math.min(H - 1, y + r); v++) {
        for (let u = Math.max(0, x - r); u <= Math.min(W - 1, x + r); u++) m = Math.min(m, mask[v * W + u]!);
      }
      eroded[y * W + x] = m;
    }
  }
  const out = new Float32Array(mask.length);
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      let acc = 0,
        sum = 0;
      for (let v = Math.max(0, y - r); v <= Math.min(H - 1, y + r); v++) {
        for (let u = Math.max(0, x - r); u <= Math.min(W - 1, x + r); u++) {
          const k = (r + 1 - Math.abs(v - y)) * (r + 1 - Math.abs(u - x));
          acc += k * eroded[v * W + u]!;
          sum += k;
        }
      }
      out[y * W + x] = acc / sum;
    }
  }
  return out;
}

/** Runs `f` on each row of an H×W plane, from `src` into `dst`. */
function alongRows(src: Float32Array, dst: Float32Array, H: number, W: number, f: (line: Float32Array, out: Float32Array) => void): void {
  for (let y = 0; y < H; y++) f(src.subarray(y * W, (y + 1) * W), dst.subarray(y * W, (y + 1) * W));
}

/** Runs `f` on each column of an H×W plane, from `src` into `dst` (through a contiguous copy). */
function alongColumns(
  src: Float32Array,
  dst: Float32Array,
  H: number,
  W: number,
  f: (line: Float32Array, out: Float32Array) => void,
): void {
  const line = new Float32Array(H),
    out = new Float32Array(H);
  for (let x = 0; x < W; x++) {
    for (let y = 0; y < H; y++) line[y] = src[y * W + x]!;
    f(line, out);
    for (let y = 0; y < H; y++) dst[y * W + x] = out[y]!;
  }
}

/** out[i] = min of line[i − r … i + r] (inside the line). O(n·r): r is a few pixels. */
function slideMin(line: Float32Array, out: Float32Array, r: number): void {
  const n = line.length;
  for (let i = 0; i < n; i++) {
    let m = line[i]!;
    for (let j = Math.max(0, i - r); j <= Math.min(n - 1, i + r); j++) m = Math.min(m, line[j]!);
    out[i] = m;
  }
}

/** out[i] = Σ_d (r + 1 − |d|)·line[i + d] / Σ_d (r + 1 − |d|), over the d that fall inside the line. */
function tent(line: Float32Array, out: Float32Array, r: number): void {
  const n = line.length;
  for (let i = 0; i < n; i++) {
    let acc = 0,
      sum = 0;
    for (let j = Math.max(0, i - r); j <= Math.min(n - 1, i + r); j++) {
      const k = r + 1 - Math.abs(j - i);
      acc += k * line[j]!;
      sum += k;
    }
    out[i] = acc / sum;
  }
}

/**
 * The mask at each octave's size, smallest first, as the pyramid's `sizes` ([h, w] each, the
 * last the mask's own): resampled down the same zoom chain as the octave pyramid.
 */
export function maskPyramid(mask: Float32Array, sizes: readonly (readonly [number, number])[]): Float32Array[] {
  const out: Float32Array[] = [mask];
  for (let k = sizes.length - 2; k >= 0; k--) {
    const [h, w] = sizes[k + 1]!,
      [nh, nw] = sizes[k]!;
    out.push(zoomPlanes(out[out.length - 1]!, 1, h, w, nh, nw));
  }
  return out.reverse();
}

/** `planes` (C×H×W) ← each plane multiplied by `mask` (H×W), in place. */
export function multiplyByMask(planes: Float32Array, mask: Float32Array): void {
  const plane = mask.length;
  for (let i = 0; i < planes.length; i++) planes[i]! *= mask[i % plane]!;
}

/**
 * A step taken through the mask: x ← before + mask ⊙ (x − before), in place (C×H×W planes, an
 * H×W mask). Where the mask is 0, x is `before` exactly.
 */
export function maskStep(x: Float32Array, before: Float32Array, mask: Float32Array): void {
  const plane = mask.length;
  for (let i = 0; i < x.length; i++) {
    const m = mask[i % plane]!;
    x[i] = m === 0 ? before[i]! : m === 1 ? x[i]! : before[i]! + m * (x[i]! - before[i]!);
  }
}
