// Laplacian-pyramid normalization of a gradient, as the TensorFlow deepdream notebook's
// `lap_normalize` (Mordvintsev): split the gradient into frequency bands, scale every band to
// the same energy, merge them again.
//
// A raw DeepDream gradient is dominated by its finest band (pixel-scale noise and edges), so
// steps along it grow fine texture; giving each octave band of the gradient equal weight lets
// larger, smoother forms grow at the same pace (MEASUREMENTS.md: the share of the change's
// energy above a quarter of Nyquist fell from 0.79 to 0.43 with 4 levels).
//
// The filter is the 5-tap binomial k = [1, 4, 6, 4, 1] / 16 on each axis (the 5×5 kernel
// K = k kᵀ, Burt & Adelson's). With D the convolution by K at stride 2 and U = 4·Dᵀ its
// transpose scaled back to unit gain (each axis loses a factor 2 to the stride):
//   split:     lo = D g,   hi = g − U lo                         (g = lo's upsampling + hi, exactly)
//   pyramid:   bands [lo_N, hi_{N−1}, …, hi_0]: the split applied N times to the low band
//   normalize: b ← b / max(rms(b), 1e-10),  rms(b) = √(mean of b² over all planes of the band)
//   merge:     m ← lo_N;  m ← U m + hi_k  for k = N−1 … 0
// Sizes halve rounding up (ceil(n/2)): any size works, odd sizes and sizes below 2^N too (a
// band can be a single pixel). The three colour planes are filtered independently, but each
// band's RMS is taken over all three, as the notebook's `reduce_mean` over the whole tensor.
//
// Border rule: TensorFlow's conv2d 'SAME' padding with zeros, which the notebook uses. Per axis
// of length n, the output has m = ceil(n/2) samples and the input is padded with
// pad = 2(m − 1) + 5 − n zeros, floor(pad/2) before and the rest after: 1 before and 2 after
// for even n, 2 and 2 for odd n. Output sample i reads inputs 2i − before … 2i − before + 4.
// U is D's exact transpose on the same geometry (conv2d_transpose with the input's shape), so
// a zero border leaks nothing from outside the picture.
//
// Legend: C planes of H×W (row-major, plane after plane); HL × WL the next level's size.
// The fast kernels are separable (5 taps along rows, then 5 along columns); the `…Naive` twins
// are the 5×5 convolution and its transpose written out with explicit padding tests, the
// oracle for the tests.

/** The binomial filter's taps per axis: [1, 4, 6, 4, 1] / 16. */
export const BINOMIAL = [1 / 16, 4 / 16, 6 / 16, 4 / 16, 1 / 16] as const;
/** Floor of a band's RMS, the notebook's `eps`: a zero band stays zero instead of dividing by 0. */
export const LAPLACIAN_EPSILON = 1e-10;
/** The most levels `laplacianNormalize` accepts (a 256× smaller lowest band is already tiny). */
export const MAX_LAPLACIAN_LEVELS = 8;

/** The 'SAME' geometry of one axis of length n: the output length and the zeros before. */
function axis(n: number): { m: number; before: number } {
  return { m: Math.ceil(n / 2), before: n % 2 === 0 ? 1 : 2 };
}

/** The next level's size: ceil(n/2). */
export function halfSize(n: number): number {
  return Math.ceil(n / 2);
}

/**
 * lo = D x: `x` (C×H×W) filtered by K and taken at stride 2 into `lo` (C×HL×WL,
 * HL = ceil(H/2), WL = ceil(W/2)), zeros outside the picture.
 */
export function downsample(lo: Float32Array, x: Float32Array, C: number, H: number, W: number): void {
  const { m: HL, before: bH } = axis(H),
    { m: WL, before: bW } = axis(W);
  const [k0, k1, k2, k3, k4] = BINOMIAL;
  const rows = new Float64Array(H * WL); // one plane filtered along its rows: H×WL
  const line = new Float64Array(2 * WL + 4); // a row with its zero padding: line[p] = x[p − bW]
  const acc = new Float64Array(WL); // one output row
  for (let c = 0; c < C; c++) {
    const plane = c * H * W;
    for (let y = 0; y < H; y++) {
      const row = plane + y * W;
      for (let p = 0; p < W; p++) line[p + bW] = x[row + p]!; // the padding stays zero
      for (let j = 0; j < WL; j++) {
        const p = 2 * j;
        rows[y * WL + j] = k0 * line[p]! + k1 * line[p + 1]! + k2 * line[p + 2]! + k3 * line[p + 3]! + k4 * line[p + 4]!;
      }
    }
    // Along the columns, a whole row at a time: output row i gathers rows 2i − bH + t.
    const out = c * HL * WL;
    for (let i = 0; i < HL; i++) {
      acc.fill(0);
      for (let t = 0; t < 5; t++) {
        const y = 2 * i + t - bH;
        if (y < 0 || y >= H) continue; // a zero row of the padding
        const k = BINOMIAL[t]!,
          from = y * WL;
        for (let j = 0; j < WL; j++) acc[j]! += k * rows[from + j]!;
      }
      for (let j = 0; j < WL; j++) lo[out + i * WL + j] = acc[j]!;
    }
  }
}

/**
 * out += sign · U lo, with U = 4·Dᵀ: `lo` (C×HL×WL) spread back onto the C×H×W grid it was
 * taken from, each sample through the same taps (times 2 per axis).
 */
export function upsampleAdd(out: Float32Array, lo: Float32Array, C: number, H: number, W: number, sign: 1 | -1): void {
  const { m: HL, before: bH } = axis(H),
    { m: WL, before: bW } = axis(W);
  const cols = new Float64Array(H * WL); // one plane spread along its columns: H×WL
  const line = new Float64Array(2 * WL + 4); // a row spread with its padding: line[p] goes to x = p − bW
  for (let c = 0; c < C; c++) {
    cols.fill(0);
    const src = c * HL * WL;
    // Dᵀ scatters what D gathered: sample i went into rows 2i − bH + t, so it comes back there.
    for (let i = 0; i < HL; i++) {
      for (let t = 0; t < 5; t++) {
        const y = 2 * i + t - bH;
        if (y < 0 || y >= H) continue;
        const k = 2 * BINOMIAL[t]!;
        for (let j = 0; j < WL; j++) cols[y * WL + j]! += k * lo[src + i * WL + j]!;
      }
    }
    const plane = c * H * W;
    for (let y = 0; y < H; y++) {
      line.fill(0);
      for (let j = 0; j < WL; j++) {
        const v = 2 * cols[y * WL + j]!,
          p = 2 * j; // sample j went into x = 2j − bW + t
        for (let t = 0; t < 5; t++) line[p + t]! += BINOMIAL[t]! * v;
      }
      const row = plane + y * W;
      for (let x = 0; x < W; x++) out[row + x]! += sign * line[x + bW]!; // what fell on the padding is dropped
    }
  }
}

/** Divides `band` by its RMS (over all its values), or by 1e-10 if that is smaller. */
function normalizeRms(band: Float32Array): void {
  let squares = 0;
  for (let i = 0; i < band.length; i++) squares += band[i]! * band[i]!;
  const scale = 1 / Math.max(Math.sqrt(squares / band.length), LAPLACIAN_EPSILON);
  for (let i = 0; i < band.length; i++) band[i]! *= scale;
}

/**
 * The notebook's `lap_normalize(g, levels)` on `g` (C×H×W), in place: split into `levels`
 * band-pass bands and the low-pass rest, each divided by its RMS, merged again.
 */
export function laplacianNormalize(g: Float32Array, C: number, H: number, W: number, levels: number): void {
  checkLevels(levels);
  // bands[0] is g itself; bands[k] the k-th low band, C×h[k]×w[k]. Splitting level k turns
  // bands[k] into its high band in place (bands[k] −= U bands[k+1]), merging undoes that.
  const h = [H],
    w = [W];
  const bands = [g];
  for (let k = 0; k < levels; k++) {
    h.push(halfSize(h[k]!));
    w.push(halfSize(w[k]!));
    const lo = new Float32Array(C * h[k + 1]! * w[k + 1]!);
    downsample(lo, bands[k]!, C, h[k]!, w[k]!);
    upsampleAdd(bands[k]!, lo, C, h[k]!, w[k]!, -1);
    bands.push(lo);
  }
  for (const band of bands) normalizeRms(band);
  for (let k = levels - 1; k >= 0; k--) upsampleAdd(bands[k]!, bands[k + 1]!, C, h[k]!, w[k]!, 1);
}

function checkLevels(levels: number): void {
  if (!Number.isInteger(levels) || levels < 1 || levels > MAX_LAPLACIAN_LEVELS) {
    throw new RangeError(`laplacian levels must be a whole number from 1 to ${MAX_LAPLACIAN_LEVELS}, got ${levels}`);
  }
}

// --- the naive twins: the 5×5 convolution and its transpose, written out ---------------------

/** D x by the 5×5 kernel K = k kᵀ directly, testing each tap against the padded border. */
export function downsampleNaive(x: Float32Array, C: number, H: number, W: number): Float32Array {
  const HL = halfSize(H),
    WL = halfSize(W);
  const padTop = Math.floor((2 * (HL - 1) + 5 - H) / 2),
    padLeft = Math.floor((2 * (WL - 1) + 5 - W) / 2);
  const lo = new Float32Array(C * HL * WL);
  for (let c = 0; c < C; c++) {
    for (let i = 0; i < HL; i++) {
      for (let j = 0; j < WL; j++) {
        let sum = 0;
        for (let r = 0; r < 5; r++) {
          for (let s = 0; s < 5; s++) {
            const y = 2 * i + r - padTop,
              xx = 2 * j + s - padLeft;
            if (y < 0 || y >= H || xx < 0 || xx >= W) continue; // a zero of the padding
            sum += BINOMIAL[r]! * BINOMIAL[s]! * x[(c * H + y) * W + xx]!;
          }
        }
        lo[(c * HL + i) * WL + j] = sum;
      }
    }
  }
  return lo;
}

/** U lo = 4·Dᵀ lo directly: each low sample scattered through the 5×5 taps it was gathered by. */
export function upsampleNaive(lo: Float32Array, C: number, H: number, W: number): Float32Array {
  const HL = halfSize(H),
    WL = halfSize(W);
  const padTop = Math.floor((2 * (HL - 1) + 5 - H) / 2),
    padLeft = Math.floor((2 * (WL - 1) + 5 - W) / 2);
  const out = new Float64Array(C * H * W);
  for (let c = 0; c < C; c++) {
    for (let i = 0; i < HL; i++) {
      for (let j = 0; j < WL; j++) {
        for (let r = 0; r < 5; r++) {
          for (let s = 0; s < 5; s++) {
            const y = 2 * i + r - padTop,
              xx = 2 * j + s - padLeft;
            if (y < 0 || y >= H || xx < 0 || xx >= W) continue;
            out[(c * H + y) * W + xx]! += 4 * BINOMIAL[r]! * BINOMIAL[s]! * lo[(c * HL + i) * WL + j]!;
          }
        }
      }
    }
  }
  return Float32Array.from(out);
}

/** `laplacianNormalize` as the notebook writes it: a list of bands, fresh arrays at every stage. */
export function laplacianNormalizeNaive(g: Float32Array, C: number, H: number, W: number, levels: number): Float32Array {
  checkLevels(levels);
  const his: { band: Float32Array; h: number; w: number }[] = [];
  let img = g,
    h = H,
    w = W;
  for (let k = 0; k < levels; k++) {
    const lo = downsampleNaive(img, C, h, w);
    const up = upsampleNaive(lo, C, h, w);
    his.push({ band: img.map((v, i) => v - up[i]!), h, w });
    img = lo;
    h = halfSize(h);
    w = halfSize(w);
  }
  const rmsNormalized = (b: Float32Array): Float32Array => {
    let squares = 0;
    for (const v of b) squares += v * v;
    const std = Math.max(Math.sqrt(squares / b.length), LAPLACIAN_EPSILON);
    return b.map((v) => v / std);
  };
  let merged = rmsNormalized(img);
  for (let k = levels - 1; k >= 0; k--) {
    const { band, h: bh, w: bw } = his[k]!;
    const up = upsampleNaive(merged, C, bh, bw);
    const hi = rmsNormalized(band);
    merged = up.map((v, i) => v + hi[i]!);
  }
  return merged;
}
