// Depthwise convolution: a grouped convolution with one input channel per group (G = C), as in
// MobileNet's 3×3 layers. Output channel k = c·M + j (M = K/C, the "channel multiplier",
// usually 1) sees input channel c alone:
//
//     out[n, k, oh, ow] = bias[k] + Σ_{r, s} w[k, 0, r, s] ·
//                         x[n, c, oh·strideH − padH + r·dilationH, ow·strideW − padW + s·dilationW]
//
// (./conv.ts's formula with C/G = 1; x is zero outside the image). Legend as there: N batch, C
// input channels, H W input size, K output channels, R S kernel size, OH OW output size.
//
// Run through im2col + GEMM group by group, each group is a product of a 1 × R·S matrix by an
// R·S × OH·OW one: R·S copies of the plane into the column buffer, then a GEMM too thin to
// reach its speed. Here instead the R×S window slides over the plane directly: for every output
// row and every tap (r, s), the input row it reads, shifted, is added in times that tap's weight,
//
//     out[oh, lo:hi] += w[r, s] · x[ih, lo·strideW + s·dilationW − padW : … : strideW]
//
// over the columns [lo, hi) whose input lies inside the row (the rest read padding, which is
// zero). The input gradient is the same walk with the roles turned round, each term w·x sending
// dout·w back to the pixel it read:
//
//     dx[c, ih, lo·strideW + s·dilationW − padW : …] += w[r, s] · dout[k, oh, lo:hi]
//
// summed over the M output channels of c. Both write only the planes of their own channels, so
// they split over threads by (image, channel) planes; each value is the same sum in the same
// order whoever computes it. The weights' gradient is left to the grouped path (DeepDream never
// asks for it). No scratch at all: the column buffer the grouped path needs is not allocated.
//
// Measured (bench/depthwise.bench.ts: Float32, one thread, 3×3 pad 1, old and new alternating in
// one run on the shared 2-core machine at load ~10, so only the ratios mean anything; the ratio
// is the grouped path's time over this one's):
//
//     shape         forward   dx
//     32×112² s1     0.7×    1.6×
//     64×112² s2     1.7×    1.1×
//     512×14² s1     1.9×    1.3×
//     512×14² s2     7.7×    5.8×
//
// Small planes gain most: there the grouped path pays its per-group GEMM set-up 512 times.
// On large stride-1 planes the grouped path's im2col is a memcpy per row and its GEMM runs on
// WebAssembly SIMD, four columns at a time, which scalar JS does not match.

import type { Floats } from "../tensor/tensor.js";
import { defineJob, pieceRange, piecesFor } from "../threads/pool.js";
import type { ConvGeometry } from "./conv-geometry.js";
import { validRange } from "./im2col.js";
import { convAlgorithm } from "./winograd.js";

/** A grouped convolution with one input channel per group (G = C > 1): what these kernels run. */
export function depthwiseEligible(g: ConvGeometry): boolean {
  return g.groups === g.C && g.C > 1;
}

/** Whether `conv2d` runs this convolution by the direct depthwise kernels now (not when im2col is forced). */
export function usesDepthwise(g: ConvGeometry): boolean {
  return depthwiseEligible(g) && convAlgorithm() !== "im2col";
}

/**
 * How a destination plane (A×B) reads a source plane (SH×SW) through the R×S window: destination
 * (a, b) and tap (r, s) read source row a·stepH + r·tapH − shiftH and column b·stepW + s·tapW −
 * shiftW. The forward reads x with (stride, dilation, pad); the stride-1 input gradient reads
 * dout with (1, −dilation, −pad), the flipped window.
 */
interface Window {
  A: number;
  B: number;
  SH: number;
  SW: number;
  R: number;
  S: number;
  stepH: number;
  tapH: number;
  shiftH: number;
  stepW: number;
  tapW: number;
  shiftW: number;
}

/**
 * dst[dOff + a·B + b] = init + Σ_{r, s} w[wOff + r·S + s] · src[sOff + row·SW + col] over the taps
 * inside the source, for every (a, b) of the plane; init is bias, or with `accumulate` the value
 * already there. The sum is taken in a JS number (double) in (r, s) order, then stored once.
 * Where all R·S taps are inside (the interior of a plane) a 3×3 window runs unrolled, with its
 * nine weights in locals and no bounds tests; the border runs the checked loop.
 */
function gatherPlane(
  dst: Floats,
  dOff: number,
  src: Floats,
  sOff: number,
  w: Floats,
  wOff: number,
  win: Window,
  bias: number,
  accumulate: boolean,
  relu: boolean,
): void {
  const { A, B, SH, SW, R, S, stepH, tapH, shiftH, stepW, tapW, shiftW } = win;
  // The columns b whose every tap column b·stepW + s·tapW − shiftW is inside [0, SW).
  let lo = 0,
    hi = B;
  for (let s = 0; s < S; s++) {
    const [l, h] = validRange(s * tapW - shiftW, stepW, SW, B);
    lo = Math.max(lo, l);
    hi = Math.min(hi, h);
  }
  if (hi < lo) hi = lo;
  const unrolled = R === 3 && S === 3;
  const [w00, w01, w02, w10, w11, w12, w20, w21, w22] = unrolled ? w.subarray(wOff, wOff + 9) : new Float64Array(9);
  for (let a = 0; a < A; a++) {
    const o = dOff + a * B;
    const row0 = a * stepH - shiftH; // the source row of tap r = 0; tap r reads row0 + r·tapH
    const rowsInside = row0 >= 0 && row0 < SH && row0 + (R - 1) * tapH >= 0 && row0 + (R - 1) * tapH < SH;
    const [bLo, bHi] = rowsInside ? [lo, hi] : [B, B]; // the interior of this row
    // The border: every tap checked.
    for (let b = 0; b < B; b++) {
      if (b === bLo) b = bHi;
      if (b >= B) break;
      let acc = accumulate ? dst[o + b]! : bias;
      for (let r = 0; r < R; r++) {
        const row = row0 + r * tapH;
        if (row < 0 || row >= SH) continue;
        for (let s = 0; s < S; s++) {
          const col = b * stepW + s * tapW - shiftW;
          if (col < 0 || col >= SW) continue;
          acc += w[wOff + r * S + s]! * src[sOff + row * SW + col]!;
        }
      }
      dst[o + b] = relu && !(acc > 0) ? 0 : acc;
    }
    if (bLo >= bHi) continue;
    // The interior: every tap inside.
    const base = sOff + row0 * SW - shiftW; // + r·tapH·SW + b·stepW + s·tapW
    if (unrolled) {
      const x0 = base,
        x1 = base + tapH * SW,
        x2 = base + 2 * tapH * SW,
        t1 = tapW,
        t2 = 2 * tapW;
      for (let b = bLo; b < bHi; b++) {
        const i = b * stepW;
        const acc =
          (accumulate ? dst[o + b]! : bias) +
          w00! * src[x0 + i]! +
          w01! * src[x0 + i + t1]! +
          w02! * src[x0 + i + t2]! +
          w10! * src[x1 + i]! +
          w11! * src[x1 + i + t1]! +
          w12! * src[x1 + i + t2]! +
          w20! * src[x2 + i]! +
          w21! * src[x2 + i + t1]! +
          w22! * src[x2 + i + t2]!;
        dst[o + b] = relu && !(acc > 0) ? 0 : acc;
      }
    } else {
      for (let b = bLo; b < bHi; b++) {
        let acc = accumulate ? dst[o + b]! : bias;
        for (let r = 0; r < R; r++) {
          const x = base + r * tapH * SW + b * stepW;
          for (let s = 0; s < S; s++) acc += w[wOff + r * S + s]! * src[x + s * tapW]!;
        }
        dst[o + b] = relu && !(acc > 0) ? 0 : acc;
      }
    }
  }
}

/**
 * out = depthwise conv(x, w) + bias for the (image, channel) planes [p0, p1) of x (plane
 * p = n·C + c), writing the M output planes of each; max(·, 0) with `relu`. Overwrites them.
 * x [N, C, H, W], w [K, 1, R, S], bias [K] or null, out [N, K, OH, OW].
 */
export function depthwiseForward(
  out: Floats,
  x: Floats,
  w: Floats,
  bias: Floats | null,
  g: ConvGeometry,
  relu: boolean,
  p0: number,
  p1: number,
): void {
  const { C, H, W, K, R, S, OH, OW } = g;
  const M = K / C;
  const win: Window = {
    A: OH,
    B: OW,
    SH: H,
    SW: W,
    R,
    S,
    stepH: g.strideH,
    tapH: g.dilationH,
    shiftH: g.padH,
    stepW: g.strideW,
    tapW: g.dilationW,
    shiftW: g.padW,
  };
  for (let p = p0; p < p1; p++) {
    const n = Math.floor(p / C),
      c = p - n * C;
    for (let k = c * M; k < (c + 1) * M; k++) {
      gatherPlane(out, (n * K + k) * OH * OW, x, p * H * W, w, k * R * S, win, bias === null ? 0 : bias[k]!, false, relu);
    }
  }
}

/**
 * dx += the input gradient of the depthwise convolution, for the (image, channel) planes
 * [p0, p1) of dx: each plane gathers from its channel's M output planes of dout.
 * dx [N, C, H, W], dout [N, K, OH, OW], w [K, 1, R, S].
 *
 * With stride 1 the gradient is itself a depthwise correlation of dout with the flipped window:
 * dx[ih, iw] += Σ_{r, s} w[r, s] · dout[ih + padH − r·dilationH, iw + padW − s·dilationW], which
 * `gatherPlane` runs. With a larger stride only some taps reach a pixel, by its phase, and the
 * gradient is scattered instead, row by row: dx[ih, ·] += w[r, s] · dout[oh, ·] for every tap.
 */
export function depthwiseBackwardData(dx: Floats, dout: Floats, w: Floats, g: ConvGeometry, p0: number, p1: number): void {
  const { C, H, W, K, R, S, OH, OW, strideH, strideW, padH, dilationH, dilationW, padW } = g;
  const M = K / C;
  if (strideH === 1 && strideW === 1) {
    const win: Window = {
      A: H,
      B: W,
      SH: OH,
      SW: OW,
      R,
      S,
      stepH: 1,
      tapH: -dilationH,
      shiftH: -padH,
      stepW: 1,
      tapW: -dilationW,
      shiftW: -padW,
    };
    for (let p = p0; p < p1; p++) {
      const n = Math.floor(p / C),
        c = p - n * C;
      for (let k = c * M; k < (c + 1) * M; k++) gatherPlane(dx, p * H * W, dout, (n * K + k) * OH * OW, w, k * R * S, win, 0, true, false);
    }
    return;
  }
  const ranges = new Int32Array(2 * S); // per tap column s, the output columns [lo, hi) whose input is inside
  for (let s = 0; s < S; s++) ranges.set(validRange(s * dilationW - padW, strideW, W, OW), 2 * s);
  for (let p = p0; p < p1; p++) {
    const n = Math.floor(p / C),
      c = p - n * C;
    const xPlane = p * H * W;
    for (let k = c * M; k < (c + 1) * M; k++) {
      const oPlane = (n * K + k) * OH * OW;
      for (let oh = 0; oh < OH; oh++) {
        const o = oPlane + oh * OW;
        for (let r = 0; r < R; r++) {
          const ih = oh * strideH - padH + r * dilationH;
          if (ih < 0 || ih >= H) continue;
          for (let s = 0; s < S; s++) {
            const wv = w[(k * R + r) * S + s]!;
            const xrow = xPlane + ih * W + s * dilationW - padW; // + ow·strideW: the pixel read
            const hi = ranges[2 * s + 1]!;
            for (let ow = ranges[2 * s]!; ow < hi; ow++) dx[xrow + ow * strideW]! += wv * dout[o + ow]!;
          }
        }
      }
    }
  }
}

type Forward = { out: Floats; x: Floats; w: Floats; bias: Floats | null; g: ConvGeometry; relu: boolean };
type BackwardData = { dx: Floats; dout: Floats; w: Floats; g: ConvGeometry };
export const depthwiseForwardJob = defineJob("depthwiseForward", (a: Forward, piece: number, pieces: number) =>
  depthwiseForward(a.out, a.x, a.w, a.bias, a.g, a.relu, ...pieceRange(a.g.N * a.g.C, piece, pieces)),
);
export const depthwiseBackwardDataJob = defineJob("depthwiseBackwardData", (a: BackwardData, piece: number, pieces: number) =>
  depthwiseBackwardData(a.dx, a.dout, a.w, a.g, ...pieceRange(a.g.N * a.g.C, piece, pieces)),
);

/** `depthwiseForward` of every plane, in as many pieces as the threads and the size make worth it. */
export function depthwiseForwardInThreads(out: Floats, x: Floats, w: Floats, bias: Floats | null, g: ConvGeometry, relu: boolean): void {
  depthwiseForwardJob.run({ out, x, w, bias, g, relu }, piecesFor(out.length, g.N * g.C));
}

/** `depthwiseBackwardData` of every plane, in pieces across the threads; the sums do not depend on them. */
export function depthwiseBackwardDataInThreads(dx: Floats, dout: Floats, w: Floats, g: ConvGeometry): void {
  depthwiseBackwardDataJob.run({ dx, dout, w, g }, piecesFor(dout.length, g.N * g.C));
}
