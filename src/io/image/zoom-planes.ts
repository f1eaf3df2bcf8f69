// Corner-aligned linear resampling of planes: `scipy.ndimage.zoom(x, (1, OH/H, OW/W), order=1)`,
// the resize of the DeepDream notebook's octave pyramid.
//
// Along an axis of n input pixels resampled to m, output pixel j reads the input at
//
//   s_j = j · (n − 1)/(m − 1)            (s_0 = 0 when m = 1)
//
// so the centres of the first and of the last pixels map onto each other, and interpolates
// linearly between the two pixels around s_j:
//
//   out_j = (1 − f)·in_i + f·in_(i+1),   i = ⌊s_j⌋, f = s_j − i
//         = Σ_i max(0, 1 − |s_j − i|) · in_i        (the naive twin's form)
//
// In 2-D the weight of input pixel (y, x) is the product of the two axes' weights. There is no
// prefilter (a spline of order 1 interpolates the samples themselves) and no antialiasing.
// The output size is `zoomSize(n, zoom)` = round(n · zoom) per axis, Python's round (halves to
// even), as scipy computes it from the zoom factor.
//
// Why not ./resize.ts: the notebook's pyramid is made this way (octave k+1 = zoom(octave k,
// 1/scale), the detail carried up = zoom(detail, h/h1)), and the filter shows in the dream: with
// resize.ts's half-pixel centres, a jitter-0 dream of 4 octaves × 1 step differed from the
// notebook's by a mean of 1.9 levels; with this resampling by 0.5, the gap between rounding and
// truncating to 8 bits (bench/notebook-parity.ts, bench/README.md).
//
// One deliberate difference from scipy: scipy computes s_j as j times a rounded (n − 1)/(m − 1),
// which can land one ulp past the last pixel; its default "constant" mode then returns 0 there
// (scipy 1.10.1: zooming 448 → 320 makes the whole last column 0). We compute i and f from
// integers, exactly, so the last output pixel is always the last input pixel. The example
// pictures' pyramids (240×320 and 575×1024 at scale 1.4) never hit that case.
//
// Layout: C×H×W planes (each channel a contiguous H×W plane) → C×OH×OW, Float32 out, arithmetic
// in Float64 (as scipy's, rounded to Float32 once per output value).
//
// Core module: no `node:*` imports.

import { ImageError } from "../../errors.js";

/** round(n · zoom) with Python's rounding (halves to even): scipy's output size for one axis. */
export function zoomSize(n: number, zoom: number): number {
  const x = n * zoom;
  const r = Math.round(x); // halves up
  return r - x === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** Per output index along one axis: the input pixel before s_j and the weight f of the next. */
interface AxisTaps {
  /** [OUT] i = ⌊s_j⌋ */
  index: Int32Array;
  /** [OUT] f = s_j − i, in [0, 1) */
  frac: Float64Array;
}

function axisTaps(inSize: number, outSize: number): AxisTaps {
  const index = new Int32Array(outSize);
  const frac = new Float64Array(outSize);
  if (outSize === 1) return { index, frac }; // s_0 = 0
  const den = outSize - 1;
  for (let j = 0; j < outSize; j++) {
    const num = j * (inSize - 1); // s_j = num / den, exactly: i and f from integers
    const i = Math.floor(num / den);
    index[j] = i;
    frac[j] = (num - i * den) / den;
  }
  return { index, frac };
}

function checkPlanes(op: string, src: Float32Array, C: number, H: number, W: number, OH: number, OW: number): void {
  if (![C, H, W, OH, OW].every((n) => Number.isInteger(n) && n >= 1)) {
    throw new ImageError(`${op}: sizes C=${C} H=${H} W=${W} → OH=${OH} OW=${OW} must all be positive integers`);
  }
  if (src.length !== C * H * W) {
    throw new ImageError(`${op}: source has ${src.length} values but C×H×W = ${C}×${H}×${W} needs ${C * H * W}`);
  }
}

/**
 * Resamples C×H×W planes to C×OH×OW as `scipy.ndimage.zoom(src, (1, OH/H, OW/W), order=1)`
 * does: corner pixels aligned, linear interpolation, no prefilter (see the file's header).
 * An unchanged size returns an exact copy.
 */
export function zoomPlanes(
  src: Float32Array, // [C × H × W]
  C: number,
  H: number,
  W: number,
  OH: number,
  OW: number,
): Float32Array {
  checkPlanes("zoomPlanes", src, C, H, W, OH, OW);
  const out = new Float32Array(C * OH * OW); // [C × OH × OW]
  const ys = axisTaps(H, OH),
    xs = axisTaps(W, OW);
  for (let c = 0; c < C; c++) {
    const plane = c * H * W;
    for (let oy = 0; oy < OH; oy++) {
      const fy = ys.frac[oy]!;
      const row0 = plane + ys.index[oy]! * W;
      const row1 = fy > 0 ? row0 + W : row0; // f = 0 on the last row: its neighbour is never read
      const dst = (c * OH + oy) * OW;
      for (let ox = 0; ox < OW; ox++) {
        const fx = xs.frac[ox]!;
        const x0 = xs.index[ox]!;
        const x1 = fx > 0 ? x0 + 1 : x0;
        const top = (1 - fx) * src[row0 + x0]! + fx * src[row0 + x1]!;
        const bottom = (1 - fx) * src[row1 + x0]! + fx * src[row1 + x1]!;
        out[dst + ox] = (1 - fy) * top + fy * bottom;
      }
    }
  }
  return out;
}

/**
 * The reference for `zoomPlanes`: every output pixel as the tent-weighted sum over the whole
 * input, Σ_y Σ_x max(0, 1 − |s_oy − y|)·max(0, 1 − |s_ox − x|)·src, with s straight from the
 * definition (O(OH·OW·H·W) — tests only).
 */
export function zoomPlanesNaive(src: Float32Array, C: number, H: number, W: number, OH: number, OW: number): Float32Array {
  checkPlanes("zoomPlanesNaive", src, C, H, W, OH, OW);
  const sample = (j: number, n: number, m: number): number => (m === 1 ? 0 : (j * (n - 1)) / (m - 1));
  const tent = (d: number): number => Math.max(0, 1 - Math.abs(d));
  const out = new Float32Array(C * OH * OW);
  for (let c = 0; c < C; c++) {
    for (let oy = 0; oy < OH; oy++) {
      const sy = sample(oy, H, OH);
      for (let ox = 0; ox < OW; ox++) {
        const sx = sample(ox, W, OW);
        let acc = 0;
        for (let y = 0; y < H; y++) {
          for (let x = 0; x < W; x++) acc += tent(sy - y) * tent(sx - x) * src[(c * H + y) * W + x]!;
        }
        out[(c * OH + oy) * OW + ox] = acc;
      }
    }
  }
  return out;
}
