// Seeded test data, the one helper every test draws its random arrays from: n values uniform in
// [lo, hi) from `fillUniform` (src/tensor/random.ts), so a test sees the same numbers on every
// run and a failure can be replayed. The seed, the range and the array type are the test's:
// kernels are checked in Float32 and Float64, images in 0–255, and the thread tests need arrays
// from `allocFloats`, which are shared while threads are on.
import { fillUniform } from "../src/tensor/random.js";

/** Float32Array or Float64Array, or a function that allocates n zeros (such as `allocFloats`). */
type ArrayType = Float32ArrayConstructor | Float64ArrayConstructor | ((n: number) => Float32Array);

type Range = readonly [lo: number, hi: number];

/** n seeded uniform values in [range[0], range[1]) in a new array of `type`. */
export function random(n: number, seed: number, type: Float32ArrayConstructor | ((n: number) => Float32Array), range?: Range): Float32Array;
export function random(n: number, seed: number, type: Float64ArrayConstructor, range?: Range): Float64Array;
export function random(n: number, seed: number, type: ArrayType, range?: Range): Float32Array | Float64Array;
export function random(n: number, seed: number, type: ArrayType, range: Range = [-1, 1]): Float32Array | Float64Array {
  const array = "BYTES_PER_ELEMENT" in type ? new type(n) : type(n); // a typed-array constructor needs `new`
  return fillUniform(array, seed, range[0], range[1]);
}
