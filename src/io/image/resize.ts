// Bilinear resampling with pixel-centre alignment, antialiased when shrinking.
//
// Output pixel j (0 ≤ j < OW) covers the input interval [j·W/OW, (j+1)·W/OW); its centre is
//
//   c_j = (j + 0.5) · W/OW              (in input pixels; input pixel i has its centre at i + 0.5)
//
// and its value is a weighted mean of the input pixels around c_j under a triangle ("tent"):
//
//   w_ji = max(0, 1 − |i + 0.5 − c_j| / support),   support = max(W/OW, 1)
//   out_j = Σ_i w_ji · in_i / Σ_i w_ji               (only pixels inside the image: sum renormalized)
//
// - Enlarging (support = 1) this is ordinary bilinear interpolation at the sample point
//   s = (j + 0.5)·W/OW − 0.5, clamped to [0, W − 1] at the borders (a pixel outside the image
//   simply drops out of the sum).
// - Shrinking, the tent widens with the scale factor, so every input pixel contributes
//   (antialiasing): halving weighs the 4 nearest pixels along each axis by ¼ ¾ ¾ ¼ (normalized),
//   where plain bilinear would take the mean of the middle two and let finer detail alias.
//   (`antialias: false` keeps support = 1 here too: plain bilinear sampling, as enlarging.)
// - Same size: c_j = j + 0.5, the only nonzero weight is w_jj = 1: the identity (we skip the pass).
// - 1-pixel dimensions work both ways: 1 → n repeats the pixel, n → 1 is a tent-weighted mean.
// The filter is separable: resample the rows (W → OW), then the columns (H → OH).
//
// Why this filter: the golden input tensors (test/fixtures/golden/*.input.f32, made by an
// independent implementation) were resized this way — it is the filter of Pillow's
// `Image.resize(..., BILINEAR)`. Measured on cat.jpg → 224×224 (levels, after rounding to 8 bits):
// max |Δ| 1, mean 0.15 with a libjpeg decode (max 2, mean 0.45 with our jpeg-js decode), where
// plain half-pixel bilinear without antialiasing is off by up to 76 (mean 1.6) and align-corners
// by up to 49 (mean 2.2). fish-bike.jpg's golden is the whole image resized to 251×173 the same way
// (max 1, mean 0.14 with libjpeg).
//
// Two layouts share the code: planar C×H×W and interleaved H×W×3 (`RgbImage`: --max-size,
// classification, the zoom's frames). Both are "outer × axis × inner" blocks, resampled along
// the middle axis. (The dream's octave pyramid is not resampled here but by ./zoom-planes.ts,
// as the notebook's.)
//
// Core module: no `node:*` imports.

import { ImageError } from "../../errors.js";
import type { RgbImage } from "./image.js";

/** Per output index along one axis: which input run it reads and with what weights. */
interface AxisWeights {
  /** [OUT] first input index read */
  start: Int32Array;
  /** [OUT] number of input indices read */
  taps: Int32Array;
  /** [OUT × maxTaps] normalized weights, row j starting at j·maxTaps */
  weights: Float64Array;
  maxTaps: number;
}

/** The tent weights for resampling an axis of `inSize` pixels to `outSize`. */
function axisWeights(inSize: number, outSize: number, antialias: boolean): AxisWeights {
  const scale = inSize / outSize;
  const support = antialias ? Math.max(scale, 1) : 1;
  const maxTaps = Math.floor(2 * support) + 1;
  const start = new Int32Array(outSize);
  const taps = new Int32Array(outSize);
  const weights = new Float64Array(outSize * maxTaps);
  for (let j = 0; j < outSize; j++) {
    const c = ((2 * j + 1) * inSize) / (2 * outSize);
    // Pixels with |i + 0.5 − c| < support, kept inside [0, inSize − 1].
    const lo = Math.max(0, Math.ceil(c - support - 0.5));
    const hi = Math.min(inSize - 1, Math.floor(c + support - 0.5));
    let sum = 0;
    for (let i = lo; i <= hi; i++) {
      const w = Math.max(0, 1 - Math.abs(i + 0.5 - c) / support);
      weights[j * maxTaps + i - lo] = w;
      sum += w;
    }
    // sum ≥ 0.5: some pixel centre lies within 0.5 of c, and support ≥ 1.
    for (let i = lo; i <= hi; i++) weights[j * maxTaps + i - lo]! /= sum;
    start[j] = lo;
    taps[j] = hi - lo + 1;
  }
  return { start, taps, weights, maxTaps };
}

/**
 * Resamples the middle axis of an OUTER × IN × INNER block into OUTER × OUT × INNER.
 * (Planar rows: OUTER = C·H, IN = W, INNER = 1; planar columns: OUTER = C, IN = H, INNER = OW;
 * interleaved rows: OUTER = H, IN = W, INNER = 3; interleaved columns: OUTER = 1, INNER = OW·3.)
 */
function resampleAxis(
  dst: Float32Array, // [OUTER × OUT × INNER]
  src: Float32Array, // [OUTER × IN × INNER]
  outer: number,
  inSize: number,
  outSize: number,
  inner: number,
  antialias: boolean,
): void {
  const { start, taps, weights, maxTaps } = axisWeights(inSize, outSize, antialias);
  for (let o = 0; o < outer; o++) {
    const srcBase = o * inSize * inner;
    const dstBase = o * outSize * inner;
    for (let j = 0; j < outSize; j++) {
      const d = dstBase + j * inner;
      dst.fill(0, d, d + inner);
      for (let t = 0; t < taps[j]!; t++) {
        const w = weights[j * maxTaps + t]!;
        const s = srcBase + (start[j]! + t) * inner;
        for (let k = 0; k < inner; k++) dst[d + k]! += w * src[s + k]!;
      }
    }
  }
}

/** Resizes an OUTER × H × W × INNER block to OUTER × OH × OW × INNER (rows first, then columns). */
function resizeBlock(
  src: Float32Array,
  outer: number,
  H: number,
  W: number,
  inner: number,
  OH: number,
  OW: number,
  antialias: boolean,
): Float32Array {
  let rows = src; // [OUTER × H × OW × INNER] after the first pass
  if (OW !== W) {
    rows = new Float32Array(outer * H * OW * inner);
    resampleAxis(rows, src, outer * H, W, OW, inner, antialias);
  }
  if (OH === H) return rows === src ? src.slice() : rows;
  const out = new Float32Array(outer * OH * OW * inner);
  resampleAxis(out, rows, outer, H, OH, OW * inner, antialias);
  return out;
}

function checkPlanes(op: string, src: Float32Array, C: number, H: number, W: number, OH: number, OW: number): void {
  const sizes = [C, H, W, OH, OW];
  if (!sizes.every((n) => Number.isInteger(n) && n >= 1)) {
    throw new ImageError(`${op}: sizes C=${C} H=${H} W=${W} → OH=${OH} OW=${OW} must all be positive integers`);
  }
  if (src.length !== C * H * W) {
    throw new ImageError(`${op}: source has ${src.length} values but C×H×W = ${C}×${H}×${W} needs ${C * H * W}`);
  }
}

/** How to resample. */
export interface ResizeOptions {
  /**
   * Widen the tent with the scale factor when shrinking (default true): every input pixel
   * counts, as in the golden inputs. `false` gives plain bilinear sampling at the pixel-centre
   * sample points, which keeps more high-frequency detail (and aliasing) when shrinking.
   * Enlarging is the same either way.
   */
  antialias?: boolean;
}

/**
 * Resizes planar data: `src` is C×H×W (each channel a contiguous H×W plane); returns C×OH×OW.
 * An unchanged size returns an exact copy.
 */
export function resizePlanes(
  src: Float32Array,
  C: number,
  H: number,
  W: number,
  OH: number,
  OW: number,
  { antialias = true }: ResizeOptions = {},
): Float32Array {
  checkPlanes("resizePlanes", src, C, H, W, OH, OW);
  return resizeBlock(src, C, H, W, 1, OH, OW, antialias);
}

/**
 * The reference for `resizePlanes`: every output pixel as a direct 2-D weighted sum over the
 * whole input, straight from the formula in the header (O(OH·OW·H·W) — tests only).
 */
export function resizePlanesNaive(
  src: Float32Array,
  C: number,
  H: number,
  W: number,
  OH: number,
  OW: number,
  { antialias = true }: ResizeOptions = {},
): Float32Array {
  checkPlanes("resizePlanesNaive", src, C, H, W, OH, OW);
  const tent = (i: number, inSize: number, outSize: number, j: number): number => {
    const support = antialias ? Math.max(inSize / outSize, 1) : 1;
    return Math.max(0, 1 - Math.abs(i + 0.5 - ((j + 0.5) * inSize) / outSize) / support);
  };
  const out = new Float32Array(C * OH * OW);
  for (let c = 0; c < C; c++) {
    for (let oy = 0; oy < OH; oy++) {
      for (let ox = 0; ox < OW; ox++) {
        let acc = 0;
        let sum = 0;
        for (let y = 0; y < H; y++) {
          for (let x = 0; x < W; x++) {
            const w = tent(y, H, OH, oy) * tent(x, W, OW, ox);
            acc += w * src[(c * H + y) * W + x]!;
            sum += w;
          }
        }
        out[(c * OH + oy) * OW + ox] = acc / sum;
      }
    }
  }
  return out;
}

/** Resizes an image to `width`×`height` (a new image; the input is not changed). */
export function resizeImage(img: RgbImage, width: number, height: number, { antialias = true }: ResizeOptions = {}): RgbImage {
  checkPlanes("resizeImage", img.data, 3, img.height, img.width, height, width);
  return { width, height, data: resizeBlock(img.data, 1, img.height, img.width, 3, height, width, antialias) };
}

/**
 * Shrinks an image so that its longer side is at most `maxSide`, keeping the aspect ratio
 * (the shorter side is rounded, and at least 1). Returns the same image if it already fits.
 */
export function resizeToFit(img: RgbImage, maxSide: number): RgbImage {
  if (!Number.isInteger(maxSide) || maxSide < 1) {
    throw new ImageError(`maximum image side ${maxSide} is invalid; pass a positive whole number of pixels`);
  }
  const [width, height] = fitSize(img.width, img.height, maxSide);
  return width === img.width && height === img.height ? img : resizeImage(img, width, height);
}

/** The size `resizeToFit` gives a width×height picture: the longer side scaled to `maxSide`. */
export function fitSize(width: number, height: number, maxSide: number): [width: number, height: number] {
  const longer = Math.max(width, height);
  if (longer <= maxSide) return [width, height];
  const fit = (side: number): number => Math.max(1, Math.round((side * maxSide) / longer));
  return [fit(width), fit(height)];
}
