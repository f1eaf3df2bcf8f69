// The 3×3 depthwise window on WebAssembly simd128, four output columns at a time: the interior
// of a plane, where all nine taps lie inside the input. ../depthwise.ts drives it (the border,
// the other windows and strides stay in JS there).
//
// With horizontal stride 1 and no horizontal dilation, the four outputs' tap (r, s) are four
// consecutive floats of input row r, starting s floats after the first output's: one unaligned
// load. So four outputs are
//
//     y[0:4] += Σ_{r, s} splat(w[r, s]) · x[row_r + s : row_r + s + 4]     (r, then s, order)
//
// nine multiplies and nine adds of four lanes, in Float32 (the JS kernel sums in a double: the
// two differ by rounding). The rows are `rowStep` bytes apart, which may be negative: the input
// gradient reads its rows bottom up (the flipped window), and its columns right to left, which
// the caller turns into left to right by handing the weights in mirrored.
//
// The arrays live outside WebAssembly memory, so the caller copies a source plane in and the
// destination plane out (memcpys). Each thread has its own instance and memory: the layout is
//
//   0          the nine weights, row by row, as the taps lie in memory (16 floats reserved)
//   X_AT       the source plane, SH·SW floats
//   yAt        the destination plane, A·B floats

import {
  doWhile,
  emitModule,
  f32x4Add,
  f32x4Mul,
  i32Const,
  instantiate,
  localGet,
  localSet,
  localTee,
  newMemory,
  Op,
  v128Load,
  v128Load32Splat,
  v128Store,
  validates,
  ValType,
  type FuncDef,
  type WasmMemory,
} from "./assembler.js";

/**
 * depthwise3x3(x, y, quads, rowStep): y[4q : 4q + 4] += the window at x + 16q, for q < quads.
 * x is the byte address of the first output's tap (0, 0), y that of the output, rowStep the bytes
 * from a tap row to the next. quads ≥ 1.
 */
function depthwiseFunction(): FuncDef {
  const x = 0,
    y = 1,
    quads = 2,
    rowStep = 3; // parameters
  const row = 4,
    yEnd = 5; // i32 locals
  const acc = 6,
    w0 = 7; // v128 locals: the accumulator, then the nine weights w0 + 3r + s
  const tap = (r: number, s: number): number[] => [
    ...localGet(acc),
    ...localGet(w0 + 3 * r + s),
    ...localGet(row),
    ...v128Load(4 * s),
    ...f32x4Mul(),
    ...f32x4Add(),
    ...localSet(acc),
  ];
  const windowRow = (r: number): number[] => [
    ...(r === 0 ? [...localGet(x), ...localSet(row)] : [...localGet(row), ...localGet(rowStep), Op.i32Add, ...localSet(row)]),
    ...tap(r, 0),
    ...tap(r, 1),
    ...tap(r, 2),
  ];
  const quad = [
    ...localGet(y),
    ...v128Load(0),
    ...localSet(acc),
    ...windowRow(0),
    ...windowRow(1),
    ...windowRow(2),
    ...localGet(y),
    ...localGet(acc),
    ...v128Store(0),
    ...localGet(x),
    ...i32Const(16),
    Op.i32Add,
    ...localSet(x),
    ...localGet(y),
    ...i32Const(16),
    Op.i32Add,
    ...localTee(y),
  ];
  const loadWeights = [0, 1, 2, 3, 4, 5, 6, 7, 8].flatMap((k) => [...i32Const(0), ...v128Load32Splat(4 * k), ...localSet(w0 + k)]);
  const { i32, v128 } = ValType;
  return {
    name: "depthwise3x3",
    params: [i32, i32, i32, i32],
    results: [],
    locals: [i32, i32, ...new Array<ValType>(10).fill(v128)],
    body: [
      ...localGet(y),
      ...localGet(quads),
      ...i32Const(16),
      Op.i32Mul,
      Op.i32Add,
      ...localSet(yEnd),
      ...loadWeights,
      ...doWhile(quad, [...localGet(yEnd), Op.i32Ne]),
    ],
  };
}

/** The module's bytes: `depthwise3x3`, over an imported memory. */
export function depthwiseModuleBytes(): Uint8Array {
  return emitModule({ memoryPages: 1, functions: [depthwiseFunction()] });
}

type Quads = (x: number, y: number, quads: number, rowStep: number) => void;

const X_AT = 64; // bytes: after the 16 floats reserved for the weights
const PAGE = 65536;
let available: boolean | null = null;
let memory: WasmMemory | null = null;
let kernel: Quads | null = null;
let yAt = 0; // byte address of the destination plane in the current layout

/** Whether this runtime runs the module (WebAssembly with simd128). */
export function depthwiseSimdAvailable(): boolean {
  available ??= validates(depthwiseModuleBytes());
  return available;
}

/** This thread's planes in module memory: the nine weights, a source plane and a destination plane. */
export interface DepthwisePlanes {
  weights: Float32Array;
  src: Float32Array;
  dst: Float32Array;
}

/** Lays the memory out for planes of these sizes (growing it if needed) and returns views of them. */
export function depthwisePlanes(srcValues: number, dstValues: number): DepthwisePlanes {
  yAt = X_AT + 4 * Math.ceil(srcValues / 4) * 4;
  const bytes = yAt + 4 * dstValues;
  if (memory === null) {
    memory = newMemory(Math.ceil(bytes / PAGE));
    kernel = instantiate(depthwiseModuleBytes(), memory).depthwise3x3 as Quads;
  }
  if (memory.buffer.byteLength < bytes) memory.grow(Math.ceil((bytes - memory.buffer.byteLength) / PAGE));
  return {
    weights: new Float32Array(memory.buffer, 0, 9),
    src: new Float32Array(memory.buffer, X_AT, srcValues),
    dst: new Float32Array(memory.buffer, yAt, dstValues),
  };
}

/**
 * dst[dAt + 4q : dAt + 4q + 4] += the 3×3 window of the weights in `planes.weights` whose tap
 * (0, 0) for the first output is src[sAt], for q < quads, in the planes of the last
 * `depthwisePlanes`; tap rows are `rowStep` floats apart (negative: bottom up).
 */
export function depthwise3x3Quads(sAt: number, dAt: number, quads: number, rowStep: number): void {
  kernel!(X_AT + 4 * sAt, yAt + 4 * dAt, quads, 4 * rowStep);
}
