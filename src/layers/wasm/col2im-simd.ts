// col2im on WebAssembly SIMD, four column entries at a time: the same additions as ../im2col.ts's
// `col2im`, in the same order, so the same bits. ../im2col.ts runs it for Float32 data with a
// horizontal stride of 1 or 2 (every convolution of GoogLeNet whose input gradient goes through
// col2im: conv1's 7×7/2 and the 5×5 branches); other strides stay in JS.
//
// col2im adds each entry of a column row (c, r, s) onto the input pixel it was copied from; along
// an output row those pixels are `strideW` apart. The order of the additions onto one pixel is the
// order of the rows (c, r, s), which this kernel keeps: it walks the rows as JS does and adds four
// adjacent output columns of one row at a time — four different pixels, one addition each.
//
//   stride 1: the four pixels are adjacent: x[0..3] += col[0..3], one load, add, store.
//   stride 2: they are every other float: col [a b c d] is spread by i8x16.shuffle into
//             [a −0 b −0] and [c −0 d −0] and added to the eight floats x[0..7]. Adding −0 leaves
//             every float as it was (−0 + −0 = −0, +0 + −0 = +0, NaN stays NaN), so the pixels in
//             between are rewritten unchanged.
//
// The arrays live outside WebAssembly memory: the driver copies the band of input rows it adds
// into (every channel's rows [h0, h1)) in once, each column row's part in before its additions,
// and the band back out at the end. Each thread has its own instance and memory:
//
//   0        the band: C/G planes of (h1 − h0) rows × W, then 8 spare floats (stride 2's last
//            eight-float store reaches one float past the last pixel it adds to)
//   COL_AT   one column row's entries for the output rows that land in the band

import {
  emitModule, f32Add, f32Load, f32Store, f32x4Add, i32Const, i32x4Splat, i8x16Shuffle, instantiate, localGet, localSet, newMemory, Op,
  v128Load, v128Store, validates, ValType, whileDo, type FuncDef, type WasmMemory,
} from "./assembler.js";
import { col2imRuns, type ConvGeometry } from "../conv-geometry.js";

/**
 * addRows{S1,S2}(x, xStep, col, colStep, rows, count): for `rows` rows, x[j·stride] += col[j] for
 * the `count` entries j of the row, x and col byte addresses, each row xStep and colStep bytes
 * after the last.
 */
function addRowsFunction(stride: 1 | 2): FuncDef {
  const x = 0, xStep = 1, col = 2, colStep = 3, rows = 4, count = 5; // parameters
  const xp = 6, cp = 7, quads = 8, tail = 9, c = 10, lo = 11, hi = 12, negZero = 13; // i32 ×4, then v128
  const decrement = (local: number): number[] => [...localGet(local), ...i32Const(1), Op.i32Sub, ...localSet(local)];
  const advance = (local: number, bytes: number): number[] => [...localGet(local), ...i32Const(bytes), Op.i32Add, ...localSet(local)];
  const quad =
    stride === 1
      ? [...localGet(xp), ...localGet(xp), ...v128Load(0), ...localGet(cp), ...v128Load(0), ...f32x4Add(), ...v128Store(0)]
      : [
          ...localGet(cp), ...v128Load(0), ...localSet(c),
          ...localGet(c), ...localGet(negZero), ...i8x16Shuffle([0, 1, 2, 3, 16, 17, 18, 19, 4, 5, 6, 7, 16, 17, 18, 19]), ...localSet(lo),
          ...localGet(c), ...localGet(negZero), ...i8x16Shuffle([8, 9, 10, 11, 16, 17, 18, 19, 12, 13, 14, 15, 16, 17, 18, 19]), ...localSet(hi),
          ...localGet(xp), ...localGet(xp), ...v128Load(0), ...localGet(lo), ...f32x4Add(), ...v128Store(0),
          ...localGet(xp), ...localGet(xp), ...v128Load(16), ...localGet(hi), ...f32x4Add(), ...v128Store(16),
        ];
  const one = [...localGet(xp), ...localGet(xp), ...f32Load(0), ...localGet(cp), ...f32Load(0), ...f32Add(), ...f32Store(0)];
  const row = [
    ...localGet(x), ...localSet(xp),
    ...localGet(col), ...localSet(cp),
    ...localGet(count), ...i32Const(2), Op.i32ShrU, ...localSet(quads),
    ...localGet(count), ...i32Const(3), Op.i32And, ...localSet(tail),
    ...whileDo(localGet(quads), [...quad, ...advance(xp, 16 * stride), ...advance(cp, 16), ...decrement(quads)]),
    ...whileDo(localGet(tail), [...one, ...advance(xp, 4 * stride), ...advance(cp, 4), ...decrement(tail)]),
    ...localGet(x), ...localGet(xStep), Op.i32Add, ...localSet(x),
    ...localGet(col), ...localGet(colStep), Op.i32Add, ...localSet(col),
    ...decrement(rows),
  ];
  const { i32, v128 } = ValType;
  return {
    name: `addRowsS${stride}`,
    params: new Array<ValType>(6).fill(i32),
    results: [],
    locals: [...new Array<ValType>(4).fill(i32), ...new Array<ValType>(4).fill(v128)],
    body: [
      // −0 in every lane: the additive identity that keeps −0 a −0
      ...i32Const(0x80000000 | 0), ...i32x4Splat(), ...localSet(negZero),
      ...whileDo(localGet(rows), row),
    ],
  };
}

/** The module's bytes: addRowsS1 and addRowsS2, over an imported memory. */
export function col2imModuleBytes(): Uint8Array {
  return emitModule({ memoryPages: 1, functions: [addRowsFunction(1), addRowsFunction(2)] });
}

type AddRows = (x: number, xStep: number, col: number, colStep: number, rows: number, count: number) => void;

let available: boolean | null = null;
let memory: WasmMemory | null = null;
let heap = new Float32Array(0);
let kernels: { s1: AddRows; s2: AddRows } | null = null;
const PAGE = 65536;

/** Whether this runtime runs the module (WebAssembly with simd128). */
export function col2imSimdAvailable(): boolean {
  available ??= validates(col2imModuleBytes());
  return available;
}

/**
 * `col2im` of ../im2col.ts for Float32 data and a horizontal stride of 1 or 2: input rows
 * [h0, h1) of x [C/G, H, W] += the column entries of col that land there, the same bits.
 */
export function col2imSimd(x: Float32Array, col: Float32Array, g: ConvGeometry, h0: number, h1: number): void {
  const { H, W, OH, OW, strideH, strideW } = g;
  const Cg = g.C / g.groups,
    band = h1 - h0;
  if (band <= 0) return;
  const colAt = Math.ceil((Cg * band * W + 8) / 4) * 4;
  const bytes = 4 * (colAt + OH * OW);
  if (memory === null) {
    memory = newMemory(Math.ceil(bytes / PAGE));
    const exports = instantiate(col2imModuleBytes(), memory);
    kernels = { s1: exports.addRowsS1 as AddRows, s2: exports.addRowsS2 as AddRows };
  }
  if (memory.buffer.byteLength < bytes) memory.grow(Math.ceil((bytes - memory.buffer.byteLength) / PAGE));
  if (heap.buffer !== memory.buffer) heap = new Float32Array(memory.buffer); // growing detaches the old buffer
  const addRows = strideW === 1 ? kernels!.s1 : kernels!.s2;
  for (let c = 0; c < Cg; c++) heap.set(x.subarray(c * H * W + h0 * W, c * H * W + h1 * W), c * band * W);
  col2imRuns(g, h0, h1, (row, c, ohLo, ohHi, owLo, owHi, ih, iw) => {
    heap.set(col.subarray(row + ohLo * OW, row + ohHi * OW), colAt);
    const xAt = c * band * W + (ih - h0) * W + iw;
    addRows(4 * xAt, 4 * strideH * W, 4 * (colAt + owLo), 4 * OW, ohHi - ohLo, owHi - owLo);
  });
  for (let c = 0; c < Cg; c++) x.set(heap.subarray(c * band * W, (c + 1) * band * W), c * H * W + h0 * W);
}
