// F(4×4, 3×3)'s input and output transforms on WebAssembly SIMD, two lanes of Float64: the
// same sums as ../winograd-f43.ts, in the same order, so the same bits — only two tiles (or two
// columns) at a time, with no bounds checks. ../winograd.ts runs them for Float32 data where
// there is SIMD; the JS kernels stay for Float64 data and for INCEPTIONISM_GEMM=js.
//
// Why Float64 lanes and not four Float32 ones: the JS transforms sum in Float64 and round once,
// on the store, and the weights were measured that way (../winograd.ts's header). Two lanes
// keep those bits: f64x2.promote_low_f32x4 is exact, f32x4.demote_f64x2_zero rounds to nearest
// as a Float32Array store does, and every +, −, × on f64 lanes is the IEEE operation JS does.
//
// One plane (one channel of one image) per call of a transform. The arrays live outside
// WebAssembly memory, so the driver (below) moves planes in chunks: one copy brings a chunk's
// planes in (and, with a folded ReLU, the outputs it masks by), each plane is padded into place
// (copyRows) and transformed, and one copy per V row takes the chunk's tiles out — with one image,
// consecutive planes' tiles are one run of each row. Each thread has its own instance and memory.
//
// The input transform, V[ξν][tile] = (Bᵀ d B)[ξ][ν], per row of tiles:
//   1. down the columns: t[ξ][j] = Σ_i Bᵀ[ξ][i]·x[4·th + i][j] for every column j of the six input
//      rows, two adjacent columns a vector;
//   2. along each tile: V[ξ·6 + ν][tile] = Σ_j Bᵀ[ν][j]·t[ξ][4·tw + j], two adjacent tiles a vector
//      (so each store is two adjacent values of one V row).
// The output transform, y = Aᵀ M A, mirrors it: along each tile first (two tiles a vector, out of
// two adjacent values of each M row), then down the columns (two adjacent output columns a vector).
//
// The scratch rows t (and the output's u) are kept interleaved so that both passes address them
// with constant offsets: column j of row ξ is the f64 at  (j >> 1)·96 + ξ·16 + (j & 1)·8  bytes —
// each pair of columns holds its six rows' two-lane vectors side by side, 96 bytes. A pass down
// the columns then reads or writes six vectors at offsets 0, 16, …, 80; a pass along the tiles
// finds column 4·tw + j of the tile pair's first tile at (j >> 1)·96 + (j & 1)·8 + ξ·16, and of
// its second 192 bytes (four columns) further.
//
// Layouts in memory for a chunk of `count` planes of `tiles` tiles each (f32 unless said):
//   input:   0        the zero-padded plane being transformed, (4·tilesH + 2) rows × (4·tilesW + 2);
//                     its border is written once per geometry, only the image's rows after that
//            tAt      the scratch t, (tilesW + 2)·192 bytes of f64
//            vAt      the chunk's V: 36 rows of qs ≥ count·tiles + 1 floats (a row of tiles of odd
//                     length writes one value past its end: the next plane's, rewritten, or spare)
//            rawAt    the chunk's planes as copied in, H·W each; then, with a folded ReLU, byAt
//                     the outputs under them
//   output:  0        the chunk's M, 36 rows of qs floats
//            uAt      the scratch u, (tilesW + 2)·192 bytes of f64
//            yAt      the chunk's output planes as computed, whole tiles, 4·tilesH × 4·tilesW each
//            rawAt    the caller's planes, OH·OW each, where those differ from whole tiles

import {
  doWhile, emitModule, f32x4DemoteZero, f64Const, f64x2Add, f64x2Gt, f64x2Mul, f64x2Ne, f64x2PromoteLow, f64x2Splat, f64x2Sub,
  i32Const, instantiate, localGet, localSet, localTee, newMemory, Op, v128And, v128Load, v128Load64Lane, v128Load64Zero, v128Or,
  memoryCopy, v128Store, v128Store64Lane, v128Zero, validates, ValType, type FuncDef, type WasmMemory,
} from "./assembler.js";
import type { WinogradGeometry } from "../winograd.js";
import { maskFloatsFunction } from "./gemm-simd-module.js";

// ---- The module -----------------------------------------------------------------------------

/** An f64x2 expression over locals: a local's index, or [operation's bytes, a, b]. */
type Expr = number | [number[], Expr, Expr];
const add = (a: Expr, b: Expr): Expr => [f64x2Add(), a, b];
const sub = (a: Expr, b: Expr): Expr => [f64x2Sub(), a, b];
const mul = (a: Expr, b: Expr): Expr => [f64x2Mul(), a, b];
const emit = (e: Expr): number[] => (typeof e === "number" ? localGet(e) : [...emit(e[1]), ...emit(e[2]), ...e[0]]);

/** The constants 2, 4, 5 and 8 in both lanes, in locals k2 … k8. */
interface Constants {
  k2: number;
  k4: number;
  k5: number;
  k8: number;
}
const setConstants = (k: Constants): number[] =>
  ([[k.k2, 2], [k.k4, 4], [k.k5, 5], [k.k8, 8]] as const).flatMap(([local, v]) => [...f64Const(v), ...f64x2Splat(), ...localSet(local)]);

/**
 * Bᵀ·d for d in locals d[0..5], into locals o[0..5] (s and q scratch): ../winograd-f43.ts's
 * sums term for term, t0 = 4·d0 − 5·d2 + d4, t1 = d3 + d4 − 4·(d1 + d2), t2 = d4 − d3 + 4·(d1 − d2),
 * t3 = s + q and t4 = s − q with s = d4 − d2, q = 2·(d3 − d1), t5 = 4·d1 − 5·d3 + d5.
 */
function bt(d: number[], o: number[], s: number, q: number, k: Constants): number[] {
  const [d0, d1, d2, d3, d4, d5] = d as [number, number, number, number, number, number];
  const set = (local: number, e: Expr): number[] => [...emit(e), ...localSet(local)];
  return [
    ...set(s, sub(d4, d2)),
    ...set(q, mul(k.k2, sub(d3, d1))),
    ...set(o[0]!, add(sub(mul(k.k4, d0), mul(k.k5, d2)), d4)),
    ...set(o[1]!, sub(add(d3, d4), mul(k.k4, add(d1, d2)))),
    ...set(o[2]!, add(sub(d4, d3), mul(k.k4, sub(d1, d2)))),
    ...set(o[3]!, add(s, q)),
    ...set(o[4]!, sub(s, q)),
    ...set(o[5]!, add(sub(mul(k.k4, d1), mul(k.k5, d3)), d5)),
  ];
}

/**
 * Aᵀ·m for m in locals m[0..5], into locals o[0..3] (a b c e scratch): y0 = m0 + a + b,
 * y1 = c + 2·e, y2 = a + 4·b, y3 = c + 8·e + m5 with a = m1 + m2, b = m3 + m4, c = m1 − m2, e = m3 − m4.
 */
function at(m: number[], o: number[], t: [number, number, number, number], k: Constants): number[] {
  const [m0, m1, m2, m3, m4, m5] = m as [number, number, number, number, number, number];
  const [a, b, c, e] = t;
  const set = (local: number, x: Expr): number[] => [...emit(x), ...localSet(local)];
  return [
    ...set(a, add(m1, m2)),
    ...set(b, add(m3, m4)),
    ...set(c, sub(m1, m2)),
    ...set(e, sub(m3, m4)),
    ...set(o[0]!, add(add(m0, a), b)),
    ...set(o[1]!, add(c, mul(k.k2, e))),
    ...set(o[2]!, add(a, mul(k.k4, b))),
    ...set(o[3]!, add(add(c, mul(k.k8, e)), m5)),
  ];
}

/** The byte offset of column j (of a tile, or of the second tile with `second`) of scratch row ξ. */
const scratchOffset = (xi: number, j: number, second: boolean): number => (j >> 1) * 96 + (j & 1) * 8 + xi * 16 + (second ? 192 : 0);

const increment = (local: number, by: number[]): number[] => [...localGet(local), ...by, Op.i32Add, ...localSet(local)];
const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);

/**
 * input43(x, rowBytes, tilesH, tilesW, t, v, qsBytes): V of one zero-padded plane (the layout
 * above), x's rows rowBytes apart, V's rows qsBytes apart. tilesH, tilesW ≥ 1.
 */
function inputFunction(): FuncDef {
  const x = 0, rowBytes = 1, tilesH = 2, tilesW = 3, t = 4, v = 5, qsBytes = 6; // parameters
  const xRow = 7, p = 8, pEnd = 9, tp = 10, tt = 11, ttEnd = 12, a = 13, a0 = 14, vRow = 15, th = 16; // i32
  const rowAt = [0, 17, 18, 19, 20, 21]; // i32 locals: i·rowBytes for input row i of a tile (0: none)
  const V0 = 22; // v128 locals from here
  const d = range(6).map((i) => V0 + i), o = range(6).map((i) => V0 + 6 + i), s = V0 + 12, q = V0 + 13;
  const k: Constants = { k2: V0 + 14, k4: V0 + 15, k5: V0 + 16, k8: V0 + 17 };

  // Down the columns: two columns of the six input rows (p, p + rowBytes, …) → six vectors of t at tp.
  const columns = [
    ...range(6).flatMap((i) => [
      ...localGet(p), ...(i === 0 ? [] : [...localGet(rowAt[i]!), Op.i32Add]),
      ...v128Load64Zero(0), ...f64x2PromoteLow(), ...localSet(d[i]!),
    ]),
    ...bt(d, o, s, q, k),
    ...range(6).flatMap((xi) => [...localGet(tp), ...localGet(o[xi]!), ...v128Store(16 * xi)]),
    ...increment(p, i32Const(8)),
    ...increment(tp, i32Const(96)),
  ];
  // Along the tiles: for a pair of tiles (scratch at tt), each ξ's six vectors, transformed, stored
  // as two adjacent values of V rows ξ·6 … ξ·6 + 5 (a walks the 36 rows, qsBytes apart).
  const tilePair = [
    ...localGet(a0), ...localSet(a),
    ...range(6).flatMap((xi) => [
      ...range(6).flatMap((j) => [
        ...localGet(tt), ...localGet(tt), ...v128Load64Zero(scratchOffset(xi, j, false)), ...v128Load64Lane(scratchOffset(xi, j, true), 1),
        ...localSet(d[j]!),
      ]),
      ...bt(d, o, s, q, k),
      ...range(6).flatMap((nu) => [
        ...localGet(a), ...localGet(o[nu]!), ...f32x4DemoteZero(), ...v128Store64Lane(0, 0),
        ...increment(a, localGet(qsBytes)),
      ]),
    ]),
    ...increment(a0, i32Const(8)),
    ...increment(tt, i32Const(384)), // eight columns
  ];
  const rowOfTiles = [
    ...localGet(xRow), ...localTee(p), ...localGet(tilesW), ...i32Const(16), Op.i32Mul, Op.i32Add, ...i32Const(8), Op.i32Add, ...localSet(pEnd),
    ...localGet(t), ...localSet(tp),
    ...doWhile(columns, [...localGet(p), ...localGet(pEnd), Op.i32Ne]),
    ...localGet(t), ...localSet(tt),
    ...localGet(vRow), ...localSet(a0),
    ...doWhile(tilePair, [...localGet(tt), ...localGet(ttEnd), Op.i32Ne]),
    ...increment(xRow, [...localGet(rowBytes), ...i32Const(4), Op.i32Mul]),
    ...increment(vRow, [...localGet(tilesW), ...i32Const(4), Op.i32Mul]),
    ...localGet(th), ...i32Const(1), Op.i32Sub, ...localSet(th),
  ];
  const { i32, v128 } = ValType;
  return {
    name: "input43",
    params: new Array<ValType>(7).fill(i32),
    results: [],
    locals: [...new Array<ValType>(15).fill(i32), ...new Array<ValType>(18).fill(v128)],
    body: [
      ...setConstants(k),
      ...[1, 2, 3, 4, 5].flatMap((i) => [...localGet(rowBytes), ...i32Const(i), Op.i32Mul, ...localSet(rowAt[i]!)]),
      ...localGet(x), ...localSet(xRow),
      ...localGet(v), ...localSet(vRow),
      ...localGet(tilesH), ...localSet(th),
      // pairs of tiles: ⌈tilesW / 2⌉, 384 bytes of scratch each
      ...localGet(t), ...localGet(tilesW), ...i32Const(1), Op.i32Add, ...i32Const(1), Op.i32ShrU, ...i32Const(384), Op.i32Mul, Op.i32Add,
      ...localSet(ttEnd),
      ...doWhile(rowOfTiles, [...localGet(th)]),
    ],
  };
}

/**
 * output43{Acc,Bias}{Relu}(m, qsBytes, tilesH, tilesW, u, y, yRowBytes, bias): the output plane
 * y (rows yRowBytes apart) of one plane's M (rows qsBytes apart): = bias + Aᵀ M A, or += with
 * `accumulate`; then max(·, 0) with `relu` (NaN stays NaN, −0 becomes 0: ../winograd-f43.ts's store).
 */
function outputFunction(accumulate: boolean, relu: boolean): FuncDef {
  const m = 0, qsBytes = 1, tilesH = 2, tilesW = 3, u = 4, y = 5, yRowBytes = 6, bias = 7; // parameters
  const mRow = 8, mm = 9, uu = 10, uuEnd = 11, up = 12, upEnd = 13, o = 14, a = 15, yRow = 16, th = 17; // i32
  const yAt = [0, 18, 19, 20]; // i32 locals: i·yRowBytes for output row i of a tile (0: none)
  const V0 = 21;
  const mv = range(6).map((i) => V0 + i), yv = range(4).map((i) => V0 + 6 + i);
  const tmp: [number, number, number, number] = [V0 + 10, V0 + 11, V0 + 12, V0 + 13];
  const k: Constants = { k2: V0 + 14, k4: V0 + 15, k5: V0 + 16, k8: V0 + 17 };
  const biasV = V0 + 18, value = V0 + 19, zero = V0 + 20;

  // Along the tiles: a pair of tiles' 36 M values each (two adjacent values of each M row, from mm
  // on, qsBytes apart) → u's four columns per tile for each ξ.
  const tilePair = [
    ...localGet(mm), ...localSet(a),
    ...range(6).flatMap((xi) => [
      ...range(6).flatMap((nu) => [
        ...localGet(a), ...v128Load64Zero(0), ...f64x2PromoteLow(), ...localSet(mv[nu]!),
        ...increment(a, localGet(qsBytes)),
      ]),
      ...at(mv, yv, tmp, k),
      ...range(4).flatMap((j) => [
        ...localGet(uu), ...localGet(yv[j]!), ...v128Store64Lane(scratchOffset(xi, j, false), 0),
        ...localGet(uu), ...localGet(yv[j]!), ...v128Store64Lane(scratchOffset(xi, j, true), 1),
      ]),
    ]),
    ...increment(mm, i32Const(8)),
    ...increment(uu, i32Const(384)), // eight columns
  ];
  // The epilogue of one output row's two values at o + i·yRowBytes: bias or the old values, plus y_i, then the ReLU.
  const epilogue = (i: number): number[] => {
    const address = [...localGet(o), ...(i === 0 ? [] : [...localGet(yAt[i]!), Op.i32Add])];
    const start = accumulate ? [...address, ...v128Load64Zero(0), ...f64x2PromoteLow()] : localGet(biasV);
    return [
      ...address,
      ...start, ...localGet(yv[i]!), ...f64x2Add(),
      ...(relu
        ? [
            ...localTee(value), ...localGet(value), ...localGet(zero), ...f64x2Gt(), ...localGet(value), ...localGet(value), ...f64x2Ne(),
            ...v128Or(), ...v128And(),
          ]
        : []),
      ...f32x4DemoteZero(), ...v128Store64Lane(0, 0),
    ];
  };
  // Down the columns: two output columns, the six vectors of u at up → the four output rows.
  const columns = [
    ...range(6).flatMap((xi) => [...localGet(up), ...v128Load(16 * xi), ...localSet(mv[xi]!)]),
    ...at(mv, yv, tmp, k),
    ...range(4).flatMap(epilogue),
    ...increment(up, i32Const(96)),
    ...increment(o, i32Const(8)),
  ];
  const rowOfTiles = [
    ...localGet(mRow), ...localSet(mm),
    ...localGet(u), ...localSet(uu),
    ...doWhile(tilePair, [...localGet(uu), ...localGet(uuEnd), Op.i32Ne]),
    ...localGet(u), ...localSet(up),
    ...localGet(yRow), ...localSet(o),
    ...doWhile(columns, [...localGet(up), ...localGet(upEnd), Op.i32Ne]),
    ...increment(mRow, [...localGet(tilesW), ...i32Const(4), Op.i32Mul]),
    ...increment(yRow, [...localGet(yRowBytes), ...i32Const(4), Op.i32Mul]),
    ...localGet(th), ...i32Const(1), Op.i32Sub, ...localSet(th),
  ];
  const { i32, f64, v128 } = ValType;
  return {
    name: `output43${accumulate ? "Acc" : "Bias"}${relu ? "Relu" : ""}`,
    params: [...new Array<ValType>(7).fill(i32), f64],
    results: [],
    locals: [...new Array<ValType>(13).fill(i32), ...new Array<ValType>(21).fill(v128)],
    body: [
      ...setConstants(k),
      ...[1, 2, 3].flatMap((i) => [...localGet(yRowBytes), ...i32Const(i), Op.i32Mul, ...localSet(yAt[i]!)]),
      ...localGet(bias), ...f64x2Splat(), ...localSet(biasV),
      ...v128Zero(), ...localSet(zero),
      ...localGet(m), ...localSet(mRow),
      ...localGet(y), ...localSet(yRow),
      ...localGet(tilesH), ...localSet(th),
      ...localGet(u), ...localGet(tilesW), ...i32Const(1), Op.i32Add, ...i32Const(1), Op.i32ShrU, ...i32Const(384), Op.i32Mul, Op.i32Add,
      ...localSet(uuEnd),
      ...localGet(u), ...localGet(tilesW), ...i32Const(192), Op.i32Mul, Op.i32Add, ...localSet(upEnd), // two column pairs a tile
      ...doWhile(rowOfTiles, [...localGet(th)]),
    ],
  };
}

/** copyRows(dst, dstStride, src, srcStride, bytes, rows): `rows` runs of `bytes`, each a memory.copy. rows ≥ 1. */
function copyRowsFunction(): FuncDef {
  const dst = 0, dstStride = 1, src = 2, srcStride = 3, bytes = 4, rows = 5;
  return {
    name: "copyRows",
    params: new Array<ValType>(6).fill(ValType.i32),
    results: [],
    locals: [],
    body: doWhile(
      [
        ...localGet(dst), ...localGet(src), ...localGet(bytes), ...memoryCopy(),
        ...increment(dst, localGet(dstStride)),
        ...increment(src, localGet(srcStride)),
        ...localGet(rows), ...i32Const(1), Op.i32Sub, ...localSet(rows),
      ],
      localGet(rows),
    ),
  };
}

/** The module's bytes: input43, the output transform's four epilogues, copyRows, and the GEMM module's maskFloats. */
export function winogradModuleBytes(): Uint8Array {
  return emitModule({
    memoryPages: 1,
    functions: [
      inputFunction(),
      outputFunction(false, false),
      outputFunction(false, true),
      outputFunction(true, false),
      outputFunction(true, true),
      copyRowsFunction(),
      maskFloatsFunction(),
    ],
  });
}

// ---- The driver -----------------------------------------------------------------------------

type InputFn = (x: number, rowBytes: number, tilesH: number, tilesW: number, t: number, v: number, qsBytes: number) => void;
type OutputFn = (m: number, qsBytes: number, tilesH: number, tilesW: number, u: number, y: number, yRowBytes: number, bias: number) => void;
type CopyRows = (dst: number, dstStride: number, src: number, srcStride: number, bytes: number, rows: number) => void;
type Mask = (x: number, by: number, end: number, slope: number) => void;

interface Kernels {
  input43: InputFn;
  outputs: Map<string, OutputFn>;
  copyRows: CopyRows;
  mask: Mask;
}

let available: boolean | null = null;
let memory: WasmMemory | null = null;
let heap = new Float32Array(0);
let kernels: Kernels | null = null;
/** The geometry whose padded input plane's zero border is in memory now ("" if none). */
let zeroedFor = "";

const PAGE = 65536;
const roundUp = (n: number, to: number): number => Math.ceil(n / to) * to;
/** Planes go through memory in chunks of about this many floats (V or M, and the planes): 1 MiB, little beside a thread's GEMM memory. */
const CHUNK_FLOATS = 1 << 18;

/** Whether this runtime runs the module (WebAssembly with simd128). */
export function winogradSimdAvailable(): boolean {
  available ??= validates(winogradModuleBytes());
  return available;
}

/** This thread's kernels, their memory at least `bytes` long. */
function kernelsWith(bytes: number): Kernels {
  if (memory === null) {
    memory = newMemory(Math.ceil(bytes / PAGE));
    const exports = instantiate(winogradModuleBytes(), memory);
    const outputs = new Map<string, OutputFn>();
    for (const name of ["output43Bias", "output43BiasRelu", "output43Acc", "output43AccRelu"]) outputs.set(name, exports[name] as OutputFn);
    kernels = { input43: exports.input43 as InputFn, outputs, copyRows: exports.copyRows as CopyRows, mask: exports.maskFloats as Mask };
  }
  if (memory.buffer.byteLength < bytes) memory.grow(Math.ceil((bytes - memory.buffer.byteLength) / PAGE));
  if (heap.buffer !== memory.buffer) heap = new Float32Array(memory.buffer); // growing detaches the old buffer
  return kernels!;
}

/**
 * The planes [p, end) to move at once, at most what fits a chunk of `perPlane` floats each
 * (besides `fixed`). With one image, consecutive planes' tiles are one run in each of the 36 rows
 * of V (or M), so one copy a row moves them all; with more, a plane's tiles are a run of their own.
 */
function chunkEnd(p: number, p1: number, images: number, perPlane: number, fixed: number): number {
  return images > 1 ? p + 1 : Math.min(p1, p + Math.max(1, Math.floor((CHUNK_FLOATS - fixed) / perPlane)));
}

/**
 * `winogradInput` of ../winograd.ts for F(4, 3) on Float32 data: input planes [p0, p1), the same
 * bits. With `mask`, x is first multiplied by relu'(mask.by) as it is copied in (by the GEMM
 * module's `maskFloats`, where maskFloatsKeepsBits), x itself left as it was: a convolution's
 * input gradient reads the gradient of the ReLU after it, and would otherwise mask it in a pass
 * of its own.
 */
export function winogradInputSimd(
  V: Float32Array,
  x: Float32Array,
  wg: WinogradGeometry,
  p0: number,
  p1: number,
  mask?: { by: Float32Array; slope: number },
): void {
  const { C, H, W, padH, padW, tilesH, tilesW, T } = wg;
  const rows = 4 * tilesH + 2,
    width = 4 * tilesW + 2,
    tiles = tilesH * tilesW,
    plane = H * W;
  const xFloats = roundUp(rows * width, 4),
    tAt = 4 * xFloats,
    vAt = tAt + (tilesW + 2) * 192;
  const fixed = xFloats + (tilesW + 2) * 48 + 8;
  const colLo = Math.max(0, padW),
    colHi = Math.min(width, W + padW), // columns of a padded row inside the image
    rowLo = Math.max(0, padH),
    rowHi = Math.min(rows, H + padH);
  const stride = C * T;
  for (let p = p0; p < p1; ) {
    const end = chunkEnd(p, p1, wg.N, 36 * tiles + (mask === undefined ? plane : 2 * plane), fixed),
      count = end - p;
    const qs = roundUp(count * tiles + 1, 4),
      rawAt = vAt + 36 * qs * 4,
      byAt = rawAt + roundUp(count * plane, 4) * 4; // the ReLU outputs, with `mask`
    const { input43, copyRows, mask: maskRaw } = kernelsWith(byAt + (mask === undefined ? 0 : roundUp(count * plane, 4) * 4));
    // The zero border is the same for every plane of one geometry: written once, then only the
    // image's rows are copied over it.
    const key = `${rows} ${width} ${padH} ${padW} ${H} ${W}`;
    if (zeroedFor !== key) {
      heap.fill(0, 0, xFloats);
      zeroedFor = key;
    }
    heap.set(x.subarray(p * plane, end * plane), rawAt / 4);
    if (mask !== undefined) {
      heap.set(mask.by.subarray(p * plane, end * plane), byAt / 4);
      maskRaw(rawAt, byAt, rawAt + roundUp(count * plane, 4) * 4, mask.slope); // past the planes: stale floats, never read
    }
    for (let i = 0; i < count; i++) {
      if (colLo < colHi && rowLo < rowHi) {
        const src = rawAt + 4 * (i * plane + (rowLo - padH) * W + colLo - padW);
        copyRows(4 * (rowLo * width + colLo), 4 * width, src, 4 * W, 4 * (colHi - colLo), rowHi - rowLo);
      }
      input43(0, 4 * width, tilesH, tilesW, tAt, vAt + 4 * i * tiles, 4 * qs);
    }
    const n = Math.floor(p / C),
      to = (p % C) * T + n * tiles;
    for (let q = 0; q < 36; q++) {
      const from = vAt / 4 + q * qs;
      V.set(heap.subarray(from, from + count * tiles), q * stride + to);
    }
    p = end;
  }
}

/** `winogradOutput` of ../winograd.ts for F(4, 3) on Float32 data: output planes [p0, p1), the same bits. */
export function winogradOutputSimd(
  out: Float32Array,
  M: Float32Array,
  bias: Float32Array | Float64Array | null,
  wg: WinogradGeometry,
  accumulate: boolean,
  relu: boolean,
  p0: number,
  p1: number,
): void {
  const { K, OH, OW, tilesH, tilesW, T } = wg;
  const tiles = tilesH * tilesW,
    width = 4 * tilesW,
    yPlane = 4 * tilesH * width, // the output plane as computed, whole tiles
    plane = OH * OW,
    whole = yPlane === plane; // the same layout as the caller's planes: no rows to move
  const stride = K * T;
  const name = `output43${accumulate ? "Acc" : "Bias"}${relu ? "Relu" : ""}`;
  for (let p = p0; p < p1; ) {
    const end = chunkEnd(p, p1, wg.N, 36 * tiles + yPlane + (whole ? 0 : plane), (tilesW + 2) * 48 + 8),
      count = end - p;
    const qs = roundUp(count * tiles + 1, 4),
      uAt = 4 * 36 * qs,
      yAt = uAt + (tilesW + 2) * 192,
      rawAt = whole ? yAt : yAt + 4 * count * yPlane; // the caller's planes, OH·OW each
    const { outputs, copyRows } = kernelsWith(rawAt + 4 * count * plane);
    zeroedFor = ""; // the input transform's padded plane is overwritten
    const run = outputs.get(name)!;
    const n = Math.floor(p / K),
      from = (p % K) * T + n * tiles;
    for (let q = 0; q < 36; q++) heap.set(M.subarray(q * stride + from, q * stride + from + count * tiles), q * qs);
    if (accumulate) heap.set(out.subarray(p * plane, end * plane), rawAt / 4);
    for (let i = 0; i < count; i++) {
      const y = yAt + 4 * i * yPlane,
        raw = rawAt + 4 * i * plane;
      if (accumulate && !whole) copyRows(y, 4 * width, raw, 4 * OW, 4 * OW, OH);
      run(4 * i * tiles, 4 * qs, tilesH, tilesW, uAt, y, 4 * width, bias === null ? 0 : bias[(p + i) % K]!);
      if (!whole) copyRows(raw, 4 * OW, y, 4 * width, 4 * OW, OH);
    }
    out.set(heap.subarray(rawAt / 4, rawAt / 4 + count * plane), p * plane);
    p = end;
  }
}
