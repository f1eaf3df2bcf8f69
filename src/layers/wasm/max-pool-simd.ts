// 3×3 max pooling on WebAssembly simd128, four output columns at a time, a whole plane per call.
// ../pooling.ts drives it for 3×3 windows with horizontal stride 1 or 2 (every other pooling
// shape stays in JS there).
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
// The edges. A window clipped by the image's edge (the padding, or Caffe's rounding up of the
// output size) holds fewer cells; rather than pool those in JS (one branchy window at a time, which
// on GoogLeNet's 28-wide planes cost more than all the whole windows), the plane is copied into
// memory padded by replication — padded cell (i, j) holds image cell (clamp(i − padH), clamp(j −
// padW)) — so that every window is whole. A replicated cell sits just before its original in scan
// order (left and top) or just after it (right and bottom), and holds the same bits, so the strict
// > picks the same value, and the cell it picks maps back to the cell JS would pick: the argmax
// is found in padded coordinates and looked up in a table of their image indices (`padToImage`).
// A window wholly outside the image (only with a vertical stride above 3) has no cells at all:
// the driver gives it 0 and argmax −1 afterwards, as JS does.
//
// The arrays live outside WebAssembly memory, so a plane is copied in, pooled, and its outputs
// copied out (memcpys). Each thread has its own instance and memory; the layout, in floats:
//
//   0          the image plane as copied in, H·W
//   P_AT       the padded plane, Hp × Wp (Hp = (OH − 1)·strideH + 3; Wp covers the last quad's
//              windows, ⌈OW / 4⌉·4 of them, plus one column), then 16 spare floats (the stride-2
//              loads read one float past the last window)
//   Y_AT       the output plane, OH·OW floats, then 4 spare (a row's last quad may run into the
//              next row, which then overwrites it; the last row's runs into the spare)
//   A_AT       its argmax in padded coordinates, likewise, int32
//   T_AT       the table: padded index → index in the image plane, Hp·Wp int32s

import {
  doWhile, emitModule, f32Load, f32Store, f32x4Gt, i32Const, i32Load, i32Store, memoryCopy, i32x4Add, i32x4Const, i32x4Splat, i8x16Shuffle, instantiate, localGet, localSet,
  localTee, newMemory, Op, v128Bitselect, v128Load, v128Store, v128Zero, validates, ValType, type FuncDef, type WasmMemory,
} from "./assembler.js";

/**
 * maxPool3x3S{1,2}(x, y, a, quads, W, index, rows, xStep, yStep, indexStep): `rows` output rows
 * of 4·quads outputs each, every one the maximum of a whole 3×3 window. x is the byte address of
 * the first window's top-left cell, W the input row length in floats, index the flat index of
 * that cell (what argmax counts from); y and a the byte addresses of the first output and of its
 * argmax. Each row then starts xStep bytes (and indexStep cells) further in x, yStep bytes in y
 * and a. quads, rows ≥ 1.
 */
function maxPoolFunction(stride: 1 | 2): FuncDef {
  const x = 0, y = 1, a = 2, quads = 3, W = 4, index = 5, rows = 6, xStep = 7, yStep = 8, indexStep = 9; // parameters
  const rowBytes = 10, row = 11, yEnd = 12, xRow = 13, yRow = 14, aRow = 15; // i32 locals
  const best = 16, off = 17, v = 18, m = 19, corner = 20, lo = 21, hi = 22, offsets = 23; // v128; offsets + 3r + s
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
  const outputRow = [
    ...localGet(xRow), ...localSet(x),
    ...localGet(yRow), ...localTee(y), ...localGet(quads), ...i32Const(16), Op.i32Mul, Op.i32Add, ...localSet(yEnd),
    ...localGet(aRow), ...localSet(a),
    ...localGet(index), ...i32x4Splat(), ...i32x4Const([0, stride, 2 * stride, 3 * stride]), ...i32x4Add(), ...localSet(corner),
    ...doWhile(quad, [...localGet(yEnd), Op.i32Ne]),
    ...localGet(xRow), ...localGet(xStep), Op.i32Add, ...localSet(xRow),
    ...localGet(yRow), ...localGet(yStep), Op.i32Add, ...localSet(yRow),
    ...localGet(aRow), ...localGet(yStep), Op.i32Add, ...localSet(aRow),
    ...localGet(index), ...localGet(indexStep), Op.i32Add, ...localSet(index),
    ...localGet(rows), ...i32Const(1), Op.i32Sub, ...localTee(rows),
  ];
  const { i32, v128 } = ValType;
  return {
    name: `maxPool3x3S${stride}`,
    params: new Array<ValType>(10).fill(i32),
    results: [],
    locals: [...new Array<ValType>(6).fill(i32), ...new Array<ValType>(7 + 9).fill(v128)],
    body: [
      ...localGet(W), ...i32Const(2), Op.i32Shl, ...localSet(rowBytes),
      ...localGet(x), ...localSet(xRow),
      ...localGet(y), ...localSet(yRow),
      ...localGet(a), ...localSet(aRow),
      ...setOffsets,
      ...doWhile(outputRow, []),
    ],
  };
}

/**
 * padPlane(src, H, W, dst, Hp, Wp, padH, padW): the plane at src (H×W floats) into dst as Hp×Wp,
 * padded by replication: dst[i][j] = src[clamp(i − padH, 0, H − 1)][clamp(j − padW, 0, W − 1)].
 * Needs Wp ≥ padW + W + 1 (the right border is at least one column).
 */
function padFunction(): FuncDef {
  const src = 0, H = 1, W = 2, dst = 3, Hp = 4, Wp = 5, padH = 6, padW = 7; // parameters
  const i = 8, r = 9, from = 10, to = 11, j = 12, end = 13, value = 14; // locals (value: f32)
  const row = [
    // r = clamp(i − padH, 0, H − 1); from = src + 4·r·W; to = dst + 4·i·Wp
    ...localGet(i), ...localGet(padH), Op.i32Sub, ...localSet(r),
    ...i32Const(0), ...localGet(r), ...localGet(r), ...i32Const(0), Op.i32LtS, Op.select, ...localSet(r),
    ...localGet(H), ...i32Const(1), Op.i32Sub, ...localGet(r), ...localGet(r), ...localGet(H), ...i32Const(1), Op.i32Sub, Op.i32GtS,
    Op.select, ...localSet(r),
    ...localGet(src), ...localGet(r), ...localGet(W), Op.i32Mul, ...i32Const(2), Op.i32Shl, Op.i32Add, ...localSet(from),
    ...localGet(dst), ...localGet(i), ...localGet(Wp), Op.i32Mul, ...i32Const(2), Op.i32Shl, Op.i32Add, ...localSet(to),
    // columns 0 … padW: the row's first value (column padW is the image's own, copied again below)
    ...localGet(from), ...f32Load(0), ...localSet(value),
    ...localGet(to), ...localSet(j),
    ...localGet(to), ...localGet(padW), ...i32Const(2), Op.i32Shl, Op.i32Add, ...i32Const(4), Op.i32Add, ...localSet(end),
    ...doWhile([...localGet(j), ...localGet(value), ...f32Store(0), ...localGet(j), ...i32Const(4), Op.i32Add, ...localTee(j)], [
      ...localGet(end), Op.i32Ne,
    ]),
    // columns padW + W … Wp − 1: the row's last value
    ...localGet(from), ...localGet(W), ...i32Const(2), Op.i32Shl, Op.i32Add, ...i32Const(4), Op.i32Sub, ...f32Load(0), ...localSet(value),
    ...localGet(to), ...localGet(padW), ...localGet(W), Op.i32Add, ...i32Const(2), Op.i32Shl, Op.i32Add, ...localSet(j),
    ...localGet(to), ...localGet(Wp), ...i32Const(2), Op.i32Shl, Op.i32Add, ...localSet(end),
    ...doWhile([...localGet(j), ...localGet(value), ...f32Store(0), ...localGet(j), ...i32Const(4), Op.i32Add, ...localTee(j)], [
      ...localGet(end), Op.i32Ne,
    ]),
    // the image row itself
    ...localGet(to), ...localGet(padW), ...i32Const(2), Op.i32Shl, Op.i32Add, ...localGet(from), ...localGet(W), ...i32Const(2), Op.i32Shl,
    ...memoryCopy(),
    ...localGet(i), ...i32Const(1), Op.i32Add, ...localTee(i),
  ];
  const { i32, f32 } = ValType;
  return {
    name: "padPlane",
    params: new Array<ValType>(8).fill(i32),
    results: [],
    locals: [...new Array<ValType>(6).fill(i32), f32],
    body: doWhile(row, [...localGet(Hp), Op.i32Ne]),
  };
}

/** remap(a, t, n, shift): a[o] = t[a[o]] + shift for the n int32s at a — padded coordinates to the caller's indices. n ≥ 1. */
function remapFunction(): FuncDef {
  const a = 0, t = 1, n = 2, shift = 3, end = 4; // parameters, then a local
  return {
    name: "remap",
    params: new Array<ValType>(4).fill(ValType.i32),
    results: [],
    locals: [ValType.i32],
    body: [
      ...localGet(a), ...localGet(n), ...i32Const(2), Op.i32Shl, Op.i32Add, ...localSet(end),
      ...doWhile(
        [
          ...localGet(a),
          ...localGet(t), ...localGet(a), ...i32Load(0), ...i32Const(2), Op.i32Shl, Op.i32Add, ...i32Load(0), ...localGet(shift), Op.i32Add,
          ...i32Store(0),
          ...localGet(a), ...i32Const(4), Op.i32Add, ...localTee(a),
        ],
        [...localGet(end), Op.i32Ne],
      ),
    ],
  };
}

/**
 * scatter(dy, a, n, dx, shift, spare): dx[a[o] − shift] += dy[o] for the n outputs o in order, the
 * backward of any max pooling (one addition per output, in the JS kernel's order, so the same
 * bits); an output with no window (argmax −1) adds into the float at `spare` instead of branching.
 * dy, a, dx, spare byte addresses; n ≥ 1.
 */
function scatterFunction(): FuncDef {
  const dy = 0, a = 1, n = 2, dx = 3, shift = 4, spare = 5; // parameters
  const end = 6, at = 7, index = 8; // locals
  return {
    name: "scatter",
    params: new Array<ValType>(6).fill(ValType.i32),
    results: [],
    locals: new Array<ValType>(3).fill(ValType.i32),
    body: [
      ...localGet(dy), ...localGet(n), ...i32Const(2), Op.i32Shl, Op.i32Add, ...localSet(end),
      ...doWhile(
        [
          // at = index < 0 ? spare : dx + 4·(index − shift)
          ...localGet(spare),
          ...localGet(a), ...i32Load(0), ...localTee(index), ...localGet(shift), Op.i32Sub, ...i32Const(2), Op.i32Shl, ...localGet(dx), Op.i32Add,
          ...localGet(index), ...i32Const(0), Op.i32LtS, Op.select, ...localTee(at),
          ...localGet(at), ...f32Load(0), ...localGet(dy), ...f32Load(0), ...[Op.f32Add], ...f32Store(0),
          ...localGet(a), ...i32Const(4), Op.i32Add, ...localSet(a),
          ...localGet(dy), ...i32Const(4), Op.i32Add, ...localTee(dy),
        ],
        [...localGet(end), Op.i32Ne],
      ),
    ],
  };
}

/** The module's bytes: `maxPool3x3S1`, `maxPool3x3S2`, `padPlane`, `remap` and `scatter`, over an imported memory. */
export function maxPoolModuleBytes(): Uint8Array {
  return emitModule({ memoryPages: 1, functions: [maxPoolFunction(1), maxPoolFunction(2), padFunction(), remapFunction(), scatterFunction()] });
}

type Plane = (x: number, y: number, a: number, quads: number, W: number, index: number, rows: number, xStep: number, yStep: number, indexStep: number) => void;
type Pad = (src: number, H: number, W: number, dst: number, Hp: number, Wp: number, padH: number, padW: number) => void;
type Remap = (a: number, t: number, n: number, shift: number) => void;
type Scatter = (dy: number, a: number, n: number, dx: number, shift: number, spare: number) => void;

let available: boolean | null = null;
let memory: WasmMemory | null = null;
let kernels: { s1: Plane; s2: Plane; pad: Pad; remap: Remap; scatter: Scatter } | null = null;
let heap = new Float32Array(0);
let heapInts = new Int32Array(0);
/** The geometry whose table (padded index → image index) is in memory now. */
let tableFor = "";

const PAGE = 65536;

/** Whether this runtime runs the module (WebAssembly with simd128). */
export function maxPoolSimdAvailable(): boolean {
  available ??= validates(maxPoolModuleBytes());
  return available;
}

/** This thread's kernels, their memory at least `floats` floats long. */
function kernelsWith(floats: number): NonNullable<typeof kernels> {
  if (memory === null) {
    memory = newMemory(Math.ceil((4 * floats) / PAGE));
    const exports = instantiate(maxPoolModuleBytes(), memory);
    kernels = {
      s1: exports.maxPool3x3S1 as Plane,
      s2: exports.maxPool3x3S2 as Plane,
      pad: exports.padPlane as Pad,
      remap: exports.remap as Remap,
      scatter: exports.scatter as Scatter,
    };
  }
  if (memory.buffer.byteLength < 4 * floats) memory.grow(Math.ceil((4 * floats - memory.buffer.byteLength) / PAGE));
  if (heap.buffer !== memory.buffer) {
    heap = new Float32Array(memory.buffer); // growing detaches the old buffer
    heapInts = new Int32Array(memory.buffer);
    tableFor = "";
  }
  return kernels!;
}

/**
 * dx += the gradient routed to each window's argmax, for the planes [first, end) of a max pooling
 * from [H, W] to OH·OW outputs a plane (Float32), one plane at a time in memory — ../pooling.ts's
 * `maxPoolBackward` with the same bits; with `overwrite` dx's planes are set, not added to.
 */
export function maxPoolBackwardSimd(
  dx: Float32Array, dy: Float32Array, argmax: Int32Array, H: number, W: number, outputs: number, first: number, end: number, overwrite: boolean,
): void {
  const plane = H * W;
  const aAt = Math.ceil(outputs / 4) * 4,
    dxAt = 2 * aAt,
    spare = dxAt + Math.ceil(plane / 4) * 4;
  const { scatter } = kernelsWith(spare + 4);
  tableFor = ""; // the pooling's table is overwritten
  for (let p = first; p < end; p++) {
    heap.set(dy.subarray(p * outputs, (p + 1) * outputs), 0);
    heapInts.set(argmax.subarray(p * outputs, (p + 1) * outputs), aAt);
    if (overwrite) heap.fill(0, dxAt, dxAt + plane);
    else heap.set(dx.subarray(p * plane, (p + 1) * plane), dxAt);
    if (outputs > 0) scatter(0, 4 * aAt, outputs, 4 * dxAt, p * plane, 4 * spare);
    dx.set(heap.subarray(dxAt, dxAt + plane), p * plane);
  }
}

/** The sizes of one plane's pooling, as `maxPoolPlaneSimd` takes them. */
export interface PoolPlaneGeometry {
  H: number;
  W: number;
  OH: number;
  OW: number;
  strideH: number;
  strideW: 1 | 2;
  padH: number;
  padW: number;
}

/**
 * y and argmax (OH·OW each, from yAt and argmax's own offset yAt) of the plane of x at xAt
 * (H·W values): the maximum of each 3×3 window clipped to the image, and its index in x (the
 * plane's cells are xAt … xAt + H·W − 1). Every window must hold at least one image cell (the
 * driver mends the others). For Float32 planes; the same bits as ../pooling.ts's JS kernel.
 */
export function maxPoolPlaneSimd(
  y: Float32Array, argmax: Int32Array, yAt: number, x: Float32Array, xAt: number, g: PoolPlaneGeometry,
): void {
  const { H, W, OH, OW, strideH, strideW, padH, padW } = g;
  const quads = Math.ceil(OW / 4);
  const Hp = (OH - 1) * strideH + 3,
    Wp = Math.max((4 * quads - 1) * strideW + 3, padW + W + 1);
  const pAt = Math.ceil((H * W) / 4) * 4,
    outAt = pAt + Math.ceil((Hp * Wp + 16) / 4) * 4,
    aAt = outAt + Math.ceil((OH * OW + 4) / 4) * 4,
    tAt = aAt + Math.ceil((OH * OW + 4) / 4) * 4;
  const { s1, s2, pad, remap } = kernelsWith(tAt + Hp * Wp);
  const key = `${H} ${W} ${Hp} ${Wp} ${padH} ${padW} ${tAt}`;
  if (tableFor !== key) {
    for (let i = 0; i < Hp; i++) {
      const r = Math.min(Math.max(i - padH, 0), H - 1);
      for (let j = 0; j < Wp; j++) heapInts[tAt + i * Wp + j] = r * W + Math.min(Math.max(j - padW, 0), W - 1);
    }
    tableFor = key;
  }
  heap.set(x.subarray(xAt, xAt + H * W), 0);
  pad(0, H, W, 4 * pAt, Hp, Wp, padH, padW);
  (strideW === 1 ? s1 : s2)(4 * pAt, 4 * outAt, 4 * aAt, quads, Wp, 0, OH, 4 * strideH * Wp, 4 * OW, strideH * Wp);
  remap(4 * aAt, 4 * tAt, OH * OW, xAt);
  y.set(heap.subarray(outAt, outAt + OH * OW), yAt);
  argmax.set(heapInts.subarray(aAt, aAt + OH * OW), yAt);
}
