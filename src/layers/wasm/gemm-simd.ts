// Float32 GEMM on WebAssembly simd128: C[M×N] (+)= op(A)[M×K] · op(B)[K×N], the contract of
// `gemm` in ../gemm.ts, which dispatches Float32 calls here when the runtime supports SIMD.
//
// The blocking is the same Goto/BLIS layering as the plain-JS kernel (../gemm.ts explains it);
// only the innermost two loops and the micro-kernel run as WebAssembly, in the module that
// ./gemm-simd-module.ts emits (it explains the 4×8 tile). This file is the driver: the module's
// instance and memory, the blocking and the packing. Packing A stays in JS, writing straight
// into the module's linear memory; so does packing a transposed B. A plain B — the im2col
// matrix, in every GEMM of a DeepDream step — is copied in row by row (a memcpy each) and packed
// by a second WebAssembly function, `packB`: packing it in JS, 2–3 ns a value, took a third of
// the time of a conv-shaped GEMM.
//
//   pack all of A → for each slab of KC, panels of 4 rows, k-major         (JS, once per call)
//   for jc over N in blocks of NC
//     copy C[:, jc:jc+nc] into the C strip (or start it at 0 or the rows' bias), rows padded
//     to 4, columns to 8
//     for pc over K in blocks of KC
//       pack B[pc:pc+kc, jc:jc+nc] → panels of 8 columns, k-major        (WASM, or JS if transB;
//         with `imageB` the rows are first gathered from the image, by im2colRow, in WASM)
//       for ic over M in blocks of MC
//         gemmBlock: for each B panel, for each A panel, the 4×8 tile     (WASM)
//     with `relu`, max(·, 0) over the strip (WASM), then copy it back into C[:, jc:jc+nc]
//
// A is packed whole, once, and kept: a call may cover many column blocks, and when ../gemm.ts
// splits a product into pieces of columns for several threads, each thread is called once per
// piece with the same `call` number and packs A only for the first. A product too narrow for
// that is split into blocks of rows instead (`GemmPart.rows`): each is the product of those rows
// of op(A) with all of op(B), and packs only its rows of A (M below is then the block's rows).
//
// Linear memory, in bytes (all offsets multiples of 16, so vector accesses are aligned):
//
//   A_OFFSET = 0     packed A: slab pc at pc·Mp floats (Mp = roundUp(M, 4)), in it the
//                    Mp/4 panels of kc steps × 4 floats                    (Mp·K·4 bytes)
//   B_OFFSET         packed B: NC/8 panels, each kc steps × 8 floats      (KC·NC·4 bytes)
//   RAW_B_OFFSET     B block as copied in: kc rows × ldc floats           (KC·NC·4 bytes)
//   BY_OFFSET        with `maskB`, the ReLU outputs under that block, likewise (KC·NC·4 bytes)
//   C_OFFSET         C strip: roundUp(M, 4) rows × ldc floats, ldc = roundUp(nc, 8)
//   X_OFFSET         with `imageB`, after the widest strip (roundUp(M, 4)·NC floats): the image
//                    [C/G, H, W] whose im2col B is, copied in once per call, then one 0.0 that
//                    the gather reads for cells outside the image
//
// Padding makes every tile whole, so the kernel has no edge cases: packed panels are
// zero-filled past the matrix, and the padded rows and columns of the strip are never copied
// back. Summation order is fixed by the shapes alone — each element of C is its start value plus
// one partial sum per K block, each summed over p in order — so results depend only on the
// inputs. Sums are in float32 (the plain-JS kernel sums Float32 inputs in double precision).
// With relaxed SIMD, whether a madd is fused is the engine's and the CPU's choice: results are
// then reproducible on one machine but may differ in the last bits between machines.
//
// Both flavours' modules can be instantiated on the one memory, and each call names the flavour
// it runs: ../gemm.ts lets the flavour be forced, and passes its choice to every thread, so that a
// worker never computes its pieces of a product with the other flavour.

import { instantiate, newMemory, validates, type WasmMemory } from "./assembler.js";
import { MR, NR, gemmModuleBytes, maskFloatsKeepsBits, type GemmKernels, type SimdFlavour } from "./gemm-simd-module.js";
import type { GemmOptions } from "../gemm.js";
import type { Floats } from "../../tensor/tensor.js";
import { packPanels, roundUp } from "../pack-panels.js";

/** The columns of the kernel's register tile: ../gemm.ts cuts products between threads at multiples of it. */
export const SIMD_TILE_COLUMNS = NR;
/** The rows of the kernel's register tile: ../gemm.ts cuts products into rows at multiples of it. */
export const SIMD_TILE_ROWS = MR;
const KC = 256; // depth of a packed slab: a 4×256 A panel (4 KiB) + a 256×8 B panel (8 KiB) in L1
/** The depth of a packed slab: a product of depth K ≤ it sums each value of C as start + one partial sum. */
export const SIMD_DEPTH_BLOCK = KC;
const MC = 128; // rows of A packed at once (128 KiB, in L2); a multiple of MR
const NC = 2048; // columns of B packed at once (2 MiB); a multiple of NR

const PAGE = 65536; // bytes in a WebAssembly memory page
const A_OFFSET = 0;
const B_BYTES = KC * NC * 4; // the packed B block, and again the B block as copied in

let flavourChecked = false;
let flavour: SimdFlavour | null = null;

/** What this runtime supports: relaxed SIMD, plain simd128, or no SIMD (null). */
export function simdFlavour(): SimdFlavour | null {
  if (!flavourChecked) {
    flavourChecked = true;
    flavour = validates(gemmModuleBytes("relaxed-madd")) ? "relaxed-madd" : validates(gemmModuleBytes("mul-add")) ? "mul-add" : null;
  }
  return flavour;
}

/** Whether this runtime can run the GEMM in flavour `f` (one with relaxed SIMD also has plain). */
export function supportsSimdFlavour(f: SimdFlavour): boolean {
  const best = simdFlavour();
  return best === f || (best === "relaxed-madd" && f === "mul-add");
}

// The memory and a Float32 view of it, made on first use and regrown as needed; an instance
// of each flavour's module on it, made when that flavour is first called.
let memory: WasmMemory | null = null;
let heap = new Float32Array(0);
const kernels = new Map<SimdFlavour, GemmKernels>();

function instance(f: SimdFlavour, bytesNeeded: number): GemmKernels {
  if (memory === null) memory = newMemory(Math.ceil(bytesNeeded / PAGE));
  let k = kernels.get(f);
  if (k === undefined) {
    if (!supportsSimdFlavour(f)) throw new Error(`gemmSimd: this runtime cannot run the ${f} flavour of WebAssembly SIMD`);
    const exports = instantiate(gemmModuleBytes(f), memory);
    k = {
      gemmBlock: exports.gemmBlock as GemmKernels["gemmBlock"],
      packB: exports.packB as GemmKernels["packB"],
      reluFloats: exports.reluFloats as GemmKernels["reluFloats"],
      maskFloats: exports.maskFloats as GemmKernels["maskFloats"],
      im2colRow: exports.im2colRow as GemmKernels["im2colRow"],
    };
    kernels.set(f, k);
  }
  if (memory.buffer.byteLength < bytesNeeded) memory.grow(Math.ceil((bytesNeeded - memory.buffer.byteLength) / PAGE));
  if (heap.buffer !== memory.buffer) heap = new Float32Array(memory.buffer); // growing detaches the old buffer
  return k;
}

/** The part of a product one call computes (./gemm.ts splits products between threads into them). */
export interface GemmPart {
  /** Columns [n0, n1) of C (default all). */
  columns?: readonly [number, number];
  /** Rows [m0, m1) of C (default all), m0 a multiple of 4; not with `packedA`. */
  rows?: readonly [number, number];
  /**
   * Numbers the product: calls with the same non-zero `call` (and the same rows) promise the
   * same A and image, and reuse their copies in memory.
   */
  call?: number;
}

/**
 * C[M×N] = op(A)·op(B), or C += op(A)·op(B) with `accumulate`, on WebAssembly SIMD — only the
 * columns and rows of C that `part` names (each value of C does not depend on the part it falls
 * in, which is how ../gemm.ts splits a product between threads). `flavour` picks the module
 * (default: the best this runtime has). The arguments are assumed checked (`gemm` in ../gemm.ts
 * does it and dispatches here).
 */
export function gemmSimd(
  C: Float32Array, A: Float32Array, B: Float32Array, M: number, N: number, K: number, opts: GemmOptions = {},
  part: GemmPart = {}, flavour: SimdFlavour | null = simdFlavour(),
): void {
  const [m0, m1] = part.rows ?? [0, M];
  // op(A)[i, p] = A[i·aRow + p·aCol], strides of the whole A
  const aRow = opts.transA ? 1 : K, aCol = opts.transA ? M : 1;
  const columns = part.columns ?? [0, N], call = part.call ?? 0;
  if (m0 === 0 && m1 === M) {
    gemmRows(C, A, aRow, aCol, B, M, N, K, opts, columns, call, 0, flavour);
    return;
  }
  if (opts.packedA) throw new Error("gemmSimd: a packed A is whole, so the product cannot be cut into rows");
  // Rows [m0, m1) of C are a product of their own: those rows of op(A) times op(B), their biases.
  const rowBias = opts.rowBias?.subarray(m0, m1);
  gemmRows(C.subarray(m0 * N, m1 * N), A.subarray(m0 * aRow), aRow, aCol, B, m1 - m0, N, K, { ...opts, rowBias }, columns, call, m0, flavour);
}

/**
 * gemmSimd on every row of a C[M×N] — rows firstRow… of the caller's — with op(A)[i, p] =
 * A[i·aRow + p·aCol]: the blocking, the packing and the module's calls.
 */
function gemmRows(
  C: Float32Array, A: Float32Array, aRow: number, aCol: number, B: Float32Array, M: number, N: number, K: number,
  opts: GemmOptions, columns: readonly [number, number], call: number, firstRow: number, flavour: SimdFlavour | null,
): void {
  const { transB = false, accumulate = false, rowBias, relu = false, maskB, imageB } = opts;
  const [n0, n1] = columns;
  if (M === 0 || n1 <= n0 || K === 0) {
    if (!accumulate) for (let i = 0; i < M; i++) C.fill(relu ? Math.max(rowBias?.[i] ?? 0, 0) : rowBias?.[i] ?? 0, i * N + n0, i * N + n1);
    return;
  }
  // op(B)[p, j] = B[p·bRow + j·bCol]
  const bRow = transB ? 1 : N, bCol = transB ? K : 1;

  const rows = roundUp(M, MR); // rows of the C strip, and of packed A
  const B_OFFSET = A_OFFSET + rows * K * 4, RAW_B_OFFSET = B_OFFSET + B_BYTES, BY_OFFSET = RAW_B_OFFSET + B_BYTES;
  const C_OFFSET = BY_OFFSET + B_BYTES;
  const ldcMax = roundUp(Math.min(NC, n1 - n0), NR);
  // With `imageB`, the image after the widest C strip (so at the same place for every piece of a
  // call), then one 0.0 for the cells outside it.
  const X_OFFSET = C_OFFSET + rows * NC * 4, imageFloats = imageB === undefined ? 0 : B.length;
  const ZERO_OFFSET = X_OFFSET + imageFloats * 4;
  if (flavour === null) throw new Error("gemmSimd: this runtime has no WebAssembly SIMD (simd128)");
  const { gemmBlock, packB, reluFloats, maskFloats, im2colRow } = instance(
    flavour,
    imageB === undefined ? C_OFFSET + rows * ldcMax * 4 : ZERO_OFFSET + 16,
  );
  const cStrip = C_OFFSET / 4, rawB = RAW_B_OFFSET / 4, rawBy = BY_OFFSET / 4; // in floats
  if (imageB !== undefined && (call === 0 || call !== imageCall || X_OFFSET !== imageAt)) {
    heap.set(B, X_OFFSET / 4);
    heap[ZERO_OFFSET / 4] = 0;
    imageCall = call;
    imageAt = X_OFFSET; // row parts of different heights put it at different places
  }
  // The mask runs in WebAssembly where that gives reluMask's bits (maskFloatsKeepsBits), otherwise in JS.
  const maskInWasm = maskB !== undefined && maskFloatsKeepsBits(maskB.by, maskB.slope);
  // n values of B from `from` into the raw block at `at` (floats): masked in JS, or with the ReLU
  // outputs under them copied beside for maskFloats, or plain.
  const copyB = (at: number, from: number, n: number): void => {
    if (maskB !== undefined && !maskInWasm) {
      copyMasked(heap, rawB + at, B, maskB.by, maskB.slope, from, n);
      return;
    }
    heap.set(B.subarray(from, from + n), rawB + at);
    if (maskInWasm) heap.set(maskB!.by.subarray(from, from + n), rawBy + at);
  };

  if (call === 0 || call !== packedCall || firstRow !== packedRow) {
    if (opts.packedA) heap.set(A, A_OFFSET / 4); // packed once by packAForSimd: one copy
    else packAInto(heap, A_OFFSET / 4, A, M, K, aRow, aCol);
    packedCall = call;
    packedRow = firstRow;
  }
  for (let jc = n0; jc < n1; jc += NC) {
    const nc = Math.min(NC, n1 - jc), ldc = roundUp(nc, NR);
    // A block of columns that holds every column of C is copied in and out as one run, not row by
    // row: on a product with short rows (a Winograd product over 49 tiles) each row's call costs
    // more than its copy.
    const wholeRows = nc === N && ldc === N;
    if (accumulate && wholeRows) {
      heap.set(C, cStrip);
    } else if (accumulate) {
      for (let i = 0; i < M; i++) heap.set(C.subarray(i * N + jc, i * N + jc + nc), cStrip + i * ldc);
    } else if (rowBias !== undefined) {
      for (let i = 0; i < M; i++) heap.fill(rowBias[i]!, cStrip + i * ldc, cStrip + (i + 1) * ldc);
      heap.fill(0, cStrip + M * ldc, cStrip + rows * ldc);
    } else {
      heap.fill(0, cStrip, cStrip + rows * ldc);
    }
    for (let pc = 0; pc < K; pc += KC) {
      const kc = Math.min(KC, K - pc);
      if (imageB !== undefined) {
        // Rows (c, r, s) of the block gathered from the image in memory, zero-padded to ldc.
        const { H, W, R, S, OW, strideH, strideW, padH, padW, dilationH, dilationW } = imageB;
        const oh = Math.floor(jc / OW),
          ow = jc % OW;
        for (let p = 0; p < kc; p++) {
          const q = pc + p,
            s = q % S,
            r = Math.floor(q / S) % R,
            c = Math.floor(q / (R * S));
          const iw0 = s * dilationW - padW;
          im2colRow(
            RAW_B_OFFSET + p * ldc * 4, X_OFFSET + c * H * W * 4, nc, ow, OW,
            oh * strideH - padH + r * dilationH, ow * strideW + iw0, iw0, H, W, strideH, strideW, ZERO_OFFSET,
          );
          if (ldc > nc) heap.fill(0, rawB + p * ldc + nc, rawB + (p + 1) * ldc);
        }
        packB(RAW_B_OFFSET, B_OFFSET, kc, ldc, ldc * 4);
      } else if (transB) {
        packPanels(heap, B_OFFSET / 4, B, pc * bRow + jc * bCol, nc, kc, bCol, bRow, NR);
      } else if (N <= NC && 2 * nc >= N) {
        // The block's kc rows as one run of B (what lies between them included, at most as much
        // again), read by packB with B's own row stride. A panel that runs past the block's last
        // column reads the next row's values (or, past the last row, stale ones): they only ever
        // meet C's padded columns, which are never copied back.
        const len = (kc - 1) * N + nc;
        copyB(0, pc * N + jc, len);
        if (maskInWasm) maskFloats(RAW_B_OFFSET, BY_OFFSET, RAW_B_OFFSET + roundUp(len, 4) * 4, maskB!.slope);
        packB(RAW_B_OFFSET, B_OFFSET, kc, ldc, N * 4);
      } else {
        // Rows of B in, zero-padded to ldc (the padding only ever meets C's padded columns).
        for (let p = 0; p < kc; p++) {
          copyB(p * ldc, (pc + p) * N + jc, nc);
          if (ldc > nc) heap.fill(0, rawB + p * ldc + nc, rawB + (p + 1) * ldc);
        }
        if (maskInWasm) maskFloats(RAW_B_OFFSET, BY_OFFSET, RAW_B_OFFSET + kc * ldc * 4, maskB!.slope); // by's padding meets only B's zeros
        packB(RAW_B_OFFSET, B_OFFSET, kc, ldc, ldc * 4);
      }
      for (let ic = 0; ic < M; ic += MC) {
        const mc = Math.min(MC, M - ic);
        const aBlock = A_OFFSET + (pc * rows + ic * kc) * 4;
        gemmBlock(aBlock, B_OFFSET, C_OFFSET + ic * ldc * 4, roundUp(mc, MR), ldc, kc, ldc * 4);
      }
    }
    if (relu) reluFloats(C_OFFSET, C_OFFSET + M * ldc * 4); // the epilogue, on the strip's real rows
    if (wholeRows) C.set(heap.subarray(cStrip, cStrip + M * N));
    else for (let i = 0; i < M; i++) C.set(heap.subarray(cStrip + i * ldc, cStrip + i * ldc + nc), i * N + jc);
  }
}

/** dst[at …] = B[row …]·relu'(by[row …]) for n values: a ReLU's backward as B is copied in (`maskB`). */
function copyMasked(dst: Float32Array, at: number, B: Float32Array, by: Floats, slope: number, row: number, n: number): void {
  for (let j = 0; j < n; j++) {
    const keep = +(by[row + j]! > 0);
    dst[at + j] = B[row + j]! * (keep + (1 - keep) * slope); // reluMask's arithmetic, rounded to Float32 alike
  }
}

/** The packed A of every slab and row block, from dst[at] on, as the kernel reads it (the layout above). */
function packAInto(dst: Float32Array, at: number, A: Float32Array, M: number, K: number, aRow: number, aCol: number): void {
  const rows = roundUp(M, MR);
  for (let pc = 0; pc < K; pc += KC) {
    const kc = Math.min(KC, K - pc);
    for (let ic = 0; ic < M; ic += MC) packA(dst, at + pc * rows + ic * kc, A, ic * aRow + pc * aCol, Math.min(MC, M - ic), kc, aRow, aCol);
  }
}

/** The values of an M×K matrix packed for the kernel (`packAForSimd`): its rows padded to whole panels. */
export function packedALength(M: number, K: number): number {
  return roundUp(M, MR) * K;
}

/**
 * A [M×K] packed as `gemmSimd` packs it into its memory, into dst (packedALength(M, K) values):
 * for a matrix used as A in many products (transformed weights), pass the packed copy with
 * GemmOptions.packedA and each product copies it in at once instead of packing it again.
 */
export function packAForSimd(dst: Float32Array, A: Float32Array, M: number, K: number): void {
  packAInto(dst, 0, A, M, K, K, 1);
}

/** The `call` whose A is packed in memory now (0: none to reuse). */
let packedCall = 0;
/** …and its first row in C (a row part packs only its rows of A). */
let packedRow = 0;
/** The `call` whose image (`imageB`) is in memory now (0: none). */
let imageCall = 0;
/** …and the byte offset it was copied to. */
let imageAt = 0;

/**
 * `packPanels` with width 4, for A: whole panels unrolled (3× faster than the general loop,
 * which matters because a step packs every weight matrix twice), the last partial panel by
 * `packPanels`.
 */
function packA(
  dst: Float32Array, at: number, src: Float32Array, origin: number,
  len: number, depth: number, tStride: number, pStride: number,
): void {
  const whole = len - (len % MR);
  let o = at;
  for (let t0 = 0; t0 < whole; t0 += MR) {
    const s1 = tStride, s2 = 2 * tStride, s3 = 3 * tStride;
    for (let p = 0, s = origin + t0 * tStride; p < depth; p++, s += pStride, o += MR) {
      dst[o] = src[s]!;
      dst[o + 1] = src[s + s1]!;
      dst[o + 2] = src[s + s2]!;
      dst[o + 3] = src[s + s3]!;
    }
  }
  if (whole < len) packPanels(dst, o, src, origin + whole * tStride, len - whole, depth, tStride, pStride, MR);
}
