// F(4×4, 3×3)'s input and output transforms written out, the hot loops of ./winograd.ts (for
// Float32 data, ./wasm/winograd-simd.ts runs these sums two tiles at a time, with the same bits).
//
// The general kernels there apply Bᵀ and Aᵀ as sparse matrices, an entry at a time. For the
// one tile size in use the rows are fixed (points 0, ±1, ±2, ∞; ./winograd-transforms.ts), and
// written out they share sums: 6 outputs of Bᵀ·d in 12 additions and 6 multiplications instead
// of 22 multiply–adds, 4 of Aᵀ·m in 11 and 4 instead of 18.
//
//     Bᵀ = [ 4  0 −5  0  1  0 ]          t0 = 4·d0 − 5·d2 + d4
//          [ 0 −4 −4  1  1  0 ]          t1 = (d3 + d4) − 4·(d1 + d2)
//          [ 0  4 −4 −1  1  0 ]          t2 = (d4 − d3) + 4·(d1 − d2)
//          [ 0 −2 −1  2  1  0 ]          t3 = (d4 − d2) + 2·(d3 − d1)
//          [ 0  2 −1 −2  1  0 ]          t4 = (d4 − d2) − 2·(d3 − d1)
//          [ 0  4  0 −5  0  1 ]          t5 = 4·d1 − 5·d3 + d5
//
//     Aᵀ = [ 1  1  1  1  1  0 ]          y0 = m0 + (m1 + m2) + (m3 + m4)
//          [ 0  1 −1  2 −2  0 ]          y1 = (m1 − m2) + 2·(m3 − m4)
//          [ 0  1  1  4  4  0 ]          y2 = (m1 + m2) + 4·(m3 + m4)
//          [ 0  1 −1  8 −8  1 ]          y3 = (m1 − m2) + 8·(m3 − m4) + m5
//
// Each 2-D transform is the 1-D one down the columns of a row of tiles (contiguous, whole rows at
// a time), then along each tile's rows. All sums are in Float64 and rounded once, on the store.

/**
 * t[ξ][j] = Σ_i Bᵀ[ξ][i]·d[i][j] for the `width` columns of six rows, with d[i][j] = x[src + i·W + j]
 * for the columns j in [lo, hi) and 0 outside them (the padding, where every t is 0); t's rows are
 * `width` apart. Reading the six rows in place from the image saves the pass that gathers them
 * wherever they all lie inside it; elsewhere x is that gathered, zero-padded copy (W = width).
 */
export function inputColumns43(
  t: Float64Array,
  x: Float32Array | Float64Array,
  src: number,
  W: number,
  width: number,
  lo: number,
  hi: number,
): void {
  const w2 = 2 * width,
    w3 = 3 * width,
    w4 = 4 * width,
    w5 = 5 * width;
  for (let xi = 0; xi < 6; xi++) {
    t.fill(0, xi * width, xi * width + lo);
    t.fill(0, xi * width + hi, (xi + 1) * width);
  }
  for (let j = lo; j < hi; j++) {
    const s0 = src + j;
    const d0 = x[s0]!,
      d1 = x[s0 + W]!,
      d2 = x[s0 + 2 * W]!,
      d3 = x[s0 + 3 * W]!,
      d4 = x[s0 + 4 * W]!,
      d5 = x[s0 + 5 * W]!;
    const s = d4 - d2,
      q = 2 * (d3 - d1);
    t[j] = 4 * d0 - 5 * d2 + d4;
    t[width + j] = d3 + d4 - 4 * (d1 + d2);
    t[w2 + j] = d4 - d3 + 4 * (d1 - d2);
    t[w3 + j] = s + q;
    t[w4 + j] = s - q;
    t[w5 + j] = 4 * d1 - 5 * d3 + d5;
  }
}

/**
 * V[(ξ·6 + ν)·stride + at + tw] = Σ_j Bᵀ[ν][j]·t[ξ][4·tw + j] for the `tiles` tiles of a row:
 * the transform along each tile's rows, into the 36 products' inputs.
 */
export function inputRows43(
  V: Float32Array | Float64Array,
  at: number,
  stride: number,
  t: Float64Array,
  width: number,
  tiles: number,
): void {
  for (let xi = 0; xi < 6; xi++) {
    const row = xi * width,
      o = xi * 6 * stride + at;
    for (let tw = 0; tw < tiles; tw++) {
      const p = row + 4 * tw;
      const d0 = t[p]!,
        d1 = t[p + 1]!,
        d2 = t[p + 2]!,
        d3 = t[p + 3]!,
        d4 = t[p + 4]!,
        d5 = t[p + 5]!;
      const s = d4 - d2,
        q = 2 * (d3 - d1);
      V[o + tw] = 4 * d0 - 5 * d2 + d4;
      V[o + stride + tw] = d3 + d4 - 4 * (d1 + d2);
      V[o + 2 * stride + tw] = d4 - d3 + 4 * (d1 - d2);
      V[o + 3 * stride + tw] = s + q;
      V[o + 4 * stride + tw] = s - q;
      V[o + 5 * stride + tw] = 4 * d1 - 5 * d3 + d5;
    }
  }
}

/**
 * u[ξ][4·tw + j] = Σ_ν Aᵀ[j][ν]·M[(ξ·6 + ν)·stride + at + tw] for the `tiles` tiles of a row: the
 * output transform along each tile's rows, out of the 36 products.
 */
export function outputRows43(
  u: Float64Array,
  width: number,
  M: Float32Array | Float64Array,
  at: number,
  stride: number,
  tiles: number,
): void {
  for (let xi = 0; xi < 6; xi++) {
    const row = xi * width,
      o = xi * 6 * stride + at;
    for (let tw = 0; tw < tiles; tw++) {
      const m0 = M[o + tw]!,
        m1 = M[o + stride + tw]!,
        m2 = M[o + 2 * stride + tw]!;
      const m3 = M[o + 3 * stride + tw]!,
        m4 = M[o + 4 * stride + tw]!,
        m5 = M[o + 5 * stride + tw]!;
      const a = m1 + m2,
        b = m3 + m4,
        c = m1 - m2,
        e = m3 - m4;
      const p = row + 4 * tw;
      u[p] = m0 + a + b;
      u[p + 1] = c + 2 * e;
      u[p + 2] = a + 4 * b;
      u[p + 3] = c + 8 * e + m5;
    }
  }
}

/**
 * The `rows` (≤ 4) output rows y_i[·] = Σ_ξ Aᵀ[i][ξ]·u[ξ][·] of a row of tiles, `cols` values each,
 * into out[o + i·cols + ·], all four from one read of u: = bias + y, or += y with `accumulate`; then max(·, 0) with `relu`
 * (NaN stays NaN, −0 becomes 0, as the GEMM's epilogue does).
 */
export function outputColumns43(
  out: Float32Array | Float64Array,
  o: number,
  cols: number,
  rows: number,
  u: Float64Array,
  width: number,
  bias: number,
  accumulate: boolean,
  relu: boolean,
): void {
  const w2 = 2 * width,
    w3 = 3 * width,
    w4 = 4 * width,
    w5 = 5 * width;
  for (let j = 0; j < cols; j++) {
    const m0 = u[j]!,
      m1 = u[width + j]!,
      m2 = u[w2 + j]!,
      m3 = u[w3 + j]!,
      m4 = u[w4 + j]!,
      m5 = u[w5 + j]!;
    const a = m1 + m2,
      b = m3 + m4,
      c = m1 - m2,
      e = m3 - m4;
    store(out, o + j, m0 + a + b, bias, accumulate, relu);
    if (rows > 1) store(out, o + cols + j, c + 2 * e, bias, accumulate, relu);
    if (rows > 2) store(out, o + 2 * cols + j, a + 4 * b, bias, accumulate, relu);
    if (rows > 3) store(out, o + 3 * cols + j, c + 8 * e + m5, bias, accumulate, relu);
  }
}

function store(out: Float32Array | Float64Array, at: number, y: number, bias: number, accumulate: boolean, relu: boolean): void {
  const v = accumulate ? out[at]! + y : bias + y;
  out[at] = relu && !(v > 0 || Number.isNaN(v)) ? 0 : v;
}
