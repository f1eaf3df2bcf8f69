// The scijs ndarray, as the public API speaks of it: a view — data, shape, stride, offset —
// with its accessors. The `ndarray` package ships no types of its own, and naming
// `import("ndarray").NdArray` in our declarations would make every consumer install
// @types/ndarray (or get TS7016), so the shape is declared here. It is structural: an ndarray
// made by `ndarray(…)` is one, typed by @types/ndarray or not.

/** A scijs ndarray: element (i, j, …) of the view is `data[offset + i·stride[0] + j·stride[1] + …]`. */
export interface NdArray<D = unknown> {
  data: D;
  shape: number[];
  stride: number[];
  offset: number;
  dtype: string;
  size: number;
  order: number[];
  dimension: number;
  get(...index: number[]): number;
  /** `set(i, j, …, value)` */
  set(...indexAndValue: number[]): number;
  index(...index: number[]): number;
  lo(...index: number[]): NdArray<D>;
  hi(...index: number[]): NdArray<D>;
  step(...index: number[]): NdArray<D>;
  transpose(...axes: number[]): NdArray<D>;
  pick(...index: Array<number | null>): NdArray<D>;
  T: NdArray<D>;
}
