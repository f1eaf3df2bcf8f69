// The scijs ndarray, as the public API speaks of it: a view — data, shape, stride, offset —
// with its accessors. The `ndarray` package ships no types of its own, and naming
// `import("ndarray").NdArray` in our declarations would make every consumer install
// @types/ndarray (or get TS7016), so the shape is declared here. It is structural: an ndarray
// made by `ndarray(…)` is one, typed by @types/ndarray or not.

/** A scijs ndarray: element (i, j, …) of the view is `data[offset + i·stride[0] + j·stride[1] + …]`. */
export interface NdArray<D = unknown> {
  /** The storage the view reads, e.g. a Uint8Array or Float32Array. */
  data: D;
  /** The view's size along each axis. */
  shape: number[];
  /** How far apart, in elements of `data`, neighbours along each axis are. */
  stride: number[];
  /** Where element (0, 0, …) is in `data`. */
  offset: number;
  /** The storage's kind: "uint8", "float32", "array", … */
  dtype: string;
  /** The number of elements, the product of `shape`. */
  size: number;
  /** The axes from the smallest stride to the largest. */
  order: number[];
  /** The number of axes. */
  dimension: number;
  /** Element (i, j, …). */
  get(...index: number[]): number;
  /** `set(i, j, …, value)` */
  set(...indexAndValue: number[]): number;
  /** Where element (i, j, …) is in `data`. */
  index(...index: number[]): number;
  /** The view starting at (i, j, …) (a shifted view; no copy). */
  lo(...index: number[]): NdArray<D>;
  /** The view ending before (i, j, …) (a truncated view; no copy). */
  hi(...index: number[]): NdArray<D>;
  /** Every s-th element along each axis; a negative step reverses it (no copy). */
  step(...index: number[]): NdArray<D>;
  /** The view with its axes in the given order (no copy). */
  transpose(...axes: number[]): NdArray<D>;
  /** The view with the axes given a number fixed there and dropped; null keeps an axis (no copy). */
  pick(...index: Array<number | null>): NdArray<D>;
  /** The view with its axes reversed (transposed). */
  T: NdArray<D>;
}
