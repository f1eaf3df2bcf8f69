// Where a new array's memory comes from.
//
// Every op gets its output and gradient arrays from `allocFloats`/`allocLike` (re-exported by
// ./tensor.ts), so this one place decides two things:
//
// Shared or not. When jobs are split over worker threads (../threads/pool.ts), the arrays they
// read and write must live in a SharedArrayBuffer, which every thread sees; so while more than
// one thread is in use, new arrays are shared. (A job handed an ordinary array just runs on the
// calling thread, so mixing the two is slower, never wrong.)
//
// Fresh or recycled. A DeepDream step allocates the same arrays, of the same sizes, every time:
// one per activation, one per gradient. Fresh arrays cost more than their size suggests: the
// allocator zeroes them, the first writes fault their pages in, and the collector later frees
// them. Inside `withRecycling(pool, fn)` arrays are taken from `pool` instead — the arrays of the
// previous call with the same dtype and length — and all of them go back to the pool when `fn`
// returns. A recycled array is zeroed (by all threads) unless it comes from `allocOutput`, whose
// caller promises to overwrite every value: a forward kernel's output needs no zeros. Nothing
// allocated inside may be used after `fn` returns: copy out what escapes (../dream/objective.ts
// returns a copy of the gradient). A request is served by the smallest free array of its kind
// that is long enough — as a view of its first n values when it is longer — so that the tiles
// of a tiled step, whose crops differ by a few pixels, and a step after a smaller one reuse
// memory instead of dropping it. That matters most for shared memory, whose garbage V8 collects
// late: dropped arrays pile up. Arrays the last call did not use are dropped, so a pool holds
// about one step's worth, of the latest sizes.

import { defineJob, pieceRange, piecesFor, threadCount } from "../threads/pool.js";
import type { DType, Floats } from "./tensor.js";

/** Arrays kept between calls of `withRecycling`, by kind (dtype or int32) and length. */
export class BufferPool {
  /** kind → arrays not in use, shortest first. */
  free = new Map<Kind, Recyclable[]>();
}

let recycling: { pool: BufferPool; taken: Map<Kind, Recyclable[]> } | null = null;

type Recyclable = Floats | Int32Array;
type Kind = DType | "int32";

/** A zeroed array of `n` values of `dtype`: shared while threads are in use, recycled inside `withRecycling`. */
export function allocFloats(dtype: DType, n: number): Floats {
  return alloc(dtype, n, true) as Floats;
}

/**
 * An array of `n` values of `like`'s type for a caller that will write every one of them (a
 * forward kernel's output): like `allocLike`, but a recycled array keeps its old values.
 */
export function allocOutput(like: Floats, n: number = like.length): Floats {
  return alloc(like instanceof Float64Array ? "float64" : "float32", n, false) as Floats;
}

/** An Int32Array for a kernel that writes every value (pooling's argmax), served like `allocOutput`. */
export function allocIndices(n: number): Int32Array {
  return alloc("int32", n, false) as Int32Array;
}

function alloc(kind: Kind, n: number, zeroed: boolean): Recyclable {
  const shared = threadCount() > 1;
  if (recycling === null) return fresh(kind, n, shared);
  const free = recycling.pool.free.get(kind) ?? [];
  const at = free.findIndex((a) => a.length >= n && isShared(a) === shared); // shortest first: the best fit
  const base = at < 0 ? fresh(kind, n, shared) : free.splice(at, 1)[0]!;
  const out = base.length === n ? base : base.subarray(0, n);
  if (at >= 0 && zeroed) zeroJob.run({ a: out }, piecesFor(n, Math.ceil(n / 4096)));
  const taken = recycling.taken.get(kind);
  if (taken === undefined) recycling.taken.set(kind, [base]);
  else taken.push(base);
  return out;
}

/** A zeroed array of the same type as `like`. */
export function allocLike(like: Floats, n: number = like.length): Floats {
  return allocFloats(like instanceof Float64Array ? "float64" : "float32", n);
}

/** A copy of `a` from `allocLike` (unlike `a.slice()`, which is never shared). */
export function copyOf(a: Floats): Floats {
  const out = allocLike(a);
  out.set(a);
  return out;
}

/** Zeroes `a` (any Float32Array or Float64Array), in pieces across the threads. */
export function zeroInThreads(a: Floats): void {
  zeroJob.run({ a }, piecesFor(a.length, Math.ceil(a.length / 4096)));
}

/** Zeroes `a`, in pieces for threads: the kernel is `fill` over the piece's range. */
export const zeroJob = defineJob("zero", ({ a }: { a: Recyclable }, piece: number, pieces: number) =>
  a.fill(0, ...pieceRange(a.length, piece, pieces)),
);

/**
 * A zeroed array that is never recycled, for what outlives a step (a net's converted weights):
 * shared while threads are in use, like every other.
 */
export function allocKept(dtype: DType, n: number): Floats {
  return fresh(dtype, n, threadCount() > 1) as Floats;
}

/**
 * Runs `fn` with every allocation served from `pool`; afterwards all of them are back in the
 * pool for the next call. A nested call just joins the outer one.
 */
export function withRecycling<T>(pool: BufferPool, fn: () => T): T {
  if (recycling !== null) return fn();
  recycling = { pool, taken: new Map() };
  try {
    return fn();
  } finally {
    for (const arrays of recycling.taken.values()) arrays.sort((a, b) => a.length - b.length);
    pool.free = recycling.taken; // what this call used is what the next one will want
    recycling = null;
  }
}

/**
 * A scratch array of at least `n` values of `like`'s type: `current` if it is big enough (and
 * shared when threads are in use), otherwise a new one, for the caller to keep.
 */
export function scratchFor<T extends Floats>(current: T, n: number): T {
  const shared = threadCount() > 1;
  if (current.length >= n && isShared(current) === shared) return current;
  return fresh(current instanceof Float64Array ? "float64" : "float32", n, shared) as T;
}

export function isShared(a: ArrayBufferView): boolean {
  return typeof SharedArrayBuffer === "function" && a.buffer instanceof SharedArrayBuffer;
}

function fresh(kind: Kind, n: number, shared: boolean): Recyclable {
  const bytes = kind === "float64" ? 8 : 4;
  const buffer = shared ? new SharedArrayBuffer(n * bytes) : new ArrayBuffer(n * bytes);
  return kind === "float64" ? new Float64Array(buffer) : kind === "float32" ? new Float32Array(buffer) : new Int32Array(buffer);
}
