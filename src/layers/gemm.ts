// GEMM: C[M×N] (+)= op(A)[M×K] · op(B)[K×N], every matrix row-major and contiguous.
//
// op(A) = A, stored M×K, or Aᵀ when `transA` (then A is stored K×M); likewise op(B) = B (K×N)
// or Bᵀ (B stored N×K) when `transB`. With `accumulate` the product is added to C, otherwise
// it overwrites C. Convolution and InnerProduct are both built on this one function, so it is
// the only place where speed really matters — and the one seam where backends are swapped.
//
// Backends: Float32 calls go to the WebAssembly SIMD kernel (./wasm/gemm-simd.ts, ≈ 9× faster)
// where the runtime supports simd128, otherwise to the plain-JS kernel below, which also serves
// every Float64 call and is the fallback and the oracle (with `gemmNaive`). The SIMD kernel comes
// in two flavours: "wasm-relaxed" (fused multiply–adds, relaxed SIMD) and "wasm-plain" (a
// multiply then an add); "wasm" is the better one the runtime has, "auto" that or plain JS.
// `setGemmBackend` forces a choice; so does the environment variable
// INCEPTIONISM_GEMM=auto|js|wasm|wasm-plain|wasm-relaxed, read at the first GEMM where there is a
// `process` (Node), so that whole test runs can be forced (.ci/run runs the correctness tests
// once per kernel) — and so that a bad value fails that call with its message, not the import.
//
// How the plain-JS kernel works (the Goto/BLIS layering):
//
//   for jc over N in blocks of NC            a block of columns of B and C
//     for pc over K in blocks of KC          a slab of depth KC
//       pack B[pc:pc+KC, jc:jc+NC] → panels of NR columns, each laid out k-major
//       for ic over M in blocks of MC
//         pack A[ic:ic+MC, pc:pc+KC] → panels of MR rows, each laid out k-major
//         for every (MR row panel, NR column panel):
//           micro-kernel: an MR×NR tile of C held in 16 local variables, updated by
//           KC rank-1 updates (4 loads of A, 4 loads of B, 16 multiply–adds per step)
//
// Packing is where the transposes become free: op(A) and op(B) are read through strides once
// per block, and the micro-kernel only ever streams two contiguous arrays. The packed panels
// are Float64Arrays whatever the input type, so the hot loop sees one array type (V8 compiles it
// monomorphically) and Float32 inputs are summed in double precision. Panels are zero-padded
// to whole MR/NR tiles, so the micro-kernel has no edge cases; only the write-back is clipped.
//
// Tuning on a 2-core AMD EPYC VM, Node 20, single thread, Float32 at 1024³ and the GoogLeNet
// shapes (GFLOP/s = 2·M·N·K / time, best of 6): micro-tiles 4×4 ≈ 4.4–4.5, 4×3 ≈ 4.4,
// 3×4 ≈ 4.2, 2×4 ≈ 4.1, 4×8 ≈ 3.8 (32 accumulators spill out of the 16 x64 float registers).
// No gain from: unrolling the k loop by two, Float32 packed panels, or adding the tile straight
// into C instead of through `tile`. KC from 128 to 512 and MC from 48 to 256 were all within
// noise; KC = 256 (a 4×256 A panel plus a 256×4 B panel of doubles = 16 KiB, in L1) and
// MC = 96 (a 192 KiB packed A block, in L2).

import type { Floats } from "../tensor/tensor.js";
import { defineJob, pieceRange, splitInto, threadCount } from "../threads/pool.js";
import type { ConvGeometry } from "./conv-geometry.js";
import { im2col, im2colNaive } from "./im2col.js";
import { packPanels, roundUp } from "./pack-panels.js";
import {
  SIMD_DEPTH_BLOCK,
  SIMD_TILE_COLUMNS,
  SIMD_TILE_ROWS,
  gemmSimd,
  packedALength,
  simdFlavour,
  supportsSimdFlavour,
} from "./wasm/gemm-simd.js";
import type { SimdFlavour } from "./wasm/gemm-simd-module.js";

export interface GemmOptions {
  /** Read A as stored K×M and use its transpose. */
  transA?: boolean;
  /** Read B as stored N×K and use its transpose. */
  transB?: boolean;
  /** Add the product to C instead of overwriting it. */
  accumulate?: boolean;
  /**
   * Start row i of C at rowBias[i] instead of 0 (M values; not with `accumulate`): a
   * convolution's bias, added by the kernel where it starts C instead of in a pass of its own.
   */
  rowBias?: Floats;
  /**
   * Replace each value v of the result by max(v, 0) — NaN stays NaN, −0 becomes 0 — (not with
   * `accumulate`): the ReLU after a convolution, done while the kernel still holds C in cache.
   */
  relu?: boolean;
  /**
   * Read B[p, j] as B[p, j]·relu'(by[p, j]) — 1 where by > 0, else `slope` — (by has B's K×N
   * shape; not with `transB`): the backward of a ReLU whose output is `by` and whose gradient is
   * B, done while B is copied for packing instead of in a pass of its own. The same values as
   * `reluMask(B, by, slope)` (./relu.ts) before the product; B itself is not written.
   */
  maskB?: { by: Floats; slope: number };
  /**
   * B is not given as a matrix but as the image it is the im2col of (../im2col.ts): B holds x
   * [C/G, H, W] of one image and group, and op(B) = im2col(x) under this geometry (K = C/G·R·S,
   * N = OH·OW; not with `transB` or `maskB`). The WebAssembly kernel gathers each block of B from
   * the image as it packs it, so the K×N matrix is never built; the plain-JS kernel builds it.
   */
  imageB?: ConvGeometry;
  /**
   * A is not the M×K matrix but its packing for the WebAssembly kernel, by `packAForSimd`
   * (./wasm/gemm-simd.ts; packedALength(M, K) values; not with `transA`): a matrix that is A in
   * many products is packed once. Only the WebAssembly kernels take it.
   */
  packedA?: boolean;
}

const MR = 4; // rows of the register tile
const NR = 4; // columns of the register tile
const KC = 256; // depth of a packed slab
const MC = 96; // rows of A packed at once (a multiple of MR)
const NC = 2048; // columns of B packed at once (a multiple of NR)

// Packing buffers (B's grown on demand), reused by every call (JS is single-threaded and gemm
// never re-enters itself).
const packedA = new Float64Array(MC * KC);
let packedB = new Float64Array(0);
const tile = new Float64Array(MR * NR);

/**
 * The WebAssembly GEMM's depth block: with K no larger, each value of C is its start value (C's
 * own with `accumulate`) plus one partial sum of K products, summed from zero.
 */
export const GEMM_DEPTH_BLOCK = SIMD_DEPTH_BLOCK;

/**
 * C[M×N] = op(A)·op(B), or C += op(A)·op(B) with `accumulate`. Row-major, contiguous arrays of
 * exactly M·N, M·K and K·N values, all Float32Array or all Float64Array.
 */
export function gemm(C: Floats, A: Floats, B: Floats, M: number, N: number, K: number, opts: GemmOptions = {}): void {
  checkGemmArgs("gemm", C, A, B, M, N, K, opts);
  const float32 = C instanceof Float32Array && A instanceof Float32Array && B instanceof Float32Array;
  const kernel = float32 ? (chosen ?? chooseFromEnvironment()) : "js";
  if (kernel === "js") [B, opts] = forPlainJs(B, opts, K, N);
  const flavour = kernel === "js" ? null : FLAVOURS[kernel];
  if (M * N * K < PARALLEL_MIN_WORK) {
    gemmJob.run({ C, A, B, M, N, K, opts, flavour, call: ++calls, byRows: false }, 1);
    return;
  }
  const columnPieces = splitInto(Math.ceil(N / MIN_PIECE_COLUMNS));
  const rowPieces = flavour === null || opts.packedA ? 1 : splitInto(Math.floor(M / MIN_PIECE_ROWS));
  const byRows = columnPieces < 2 * threadCount() && rowPieces > columnPieces;
  gemmJob.run({ C, A, B, M, N, K, opts, flavour, call: ++calls, byRows }, byRows ? rowPieces : columnPieces);
}

// The pieces for threads are blocks of columns of C, cut at multiples of the SIMD kernel's tile
// width, SIMD_TILE_COLUMNS: every element of C is the same sum in the same order whichever piece it falls in.
// A piece copies its rows of B and C in and out, and every thread packs all of A, so a piece is at
// least MIN_PIECE_COLUMNS wide: a 28×28 layer (N = 784) splits four ways, a 14×14 one not at all.
// Measured on the 224² and 448² steps, 2 threads (bench/README.md): 48 columns cost 3–13% more wall
// time and 5–10% more CPU time than 256, whose smaller products the second thread only slowed.
//
// A product too narrow for two column pieces per thread — a 14×14 layer's (one piece), a 25×25
// one's (three, which two threads share 2 : 1) — is cut into blocks of rows instead, on the SIMD
// kernel, at multiples of its register tile's 4 rows (each value of C is again the same sum). A
// row piece packs only its rows of A, but all of B: at least MIN_PIECE_ROWS rows, so that B's
// copy stays small beside the piece's arithmetic. A packed A (Winograd's products, which are
// split over threads a product each) is never cut. Measured side by side on Node 24 (medians of
// paired ratios, 21 steps, 2026-12-02), the 2-thread step: 224² 0.88–0.91×, 396² 0.94–0.95×;
// 448², whose narrowest products already have four column pieces, unchanged.
const MIN_PIECE_COLUMNS = 256;
const MIN_PIECE_ROWS = 32;
const PARALLEL_MIN_WORK = 1 << 20; // M·N·K: smaller products are not worth a worker's wake-up

interface GemmJob {
  C: Floats;
  A: Floats;
  B: Floats;
  M: number;
  N: number;
  K: number;
  opts: GemmOptions;
  flavour: SimdFlavour | null; // the SIMD kernel the caller chose (null: plain JS): a worker's own default may differ
  call: number; // numbers this product, so that a thread packs A once for all its pieces
  byRows: boolean; // pieces are blocks of rows of C (on the SIMD kernel), not of columns
}

let calls = 0;

/** The columns of C in tiles [t0, t1) of SIMD_TILE_COLUMNS, on the backend the caller chose. */
function gemmTiles({ C, A, B, M, N, K, opts, flavour, call }: GemmJob, t0: number, t1: number): void {
  const columns = [t0 * SIMD_TILE_COLUMNS, Math.min(N, t1 * SIMD_TILE_COLUMNS)] as const;
  if (flavour !== null) gemmSimd(C as Float32Array, A as Float32Array, B as Float32Array, M, N, K, opts, { columns, call }, flavour);
  else gemmJs(C, A, B, M, N, K, opts, columns);
}

/** The job that `gemm` splits between threads (listed in ../worker-jobs.ts). */
export const gemmJob = defineJob("gemm", (j: GemmJob, piece: number, pieces: number) => {
  if (!j.byRows) {
    gemmTiles(j, ...pieceRange(Math.ceil(j.N / SIMD_TILE_COLUMNS), piece, pieces));
    return;
  }
  const [p0, p1] = pieceRange(Math.ceil(j.M / SIMD_TILE_ROWS), piece, pieces);
  const rows = [p0 * SIMD_TILE_ROWS, Math.min(j.M, p1 * SIMD_TILE_ROWS)] as const;
  const { C, A, B, M, N, K, opts, flavour, call } = j;
  gemmSimd(C as Float32Array, A as Float32Array, B as Float32Array, M, N, K, opts, { rows, call }, flavour);
});

/**
 * `gemm` on the calling thread alone, on the kernel the caller chose (`kernel`, for Float32; Float64
 * runs in plain JS): for a job that is itself split over threads, each piece one whole product.
 */
export function gemmHere(
  C: Floats,
  A: Floats,
  B: Floats,
  M: number,
  N: number,
  K: number,
  kernel: GemmKernel,
  opts: GemmOptions = {},
): void {
  checkGemmArgs("gemm", C, A, B, M, N, K, opts);
  const flavour = kernel === "js" || !(C instanceof Float32Array) ? null : FLAVOURS[kernel];
  if (flavour === null) [B, opts] = forPlainJs(B, opts, K, N);
  gemmTiles({ C, A, B, M, N, K, opts, flavour, call: 0, byRows: false }, 0, Math.ceil(N / SIMD_TILE_COLUMNS));
}

/**
 * What `setGemmBackend` may ask for: a kernel ("js", "wasm-plain", "wasm-relaxed"), "wasm" for
 * the better SIMD flavour this runtime has, or "auto" for that where there is SIMD, else "js".
 */
export type GemmBackend = "auto" | "js" | "wasm" | "wasm-plain" | "wasm-relaxed";
/** The kernel Float32 GEMMs run on. */
export type GemmKernel = "js" | "wasm-plain" | "wasm-relaxed";

const backends: readonly GemmBackend[] = ["auto", "js", "wasm", "wasm-plain", "wasm-relaxed"];
const FLAVOURS = { "wasm-plain": "mul-add", "wasm-relaxed": "relaxed-madd" } as const satisfies Record<string, SimdFlavour>;
/** The kernel for Float32 GEMMs; null until chosen (by the first GEMM, or setGemmBackend). */
let chosen: GemmKernel | null = null;

/**
 * Chooses the kernel for Float32 GEMMs (Float64 always runs in plain JS), and with it whether
 * 3×3 max pooling and LRN use their WebAssembly SIMD kernels ("js" keeps every kernel in plain
 * JS). Throws if the runtime cannot run the kernel asked for: "wasm" and "wasm-plain" need
 * WebAssembly SIMD, "wasm-relaxed" relaxed SIMD (Node ≥ 21, Chrome ≥ 114; Node 20 with
 * --experimental-wasm-relaxed-simd).
 */
export function setGemmBackend(backend: GemmBackend): void {
  if (!backends.includes(backend)) {
    throw new RangeError(`setGemmBackend: unknown backend "${backend}"; choose from ${backends.join(", ")}`);
  }
  chosen = resolve(backend, `setGemmBackend("${backend}")`);
}

/** The kernel Float32 GEMMs run on now (Float64 ones always run in plain JS). */
export function gemmBackend(): GemmKernel {
  return chosen ?? chooseFromEnvironment();
}

/** The kernels this runtime can run Float32 GEMMs on, slowest first: "js", then the SIMD flavours it has. */
export function gemmKernels(): GemmKernel[] {
  const best = simdFlavour();
  return best === null ? ["js"] : best === "relaxed-madd" ? ["js", "wasm-plain", "wasm-relaxed"] : ["js", "wasm-plain"];
}

/** The kernel `backend` means on this runtime; `who` names the asker in the error if it cannot run. */
function resolve(backend: GemmBackend, who: string): GemmKernel {
  const best = simdFlavour();
  if (backend === "auto") return best === null ? "js" : best === "relaxed-madd" ? "wasm-relaxed" : "wasm-plain";
  if (backend === "js") return "js";
  if (best === null) throw new Error(`${who}: this runtime has no WebAssembly SIMD (simd128); use "js" or "auto"`);
  if (backend === "wasm") return best === "relaxed-madd" ? "wasm-relaxed" : "wasm-plain";
  if (!supportsSimdFlavour(FLAVOURS[backend])) {
    throw new Error(
      `${who}: this runtime has no relaxed SIMD (on Node 20, start node with --experimental-wasm-relaxed-simd); use "wasm-plain" or "auto"`,
    );
  }
  return backend;
}

/** The first choice: the environment variable where there is one, else "auto". */
function chooseFromEnvironment(): GemmKernel {
  const fromEnv = globalThis.process?.env?.INCEPTIONISM_GEMM || "auto";
  if (!backends.includes(fromEnv as GemmBackend)) {
    throw new RangeError(`INCEPTIONISM_GEMM="${fromEnv}": expected one of ${backends.join(", ")}`);
  }
  chosen = resolve(fromEnv as GemmBackend, `INCEPTIONISM_GEMM=${fromEnv}`);
  return chosen;
}

/** The plain-JS kernel: the packed, register-blocked loops described at the top, on C's columns [n0, n1). */
function gemmJs(
  C: Floats,
  A: Floats,
  B: Floats,
  M: number,
  N: number,
  K: number,
  opts: GemmOptions,
  [n0, n1]: readonly [number, number],
): void {
  const { transA = false, transB = false, accumulate = false, rowBias, relu = false, maskB } = opts;
  if (maskB !== undefined) B = maskedColumns(B, maskB, K, N, n0, n1);
  if (!accumulate) for (let i = 0; i < M; i++) C.fill(rowBias?.[i] ?? 0, i * N + n0, i * N + n1);
  if (M > 0 && n1 > n0 && K > 0) addProduct(C, A, B, M, N, K, transA, transB, [n0, n1]);
  if (relu) for (let i = 0; i < M; i++) for (let k = i * N + n0; k < i * N + n1; k++) C[k] = reluValue(C[k]!);
}

// The plain-JS kernel's masked B: columns [n0, n1) of B·relu'(by), in a scratch array of B's
// type (so rounded as a masked B would be), the other columns left as they are.
let masked32 = new Float32Array(0);
let masked64 = new Float64Array(0);

function maskedColumns(B: Floats, { by, slope }: NonNullable<GemmOptions["maskB"]>, K: number, N: number, n0: number, n1: number): Floats {
  let out: Floats;
  if (B instanceof Float32Array) {
    if (masked32.length < K * N) masked32 = new Float32Array(K * N);
    out = masked32.subarray(0, K * N);
  } else {
    if (masked64.length < K * N) masked64 = new Float64Array(K * N);
    out = masked64.subarray(0, K * N);
  }
  for (let p = 0; p < K; p++) {
    for (let i = p * N + n0; i < p * N + n1; i++) {
      const keep = +(by[i]! > 0);
      out[i] = B[i]! * (keep + (1 - keep) * slope); // reluMask's arithmetic
    }
  }
  return out;
}

/** C[:, n0:n1] += op(A)·op(B)[:, n0:n1], the blocked loops. */
function addProduct(
  C: Floats,
  A: Floats,
  B: Floats,
  M: number,
  N: number,
  K: number,
  transA: boolean,
  transB: boolean,
  [n0, n1]: readonly [number, number],
): void {
  // op(A)[i, p] = A[i·aRow + p·aCol];  op(B)[p, j] = B[p·bRow + j·bCol]
  const aRow = transA ? 1 : K,
    aCol = transA ? M : 1;
  const bRow = transB ? 1 : N,
    bCol = transB ? K : 1;

  const ncMax = roundUp(Math.min(NC, n1 - n0), NR);
  const kcMax = Math.min(KC, K);
  if (packedB.length < ncMax * kcMax) packedB = new Float64Array(ncMax * kcMax);

  for (let jc = n0; jc < n1; jc += NC) {
    const nc = Math.min(NC, n1 - jc);
    for (let pc = 0; pc < K; pc += KC) {
      const kc = Math.min(KC, K - pc);
      packPanels(packedB, 0, B, pc * bRow + jc * bCol, nc, kc, bCol, bRow, NR);
      for (let ic = 0; ic < M; ic += MC) {
        const mc = Math.min(MC, M - ic);
        packPanels(packedA, 0, A, ic * aRow + pc * aCol, mc, kc, aRow, aCol, MR);
        for (let j0 = 0; j0 < nc; j0 += NR) {
          const nr = Math.min(NR, nc - j0);
          for (let i0 = 0; i0 < mc; i0 += MR) {
            microKernel4x4(kc, packedA, i0 * kc, packedB, j0 * kc, tile);
            addTile(C, (ic + i0) * N + jc + j0, N, Math.min(MR, mc - i0), nr);
          }
        }
      }
    }
  }
}

/** The 4×4 register tile: t = Σ_p a[:, p] b[p, :] over one packed A panel and one B panel. */
function microKernel4x4(kc: number, a: Float64Array, ao: number, b: Float64Array, bo: number, t: Float64Array): void {
  let c00 = 0,
    c01 = 0,
    c02 = 0,
    c03 = 0;
  let c10 = 0,
    c11 = 0,
    c12 = 0,
    c13 = 0;
  let c20 = 0,
    c21 = 0,
    c22 = 0,
    c23 = 0;
  let c30 = 0,
    c31 = 0,
    c32 = 0,
    c33 = 0;
  for (let p = 0; p < kc; p++) {
    const a0 = a[ao]!,
      a1 = a[ao + 1]!,
      a2 = a[ao + 2]!,
      a3 = a[ao + 3]!;
    const b0 = b[bo]!,
      b1 = b[bo + 1]!,
      b2 = b[bo + 2]!,
      b3 = b[bo + 3]!;
    c00 += a0 * b0;
    c01 += a0 * b1;
    c02 += a0 * b2;
    c03 += a0 * b3;
    c10 += a1 * b0;
    c11 += a1 * b1;
    c12 += a1 * b2;
    c13 += a1 * b3;
    c20 += a2 * b0;
    c21 += a2 * b1;
    c22 += a2 * b2;
    c23 += a2 * b3;
    c30 += a3 * b0;
    c31 += a3 * b1;
    c32 += a3 * b2;
    c33 += a3 * b3;
    ao += MR;
    bo += NR;
  }
  t[0] = c00;
  t[1] = c01;
  t[2] = c02;
  t[3] = c03;
  t[4] = c10;
  t[5] = c11;
  t[6] = c12;
  t[7] = c13;
  t[8] = c20;
  t[9] = c21;
  t[10] = c22;
  t[11] = c23;
  t[12] = c30;
  t[13] = c31;
  t[14] = c32;
  t[15] = c33;
}

/** C[origin + i·ldc + j] += tile[i, j] for the mr×nr part of the tile that lies inside C. */
function addTile(C: Floats, origin: number, ldc: number, mr: number, nr: number): void {
  for (let i = 0; i < mr; i++) {
    const row = origin + i * ldc;
    for (let j = 0; j < nr; j++) C[row + j]! += tile[i * NR + j]!;
  }
}

/**
 * B and the options as the plain-JS kernel takes them: `imageB`'s matrix built (im2col of the
 * image, in a new array of its type), and `packedA` refused, since that kernel reads A itself.
 */
function forPlainJs(B: Floats, opts: GemmOptions, K: number, N: number): [Floats, GemmOptions] {
  if (opts.packedA) throw new RangeError("gemm: packedA needs a WebAssembly kernel, and this product runs in plain JS");
  if (opts.imageB === undefined) return [B, opts];
  return [columnsOf(B, opts.imageB, K, N, (col, x, g) => im2col(col, x, g, 0, g.OH)), { ...opts, imageB: undefined }];
}

/** `imageB`'s matrix, im2col of the image x by `build` (im2col, or the oracle's im2colNaive), in a new array of x's type. */
function columnsOf(x: Floats, g: ConvGeometry, K: number, N: number, build: (col: Floats, x: Floats, g: ConvGeometry) => void): Floats {
  const col = x instanceof Float32Array ? new Float32Array(K * N) : new Float64Array(K * N);
  build(col, x, g);
  return col;
}

/** The reference: one dot product per element of C. Same contract as `gemm`. */
export function gemmNaive(C: Floats, A: Floats, B: Floats, M: number, N: number, K: number, opts: GemmOptions = {}): void {
  checkGemmArgs("gemmNaive", C, A, B, M, N, K, opts);
  if (opts.packedA) throw new RangeError("gemmNaive: packedA is the WebAssembly kernel's form of A; give A itself");
  if (opts.imageB !== undefined) {
    gemmNaive(C, A, columnsOf(B, opts.imageB, K, N, im2colNaive), M, N, K, { ...opts, imageB: undefined });
    return;
  }
  const { transA = false, transB = false, accumulate = false, rowBias, relu = false, maskB } = opts;
  for (let i = 0; i < M; i++) {
    for (let j = 0; j < N; j++) {
      let acc = rowBias?.[i] ?? 0;
      for (let p = 0; p < K; p++) {
        const a = transA ? A[p * M + i]! : A[i * K + p]!;
        let b = transB ? B[j * K + p]! : B[p * N + j]!;
        if (maskB !== undefined) b = maskB.by[p * N + j]! > 0 ? b : b * maskB.slope;
        acc += a * b;
      }
      C[i * N + j] = accumulate ? C[i * N + j]! + acc : relu ? reluValue(acc) : acc;
    }
  }
}

function checkGemmArgs(name: string, C: Floats, A: Floats, B: Floats, M: number, N: number, K: number, opts: GemmOptions): void {
  for (const [label, v] of [
    ["M", M],
    ["N", N],
    ["K", K],
  ] as const) {
    if (!Number.isInteger(v) || v < 0) throw new RangeError(`${name}: ${label} must be a non-negative integer, got ${v}`);
  }
  if (A.constructor !== C.constructor || B.constructor !== C.constructor) {
    throw new TypeError(
      `${name}: C, A and B must all be Float32Array or all Float64Array, got ` +
        `${C.constructor.name}, ${A.constructor.name}, ${B.constructor.name}`,
    );
  }
  const expect = (label: string, arr: Floats, rows: number, cols: number): void => {
    if (arr.length !== rows * cols) {
      throw new RangeError(`${name}: ${label} has ${arr.length} values, expected ${rows}×${cols} = ${rows * cols}`);
    }
  };
  if (opts.relu && opts.accumulate) throw new RangeError(`${name}: relu cannot be combined with accumulate`);
  if (opts.maskB !== undefined) {
    if (opts.transB) throw new RangeError(`${name}: maskB cannot be combined with transB`);
    expect("maskB.by", opts.maskB.by, K, N);
  }
  if (opts.rowBias !== undefined) {
    if (opts.accumulate) throw new RangeError(`${name}: rowBias cannot be combined with accumulate`);
    expect("rowBias", opts.rowBias, M, 1);
  }
  expect("C", C, M, N);
  if (opts.packedA) {
    if (opts.transA) throw new RangeError(`${name}: packedA cannot be combined with transA (the packing applies it)`);
    if (A.length !== packedALength(M, K)) throw new RangeError(`${name}: packed A has ${A.length} values, expected ${packedALength(M, K)}`);
  } else {
    expect("A", A, M, K);
  }
  if (opts.imageB === undefined) {
    expect("B", B, K, N);
    return;
  }
  const g = opts.imageB,
    Cg = g.C / g.groups;
  if (opts.transB || opts.maskB !== undefined) throw new RangeError(`${name}: imageB cannot be combined with transB or maskB`);
  if (K !== Cg * g.R * g.S || N !== g.OH * g.OW) {
    throw new RangeError(
      `${name}: with imageB, K must be C/G·R·S = ${Cg * g.R * g.S} and N must be OH·OW = ${g.OH * g.OW}, got K=${K}, N=${N}`,
    );
  }
  expect("B (the image, imageB)", B, Cg, g.H * g.W);
}

/** max(v, 0) with WebAssembly's f32x4.max rules: NaN stays NaN, −0 becomes +0. */
function reluValue(v: number): number {
  return v > 0 || Number.isNaN(v) ? v : 0;
}
