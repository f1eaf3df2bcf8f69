// Winograd convolution (Lavin & Gray 2015, "Fast Algorithms for Convolutional Neural Networks")
// for the R×S = r×r, stride-1, undilated, ungrouped convolutions: conv2/3x3 and every inception
// 3×3 branch, about 60% of a DeepDream step's FLOPs.
//
// Legend: N batch, C input channels, H W input size; K output channels, r×r kernel; OH OW
// output size; m×m outputs per tile, α = m + r − 1 inputs per tile per axis; tiles T =
// N·⌈OH/m⌉·⌈OW/m⌉. ./winograd-transforms.ts builds Aᵀ [m×α], G [α×r], Bᵀ [α×α] from the
// interpolation points and explains them; F(4, 3) (points 0, ±1, ±2, ∞) is the one used here.
//
// Per output tile Y (m×m) of channel k, with d_c the α×α input patch of channel c under it:
//     Y = Aᵀ [ Σ_c (G g_kc Gᵀ) ⊙ (Bᵀ d_c B) ] A
// The sum over c can move inside the ⊙ because every transform is linear. So with
//     U[ξν][k][c] = (G g_kc Gᵀ)[ξ][ν]      (the weights, transformed once: see the cache below)
//     V[ξν][c][t] = (Bᵀ d_ct B)[ξ][ν]       (the input, transformed per call)
// the element-wise stage is, for each of the α² positions (ξ, ν), one matrix product
//     M[ξν] [K×T] = U[ξν] [K×C] · V[ξν] [C×T]
// which runs on the same GEMM kernels as im2col convolution (./gemm.ts), and Y = Aᵀ M_kt A.
//
// Multiplies per output value, against im2col's r² = 9: F(2,3) (α = 4) 16/4 = 4, 2.25× fewer;
// F(4,3) (α = 6) 36/16 = 2.25, 4× fewer; F(6,3) (α = 8) 64/36 = 1.78, 5.06× fewer. The
// transforms add O(α²·(C + K)·T) work, independent of K·C; they are cheap only while C and K
// are large (tens or more), which every 3×3 layer of GoogLeNet is.
//
// Rounding. Interpolating at larger points multiplies by larger numbers (F(6,3)'s Bᵀ holds 5.25,
// its Aᵀ 2⁵ and 2⁻⁵), so larger tiles round more. Measured on GoogLeNet's real weights and
// activations (the golden cat at 224², every 3×3 layer up to inception_4c, bench/winograd-error.ts),
// against the direct convolution in Float64, the worst layer's max |Δ| / max |output| and
// ‖Δ‖₂ / ‖output‖₂:
//                        computed in Float64          computed in Float32
//     im2col + GEMM      1.8e-15 / 9.2e-16            5.2e-7 / 2.2e-7
//     F(2,3)             1.8e-15 / 1.0e-15            3.5e-7 / 2.4e-7
//     F(4,3)             8.8e-15 / 2.1e-15            4.2e-6 / 1.0e-6
//     F(6,3)             1.6e-14 / 3.6e-15            7.5e-6 / 1.8e-6
// F(4,3) rounds 5–8× more than im2col in Float32, still far inside the ~1e-4 at deep layers that
// the golden tests allow. (On uniform [−1, 1] weights, far larger than trained ones, the gap is
// wider: 2.5e-4 against 1.3e-5 of max(|output|, 1) at conv2/3x3's shape, bench/conv.bench.ts.)
// Speed decided (bench/README.md, GoogLeNet's 3×3 shapes at 224² and 448², one thread):
// F(4,3) was the fastest, 1.6–2.6× im2col with its transforms written
// out (./winograd-f43.ts), where the general sparse-matrix transforms of F(2,3) and F(6,3) were
// slower than im2col. That is not only their code: every GoogLeNet size (112, 56, 28, 14) is a
// multiple of 4, so no tile is wasted, whereas F(6,3) pads 14 to 18 and 28 to 30; and F(2,3)
// does 1.8× F(4,3)'s multiplies and moves 1.8× its transformed values per output.
//
// The input gradient of a stride-1 r×r convolution with padding p is itself one: dx = conv of dout
// with the weights rotated 180° and K/C swapped, padding r − 1 − p (which may be negative: a crop),
// so the same three stages compute it, with their own transformed weights. The weight gradient stays
// on im2col (../conv.ts): DeepDream never needs it.
//
// The transforms: the general kernels below apply Bᵀ and Aᵀ as sparse matrices; F(4, 3)'s are
// written out in ./winograd-f43.ts, and for Float32 data run on WebAssembly SIMD, two Float64
// lanes at a time with the same sums in the same order (./wasm/winograd-simd.ts: the same bits).
//
// Threads: the input transform is split over input planes (n, c), the α² products over (ξ, ν), the
// output transform over output planes (n, k). Each value is one fixed sequence of operations
// whichever thread computes it, so the results do not depend on the thread count.

import type { Floats } from "../tensor/tensor.js";
import { isShared, scratchFor } from "../tensor/buffers.js";
import { defineJob, pieceRange, piecesFor, splitInto, threadCount } from "../threads/pool.js";
import type { ConvGeometry } from "./conv-geometry.js";
import { gemmBackend, gemmHere, type GemmKernel } from "./gemm.js";
import { reluMaskInThreads } from "./relu.js";
import { packAForSimd, packedALength } from "./wasm/gemm-simd.js";
import { maskFloatsKeepsBits } from "./wasm/gemm-simd-module.js";
import { winogradTransforms, type WinogradTransforms } from "./winograd-transforms.js";
import { inputColumns43, inputRows43, outputColumns43, outputRows43 } from "./winograd-f43.js";
import { winogradInputSimd, winogradOutputSimd, winogradSimdAvailable } from "./wasm/winograd-simd.js";

/** The tile size used: F(4×4, 3×3) (see the header for the measurements behind it). */
export const WINOGRAD_M = 4;

/** Whether a convolution can run as Winograd's: 3×3 kernel, stride 1, no dilation, one group. */
export function winogradEligible(g: ConvGeometry): boolean {
  return g.R === 3 && g.S === 3 && g.strideH === 1 && g.strideW === 1 && g.dilationH === 1 && g.dilationW === 1 && g.groups === 1;
}

/** The sizes of one Winograd convolution: input [N, C, H, W] → output [N, K, OH, OW] in tiles of m×m. */
export interface WinogradGeometry {
  N: number;
  C: number;
  H: number;
  W: number;
  K: number;
  OH: number;
  OW: number;
  padH: number;
  padW: number; // may be negative (the input gradient of a convolution with pad > r − 1)
  m: number;
  r: number;
  alpha: number;
  tilesH: number;
  tilesW: number; // per image
  T: number; // N·tilesH·tilesW, the columns of every product
}

function winogradGeometry(
  N: number,
  C: number,
  H: number,
  W: number,
  K: number,
  OH: number,
  OW: number,
  padH: number,
  padW: number,
  m: number,
  r: number,
): WinogradGeometry {
  const tilesH = Math.ceil(OH / m),
    tilesW = Math.ceil(OW / m);
  return { N, C, H, W, K, OH, OW, padH, padW, m, r, alpha: m + r - 1, tilesH, tilesW, T: N * tilesH * tilesW };
}

/** The forward's geometry: x [N, C, H, W] → out [N, K, OH, OW]. */
export function forwardGeometry(g: ConvGeometry, m: number = WINOGRAD_M): WinogradGeometry {
  return winogradGeometry(g.N, g.C, g.H, g.W, g.K, g.OH, g.OW, g.padH, g.padW, m, g.R);
}

/** The input gradient's: dout [N, K, OH, OW] → dx [N, C, H, W], padding r − 1 − pad. */
export function backwardGeometry(g: ConvGeometry, m: number = WINOGRAD_M): WinogradGeometry {
  return winogradGeometry(g.N, g.K, g.OH, g.OW, g.C, g.H, g.W, g.R - 1 - g.padH, g.S - 1 - g.padW, m, g.R);
}

// ---------------------------------------------------------------------------------------------
// The weight transform, and the cache that keeps it.

/**
 * U[ξν][k][c] = (G g_kc Gᵀ)[ξ][ν] for weights w [K, C, r, r] — or, with `rotated`, for the input
 * gradient's weights w'[c][k][i][j] = w[k][c][r−1−i][r−1−j] (then U is [α²][C][K]). Computed in
 * Float64, rounded once into U.
 */
export function transformWeights(U: Floats, w: Floats, K: number, C: number, t: WinogradTransforms, rotated: boolean): void {
  const { r, alpha, G } = t;
  const gk = new Float64Array(r * r),
    tmp = new Float64Array(alpha * r);
  const rows = rotated ? C : K,
    cols = rotated ? K : C; // U's [rows × cols] per (ξ, ν)
  for (let k = 0; k < K; k++) {
    for (let c = 0; c < C; c++) {
      const base = (k * C + c) * r * r;
      for (let i = 0; i < r * r; i++) gk[i] = w[base + (rotated ? r * r - 1 - i : i)]!;
      // tmp = G·g  [α × r], then (G·g)·Gᵀ [α × α]
      for (let xi = 0; xi < alpha; xi++) {
        for (let j = 0; j < r; j++) {
          let s = 0;
          for (let i = 0; i < r; i++) s += G[xi * r + i]! * gk[i * r + j]!;
          tmp[xi * r + j] = s;
        }
      }
      const at = rotated ? c * cols + k : k * cols + c;
      for (let xi = 0; xi < alpha; xi++) {
        for (let nu = 0; nu < alpha; nu++) {
          let s = 0;
          for (let j = 0; j < r; j++) s += tmp[xi * r + j]! * G[nu * r + j]!;
          U[(xi * alpha + nu) * rows * cols + at] = s;
        }
      }
    }
  }
}

// Transformed weights are kept per weight array, so that a net's weights are transformed once,
// not per call. Users may edit a loaded model's weights in place, so every use first compares
// the weights with the copy they were transformed from — bit for bit, K·C·r² values, a cost of
// 1/(OH·OW) of the convolution's own — and transforms again if anything changed. A WeakMap lets
// the entry go with its weights.
interface CachedTransforms {
  snapshot: Floats; // the weights as they were transformed
  byUse: Map<string, Floats>; // "forward 4", "backward 4": U for that use and tile size
}
const cache = new WeakMap<Floats, CachedTransforms>();

/**
 * U for weights w [K, C, r, r] (rotated for the input gradient), from the cache when w is unchanged.
 * With `packed` (Float32 weights, for the WebAssembly GEMM), each U[ξν] is kept as that kernel packs
 * its A (packAForSimd, GemmOptions.packedA), packedALength values apart: the α² products then copy
 * their A in instead of packing it every call, which on small products (49 or 196 tiles) cost as
 * much as a third of the product's time.
 */
export function transformedWeights(w: Floats, K: number, C: number, t: WinogradTransforms, rotated: boolean, packed = false): Floats {
  let entry = cache.get(w);
  if (entry === undefined || !sameBits(entry.snapshot, w)) {
    entry = { snapshot: w.slice(), byUse: new Map() };
    cache.set(w, entry);
  }
  const key = `${rotated ? "backward" : "forward"} ${t.m}${packed ? " packed" : ""}`;
  let U = entry.byUse.get(key);
  // U must be in shared memory while threads are in use, or the products would run on one thread.
  if (U === undefined || isShared(U) !== threadCount() > 1) {
    const alpha2 = t.alpha * t.alpha;
    if (packed) {
      const rows = rotated ? C : K,
        cols = rotated ? K : C,
        plain = new Float32Array(alpha2 * K * C),
        block = packedALength(rows, cols);
      transformWeights(plain, w, K, C, t, rotated);
      U = scratchFor(new Float32Array(0), alpha2 * block);
      for (let q = 0; q < alpha2; q++) {
        packAForSimd(
          U.subarray(q * block, (q + 1) * block) as Float32Array,
          plain.subarray(q * rows * cols, (q + 1) * rows * cols),
          rows,
          cols,
        );
      }
    } else {
      U = scratchFor(w instanceof Float64Array ? new Float64Array(0) : new Float32Array(0), alpha2 * K * C);
      transformWeights(U, w, K, C, t, rotated);
    }
    entry.byUse.set(key, U);
  }
  return U;
}

/** Whether two arrays of one type hold the same bits (NaNs included). */
function sameBits(a: Floats, b: Floats): boolean {
  if (a.length !== b.length || a.constructor !== b.constructor) return false;
  const words = a.byteLength / 4;
  const x = new Int32Array(a.buffer, a.byteOffset, words),
    y = new Int32Array(b.buffer, b.byteOffset, words);
  for (let i = 0; i < words; i++) if (x[i] !== y[i]) return false;
  return true;
}

// ---------------------------------------------------------------------------------------------
// The input and output transforms: range kernels over planes.

/** A transform matrix's non-zero entries row by row (most of Bᵀ's and Aᵀ's are 0 or ±1). */
interface SparseRows {
  start: Int32Array; // row i's entries are [start[i], start[i + 1])
  column: Int32Array;
  value: Float64Array;
}

function sparseRows(a: Float64Array, rows: number, cols: number): SparseRows {
  const start = new Int32Array(rows + 1),
    column: number[] = [],
    value: number[] = [];
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < cols; j++) {
      if (a[i * cols + j] !== 0) {
        column.push(j);
        value.push(a[i * cols + j]!);
      }
    }
    start[i + 1] = column.length;
  }
  return { start, column: Int32Array.from(column), value: Float64Array.from(value) };
}

/** F(m, r)'s transforms with their sparse rows, built once per realm (each worker builds its own). */
interface Plan {
  t: WinogradTransforms;
  BT: SparseRows; // [α × α]
  AT: SparseRows; // [m × α]
}
const plans = new Map<string, Plan>();

function planFor(m: number, r: number): Plan {
  const key = `${m} ${r}`;
  let plan = plans.get(key);
  if (plan === undefined) {
    const t = winogradTransforms(m, r);
    plan = { t, BT: sparseRows(t.BT, t.alpha, t.alpha), AT: sparseRows(t.AT, m, t.alpha) };
    plans.set(key, plan);
  }
  return plan;
}

// Per-realm scratch rows of the transforms (a thread runs one piece at a time): α rows of input
// or output columns, and one value per tile of a row.
let rows64 = new Float64Array(0);
let acc = new Float64Array(0);

/**
 * Input planes [p0, p1) (plane = n·C + c) of V[α²][C][T] = Bᵀ d B for every tile of x [N, C, H, W]
 * (zero outside the image). Two passes per row of tiles: down the columns, t = Bᵀ·(α input rows)
 * across the whole row at once; then along each tile, V = t·B.
 */
export function winogradInput(V: Floats, x: Floats, wg: WinogradGeometry, p0: number, p1: number): void {
  const { C, H, W, padH, padW, m, alpha, tilesH, tilesW, T } = wg;
  const { BT } = planFor(m, wg.r);
  const width = (tilesW - 1) * m + alpha; // input columns −padW … under a row of tiles
  if (rows64.length < 2 * alpha * width) rows64 = new Float64Array(2 * alpha * width);
  if (acc.length < tilesW) acc = new Float64Array(tilesW);
  const d = rows64.subarray(0, alpha * width),
    t = rows64.subarray(alpha * width, 2 * alpha * width);
  const colLo = Math.max(0, padW),
    colHi = Math.min(width, W + padW); // columns of d inside the image
  const stride = C * T; // from V[ξν] to V[ξν + 1]
  const f43 = m === 4 && wg.r === 3; // written out in ./winograd-f43.ts
  for (let plane = p0; plane < p1; plane++) {
    const n = Math.floor(plane / C),
      c = plane % C;
    const xc = plane * H * W;
    for (let th = 0; th < tilesH; th++) {
      const tile0 = (n * tilesH + th) * tilesW;
      const ih0 = th * m - padH; // the first input row under this row of tiles
      if (f43 && ih0 >= 0 && ih0 + alpha <= H && colLo < colHi) {
        // Every input row inside the image: the column transform reads it in place.
        inputColumns43(t, x, xc + ih0 * W - padW, W, width, colLo, colHi);
        inputRows43(V, c * T + tile0, stride, t, width, tilesW);
        continue;
      }
      // d[i][·] = input row th·m − padH + i, columns −padW …, zero outside
      for (let i = 0; i < alpha; i++) {
        const ih = th * m - padH + i,
          row = i * width;
        if (ih < 0 || ih >= H || colLo >= colHi) {
          d.fill(0, row, row + width);
          continue;
        }
        d.fill(0, row, row + colLo);
        const src = xc + ih * W - padW;
        for (let j = colLo; j < colHi; j++) d[row + j] = x[src + j]!;
        d.fill(0, row + colHi, row + width);
      }
      if (f43) {
        inputColumns43(t, d, 0, width, width, 0, width);
        inputRows43(V, c * T + tile0, stride, t, width, tilesW);
        continue;
      }
      // t[ξ][·] = Σ_i Bᵀ[ξ][i]·d[i][·]
      for (let xi = 0; xi < alpha; xi++) {
        const row = xi * width;
        t.fill(0, row, row + width);
        for (let e = BT.start[xi]!; e < BT.start[xi + 1]!; e++) {
          const b = BT.value[e]!,
            from = BT.column[e]! * width;
          for (let j = 0; j < width; j++) t[row + j]! += b * d[from + j]!;
        }
      }
      // V[ξ·α + ν][c][tile] = Σ_j Bᵀ[ν][j]·t[ξ][tw·m + j], summed in acc, a whole row of tiles at a time
      for (let xi = 0; xi < alpha; xi++) {
        for (let nu = 0; nu < alpha; nu++) {
          acc.fill(0, 0, tilesW);
          for (let e = BT.start[nu]!; e < BT.start[nu + 1]!; e++) {
            const b = BT.value[e]!,
              from = xi * width + BT.column[e]!;
            for (let tw = 0; tw < tilesW; tw++) acc[tw]! += b * t[from + tw * m]!;
          }
          const out = (xi * alpha + nu) * stride + c * T + tile0;
          for (let tw = 0; tw < tilesW; tw++) V[out + tw] = acc[tw]!;
        }
      }
    }
  }
}

/**
 * Output planes [p0, p1) (plane = n·K + k) of out [N, K, OH, OW] = Aᵀ M A per tile, clipped to
 * the image, plus `bias` — or added to out with `accumulate` — then max(·, 0) with `relu`.
 * M is [α²][K][T]. Two passes per row of tiles: along each tile, u = M·A; then down the columns,
 * the m output rows = Aᵀ·u across the whole row at once.
 */
export function winogradOutput(
  out: Floats,
  M: Floats,
  bias: Floats | null,
  wg: WinogradGeometry,
  accumulate: boolean,
  relu: boolean,
  p0: number,
  p1: number,
): void {
  const { K, OH, OW, m, alpha, tilesH, tilesW, T } = wg;
  const { AT } = planFor(m, wg.r);
  const width = tilesW * m;
  if (rows64.length < alpha * width) rows64 = new Float64Array(alpha * width);
  if (acc.length < tilesW) acc = new Float64Array(tilesW);
  const u = rows64;
  const stride = K * T;
  const f43 = m === 4 && wg.r === 3;
  for (let plane = p0; plane < p1; plane++) {
    const n = Math.floor(plane / K),
      k = plane % K;
    const b = bias === null ? 0 : bias[k]!;
    const ok = plane * OH * OW;
    for (let th = 0; th < tilesH; th++) {
      const tile0 = (n * tilesH + th) * tilesW;
      if (f43) {
        outputRows43(u, width, M, k * T + tile0, stride, tilesW);
        outputColumns43(out, ok + th * m * OW, OW, Math.min(m, OH - th * m), u, width, b, accumulate, relu);
        continue;
      }
      // u[ξ][tw·m + j] = Σ_ν Aᵀ[j][ν]·M[ξ·α + ν][k][tile], summed in acc, a whole row of tiles at a time
      for (let xi = 0; xi < alpha; xi++) {
        for (let j = 0; j < m; j++) {
          acc.fill(0, 0, tilesW);
          for (let e = AT.start[j]!; e < AT.start[j + 1]!; e++) {
            const a = AT.value[e]!,
              from = (xi * alpha + AT.column[e]!) * stride + k * T + tile0;
            for (let tw = 0; tw < tilesW; tw++) acc[tw]! += a * M[from + tw]!;
          }
          const row = xi * width + j;
          for (let tw = 0; tw < tilesW; tw++) u[row + tw * m] = acc[tw]!;
        }
      }
      // out row th·m + i = Σ_ξ Aᵀ[i][ξ]·u[ξ][·]
      for (let i = 0; i < m && th * m + i < OH; i++) {
        const o = ok + (th * m + i) * OW;
        const e0 = AT.start[i]!,
          e1 = AT.start[i + 1]!;
        for (let j = 0; j < OW; j++) {
          let s = 0;
          for (let e = e0; e < e1; e++) s += AT.value[e]! * u[AT.column[e]! * width + j]!;
          const v = accumulate ? out[o + j]! + s : b + s;
          out[o + j] = relu && !(v > 0 || Number.isNaN(v)) ? 0 : v;
        }
      }
    }
  }
}

interface InputArgs {
  V: Floats;
  x: Floats;
  wg: WinogradGeometry;
  simd: boolean; // on WebAssembly SIMD (transformsInSimd)
  mask?: { by: Float32Array; slope: number }; // x · relu'(by), folded into the SIMD transform
}
interface ProductArgs {
  M: Floats;
  U: Floats;
  V: Floats;
  wg: WinogradGeometry;
  kernel: GemmKernel;
  packed: boolean; // U as packed for the WebAssembly kernel (transformedWeights)
}
interface OutputArgs {
  out: Floats;
  M: Floats;
  bias: Floats | null;
  wg: WinogradGeometry;
  accumulate: boolean;
  relu: boolean;
  simd: boolean;
}

export const winogradInputJob = defineJob("winogradInput", (a: InputArgs, piece: number, pieces: number) => {
  const [p0, p1] = pieceRange(a.wg.N * a.wg.C, piece, pieces);
  if (a.simd) winogradInputSimd(a.V as Float32Array, a.x as Float32Array, a.wg, p0, p1, a.mask);
  else winogradInput(a.V, a.x, a.wg, p0, p1);
});

/** Products [q0, q1) of the α² M[ξν] = U[ξν]·V[ξν], each whole on one thread, on the caller's backend. */
export const winogradProductJob = defineJob(
  "winogradProduct",
  ({ M, U, V, wg, kernel, packed }: ProductArgs, piece: number, pieces: number) => {
    const { C, K, T } = wg;
    const [q0, q1] = pieceRange(wg.alpha * wg.alpha, piece, pieces);
    const block = packed ? packedALength(K, C) : K * C; // U[q]'s values
    for (let q = q0; q < q1; q++) {
      gemmHere(
        M.subarray(q * K * T, (q + 1) * K * T),
        U.subarray(q * block, (q + 1) * block),
        V.subarray(q * C * T, (q + 1) * C * T),
        K,
        T,
        C,
        kernel,
        packed ? { packedA: true } : {},
      );
    }
  },
);

export const winogradOutputJob = defineJob("winogradOutput", (a: OutputArgs, piece: number, pieces: number) => {
  const [p0, p1] = pieceRange(a.wg.N * a.wg.K, piece, pieces);
  if (a.simd) winogradOutputSimd(a.out as Float32Array, a.M as Float32Array, a.bias, a.wg, a.accumulate, a.relu, p0, p1);
  else winogradOutput(a.out, a.M, a.bias, a.wg, a.accumulate, a.relu, p0, p1);
});

/**
 * Whether the input and output transforms run on WebAssembly SIMD (./wasm/winograd-simd.ts, the
 * same bits as the JS kernels, 3–4× faster): F(4, 3) on Float32 data, where there is SIMD, unless
 * the JS GEMM is forced (INCEPTIONISM_GEMM=js keeps every kernel in plain JS). Decided by the
 * caller and passed to every thread, whose own default could differ.
 */
function transformsInSimd(x: Floats, out: Floats, wg: WinogradGeometry): boolean {
  return (
    wg.m === 4 &&
    wg.r === 3 &&
    x instanceof Float32Array &&
    out instanceof Float32Array &&
    gemmBackend() !== "js" &&
    winogradSimdAvailable()
  );
}

// The V and M buffers, per dtype, grown on demand (shared while threads are in use).
let scratch32 = new Float32Array(0);
let scratch64 = new Float64Array(0);

/** out [N, K, OH, OW] (=, or += with `accumulate`) the convolution of x by the transformed weights U. */
function winogradRun(
  out: Floats,
  x: Floats,
  U: Floats,
  packed: boolean,
  bias: Floats | null,
  wg: WinogradGeometry,
  accumulate: boolean,
  relu: boolean,
  scratch: Floats | undefined,
  xRelu?: { by: Floats; slope: number },
): void {
  const { N, C, K, T, alpha } = wg;
  const vSize = alpha * alpha * C * T,
    mSize = alpha * alpha * K * T;
  let buf: Floats;
  if (scratch !== undefined) buf = scratch;
  else if (x instanceof Float64Array) buf = scratch64 = scratchFor(scratch64, vSize + mSize);
  else buf = scratch32 = scratchFor(scratch32, vSize + mSize);
  if (buf.length < vSize + mSize) throw new RangeError(`winograd: scratch has ${buf.length} values, needs ${vSize + mSize}`);
  const V = buf.subarray(0, vSize),
    M = buf.subarray(vSize, vSize + mSize);
  const simd = transformsInSimd(x, out, wg);
  // x · relu'(by) in the SIMD input transform where that gives reluMask's bits (the GEMM module's
  // maskFloats, reused there); otherwise masked in place first.
  let mask: InputArgs["mask"];
  if (xRelu !== undefined) {
    const { by, slope } = xRelu;
    if (simd && maskFloatsKeepsBits(by, slope)) mask = { by, slope };
    else reluMaskInThreads(x, by, slope);
  }
  winogradInputJob.run({ V, x, wg, simd, mask }, piecesFor(vSize, N * C));
  const products = alpha * alpha * K * C * T >= 1 << 20 ? splitInto(alpha * alpha) : 1;
  winogradProductJob.run({ M, U, V, wg, kernel: gemmBackend(), packed }, products);
  winogradOutputJob.run({ out, M, bias, wg, accumulate, relu, simd }, piecesFor(mSize, N * K));
}

/**
 * out = conv(x, w) + bias (overwritten; max(·, 0) with `relu`) for a convolution that
 * `winogradEligible` accepts, by F(m×m, r×r). Shapes as `conv2dForward`'s, which checks them.
 * `scratch` (at least `winogradScratchValues(g)` values of x's type) holds V and M; by default
 * the module keeps its own.
 */
export function winogradForward(
  out: Floats,
  x: Floats,
  w: Floats,
  bias: Floats | null,
  g: ConvGeometry,
  relu = false,
  m: number = WINOGRAD_M,
  scratch?: Floats,
): void {
  const wg = forwardGeometry(g, m),
    packed = packsWeights(w);
  winogradRun(out, x, transformedWeights(w, g.K, g.C, planFor(m, g.R).t, false, packed), packed, bias, wg, false, relu, scratch);
}

/**
 * dx += the input gradient of that convolution for dout [N, K, OH, OW]: itself a convolution (see
 * the header). With `doutRelu`, dout is the gradient of a ReLU's output `by` after the convolution,
 * and dout · relu'(by) is what is convolved: folded into the input transform where it runs on
 * WebAssembly (dout left as it was), otherwise masked in place first. With `overwrite`, dx is
 * set to the gradient instead (the same bits as adding it to zeros: both sum 0 + y).
 */
export function winogradBackwardData(
  dx: Floats,
  dout: Floats,
  w: Floats,
  g: ConvGeometry,
  m: number = WINOGRAD_M,
  scratch?: Floats,
  doutRelu?: { by: Floats; slope: number },
  overwrite = false,
): void {
  const wg = backwardGeometry(g, m),
    packed = packsWeights(w);
  const U = transformedWeights(w, g.K, g.C, planFor(m, g.R).t, true, packed);
  winogradRun(dx, dout, U, packed, null, wg, !overwrite, false, scratch, doutRelu);
}

/** Whether the products take their transformed weights packed: Float32, on a WebAssembly kernel. */
function packsWeights(w: Floats): boolean {
  return w instanceof Float32Array && gemmBackend() !== "js";
}

/** The scratch values (V and M) of the forward and of the input gradient, whichever is larger. */
export function winogradScratchValues(g: ConvGeometry, m: number = WINOGRAD_M): number {
  const size = (wg: WinogradGeometry): number => wg.alpha * wg.alpha * (wg.C + wg.K) * wg.T;
  return Math.max(size(forwardGeometry(g, m)), size(backwardGeometry(g, m)));
}

/**
 * A bound on the scratch values of a 3×3 convolution from C to K channels with output OH×OW, for
 * the memory estimate, which does not know the padding: the input is at most (OH + 2)×(OW + 2).
 */
export function winogradScratchBound(C: number, K: number, OH: number, OW: number): number {
  const alpha = WINOGRAD_M + 2,
    tiles = N_TILES(OH + 2) * N_TILES(OW + 2);
  return alpha * alpha * (C + K) * tiles;
}

const N_TILES = (size: number): number => Math.ceil(size / WINOGRAD_M);

/**
 * The values the cache keeps for one K×C×3×3 weight array: its copy, and the forward and the
 * input gradient's transformed weights (α² = 36 values for every 9 of the weights, each).
 */
export function winogradKeptValues(K: number, C: number): number {
  const alpha = WINOGRAD_M + 2;
  // the snapshot, then U forward and backward, packed with their rows padded to whole panels
  return K * C * 9 + alpha * alpha * (packedALength(K, C) + packedALength(C, K));
}

// ---------------------------------------------------------------------------------------------
// The naive twin: the textbook per-tile formula in Float64, the oracle of the tests.

/**
 * out = conv(x, w) + bias by Y = Aᵀ[Σ_c (G g Gᵀ) ⊙ (Bᵀ d B)]A tile by tile, every product a
 * plain matrix product in Float64. For the shapes `winogradEligible` accepts; overwrites `out`.
 */
export function winogradConvNaive(out: Floats, x: Floats, w: Floats, bias: Floats | null, g: ConvGeometry, m: number = WINOGRAD_M): void {
  const { N, C, H, W, K, R: r, OH, OW, padH, padW } = g;
  const { alpha: a, AT, G, BT } = winogradTransforms(m, r);
  const GT = transpose(G, a, r),
    B = transpose(BT, a, a),
    A = transpose(AT, m, a);
  const gk = new Float64Array(r * r),
    d = new Float64Array(a * a),
    acc = new Float64Array(a * a);
  for (let n = 0; n < N; n++) {
    for (let k = 0; k < K; k++) {
      for (let th = 0; th * m < OH; th++) {
        for (let tw = 0; tw * m < OW; tw++) {
          acc.fill(0);
          for (let c = 0; c < C; c++) {
            for (let i = 0; i < r * r; i++) gk[i] = w[(k * C + c) * r * r + i]!;
            for (let i = 0; i < a; i++) {
              for (let j = 0; j < a; j++) {
                const ih = th * m - padH + i,
                  iw = tw * m - padW + j;
                d[i * a + j] = ih >= 0 && ih < H && iw >= 0 && iw < W ? x[((n * C + c) * H + ih) * W + iw]! : 0;
              }
            }
            const u = matmul(matmul(G, gk, a, r, r), GT, a, r, a); // G g Gᵀ
            const v = matmul(matmul(BT, d, a, a, a), B, a, a, a); // Bᵀ d B
            for (let i = 0; i < a * a; i++) acc[i]! += u[i]! * v[i]!;
          }
          const y = matmul(matmul(AT, acc, m, a, a), A, m, a, m); // Aᵀ (…) A
          for (let i = 0; i < m && th * m + i < OH; i++) {
            for (let j = 0; j < m && tw * m + j < OW; j++) {
              out[((n * K + k) * OH + th * m + i) * OW + tw * m + j] = (bias === null ? 0 : bias[k]!) + y[i * m + j]!;
            }
          }
        }
      }
    }
  }
}

/** [p × q] · [q × s], row-major Float64. */
function matmul(a: ArrayLike<number>, b: ArrayLike<number>, p: number, q: number, s: number): Float64Array {
  const c = new Float64Array(p * s);
  for (let i = 0; i < p; i++) for (let j = 0; j < s; j++) for (let l = 0; l < q; l++) c[i * s + j]! += a[i * q + l]! * b[l * s + j]!;
  return c;
}

function transpose(a: Float64Array, rows: number, cols: number): Float64Array {
  const t = new Float64Array(rows * cols);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) t[j * rows + i] = a[i * cols + j]!;
  return t;
}

// ---------------------------------------------------------------------------------------------
// Choosing the algorithm.

/** How `conv2d` computes the convolutions Winograd can do: "auto" (Winograd), or forced. */
export type ConvAlgorithm = "auto" | "winograd" | "im2col";

const algorithms: readonly ConvAlgorithm[] = ["auto", "winograd", "im2col"];
let algorithm: ConvAlgorithm | null = null; // null until the first convolution, or setConvAlgorithm

/**
 * Chooses how eligible convolutions (3×3, stride 1, no dilation, one group) run: "winograd" or
 * "auto" by F(4×4, 3×3), "im2col" by im2col + GEMM like every other convolution. The
 * environment variable INCEPTIONISM_CONV=auto|winograd|im2col sets it for a whole run.
 */
export function setConvAlgorithm(choice: ConvAlgorithm): void {
  if (!algorithms.includes(choice)) {
    throw new RangeError(`setConvAlgorithm: unknown algorithm "${choice}"; choose from ${algorithms.join(", ")}`);
  }
  algorithm = choice;
}

/** The algorithm chosen now (read from INCEPTIONISM_CONV at the first call, like INCEPTIONISM_GEMM). */
export function convAlgorithm(): ConvAlgorithm {
  if (algorithm === null) {
    const fromEnv = globalThis.process?.env?.INCEPTIONISM_CONV || "auto";
    if (!algorithms.includes(fromEnv as ConvAlgorithm)) {
      throw new RangeError(`INCEPTIONISM_CONV="${fromEnv}": expected one of ${algorithms.join(", ")}`);
    }
    algorithm = fromEnv as ConvAlgorithm;
  }
  return algorithm;
}

/** Whether `conv2d` runs this convolution by Winograd's algorithm now. */
export function usesWinograd(g: ConvGeometry): boolean {
  return winogradEligible(g) && convAlgorithm() !== "im2col";
}
