// The discrete Fourier transform, fast for any length, and the real 2-D transforms a picture
// parameterized by its spectrum needs (./fourier-image.ts).
//
//   forward  X[k] = Σ_n x[n] · e^(−2πi·kn/N)        inverse  x[n] = Σ_k X[k] · e^(+2πi·kn/N)
//
// (the inverse is left unnormalized here: the 1/N is applied where it is meant). `fft` is the
// mixed-radix Cooley–Tukey algorithm: for N = p·m with p the smallest prime factor, split x into
// the p subsequences x[p·j + r] (each of length m), transform each, and combine with
//   X[k + m·q] = Σ_r (W^(r·k) · Y_r[k]) · W_p^(r·q),     W = e^(∓2πi/N), W_p = e^(∓2πi/p),
// a twiddle and then a p-point DFT: O(N·Σ prime factors). A prime length falls back to the
// O(N²) sum itself, so every N works (224 = 2⁵·7, 227 is prime). `dftNaive` is the plain sum,
// the oracle in the tests.
//
// Real pictures have Hermitian spectra, X[−k] = conj X[k], so half of one is enough: for an
// H×W plane, the W' = ⌊W/2⌋ + 1 columns kx = 0…⌊W/2⌋ of every row ky (numpy's rfft2 layout).
//   rfft2   F[ky, kx] = Σ_y Σ_x x[y, x] · e^(−2πi·(ky·y/H + kx·x/W))
//   irfft2  x[y, x]  = (1/HW) Σ_ky Σ_kx c_kx · Re(F[ky, kx] · e^(+2πi·(ky·y/H + kx·x/W)))
// where c_kx = 1 for kx = 0 and, when W is even, kx = W/2 (the columns that are their own
// mirror), and 2 for the others (each stands for itself and its mirror). irfft2(rfft2(x)) = x.
// irfft2 is a real-linear map of (Re F, Im F); since Re(F·e^(iθ)) = Re F·cos θ − Im F·sin θ, its
// adjoint (the backward of a parameterization that goes through it) is
//   irfft2ᵀ(g)[ky, kx] = (c_kx/HW) · rfft2(g)[ky, kx]     (real part ↔ Re F, imaginary ↔ Im F).

/** A complex array as two planes: `re[i] + i·im[i]`. */
export interface ComplexPlanes {
  re: Float64Array;
  im: Float64Array;
}

/** cos and sin of 2π·j/n for j < n, for each length n met: the twiddles, computed once. */
const twiddleTables = new Map<number, { cos: Float64Array; sin: Float64Array }>();

function twiddles(n: number): { cos: Float64Array; sin: Float64Array } {
  let t = twiddleTables.get(n);
  if (t === undefined) {
    const cos = new Float64Array(n), sin = new Float64Array(n);
    for (let j = 0; j < n; j++) {
      cos[j] = Math.cos((2 * Math.PI * j) / n);
      sin[j] = Math.sin((2 * Math.PI * j) / n);
    }
    twiddleTables.set(n, (t = { cos, sin }));
  }
  return t;
}

function smallestFactor(n: number): number {
  for (let p = 2; p * p <= n; p++) if (n % p === 0) return p;
  return n;
}

/**
 * The DFT of `re + i·im` (length N, any N ≥ 1) in place: forward (e^(−2πi·kn/N)), or the
 * unnormalized inverse (e^(+2πi·kn/N)) when `inverse`.
 */
export function fft(re: Float64Array, im: Float64Array, inverse = false): void {
  const n = re.length;
  if (im.length !== n) throw new RangeError(`fft: re has ${n} values but im has ${im.length}`);
  if (n <= 1) return;
  const p = smallestFactor(n);
  const sign = inverse ? 1 : -1;
  const { cos, sin } = twiddles(n);
  if (p === n) {
    // A prime length: the sum itself. W^(k·j) is the table's entry (k·j) mod n.
    const outRe = new Float64Array(n), outIm = new Float64Array(n);
    for (let k = 0; k < n; k++) {
      let sr = 0, si = 0;
      for (let j = 0, kj = 0; j < n; j++, kj = (kj + k) % n) {
        const c = cos[kj]!, s = sign * sin[kj]!;
        sr += re[j]! * c - im[j]! * s;
        si += re[j]! * s + im[j]! * c;
      }
      outRe[k] = sr;
      outIm[k] = si;
    }
    re.set(outRe);
    im.set(outIm);
    return;
  }
  const m = n / p;
  // The p subsequences x[p·j + r], transformed: Y_r, stored one after another.
  const yRe = new Float64Array(n), yIm = new Float64Array(n);
  for (let r = 0; r < p; r++) {
    const subRe = yRe.subarray(r * m, (r + 1) * m), subIm = yIm.subarray(r * m, (r + 1) * m);
    for (let j = 0; j < m; j++) {
      subRe[j] = re[p * j + r]!;
      subIm[j] = im[p * j + r]!;
    }
    fft(subRe, subIm, inverse);
  }
  // X[k + m·q] = Σ_r W^(r·(k + m·q)) · Y_r[k]: the exponent r·(k + m·q) mod n indexes the table.
  for (let k = 0; k < m; k++) {
    for (let q = 0; q < p; q++) {
      const out = k + m * q;
      let sr = 0, si = 0;
      for (let r = 0; r < p; r++) {
        const e = (r * out) % n;
        const c = cos[e]!, s = sign * sin[e]!;
        const yr = yRe[r * m + k]!, yi = yIm[r * m + k]!;
        sr += yr * c - yi * s;
        si += yr * s + yi * c;
      }
      re[out] = sr;
      im[out] = si;
    }
  }
}

/** The same transform as `fft` by its defining sum, O(N²): the test oracle. Returns new arrays. */
export function dftNaive(re: ArrayLike<number>, im: ArrayLike<number>, inverse = false): ComplexPlanes {
  const n = re.length;
  const sign = inverse ? 1 : -1;
  const out = { re: new Float64Array(n), im: new Float64Array(n) };
  for (let k = 0; k < n; k++) {
    for (let j = 0; j < n; j++) {
      const a = (sign * 2 * Math.PI * k * j) / n;
      out.re[k]! += re[j]! * Math.cos(a) - im[j]! * Math.sin(a);
      out.im[k]! += re[j]! * Math.sin(a) + im[j]! * Math.cos(a);
    }
  }
  return out;
}

/** Columns of the half spectrum of a row of W reals: ⌊W/2⌋ + 1. */
export function halfWidth(w: number): number {
  return Math.floor(w / 2) + 1;
}

/** c_kx of the header: 1 for the columns that are their own mirror, 2 for the others. */
export function columnWeight(kx: number, w: number): number {
  return kx === 0 || 2 * kx === w ? 1 : 2;
}

/**
 * rfft2 of one H×W real plane `x` ([H·W], row-major) into `out` ([H·W'] each, W' = ⌊W/2⌋ + 1):
 * the rows' transforms first (of which the first W' columns are kept), then the columns'.
 */
export function rfft2(out: ComplexPlanes, x: ArrayLike<number>, h: number, w: number): void {
  const hw = halfWidth(w);
  const rowRe = new Float64Array(w), rowIm = new Float64Array(w);
  for (let y = 0; y < h; y++) {
    for (let i = 0; i < w; i++) rowRe[i] = x[y * w + i]!;
    rowIm.fill(0);
    fft(rowRe, rowIm);
    out.re.set(rowRe.subarray(0, hw), y * hw);
    out.im.set(rowIm.subarray(0, hw), y * hw);
  }
  transformColumns(out, h, hw, false);
}

/**
 * irfft2 of the header: the H×W real plane `out` ([H·W]) whose half spectrum is `f`
 * ([H·W'] each). The columns are inverted first; each row is then the real part of the inverse
 * of its Hermitian extension, Z[W − k] = conj Z[k], which is Σ_kx c_kx · Re(Z[kx]·e^(iθ)).
 */
export function irfft2(out: { [i: number]: number; length: number }, f: ComplexPlanes, h: number, w: number): void {
  const hw = halfWidth(w);
  const z = { re: f.re.slice(), im: f.im.slice() };
  transformColumns(z, h, hw, true);
  const rowRe = new Float64Array(w), rowIm = new Float64Array(w);
  const norm = 1 / (h * w);
  for (let y = 0; y < h; y++) {
    for (let k = 0; k < w; k++) {
      const mirror = k < hw ? k : w - k; // k ≥ W' reads the conjugate of column W − k
      rowRe[k] = z.re[y * hw + mirror]!;
      rowIm[k] = k < hw ? z.im[y * hw + k]! : -z.im[y * hw + mirror]!;
    }
    // Only the real part is kept: that is what drops a self-mirrored column's imaginary part.
    fft(rowRe, rowIm, true);
    for (let i = 0; i < w; i++) out[y * w + i] = rowRe[i]! * norm;
  }
}

/**
 * The adjoint of `irfft2` (see the header): for g = dL/dx ([H·W]), dL/dRe F and dL/dIm F
 * ([H·W'] each), written into `out`.
 */
export function irfft2Adjoint(out: ComplexPlanes, g: ArrayLike<number>, h: number, w: number): void {
  rfft2(out, g, h, w);
  const hw = halfWidth(w);
  const norm = 1 / (h * w);
  for (let ky = 0; ky < h; ky++) {
    for (let kx = 0; kx < hw; kx++) {
      const s = columnWeight(kx, w) * norm;
      out.re[ky * hw + kx]! *= s;
      out.im[ky * hw + kx]! *= s;
    }
  }
}

/** irfft2 by its defining double sum, O((HW)²): the test oracle. */
export function irfft2Naive(f: ComplexPlanes, h: number, w: number): Float64Array {
  const hw = halfWidth(w);
  const out = new Float64Array(h * w);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      let sum = 0;
      for (let ky = 0; ky < h; ky++) {
        for (let kx = 0; kx < hw; kx++) {
          const a = 2 * Math.PI * ((ky * y) / h + (kx * x) / w);
          sum += columnWeight(kx, w) * (f.re[ky * hw + kx]! * Math.cos(a) - f.im[ky * hw + kx]! * Math.sin(a));
        }
      }
      out[y * w + x] = sum / (h * w);
    }
  }
  return out;
}

/** Transforms each of the `cols` columns of the H×cols complex planes `z` in place. */
function transformColumns(z: ComplexPlanes, h: number, cols: number, inverse: boolean): void {
  const colRe = new Float64Array(h), colIm = new Float64Array(h);
  for (let k = 0; k < cols; k++) {
    for (let y = 0; y < h; y++) {
      colRe[y] = z.re[y * cols + k]!;
      colIm[y] = z.im[y * cols + k]!;
    }
    fft(colRe, colIm, inverse);
    for (let y = 0; y < h; y++) {
      z.re[y * cols + k] = colRe[y]!;
      z.im[y * cols + k] = colIm[y]!;
    }
  }
}
