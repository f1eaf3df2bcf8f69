// Float32 GEMM on WebAssembly simd128: C[M×N] (+)= op(A)[M×K] · op(B)[K×N], the contract of
// `gemm` in ../gemm.ts, which dispatches Float32 calls here when the runtime supports SIMD.
//
// The blocking is the same Goto/BLIS layering as the plain-JS kernel (../gemm.ts explains it);
// only the innermost two loops and the micro-kernel run as WebAssembly, emitted at start-up by
// ./assembler.ts. Packing A stays in JS, writing straight into the module's linear memory;
// so does packing a transposed B. A plain B — the im2col matrix, in every GEMM of a DeepDream
// step — is copied in row by row (a memcpy each) and packed by a second WebAssembly function,
// `packB`: packing it in JS, 2–3 ns a value, took a third of the time of a conv-shaped GEMM.
//
//   pack all of A → for each slab of KC, panels of 4 rows, k-major         (JS, once per call)
//   for jc over N in blocks of NC
//     copy C[:, jc:jc+nc] into the C strip (or start it at 0 or the rows' bias), rows padded
//     to 4, columns to 8
//     for pc over K in blocks of KC
//       pack B[pc:pc+kc, jc:jc+nc] → panels of 8 columns, k-major        (WASM, or JS if transB)
//       for ic over M in blocks of MC
//         gemmBlock: for each B panel, for each A panel, the 4×8 tile     (WASM)
//     with `relu`, max(·, 0) over the strip (WASM), then copy it back into C[:, jc:jc+nc]
//
// A is packed whole, once, and kept: a call may cover many column blocks, and when ../gemm.ts
// splits a product into pieces of columns for several threads, each thread is called once per
// piece with the same `call` number and packs A only for the first.
//
// The micro-kernel holds a 4×8 tile of C in eight v128 accumulators (row r, columns 0–3 and
// 4–7). Each step p loads the 8 values of B's panel row p as two vectors, and for each of the
// 4 values of A's panel column p splats it across a vector and adds a·b to the row's two
// accumulators: 8 multiply–adds of 4 lanes = 64 FLOPs per step, for 11 live vector registers
// (wider tiles spill in V8 and are slower). With relaxed SIMD, a·b + c is one f32x4.relaxed_madd
// (a fused multiply–add on CPUs that have one); otherwise an f32x4.mul then an f32x4.add.
// Node 20 ships relaxed SIMD behind --experimental-wasm-relaxed-simd, so there it is mul + add.
//
// Linear memory, in bytes (all offsets multiples of 16, so vector accesses are aligned):
//
//   A_OFFSET = 0     packed A: slab pc at pc·Mp floats (Mp = roundUp(M, 4)), in it the
//                    Mp/4 panels of kc steps × 4 floats                    (Mp·K·4 bytes)
//   B_OFFSET         packed B: NC/8 panels, each kc steps × 8 floats      (KC·NC·4 bytes)
//   RAW_B_OFFSET     B block as copied in: kc rows × ldc floats           (KC·NC·4 bytes)
//   C_OFFSET         C strip: roundUp(M, 4) rows × ldc floats, ldc = roundUp(nc, 8)
//
// Padding makes every tile whole, so the kernel has no edge cases: packed panels are
// zero-filled past the matrix, and the padded rows and columns of the strip are never copied
// back. Summation order is fixed by the shapes alone — each element of C is its start value plus
// one partial sum per K block, each summed over p in order — so results depend only on the
// inputs. Sums are in float32 (the plain-JS kernel sums Float32 inputs in double precision).
// With relaxed SIMD, whether a madd is fused is the engine's and the CPU's choice: results are
// then reproducible on one machine but may differ in the last bits between machines.

import {
  doWhile, emitModule, f32x4Add, f32x4Max, f32x4Mul, f32x4RelaxedMadd, i32Const, instantiate, localGet, localSet, localTee,
  newMemory, Op, v128Load, v128Load32Splat, v128Store, v128Zero, validates, ValType, type FuncDef, type WasmMemory,
} from "./assembler.js";
import type { GemmOptions } from "../gemm.js";
import { packPanels, roundUp } from "../pack-panels.js";

const MR = 4; // rows of the register tile
const NR = 8; // columns of the register tile (two vectors)
/** The columns of the kernel's register tile: ../gemm.ts cuts products between threads at multiples of it. */
export const SIMD_TILE_COLUMNS = NR;
const KC = 256; // depth of a packed slab: a 4×256 A panel (4 KiB) + a 256×8 B panel (8 KiB) in L1
const MC = 128; // rows of A packed at once (128 KiB, in L2); a multiple of MR
const NC = 2048; // columns of B packed at once (2 MiB); a multiple of NR

const PAGE = 65536; // bytes in a WebAssembly memory page
const A_OFFSET = 0;
const B_BYTES = KC * NC * 4; // the packed B block, and again the B block as copied in

/** How multiply–adds are done: one fused instruction, or a multiply then an add. */
export type SimdFlavour = "relaxed-madd" | "mul-add";

/**
 * gemmBlock(a, b, c, mc, nc, kc, ldc): the C rows at c += packed A block · packed B block, tile
 * by tile: for each 8-column B panel, for each 4-row A panel, one 4×8 micro-kernel.
 * a, b, c are byte addresses; mc is a multiple of 4, nc of 8, kc ≥ 1; ldc is C's row stride in
 * bytes. In pseudo-code (every loop runs at least once, so each is a do–while):
 *
 *     bPanel = b
 *     do                                              for each 8-column panel of B
 *       aPanel = a; cCol = c
 *       do                                            for each 4-row panel of A
 *         acc[0…7] = 0; ap = aPanel; bp = bPanel
 *         do                                          for p = 0 … kc−1
 *           bv0, bv1 = B[p, 0…3], B[p, 4…7]
 *           for r in 0…3: av = splat(A[r, p]); acc[2r] += av·bv0; acc[2r+1] += av·bv1
 *           bp += 32; ap += 16
 *         while ap ≠ aPanel + kc·16
 *         C[cCol + r·ldc, 0…7] += acc[2r], acc[2r+1] for r in 0…3
 *         aPanel = ap; cCol += 4·ldc
 *       while aPanel ≠ a + mc·kc·4
 *       bPanel += kc·32; c += 32
 *     while bPanel ≠ b + nc·kc·4
 */
function gemmBlockFunction(flavour: SimdFlavour): FuncDef {
  // Local indices: the parameters first, then the locals declared at the end.
  const a = 0, b = 1, c = 2, mc = 3, nc = 4, kc = 5, ldc = 6;
  const aPanel = 7, aBlockEnd = 8, bPanel = 9, bBlockEnd = 10, ap = 11, aPanelEnd = 12, bp = 13, cCol = 14, cRow = 15;
  const bv0 = 16, bv1 = 17, av = 18, acc = 19; // acc + 2r + h: row r, columns 4h … 4h+3

  const add = (x: number[], y: number[]): number[] => [...x, ...y, ...f32x4Add()];
  // acc ← acc + av·bv: same value whether fused or not, up to the rounding of the product.
  const madd = (accum: number, bv: number): number[] =>
    flavour === "relaxed-madd"
      ? [...localGet(av), ...localGet(bv), ...localGet(accum), ...f32x4RelaxedMadd(), ...localSet(accum)]
      : [...add(localGet(accum), [...localGet(av), ...localGet(bv), ...f32x4Mul()]), ...localSet(accum)];
  const bytes = (local: number, scale: number): number[] => [...localGet(local), ...i32Const(scale), Op.i32Mul];

  // One step p: b row as two vectors, then for each of the 4 rows a splat of a and two madds.
  const step = [
    ...localGet(bp), ...v128Load(0), ...localSet(bv0),
    ...localGet(bp), ...v128Load(16), ...localSet(bv1),
    ...Array.from({ length: MR }, (_, r) => [
      ...localGet(ap), ...v128Load32Splat(4 * r), ...localSet(av),
      ...madd(acc + 2 * r, bv0), ...madd(acc + 2 * r + 1, bv1),
    ]).flat(),
    ...localGet(bp), ...i32Const(NR * 4), Op.i32Add, ...localSet(bp), // bp += 32
    ...localGet(ap), ...i32Const(MR * 4), Op.i32Add, ...localTee(ap), // ap += 16
  ];
  // C[row r] += accumulators, row by row, rows ldc bytes apart.
  const writeBack = Array.from({ length: MR }, (_, r) => [
    ...(r === 0 ? [...localGet(cCol), ...localSet(cRow)] : [...localGet(cRow), ...localGet(ldc), Op.i32Add, ...localSet(cRow)]),
    ...localGet(cRow), ...add([...localGet(cRow), ...v128Load(0)], localGet(acc + 2 * r)), ...v128Store(0),
    ...localGet(cRow), ...add([...localGet(cRow), ...v128Load(16)], localGet(acc + 2 * r + 1)), ...v128Store(16),
  ]).flat();

  const tile = [
    ...Array.from({ length: 2 * MR }, (_, i) => [...v128Zero(), ...localSet(acc + i)]).flat(),
    ...localGet(aPanel), ...localSet(ap),
    ...localGet(bPanel), ...localSet(bp),
    ...localGet(aPanel), ...bytes(kc, MR * 4), Op.i32Add, ...localSet(aPanelEnd),
    ...doWhile(step, [...localGet(aPanelEnd), Op.i32Ne]), // until ap reaches the panel's end
    ...writeBack,
    ...localGet(aPanelEnd), ...localSet(aPanel), // the next A panel follows this one
    ...localGet(cCol), ...bytes(ldc, MR), Op.i32Add, ...localSet(cCol), // 4 rows down
  ];
  const columnPanel = [
    ...localGet(a), ...localSet(aPanel),
    ...localGet(c), ...localSet(cCol),
    ...doWhile(tile, [...localGet(aPanel), ...localGet(aBlockEnd), Op.i32Ne]),
    ...localGet(bPanel), ...bytes(kc, NR * 4), Op.i32Add, ...localSet(bPanel), // next B panel
    ...localGet(c), ...i32Const(NR * 4), Op.i32Add, ...localSet(c), // 8 columns right
  ];
  const { i32, v128 } = ValType;
  return {
    name: "gemmBlock",
    params: [i32, i32, i32, i32, i32, i32, i32],
    results: [],
    locals: [...repeat(i32, 9), ...repeat(v128, 3 + 2 * MR)],
    body: [
      ...localGet(a), ...localGet(mc), ...bytes(kc, 4), Op.i32Mul, Op.i32Add, ...localSet(aBlockEnd), // a + mc·kc·4
      ...localGet(b), ...localGet(nc), ...bytes(kc, 4), Op.i32Mul, Op.i32Add, ...localSet(bBlockEnd), // b + nc·kc·4
      ...localGet(b), ...localSet(bPanel),
      ...doWhile(columnPanel, [...localGet(bPanel), ...localGet(bBlockEnd), Op.i32Ne]),
    ],
  };
}

/**
 * packB(src, dst, kc, nc, ldb): packs a row-major kc×nc block at src (rows ldb bytes apart, nc
 * a multiple of 8) into panels of 8 columns at dst: panel q is, for p = 0…kc−1, the 8 values
 * src[p, 8q … 8q+7] — two 16-byte vectors copied per step.
 */
function packBFunction(): FuncDef {
  const src = 0, dst = 1, kc = 2, nc = 3, ldb = 4;
  const dstEnd = 5, panelEnd = 6, s = 7;
  const copyRow = [
    ...localGet(dst), ...localGet(s), ...v128Load(0), ...v128Store(0),
    ...localGet(dst), ...localGet(s), ...v128Load(16), ...v128Store(16),
    ...localGet(s), ...localGet(ldb), Op.i32Add, ...localSet(s), // next row of the block
    ...localGet(dst), ...i32Const(NR * 4), Op.i32Add, ...localTee(dst), // dst += 32
  ];
  const panel = [
    ...localGet(src), ...localSet(s),
    ...localGet(dst), ...localGet(kc), ...i32Const(NR * 4), Op.i32Mul, Op.i32Add, ...localSet(panelEnd),
    ...doWhile(copyRow, [...localGet(panelEnd), Op.i32Ne]),
    ...localGet(src), ...i32Const(NR * 4), Op.i32Add, ...localSet(src), // 8 columns right
  ];
  const { i32 } = ValType;
  return {
    name: "packB",
    params: [i32, i32, i32, i32, i32],
    results: [],
    locals: repeat(i32, 3),
    body: [
      ...localGet(dst), ...localGet(nc), ...localGet(kc), Op.i32Mul, ...i32Const(4), Op.i32Mul, Op.i32Add, ...localSet(dstEnd),
      ...doWhile(panel, [...localGet(dst), ...localGet(dstEnd), Op.i32Ne]),
    ],
  };
}

/**
 * reluFloats(p, end): max(v, 0) in place for the floats from byte address p up to end, four at
 * a time (end − p a positive multiple of 16): a ReLU applied to the C strip while it is still in
 * cache, before it is copied out — the GEMM's epilogue.
 */
function reluFloatsFunction(): FuncDef {
  const p = 0, end = 1, zero = 2;
  const { i32, v128 } = ValType;
  return {
    name: "reluFloats",
    params: [i32, i32],
    results: [],
    locals: [v128],
    body: [
      ...v128Zero(), ...localSet(zero),
      ...doWhile([
        ...localGet(p), ...localGet(p), ...v128Load(0), ...localGet(zero), ...f32x4Max(), ...v128Store(0),
        ...localGet(p), ...i32Const(16), Op.i32Add, ...localTee(p),
      ], [...localGet(end), Op.i32Ne]),
    ],
  };
}

/** The module's bytes: `gemmBlock`, `packB` and `reluFloats`, over an imported memory. */
export function gemmModuleBytes(flavour: SimdFlavour): Uint8Array {
  return emitModule({ memoryPages: 1, functions: [gemmBlockFunction(flavour), packBFunction(), reluFloatsFunction()] });
}

function repeat<T>(value: T, count: number): T[] {
  return new Array<T>(count).fill(value);
}

type GemmBlock = (a: number, b: number, c: number, mc: number, nc: number, kc: number, ldc: number) => void;
type PackB = (src: number, dst: number, kc: number, nc: number, ldb: number) => void;
type ReluFloats = (p: number, end: number) => void;

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

// The instance and a Float32 view of its memory, made on first use and regrown as needed.
let memory: WasmMemory | null = null;
let heap = new Float32Array(0);
let kernels: { gemmBlock: GemmBlock; packB: PackB; reluFloats: ReluFloats } | null = null;

function instance(bytesNeeded: number): NonNullable<typeof kernels> {
  if (kernels === null || memory === null) {
    const f = simdFlavour();
    if (f === null) throw new Error("gemmSimd: this runtime has no WebAssembly SIMD (simd128)");
    memory = newMemory(Math.ceil(bytesNeeded / PAGE));
    const exports = instantiate(gemmModuleBytes(f), memory);
    kernels = { gemmBlock: exports.gemmBlock as GemmBlock, packB: exports.packB as PackB, reluFloats: exports.reluFloats as ReluFloats };
  }
  if (memory.buffer.byteLength < bytesNeeded) memory.grow(Math.ceil((bytesNeeded - memory.buffer.byteLength) / PAGE));
  if (heap.buffer !== memory.buffer) heap = new Float32Array(memory.buffer); // growing detaches the old buffer
  return kernels;
}

/**
 * C[M×N] = op(A)·op(B), or C += op(A)·op(B) with `accumulate`, on WebAssembly SIMD — only
 * columns [n0, n1) of C when `columns` is given (each column's values do not depend on the
 * range, which is how ../gemm.ts splits a product between threads). Calls that pass the same
 * non-zero `call` number promise the same A, and reuse its packing. The arguments are assumed
 * checked (`gemm` in ../gemm.ts does it and dispatches here).
 */
export function gemmSimd(
  C: Float32Array, A: Float32Array, B: Float32Array, M: number, N: number, K: number, opts: GemmOptions = {},
  columns: readonly [number, number] = [0, N], call = 0,
): void {
  const { transA = false, transB = false, accumulate = false, rowBias, relu = false } = opts;
  const [n0, n1] = columns;
  if (M === 0 || n1 <= n0 || K === 0) {
    if (!accumulate) for (let i = 0; i < M; i++) C.fill(relu ? Math.max(rowBias?.[i] ?? 0, 0) : rowBias?.[i] ?? 0, i * N + n0, i * N + n1);
    return;
  }
  // op(A)[i, p] = A[i·aRow + p·aCol];  op(B)[p, j] = B[p·bRow + j·bCol]
  const aRow = transA ? 1 : K, aCol = transA ? M : 1;
  const bRow = transB ? 1 : N, bCol = transB ? K : 1;

  const rows = roundUp(M, MR); // rows of the C strip, and of packed A
  const B_OFFSET = A_OFFSET + rows * K * 4, RAW_B_OFFSET = B_OFFSET + B_BYTES, C_OFFSET = RAW_B_OFFSET + B_BYTES;
  const ldcMax = roundUp(Math.min(NC, n1 - n0), NR);
  const { gemmBlock, packB, reluFloats } = instance(C_OFFSET + rows * ldcMax * 4);
  const cStrip = C_OFFSET / 4, rawB = RAW_B_OFFSET / 4; // in floats

  if (call === 0 || call !== packedCall) {
    for (let pc = 0; pc < K; pc += KC) {
      const kc = Math.min(KC, K - pc);
      for (let ic = 0; ic < M; ic += MC) {
        packA(heap, A_OFFSET / 4 + pc * rows + ic * kc, A, ic * aRow + pc * aCol, Math.min(MC, M - ic), kc, aRow, aCol);
      }
    }
    packedCall = call;
  }
  for (let jc = n0; jc < n1; jc += NC) {
    const nc = Math.min(NC, n1 - jc), ldc = roundUp(nc, NR);
    if (accumulate) {
      for (let i = 0; i < M; i++) heap.set(C.subarray(i * N + jc, i * N + jc + nc), cStrip + i * ldc);
    } else if (rowBias !== undefined) {
      for (let i = 0; i < M; i++) heap.fill(rowBias[i]!, cStrip + i * ldc, cStrip + (i + 1) * ldc);
      heap.fill(0, cStrip + M * ldc, cStrip + rows * ldc);
    } else {
      heap.fill(0, cStrip, cStrip + rows * ldc);
    }
    for (let pc = 0; pc < K; pc += KC) {
      const kc = Math.min(KC, K - pc);
      if (transB) {
        packPanels(heap, B_OFFSET / 4, B, pc * bRow + jc * bCol, nc, kc, bCol, bRow, NR);
      } else {
        // Rows of B in, zero-padded to ldc (the padding only ever meets C's padded columns).
        for (let p = 0; p < kc; p++) {
          const row = (pc + p) * N + jc;
          heap.set(B.subarray(row, row + nc), rawB + p * ldc);
          if (ldc > nc) heap.fill(0, rawB + p * ldc + nc, rawB + (p + 1) * ldc);
        }
        packB(RAW_B_OFFSET, B_OFFSET, kc, ldc, ldc * 4);
      }
      for (let ic = 0; ic < M; ic += MC) {
        const mc = Math.min(MC, M - ic);
        const aBlock = A_OFFSET + (pc * rows + ic * kc) * 4;
        gemmBlock(aBlock, B_OFFSET, C_OFFSET + ic * ldc * 4, roundUp(mc, MR), ldc, kc, ldc * 4);
      }
    }
    if (relu) reluFloats(C_OFFSET, C_OFFSET + M * ldc * 4); // the epilogue, on the strip's real rows
    for (let i = 0; i < M; i++) C.set(heap.subarray(cStrip + i * ldc, cStrip + i * ldc + nc), i * N + jc);
  }
}

/** The `call` whose A is packed in memory now (0: none to reuse). */
let packedCall = 0;

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
