// LRN across channels on WebAssembly simd128 (β = 0.75, GoogLeNet's norm1 and norm2), four
// pixels at a time: the same formulas as ../lrn.ts, which dispatches here and keeps the JS
// kernels for every other case and as the fallback.
//
//     scale[c] = k + (α/n) · Σ_{j < n} x[c − h + j]²          y = x · scale^−β
//     dx[c]   += dy·scale^−β − (2αβ/n) · x · Σ_{j < n} t[c − h + j],   t = dy·y / scale
//
// with s^−0.75 = 1 / √(s·√s), two square roots and a division (no exp or log in SIMD; other
// β stay in JS). Where the JS kernel slides a Float64 running sum from channel to channel, this
// sums each window afresh in Float32 — n additions of four lanes are cheaper than keeping the
// sliding sum exact — so the two differ by Float32 rounding (~1e-7 relative), not more; each
// value is the same arithmetic whatever block or thread computes it.
//
// The arrays live outside WebAssembly memory, so the driver copies blocks in and out: a block
// is up to BLOCK pixels of every channel of one image, laid out channel by channel, one row of
// floats per channel (the block's length rounded up to 4). The windows are clipped at the first
// and last channel by h zero rows above and below x (and t), so every window has n terms and the
// kernels have no edge cases. Layout, in rows:
//
//   forward   X: h zero rows, C rows of x, h zero rows  |  Y: C rows  |  S: C rows
//   backward  T: h zero, C rows of t, h zero  |  X, DY, Y, S, DX: C rows each
//
// Legend: C channels, P = H·W pixels of a plane, n = localSize, h = (n − 1)/2.

import {
  doWhile, emitModule, f32x4Add, f32x4Div, f32x4Mul, f32x4Splat, f32x4Sqrt, f32x4Sub, i32Const, i32x4Const, instantiate,
  localGet, localSet, localTee, newMemory, Op, v128Load, v128Store, v128Zero, validates, ValType, type FuncDef, type WasmMemory,
} from "./assembler.js";
import type { LrnGeometry } from "../lrn.js";
import { roundUp } from "../pack-panels.js";

const { i32, f32, v128 } = ValType;
const ONE = i32x4Const([0x3f800000, 0x3f800000, 0x3f800000, 0x3f800000]); // 1.0f in four lanes

/** Pushes s^−0.75 = 1/√(s·√s) for the vector in local `s`. */
const powNegThreeQuarters = (s: number): number[] => [
  ...ONE, ...localGet(s), ...localGet(s), ...f32x4Sqrt(), ...f32x4Mul(), ...f32x4Sqrt(), ...f32x4Div(),
];

/** `local += bytes` (i32). */
const advance = (local: number, bytes: number): number[] => [...localGet(local), ...i32Const(bytes), Op.i32Add, ...localSet(local)];

/** Sets `sum` to Σ_{j < n} f(load(win + j·rowBytes)) (pointer `p`, end `pEnd`: scratch i32 locals). */
function windowSum(win: number, n: number, rowBytes: number, p: number, pEnd: number, sum: number, squared: boolean, v: number): number[] {
  const term = squared ? [...localTee(v), ...localGet(v), ...f32x4Mul()] : [];
  return [
    ...v128Zero(), ...localSet(sum),
    ...localGet(win), ...localSet(p),
    ...localGet(win), ...localGet(n), ...localGet(rowBytes), Op.i32Mul, Op.i32Add, ...localSet(pEnd),
    ...doWhile([
      ...localGet(sum), ...localGet(p), ...v128Load(0), ...term, ...f32x4Add(), ...localSet(sum),
      ...localGet(p), ...localGet(rowBytes), Op.i32Add, ...localTee(p),
    ], [...localGet(pEnd), Op.i32Ne]),
  ];
}

/**
 * lrnForward4(win, x, y, s, end, n, rowBytes, k, a): for each vector of four values from x
 * (byte address) until y reaches end: sum the squares of the window's n rows from win, then
 * scale = k + a·sum into s and x·scale^−0.75 into y. a = α/n.
 */
function forwardFunction(): FuncDef {
  const win = 0, x = 1, y = 2, s = 3, end = 4, n = 5, rowBytes = 6, k = 7, a = 8; // parameters
  const p = 9, pEnd = 10; // i32
  const sum = 11, sc = 12, v = 13, kv = 14, av = 15; // v128
  return {
    name: "lrnForward4",
    params: [i32, i32, i32, i32, i32, i32, i32, f32, f32],
    results: [],
    locals: [i32, i32, v128, v128, v128, v128, v128],
    body: [
      ...localGet(k), ...f32x4Splat(), ...localSet(kv),
      ...localGet(a), ...f32x4Splat(), ...localSet(av),
      ...doWhile([
        ...windowSum(win, n, rowBytes, p, pEnd, sum, true, v),
        ...localGet(kv), ...localGet(av), ...localGet(sum), ...f32x4Mul(), ...f32x4Add(), ...localSet(sc),
        ...localGet(s), ...localGet(sc), ...v128Store(0),
        ...localGet(y), ...localGet(x), ...v128Load(0), ...powNegThreeQuarters(sc), ...f32x4Mul(), ...v128Store(0),
        ...advance(win, 16), ...advance(x, 16), ...advance(s, 16),
        ...localGet(y), ...i32Const(16), Op.i32Add, ...localTee(y),
      ], [...localGet(end), Op.i32Ne]),
    ],
  };
}

/** lrnT4(t, dy, y, s, end): t = dy·y / s, four values at a time, until t reaches end. */
function tFunction(): FuncDef {
  const t = 0, dy = 1, y = 2, s = 3, end = 4;
  return {
    name: "lrnT4",
    params: [i32, i32, i32, i32, i32],
    results: [],
    locals: [],
    body: doWhile([
      ...localGet(t), ...localGet(dy), ...v128Load(0), ...localGet(y), ...v128Load(0), ...f32x4Mul(),
      ...localGet(s), ...v128Load(0), ...f32x4Div(), ...v128Store(0),
      ...advance(dy, 16), ...advance(y, 16), ...advance(s, 16),
      ...localGet(t), ...i32Const(16), Op.i32Add, ...localTee(t),
    ], [...localGet(end), Op.i32Ne]),
  };
}

/**
 * lrnBackward4(win, dx, dy, x, s, end, n, rowBytes, coef): dx += dy·s^−0.75 − coef·x·Σ t over
 * the window's n rows from win, four values at a time, until dx reaches end. coef = 2αβ/n.
 */
function backwardFunction(): FuncDef {
  const win = 0, dx = 1, dy = 2, x = 3, s = 4, end = 5, n = 6, rowBytes = 7, coef = 8;
  const p = 9, pEnd = 10;
  const sum = 11, sc = 12, cv = 13;
  return {
    name: "lrnBackward4",
    params: [i32, i32, i32, i32, i32, i32, i32, i32, f32],
    results: [],
    locals: [i32, i32, v128, v128, v128],
    body: [
      ...localGet(coef), ...f32x4Splat(), ...localSet(cv),
      ...doWhile([
        ...windowSum(win, n, rowBytes, p, pEnd, sum, false, 0),
        ...localGet(s), ...v128Load(0), ...localSet(sc),
        ...localGet(dx),
        ...localGet(dx), ...v128Load(0),
        ...localGet(dy), ...v128Load(0), ...powNegThreeQuarters(sc), ...f32x4Mul(),
        ...localGet(cv), ...localGet(x), ...v128Load(0), ...f32x4Mul(), ...localGet(sum), ...f32x4Mul(),
        ...f32x4Sub(), ...f32x4Add(), ...v128Store(0),
        ...advance(win, 16), ...advance(dy, 16), ...advance(x, 16), ...advance(s, 16),
        ...localGet(dx), ...i32Const(16), Op.i32Add, ...localTee(dx),
      ], [...localGet(end), Op.i32Ne]),
    ],
  };
}

/** The module's bytes: `lrnForward4`, `lrnT4` and `lrnBackward4`, over an imported memory. */
export function lrnModuleBytes(): Uint8Array {
  return emitModule({ memoryPages: 1, functions: [forwardFunction(), tFunction(), backwardFunction()] });
}

// ---- The driver ---------------------------------------------------------------------------

/**
 * Pixels per block, at most (a block of a small plane is its size, rounded up to 4). Each row is a
 * copy in or out, a call whose cost is paid per row: 128 pixels took 72 ms for norm1 + norm2's
 * forward and backward at 448² (one thread), 256 41 ms, 512 38 ms, 1024 34–39 ms, 2048 40 ms.
 */
const BLOCK = 1024;
const ROW_BYTES = 4 * BLOCK;
const PAGE = 65536;

interface LrnKernels {
  lrnForward4(win: number, x: number, y: number, s: number, end: number, n: number, rowBytes: number, k: number, a: number): void;
  lrnT4(t: number, dy: number, y: number, s: number, end: number): void;
  lrnBackward4(win: number, dx: number, dy: number, x: number, s: number, end: number, n: number, rowBytes: number, coef: number): void;
}

let available: boolean | null = null;
let memory: WasmMemory | null = null;
let kernels: LrnKernels | null = null;
let heap = new Float32Array(0);

/** Whether this runtime runs the module (WebAssembly with simd128). */
export function lrnSimdAvailable(): boolean {
  available ??= validates(lrnModuleBytes());
  return available;
}

/** Whether the SIMD kernels compute this LRN: across channels, β = 0.75, on a runtime with SIMD. */
export function fitsLrnSimd(g: LrnGeometry): boolean {
  return g.region === "across" && g.beta === 0.75 && lrnSimdAvailable();
}

/** The kernels, with at least `rows` rows of BLOCK floats of memory. */
function instance(rows: number): LrnKernels {
  const bytes = rows * ROW_BYTES;
  if (memory === null) {
    memory = newMemory(Math.ceil(bytes / PAGE));
    const exports = instantiate(lrnModuleBytes(), memory);
    kernels = {
      lrnForward4: exports.lrnForward4 as LrnKernels["lrnForward4"],
      lrnT4: exports.lrnT4 as LrnKernels["lrnT4"],
      lrnBackward4: exports.lrnBackward4 as LrnKernels["lrnBackward4"],
    };
  }
  if (memory.buffer.byteLength < bytes) memory.grow(Math.ceil((bytes - memory.buffer.byteLength) / PAGE));
  if (heap.buffer !== memory.buffer) heap = new Float32Array(memory.buffer);
  return kernels!;
}

/** Copies `len` pixels from p of every channel plane of `src` (image offset `base`) into rows of `L` floats from `row`. */
function copyIn(src: Float32Array, base: number, P: number, C: number, p: number, len: number, row: number, L: number): void {
  for (let c = 0; c < C; c++) heap.set(src.subarray(base + c * P + p, base + c * P + p + len), (row + c) * L);
}

/** The inverse of copyIn: rows of `L` floats from `row` back into the planes of `dst`. */
function copyOut(dst: Float32Array, base: number, P: number, C: number, p: number, len: number, row: number, L: number): void {
  for (let c = 0; c < C; c++) dst.set(heap.subarray((row + c) * L, (row + c) * L + len), base + c * P + p);
}

/** Pixels [p0, p1) of every plane: y = x · scale^−β and scale, as ../lrn.ts's lrnAcrossForward. */
export function lrnAcrossForwardSimd(y: Float32Array, scale: Float32Array, x: Float32Array, g: LrnGeometry, p0: number, p1: number): void {
  const { N, C, localSize: n } = g, P = g.H * g.W, h = (n - 1) / 2;
  const X = 0, Y = C + 2 * h, S = Y + C; // first rows of the regions
  const { lrnForward4 } = instance(S + C);
  for (let b = 0; b < N; b++) {
    for (let p = p0; p < p1; p += BLOCK) {
      const len = Math.min(BLOCK, p1 - p);
      const L = roundUp(len, 4); // this block's row length: a short last block (a small plane) costs its own size
      heap.fill(0, X * L, (X + h) * L);
      heap.fill(0, (X + h + C) * L, Y * L);
      copyIn(x, b * C * P, P, C, p, len, X + h, L);
      // All C rows in one call: each lane is one pixel's channels, so the up to 3 lanes past len
      // (stale values) are computed and never copied out, and touch no other lane.
      lrnForward4(X * 4 * L, (X + h) * 4 * L, Y * 4 * L, S * 4 * L, (Y + C) * 4 * L, n, 4 * L, g.k, g.alpha / n);
      copyOut(y, b * C * P, P, C, p, len, Y, L);
      copyOut(scale, b * C * P, P, C, p, len, S, L);
    }
  }
}

/** Pixels [p0, p1) of every plane: dx += the LRN backward, as ../lrn.ts's lrnAcrossBackward. */
export function lrnAcrossBackwardSimd(
  dx: Float32Array, dy: Float32Array, x: Float32Array, y: Float32Array, scale: Float32Array, g: LrnGeometry, p0: number, p1: number,
  overwrite = false,
): void {
  const { N, C, localSize: n, alpha, beta } = g, P = g.H * g.W, h = (n - 1) / 2;
  const T = 0, X = C + 2 * h, DY = X + C, Y = DY + C, S = Y + C, DX = S + C;
  const { lrnT4, lrnBackward4 } = instance(DX + C);
  const coef = (2 * alpha * beta) / n;
  for (let b = 0; b < N; b++) {
    const base = b * C * P;
    for (let p = p0; p < p1; p += BLOCK) {
      const len = Math.min(BLOCK, p1 - p);
      const L = roundUp(len, 4), R = 4 * L; // row length in floats, and in bytes
      heap.fill(0, T * L, (T + h) * L);
      heap.fill(0, (T + h + C) * L, X * L);
      copyIn(x, base, P, C, p, len, X, L);
      copyIn(dy, base, P, C, p, len, DY, L);
      copyIn(y, base, P, C, p, len, Y, L);
      copyIn(scale, base, P, C, p, len, S, L);
      if (overwrite) heap.fill(0, DX * L, (DX + C) * L); // dx is set: its old values are not read
      else copyIn(dx, base, P, C, p, len, DX, L);
      lrnT4((T + h) * R, DY * R, Y * R, S * R, (T + h + C) * R);
      lrnBackward4(T * R, DX * R, DY * R, X * R, S * R, (DX + C) * R, n, R, coef);
      copyOut(dx, base, P, C, p, len, DX, L);
    }
  }
}
