// Packing, the step that makes a blocked GEMM fast: a block of A or B is copied once into
// "panels" — a few rows (or columns) side by side, in the order the micro-kernel reads them —
// so the kernel then streams through contiguous memory. Reading the source through
// (tStride, pStride) is also how transposes come for free: Aᵀ is A with its strides swapped.
// Both GEMM kernels (./gemm.ts in JS, ./wasm/gemm-simd.ts into WebAssembly memory) use this.

import type { Floats } from "../tensor/tensor.js";

/**
 * Packs a `len`×`depth` block of a strided matrix (element (t, p) at src[origin + t·tStride +
 * p·pStride]) into `dst` from index `at` on, as panels of `width` consecutive t's: panel q
 * holds, for p = 0…depth−1, the `width` values t = q·width … q·width+width−1, zero-filled past
 * `len`, so the micro-kernel never sees a partial tile.
 */
export function packPanels(
  dst: Floats,
  at: number,
  src: Floats,
  origin: number,
  len: number,
  depth: number,
  tStride: number,
  pStride: number,
  width: number,
): void {
  let o = at;
  for (let t0 = 0; t0 < len; t0 += width) {
    const w = Math.min(width, len - t0);
    for (let p = 0; p < depth; p++) {
      const s = origin + t0 * tStride + p * pStride;
      for (let t = 0; t < w; t++) dst[o + t] = src[s + t * tStride]!;
      for (let t = w; t < width; t++) dst[o + t] = 0;
      o += width;
    }
  }
}

/** `n` rounded up to a whole number of `m`s: the padded size of a block of tiles of `m`. */
export function roundUp(n: number, m: number): number {
  return Math.ceil(n / m) * m;
}
