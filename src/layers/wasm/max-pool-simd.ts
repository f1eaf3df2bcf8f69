// 3×3 max pooling on WebAssembly simd128, four output columns at a time: the windows that lie
// wholly inside the image along one output row. ../pooling.ts drives it (the clipped windows at
// the edges stay in JS there, and so does every other pooling shape).
//
// In plain JS a window's maximum is eight data-dependent branches: activations have random
// signs, so about half of them mispredict, and a 448² step spent ~130 ms in max pooling, more
// than in any kernel but the GEMM. Here the comparison becomes a lane mask and the choice a bit
// select, with no branch at all, for four windows side by side:
//
//     best = window cell 0;  off = 0
//     for each later cell k in scan order (row by row):
//       m    = v_k > best                      f32x4.gt: false where either is NaN
//       best = m ? v_k : best                  v128.bitselect
//       off  = m ? offset_k : off              offset_k = r·W + s, the cell's place in the window
//     y = best;  argmax = (index of the window's corner) + off
//
// That is the JS kernel's rule exactly — strict >, so the first maximum in scan order wins ties,
// and a NaN never wins but stays if it comes first — so both give the same bits.
//
// With stride 1 the four windows' cell (r, s) are four consecutive floats: one unaligned load.
// With stride 2 they are every other float from the window corner on, so the cells of row r
// are picked from two loads by i8x16.shuffle: the even lanes for s = 0 (and, loaded two floats
// further, for s = 2), the odd lanes for s = 1.
//
// The arrays live outside WebAssembly memory, so a plane is copied in, pooled, and its outputs
// copied out (memcpys, ~1/20 of what the branches cost). Each thread has its own instance and
// memory: the layout is
//
//   0          the input plane, H·W floats, then 16 spare floats (the stride-2 loads read one
//              float past the last window)
//   Y_AT       the output plane, OH·OW floats
//   A_AT       its argmax, OH·OW int32s

import {
  doWhile, emitModule, f32x4Gt, i32Const, i32x4Add, i32x4Const, i32x4Splat, i8x16Shuffle, instantiate, localGet, localSet,
  localTee, newMemory, Op, v128Bitselect, v128Load, v128Store, v128Zero, validates, ValType, type FuncDef, type WasmMemory,
} from "./assembler.js";

/**
 * maxPool3x3S{1,2}(x, y, a, quads, W, index): 4·quads outputs along one output row, each the
 * maximum of a whole 3×3 window. x is the byte address of the first window's top-left cell, W
 * the input row length in floats, index the flat index (into the caller's x) of that cell; y and
 * a the byte addresses of the first output and of its argmax. quads ≥ 1.
 */
function maxPoolFunction(stride: 1 | 2): FuncDef {
  const x = 0, y = 1, a = 2, quads = 3, W = 4, index = 5; // parameters
  const rowBytes = 6, row = 7, yEnd = 8; // i32 locals
  const best = 9, off = 10, v = 11, m = 12, corner = 13, lo = 14, hi = 15, offsets = 16; // v128; offsets + 3r + s
  const evens = [0, 1, 2, 3, 8, 9, 10, 11, 16, 17, 18, 19, 24, 25, 26, 27];
  const odds = evens.map((b) => b + 4);

  // Pushes the four windows' cell (row r, column s), the row's address in `row`.
  const cell = (s: number): number[] => {
    if (stride === 1) return [...localGet(row), ...v128Load(4 * s)];
    if (s === 2) return [...localGet(row), ...v128Load(8), ...localGet(row), ...v128Load(24), ...i8x16Shuffle(evens)];
    return [...localGet(lo), ...localGet(hi), ...i8x16Shuffle(s === 0 ? evens : odds)];
  };
  const compare = (k: number): number[] => k === 0
    ? [...localSet(best), ...v128Zero(), ...localSet(off)]
    : [
      ...localTee(v), ...localGet(best), ...f32x4Gt(), ...localSet(m),
      ...localGet(v), ...localGet(best), ...localGet(m), ...v128Bitselect(), ...localSet(best),
      ...localGet(offsets + k), ...localGet(off), ...localGet(m), ...v128Bitselect(), ...localSet(off),
    ];
  const windowRow = (r: number): number[] => [
    ...(r === 0 ? [...localGet(x), ...localSet(row)] : [...localGet(row), ...localGet(rowBytes), Op.i32Add, ...localSet(row)]),
    ...(stride === 2 ? [...localGet(row), ...v128Load(0), ...localSet(lo), ...localGet(row), ...v128Load(16), ...localSet(hi)] : []),
    ...[0, 1, 2].flatMap((s) => [...cell(s), ...compare(3 * r + s)]),
  ];
  const quad = [
    ...windowRow(0), ...windowRow(1), ...windowRow(2),
    ...localGet(y), ...localGet(best), ...v128Store(0),
    ...localGet(a), ...localGet(corner), ...localGet(off), ...i32x4Add(), ...v128Store(0),
    ...localGet(corner), ...i32x4Const([4 * stride, 4 * stride, 4 * stride, 4 * stride]), ...i32x4Add(), ...localSet(corner),
    ...localGet(x), ...i32Const(16 * stride), Op.i32Add, ...localSet(x),
    ...localGet(a), ...i32Const(16), Op.i32Add, ...localSet(a),
    ...localGet(y), ...i32Const(16), Op.i32Add, ...localTee(y),
  ];
  // offset_k = r·W + s for cell k = 3r + s, splat once per call (cell 0's is the zero `off` starts at).
  const setOffsets = [1, 2, 3, 4, 5, 6, 7, 8].flatMap((k) => [
    ...localGet(W), ...i32Const(Math.floor(k / 3)), Op.i32Mul, ...i32Const(k % 3), Op.i32Add, ...i32x4Splat(), ...localSet(offsets + k),
  ]);
  const { i32, v128 } = ValType;
  return {
    name: `maxPool3x3S${stride}`,
    params: [i32, i32, i32, i32, i32, i32],
    results: [],
    locals: [...new Array<ValType>(3).fill(i32), ...new Array<ValType>(7 + 9).fill(v128)],
    body: [
      ...localGet(W), ...i32Const(2), Op.i32Shl, ...localSet(rowBytes),
      ...localGet(y), ...localGet(quads), ...i32Const(16), Op.i32Mul, Op.i32Add, ...localSet(yEnd),
      ...localGet(index), ...i32x4Splat(), ...i32x4Const([0, stride, 2 * stride, 3 * stride]), ...i32x4Add(), ...localSet(corner),
      ...setOffsets,
      ...doWhile(quad, [...localGet(yEnd), Op.i32Ne]),
    ],
  };
}

/** The module's bytes: `maxPool3x3S1` and `maxPool3x3S2`, over an imported memory. */
export function maxPoolModuleBytes(): Uint8Array {
  return emitModule({ memoryPages: 1, functions: [maxPoolFunction(1), maxPoolFunction(2)] });
}

type Quads = (x: number, y: number, a: number, quads: number, W: number, index: number) => void;

let available: boolean | null = null;
let memory: WasmMemory | null = null;
let kernels: { s1: Quads; s2: Quads } | null = null;
let yAt = 0, aAt = 0; // byte addresses of the output and argmax planes in the current layout

/** Whether this runtime runs the module (WebAssembly with simd128). */
export function maxPoolSimdAvailable(): boolean {
  available ??= validates(maxPoolModuleBytes());
  return available;
}

/** This thread's planes in module memory, laid out for an input of `xValues` and an output of `yValues`. */
export interface PoolPlanes {
  x: Float32Array;
  y: Float32Array;
  argmax: Int32Array;
}

/** Lays the memory out for planes of these sizes (growing it if needed) and returns views of them. */
export function maxPoolPlanes(xValues: number, yValues: number): PoolPlanes {
  yAt = 4 * (Math.ceil(xValues / 4) * 4 + 16);
  aAt = yAt + 4 * Math.ceil(yValues / 4) * 4;
  const bytes = aAt + 4 * yValues;
  if (memory === null) {
    memory = newMemory(Math.ceil(bytes / PAGE));
    const exports = instantiate(maxPoolModuleBytes(), memory);
    kernels = { s1: exports.maxPool3x3S1 as Quads, s2: exports.maxPool3x3S2 as Quads };
  }
  if (memory.buffer.byteLength < bytes) memory.grow(Math.ceil((bytes - memory.buffer.byteLength) / PAGE));
  return {
    x: new Float32Array(memory.buffer, 0, xValues),
    y: new Float32Array(memory.buffer, yAt, yValues),
    argmax: new Int32Array(memory.buffer, aAt, yValues),
  };
}

const PAGE = 65536;

/**
 * 4·quads outputs of whole 3×3 windows along a row, in the planes of the last `maxPoolPlanes`:
 * the first window's top-left cell is planes.x[xAt], its output planes.y[yAt] (and argmax);
 * the argmax is `index` (the flat index of that cell in the caller's array) plus the cell's
 * offset in the window. `stride` is the horizontal stride, W the input row length.
 */
export function maxPool3x3Quads(stride: 1 | 2, xAt: number, outAt: number, quads: number, W: number, index: number): void {
  const run = stride === 1 ? kernels!.s1 : kernels!.s2;
  run(4 * xAt, yAt + 4 * outAt, aAt + 4 * outAt, quads, W, index);
}
