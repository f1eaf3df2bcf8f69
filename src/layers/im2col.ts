// im2col / col2im: turning a convolution into a matrix product.
//
// Legend: N batch, C input channels, H W input height and width; K output channels, R S kernel
// height and width; OH OW output height and width; G groups (each sees C/G inputs, makes K/G
// outputs).
//
// A convolution output is a dot product between one filter (C/G·R·S weights) and the matching
// input patch. im2col copies every patch into a column, so that for one image and one group
//
//     col[(c·R + r)·S + s, oh·OW + ow] = x[c, oh·strideH − padH + r·dilationH,
//                                            ow·strideW − padW + s·dilationW]   (0 outside)
//
// and the convolution becomes a GEMM:  out[K/G × OH·OW] = W[K/G × C/G·R·S] · col[C/G·R·S × OH·OW].
// The row order (c, r, s) is exactly the memory order of a Caffe weight blob [K, C/G, R, S], so
// the weights need no reshuffling.
//
// col2im is the adjoint (transpose) of im2col: it adds every column entry back onto the pixel it
// was copied from, summing where patches overlap. That is what the backward pass needs:
// dx = col2im(Wᵀ · dout). The adjoint identity ⟨im2col(x), y⟩ = ⟨x, col2im(y)⟩ is tested.
// The sizes (OH, OW, …) come from `convGeometry` in ./conv-geometry.ts. For Float32 data with a
// horizontal stride of 1 or 2, col2im runs on WebAssembly SIMD (./wasm/col2im-simd.ts), the same
// additions in the same order.

import type { Floats } from "../tensor/tensor.js";
import { defineJob, pieceRange, piecesFor } from "../threads/pool.js";
import { col2imRuns, validRange, type ConvGeometry } from "./conv-geometry.js";
import { col2imSimd, col2imSimdAvailable } from "./wasm/col2im-simd.js";

/**
 * With stride 1 a patch row is a contiguous run of x, and `TypedArray.set` copies it as one block:
 * on GoogLeNet's 3×3 layers at 448² that made im2col 2.3× faster for 112-wide rows and 1.5× for
 * 56-wide ones, but 15% slower for 28-wide rows, where the call costs more than the copy.
 */
const MIN_SET_LENGTH = 32;

// The pieces for threads are bands of rows, so that a 3-channel first layer splits as well as a
// 480-channel one. im2col's piece is a band of output rows [oh0, oh1): it writes those rows'
// columns of every col row, which no other band writes. col2im's piece is a band of input rows
// [h0, h1): it adds in every col entry that lands in the band, visiting them in the same order
// (c, r, s, oh, ow) as one piece would, so each pixel's sum is the same however the bands fall.

/**
 * Output rows [oh0, oh1) of col[C/G·R·S × OH·OW] = the patches of x[C/G, H, W] (one image, one
 * group), zero where a patch hangs over the padding. Overwrites those rows' columns of `col`.
 */
export function im2col(col: Floats, x: Floats, g: ConvGeometry, oh0: number, oh1: number): void {
  const { H, W, R, S, OH, OW, strideH, strideW, padH, padW, dilationH, dilationW } = g;
  let row = 0; // start of the current col row, (c·R + r)·S + s times OH·OW
  for (let c = 0; c < g.C / g.groups; c++) {
    const xc = c * H * W;
    for (let r = 0; r < R; r++) {
      for (let s = 0; s < S; s++) {
        const dw = s * dilationW - padW;
        const [owLo, owHi] = validRange(dw, strideW, W, OW);
        for (let oh = oh0; oh < oh1; oh++) {
          const ih = oh * strideH - padH + r * dilationH;
          const o = row + oh * OW;
          if (ih < 0 || ih >= H) {
            col.fill(0, o, o + OW);
            continue;
          }
          const xrow = xc + ih * W + dw; // + ow·strideW gives the input column
          for (let ow = 0; ow < owLo; ow++) col[o + ow] = 0;
          if (strideW === 1 && owHi - owLo >= MIN_SET_LENGTH) {
            col.set(x.subarray(xrow + owLo, xrow + owHi), o + owLo); // one contiguous run: a memcpy
          } else {
            for (let ow = owLo; ow < owHi; ow++) col[o + ow] = x[xrow + ow * strideW]!;
          }
          for (let ow = owHi; ow < OW; ow++) col[o + ow] = 0;
        }
        row += OH * OW;
      }
    }
  }
}

/**
 * Input rows [h0, h1) of x[C/G, H, W] += the column entries of col[C/G·R·S × OH·OW] added back
 * onto the pixels they came from — the adjoint of `im2col`. Accumulates into `x`.
 */
export function col2im(x: Floats, col: Floats, g: ConvGeometry, h0: number, h1: number): void {
  const { H, W, OW, strideH, strideW } = g;
  col2imRuns(g, h0, h1, (row, c, ohLo, ohHi, owLo, owHi, ih, iw) => {
    for (let oh = ohLo; oh < ohHi; oh++) {
      const o = row + oh * OW;
      const xrow = c * H * W + (ih + (oh - ohLo) * strideH) * W + iw - owLo * strideW; // + ow·strideW gives the pixel
      for (let ow = owLo; ow < owHi; ow++) x[xrow + ow * strideW]! += col[o + ow]!;
    }
  });
}

type Columns = { col: Floats; x: Floats; g: ConvGeometry };
type Uncolumns = Columns & { simd: boolean };
export const im2colJob = defineJob("im2col", (a: Columns, piece: number, pieces: number) =>
  im2col(a.col, a.x, a.g, ...pieceRange(a.g.OH, piece, pieces)),
);
export const col2imJob = defineJob("col2im", (a: Uncolumns, piece: number, pieces: number) => {
  const [h0, h1] = pieceRange(a.g.H, piece, pieces);
  if (a.simd) col2imSimd(a.x as Float32Array, a.col as Float32Array, a.g, h0, h1);
  else col2im(a.x, a.col, a.g, h0, h1);
});

/** `im2col` of every output row, in as many bands as the threads and the size make worth it. */
export function im2colInThreads(col: Floats, x: Floats, g: ConvGeometry): void {
  im2colJob.run({ col, x, g }, piecesFor(col.length, g.OH));
}

/**
 * `col2im` of every input row, in bands across the threads; the sums do not depend on them.
 * With `wasm` (the caller's GEMM is not the plain-JS one), Float32 data with a horizontal stride
 * of 1 or 2 goes through WebAssembly SIMD (./wasm/col2im-simd.ts, the same bits).
 */
export function col2imInThreads(x: Floats, col: Floats, g: ConvGeometry, wasm = false): void {
  const simd =
    wasm && x instanceof Float32Array && col instanceof Float32Array && (g.strideW === 1 || g.strideW === 2) && col2imSimdAvailable(); // decided here: a worker's default may differ
  col2imJob.run({ x, col, g, simd }, piecesFor(col.length, g.H));
}

/** Reference im2col: the defining formula, one bounds check per element. */
export function im2colNaive(col: Floats, x: Floats, g: ConvGeometry): void {
  const { H, W, R, S, OH, OW } = g;
  for (let c = 0; c < g.C / g.groups; c++) {
    for (let r = 0; r < R; r++) {
      for (let s = 0; s < S; s++) {
        for (let oh = 0; oh < OH; oh++) {
          for (let ow = 0; ow < OW; ow++) {
            const ih = oh * g.strideH - g.padH + r * g.dilationH;
            const iw = ow * g.strideW - g.padW + s * g.dilationW;
            const inside = ih >= 0 && ih < H && iw >= 0 && iw < W;
            col[(((c * R + r) * S + s) * OH + oh) * OW + ow] = inside ? x[(c * H + ih) * W + iw]! : 0;
          }
        }
      }
    }
  }
}

/** Reference col2im: the same loops as `im2colNaive`, with the copy turned around. */
export function col2imNaive(x: Floats, col: Floats, g: ConvGeometry): void {
  const { H, W, R, S, OH, OW } = g;
  for (let c = 0; c < g.C / g.groups; c++) {
    for (let r = 0; r < R; r++) {
      for (let s = 0; s < S; s++) {
        for (let oh = 0; oh < OH; oh++) {
          for (let ow = 0; ow < OW; ow++) {
            const ih = oh * g.strideH - g.padH + r * g.dilationH;
            const iw = ow * g.strideW - g.padW + s * g.dilationW;
            if (ih >= 0 && ih < H && iw >= 0 && iw < W) {
              x[(c * H + ih) * W + iw]! += col[(((c * R + r) * S + s) * OH + oh) * OW + ow]!;
            }
          }
        }
      }
    }
  }
}
