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
// reach its speed. Here instead the R×S window slides over the plane directly, each output the
// sum of its taps, gathered:
//
//     out[oh, ow] = bias + Σ_{r, s} w[r, s] · x[oh·strideH + r·dilationH − padH, ow·strideW + s·dilationW − padW]
//
// taken in a double in (r, s) order, as the naive twin does, so the two agree to the bit. In
// the interior of a plane, where every tap is inside, nothing is tested and a 3×3 window runs
// unrolled; there too, with stride 1 along rows, four outputs at a time run on WebAssembly SIMD
// (./wasm/depthwise-simd.ts, in Float32: the one place the bits differ from the twin's).
//
// The input gradient sends each term's dout·w back to the pixel it read. With stride 1 that is
// again a gather, the same window flipped:
//
//     dx[ih, iw] += Σ_{r, s} w[r, s] · dout[ih + padH − r·dilationH, iw + padW − s·dilationW]
//
// and the same code runs it (the `Window` below says which way it reads). With a larger stride
// only some taps reach a pixel, by its phase, so it is scattered instead, a row at a time:
// dx[ih, ·] += w[r, s] · dout[oh, ·], strided.
//
// Output channel k only reads input channel c = floor(k / M), so both kernels write only the
// planes of their own channels: they split over threads by (image, channel) planes, each value
// the same sum in the same order whoever computes it. The weights' gradient is left to the
// grouped path (DeepDream never asks for it). No scratch: the column buffer the grouped path
// needs is not allocated at all, and the rule's memory estimate counts none.
//
// Measured (bench/depthwise.bench.ts: Float32, one thread, 3×3 pad 1, MobileNet's shapes; old
// (grouped) and new alternating in one run; two runs at 17:53 UTC on the 2-core machine while
// it was quiet, load ~1; the ratio is the grouped path's time over this one's):
//
//     shape         forward     dx
//     32×112² s1    2.9–3.7×   11.6–12.1×   SIMD interior, 3–5 GFLOP/s; the old dx pays col2im
//     64×112² s2    1.7–2.3×    1.1–1.3×    JS; the strided dx scatter does little better than col2im
//     512×14² s1    2.1–2.3×    2.1–2.5×    rows of 14: three quads and the edges in JS
//     512×14² s2    2.7–3.7×    2.2–2.6×    small planes: the old path's per-group GEMM set-up
//
// Against PyTorch 1.13 (torch.nn.functional.conv2d with groups = C, one thread, medians of 15;
// 18:23 UTC, quiet) the same shapes took, this kernel's time over PyTorch's: forward 2.5×,
// 4.3×, 15×, 8.6×; dx 0.78×, 5.8×, 5.0×, 5.5×. Only the big stride-1 planes are near it. On
// small planes the time is per row, not per tap (512×14² s1: 17 ns an output): the SIMD kernel
// is called once per row for three quads, and the borders run the checked loop — one call per
// plane, looping over rows inside the module, is the next step.
//
// (Under load 12–15 the old path slowed two to three times more than this one, and the ratios
// grew to 8–9× and 25–28× on 32×112² s1.) Gathering the strided dx by phase instead — the pixels
// of one phase see a fixed sub-window of the taps — was tried and was slower (0.5× the old path
// on 64×112² s2, at load 13): likely because the sub-windows are 1×1 to 2×2, too small for the
// loops over them to pay.
//
// Before the SIMD interior and the unrolled 3×3, the same loops as shifted row updates
// (out[oh, ·] += w[r, s] · x[ih, ·] per tap) ran at 0.7× the old path on 32×112² s1: the old
// one's im2col is a memcpy per row and its GEMM is SIMD, which scalar JS does not match.

import type { Floats } from "../tensor/tensor.js";
import { defineJob, pieceRange, piecesFor } from "../threads/pool.js";
import type { ConvGeometry } from "./conv-geometry.js";
import { gemmBackend } from "./gemm.js";
import { validRange } from "./conv-geometry.js";
import { depthwise3x3Quads, depthwisePlanes, depthwiseSimdAvailable, type DepthwisePlanes } from "./wasm/depthwise-simd.js";
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
 * nine weights in locals and no bounds tests; the border runs the checked loop. With `simd` (the
 * module's planes, which dst and src then are; only for stepW = 1 and tapW = ±1, see
 * `fitsSimd`) the interior runs four columns at a time on WebAssembly.
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
  simd: DepthwisePlanes | null,
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
  // A 3×3 window's nine weights, in locals.
  const w00 = unrolled ? w[wOff]! : 0,
    w01 = unrolled ? w[wOff + 1]! : 0,
    w02 = unrolled ? w[wOff + 2]! : 0,
    w10 = unrolled ? w[wOff + 3]! : 0,
    w11 = unrolled ? w[wOff + 4]! : 0,
    w12 = unrolled ? w[wOff + 5]! : 0,
    w20 = unrolled ? w[wOff + 6]! : 0,
    w21 = unrolled ? w[wOff + 7]! : 0,
    w22 = unrolled ? w[wOff + 8]! : 0;
  // The SIMD kernel reads each tap row left to right: a mirrored window (tapW = −1) hands it
  // the weights mirrored.
  if (simd !== null) for (let k = 0; k < 9; k++) simd.weights[k] = w[wOff + (tapW > 0 ? k : k + 2 - 2 * (k % 3))]!;
  for (let a = 0; a < A; a++) {
    const o = dOff + a * B;
    const row0 = a * stepH - shiftH; // the source row of tap r = 0; tap r reads row0 + r·tapH
    const rowsInside = row0 >= 0 && row0 < SH && row0 + (R - 1) * tapH >= 0 && row0 + (R - 1) * tapH < SH;
    const bLo = rowsInside ? lo : B,
      bHi = rowsInside ? hi : B; // the interior of this row
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
      let from = bLo;
      const quads = simd === null ? 0 : (bHi - bLo) >> 2;
      if (quads > 0) {
        // Four columns at a time on WebAssembly (./wasm/depthwise-simd.ts), in Float32; the
        // remaining columns below. Its tap (0, 0) is the row's leftmost tap column.
        const at = o + bLo,
          end = at + 4 * quads;
        if (!accumulate) dst.fill(bias, at, end);
        depthwise3x3Quads(x0 + bLo - (tapW < 0 ? 2 : 0), at, quads, tapH * SW);
        if (relu) for (let i = at; i < end; i++) if (!(dst[i]! > 0)) dst[i] = 0;
        from = bLo + 4 * quads;
      }
      for (let b = from; b < bHi; b++) {
        const i = b * stepW;
        const acc =
          (accumulate ? dst[o + b]! : bias) +
          w00 * src[x0 + i]! +
          w01 * src[x0 + i + t1]! +
          w02 * src[x0 + i + t2]! +
          w10 * src[x1 + i]! +
          w11 * src[x1 + i + t1]! +
          w12 * src[x1 + i + t2]! +
          w20 * src[x2 + i]! +
          w21 * src[x2 + i + t1]! +
          w22 * src[x2 + i + t2]!;
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
  const simd = fitsSimd(x, g) ? depthwisePlanes(H * W, OH * OW) : null;
  for (let p = p0; p < p1; p++) {
    const n = Math.floor(p / C),
      c = p - n * C;
    if (simd !== null) simd.src.set(x.subarray(p * H * W, (p + 1) * H * W));
    for (let k = c * M; k < (c + 1) * M; k++) {
      const oPlane = (n * K + k) * OH * OW,
        b = bias === null ? 0 : bias[k]!;
      if (simd === null) {
        gatherPlane(out, oPlane, x, p * H * W, w, k * R * S, win, b, false, relu, null);
      } else {
        gatherPlane(simd.dst, 0, simd.src, 0, w, k * R * S, win, b, false, relu, simd);
        out.set(simd.dst, oPlane);
      }
    }
  }
}

/** Whether the planes can go through the SIMD kernel: Float32, 3×3, stride and dilation 1 along rows, SIMD at hand (not with the JS GEMM forced). */
function fitsSimd(x: Floats, g: ConvGeometry): boolean {
  const shape = g.R === 3 && g.S === 3 && g.strideW === 1 && g.dilationW === 1;
  return shape && x instanceof Float32Array && gemmBackend() !== "js" && depthwiseSimdAvailable();
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
    const simd = fitsSimd(dx, g) ? depthwisePlanes(OH * OW, H * W) : null;
    for (let p = p0; p < p1; p++) {
      const n = Math.floor(p / C),
        c = p - n * C;
      if (simd !== null) simd.dst.set(dx.subarray(p * H * W, (p + 1) * H * W));
      for (let k = c * M; k < (c + 1) * M; k++) {
        const oPlane = (n * K + k) * OH * OW;
        if (simd === null) {
          gatherPlane(dx, p * H * W, dout, oPlane, w, k * R * S, win, 0, true, false, null);
        } else {
          simd.src.set(dout.subarray(oPlane, oPlane + OH * OW));
          gatherPlane(simd.dst, 0, simd.src, 0, w, k * R * S, win, 0, true, false, simd);
        }
      }
      if (simd !== null) dx.set(simd.dst, p * H * W);
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
