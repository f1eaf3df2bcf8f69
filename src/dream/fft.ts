// The discrete Fourier transform, fast for any length, and the real 2-D transforms a picture
// parameterized by its spectrum needs (./fourier-image.ts).
//
//   forward  X[k] = Σ_n x[n] · e^(−2πi·kn/N)        inverse  x[n] = Σ_k X[k] · e^(+2πi·kn/N)
//
// (the inverse is left unnormalized here: the 1/N is applied where it is meant). `fft` is the
// mixed-radix Cooley–Tukey algorithm: for N = p·m with p the smallest prime factor, split x into
// the p subsequences x[p·j + r] (each of length m), transform each, and combine with
//   X[k + m·q] = Σ_r (W^(r·k) · Y_r[k]) · W_p^(r·q),     W = e^(∓2πi/N), W_p = e^(∓2πi/p),
// a twiddle and then a p-point DFT: O(N·Σ prime factors). The recursion reads each subsequence
// in place, with a stride, and writes its transform into the output, so nothing is allocated
// but a p-point scratch (as kissfft does). A prime length is one p-point DFT, the O(N²) sum, so
// every N works (224 = 2⁵·7, 227 is prime). `dftNaive` is the plain sum, the tests' oracle.
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

/** How `fft` transforms length n: its prime factors, smallest first, and the twiddles. */
interface FftPlan {
  factors: number[];
  /** cos and sin of 2π·j/n, j < n. */
  cos: Float64Array;
  sin: Float64Array;
  /** The input, copied so that the output can be written over the caller's arrays. */
  inRe: Float64Array;
  inIm: Float64Array;
}

/** Plans for every length met: a dream uses a few (the picture's sides), over and over. */
const plans = new Map<number, FftPlan>();

function planFor(n: number): FftPlan {
  let plan = plans.get(n);
  if (plan === undefined) {
    const factors: number[] = [];
    for (let rest = n, p = 2; rest > 1; ) {
      if (p * p > rest) p = rest; // what is left is prime
      if (rest % p === 0) {
        factors.push(p);
        rest /= p;
      } else p++;
    }
    const cos = new Float64Array(n),
      sin = new Float64Array(n);
    for (let j = 0; j < n; j++) {
      cos[j] = Math.cos((2 * Math.PI * j) / n);
      sin[j] = Math.sin((2 * Math.PI * j) / n);
    }
    plan = { factors, cos, sin, inRe: new Float64Array(n), inIm: new Float64Array(n) };
    plans.set(n, plan);
  }
  return plan;
}

/**
 * The DFT of `re + i·im` (length N, any N ≥ 1) in place: forward (e^(−2πi·kn/N)), or the
 * unnormalized inverse (e^(+2πi·kn/N)) when `inverse`.
 */
export function fft(re: Float64Array, im: Float64Array, inverse = false): void {
  const n = re.length;
  if (im.length !== n) throw new RangeError(`fft: re has ${n} values but im has ${im.length}`);
  if (n <= 1) return;
  const plan = planFor(n);
  plan.inRe.set(re);
  plan.inIm.set(im);
  transform(plan, re, im, 0, 0, 1, n, 0, inverse ? 1 : -1);
}

/**
 * One level of the header's recursion: the length-`n` DFT of the input read from `first` with
 * `stride` (the subsequence x[first + stride·j]), written to out[at … at + n). Its p
 * subsequences are transformed into the p consecutive blocks of m = n/p outputs, then
 * combined in place. W_n^e is the plan's table at e·(N/n), and N/n = `stride`.
 */
function transform(
  plan: FftPlan,
  outRe: Float64Array,
  outIm: Float64Array,
  at: number,
  first: number,
  stride: number,
  n: number,
  level: number,
  sign: number,
): void {
  const p = plan.factors[level]!,
    m = n / p;
  const { cos, sin, inRe, inIm } = plan;
  const N = cos.length;
  if (m === 1) {
    for (let r = 0; r < p; r++) {
      outRe[at + r] = inRe[first + r * stride]!;
      outIm[at + r] = inIm[first + r * stride]!;
    }
  } else {
    for (let r = 0; r < p; r++) transform(plan, outRe, outIm, at + r * m, first + r * stride, stride * p, m, level + 1, sign);
  }
  if (p === 2) {
    // X[k] = Y₀[k] + W^k·Y₁[k], X[k + m] = Y₀[k] − W^k·Y₁[k].
    for (let k = 0; k < m; k++) {
      const e = k * stride;
      const c = cos[e]!,
        s = sign * sin[e]!;
      const a = at + k,
        b = a + m;
      const br = outRe[b]! * c - outIm[b]! * s,
        bi = outRe[b]! * s + outIm[b]! * c;
      const ar = outRe[a]!,
        ai = outIm[a]!;
      outRe[a] = ar + br;
      outIm[a] = ai + bi;
      outRe[b] = ar - br;
      outIm[b] = ai - bi;
    }
    return;
  }
  // X[k + m·q] = Σ_r (W_n^(r·k) · Y_r[k]) · W_p^(r·q); the twiddled Y_r[k] are kept in t.
  const tRe = new Float64Array(p),
    tIm = new Float64Array(p);
  for (let k = 0; k < m; k++) {
    for (let r = 0; r < p; r++) {
      const e = (r * k * stride) % N;
      const c = cos[e]!,
        s = sign * sin[e]!;
      const yr = outRe[at + k + r * m]!,
        yi = outIm[at + k + r * m]!;
      tRe[r] = yr * c - yi * s;
      tIm[r] = yr * s + yi * c;
    }
    for (let q = 0; q < p; q++) {
      let sr = 0,
        si = 0;
      for (let r = 0; r < p; r++) {
        const e = ((r * q) % p) * m * stride; // W_p^(r·q) = W_N^((r·q mod p)·N/p)
        const c = cos[e]!,
          s = sign * sin[e]!;
        sr += tRe[r]! * c - tIm[r]! * s;
        si += tRe[r]! * s + tIm[r]! * c;
      }
      outRe[at + k + q * m] = sr;
      outIm[at + k + q * m] = si;
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
  const rowRe = new Float64Array(w),
    rowIm = new Float64Array(w);
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
  const rowRe = new Float64Array(w),
    rowIm = new Float64Array(w);
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
  const colRe = new Float64Array(h),
    colIm = new Float64Array(h);
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
