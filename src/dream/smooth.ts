// Gaussian smoothing of a gradient, as pytorch-deepdream's CascadeGaussianSmoothing
// (Aleksa Gordić): the gradient is blurred by three Gaussians, of standard deviations ½σ, σ and
// 2σ, and the three blurs are averaged. Blurring the gradient keeps the step from growing
// pixel-scale texture; the cascade's mixture falls off more gently than one Gaussian, so it
// damps the finest detail hard while still letting mid frequencies through.
//
// σ grows over an octave's steps: at step t (0-based) of T,
//   σ_t = σ₀ + 2·(t + 1)/T                                     (pytorch-deepdream's schedule,
// with σ₀ its `smoothing_coefficient`, 0.5 by default there), so each octave starts with fine
// strokes and ends with broad ones.
//
// Each Gaussian is separable, G(y, x) = g(y)·g(x), with taps g(t) ∝ exp(−t²/2s²) for |t| ≤
// r = ceil(3s), normalized to sum 1. (pytorch-deepdream uses 9 taps whatever the σ, which cuts
// its widest kernel at under one standard deviation, a box more than a Gaussian; 3s keeps
// 99.7% of each.) Border rule: reflection about the edge pixel, PyTorch's pad mode 'reflect'
// (…, c, b | a, b, c, … | …, y, z | y, x, …), as pytorch-deepdream pads; a kernel wider than the
// picture reflects again at the far edge (the index folds with period 2(n − 1)), so any size
// works down to a single pixel.
//
// Legend: C planes of H×W, row-major, plane after plane. The fast kernel filters rows, then
// columns; the naive twin applies the 2-D kernel directly, the tests' oracle.

/** The three standard deviations of the cascade, as multiples of σ. */
export const CASCADE = [0.5, 1, 2] as const;
/**
 * The largest σ₀ a dream accepts, in pixels: its widest kernel then has 2·3·(20 + 2) = 132 taps
 * either side, already a blur of the gradient into broad washes; beyond, the cost grows with no
 * use (and a σ of 10¹¹ would ask for an array of taps larger than memory).
 */
export const MAX_SMOOTH = 20;

/** σ_t = σ₀ + 2·(t + 1)/T: pytorch-deepdream's σ at step `iteration` (0-based) of `iterations`. */
export function cascadeSigma(sigma0: number, iteration: number, iterations: number): number {
  return sigma0 + (2 * (iteration + 1)) / iterations;
}

/** The normalized taps g(−r … r) of a Gaussian of standard deviation s, r = ceil(3s) (at least 1). */
export function gaussianTaps(s: number): Float64Array {
  if (!(s > 0) || !Number.isFinite(s)) throw new RangeError(`a Gaussian needs a positive standard deviation, got ${s}`);
  const r = Math.max(1, Math.ceil(3 * s));
  const taps = new Float64Array(2 * r + 1);
  let sum = 0;
  for (let t = -r; t <= r; t++) sum += taps[t + r] = Math.exp(-(t * t) / (2 * s * s));
  for (let t = 0; t < taps.length; t++) taps[t]! /= sum;
  return taps;
}

/** Index i of a line of n, reflected about its end pixels until it falls inside (PyTorch's 'reflect'). */
export function reflectIndex(i: number, n: number): number {
  if (n === 1) return 0;
  const period = 2 * (n - 1);
  const k = ((i % period) + period) % period;
  return k < n ? k : period - k;
}

/**
 * g ← (G_{σ/2} ∗ g + G_σ ∗ g + G_{2σ} ∗ g) / 3 on `g` (C×H×W), in place: pytorch-deepdream's
 * cascade with reflected borders.
 */
export function smoothCascade(g: Float32Array, C: number, H: number, W: number, sigma: number): void {
  const sum = new Float32Array(g.length); // the three blurs' sum: Float32 like g, to hold one copy less at the step's peak
  const rows = new Float64Array(H * W); // one plane blurred along its rows
  for (const m of CASCADE) {
    const taps = gaussianTaps(m * sigma),
      r = (taps.length - 1) / 2,
      n = taps.length;
    const line = new Float64Array(W + 2 * r); // a row with its reflected border: line[p] = row[reflect(p − r)]
    const source = Int32Array.from({ length: line.length }, (_, p) => reflectIndex(p - r, W));
    for (let c = 0; c < C; c++) {
      const plane = c * H * W;
      for (let y = 0; y < H; y++) {
        const row = plane + y * W;
        for (let p = 0; p < line.length; p++) line[p] = g[row + source[p]!]!;
        for (let x = 0; x < W; x++) {
          let s = 0;
          for (let t = 0; t < n; t++) s += taps[t]! * line[x + t]!;
          rows[y * W + x] = s;
        }
      }
      for (let y = 0; y < H; y++) {
        for (let t = -r; t <= r; t++) {
          const from = reflectIndex(y + t, H) * W,
            k = taps[t + r]!;
          for (let x = 0; x < W; x++) sum[plane + y * W + x]! += k * rows[from + x]!;
        }
      }
    }
  }
  for (let i = 0; i < g.length; i++) g[i] = sum[i]! / CASCADE.length;
}

/** `smoothCascade`'s naive twin: each 2-D kernel g(y)·g(x) applied directly, the border reflected tap by tap. */
export function smoothCascadeNaive(g: Float32Array, C: number, H: number, W: number, sigma: number): Float32Array {
  const out = new Float32Array(g.length);
  for (let c = 0; c < C; c++) {
    for (let y = 0; y < H; y++) {
      for (let x = 0; x < W; x++) {
        let mean = 0;
        for (const m of CASCADE) {
          const taps = gaussianTaps(m * sigma),
            r = (taps.length - 1) / 2;
          let s = 0;
          for (let dy = -r; dy <= r; dy++) {
            for (let dx = -r; dx <= r; dx++) {
              s += taps[dy + r]! * taps[dx + r]! * g[(c * H + reflectIndex(y + dy, H)) * W + reflectIndex(x + dx, W)]!;
            }
          }
          mean += s / CASCADE.length;
        }
        out[(c * H + y) * W + x] = mean;
      }
    }
  }
  return out;
}
