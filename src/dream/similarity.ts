// A similarity transform of image planes, bilinear, about the picture's centre — and its exact
// adjoint, so that a gradient taken on the transformed picture can be brought back to the
// original one.
//
// Legend: C planes, H × W pixels each, in and out the same size. Pixel (y, x) sits at the point
// (x, y); the centre is c = ((W − 1)/2, (H − 1)/2). A transform { scale s, degrees θ } enlarges
// the content s times and turns it θ counter-clockwise as seen on screen (y points down), both
// about c. Each output pixel q reads the input at the point that lands on it:
//
//   p(q) = c + Rᵀ(q − c)/s,   Rᵀ(u, v) = (u cos θ − v sin θ,  u sin θ + v cos θ)
//
// and interpolates bilinearly between the four pixels around p(q):
//
//   out[q] = Σ_pixels k  max(0, 1 − |p_x − k_x|) · max(0, 1 − |p_y − k_y|) · in[k]     (A x)
//
// Border rule: a pixel outside the picture reads 0. In the dream the planes are BGR minus the
// mean pixel, so 0 is the mean colour: a turned or shrunken picture sits on a flat mean-grey
// ground, which is what zero padding at the net's first convolution already shows it. Clamping
// to the nearest edge pixel instead would look more natural, but its adjoint piles the gradient
// of every outside sample onto the one edge pixel they copied, and the dream would draw streaks
// along the border. With zeros, a pixel that the transformed picture does not show this step
// (a corner turned out of view, the rim when s > 1) simply gets no gradient this step; the
// random roll, angle and scale change every step, so over a few steps every pixel is seen.
//
// The adjoint: A is a (HW × HW) matrix per plane, with at most four non-zero weights in each row
// (an output pixel). Aᵀ sends every output value back along the same four weights:
//
//   dx[k] += Σ_q A[q, k] · dy[q]
//
// If y = A x and g = ∂L/∂y, then ∂L/∂x = Aᵀ g: the gradient of the objective of the transformed
// picture, as a function of the untransformed one — so a step along it is a true ascent step
// for L(A x). It is not the inverse warp of g (Aᵀ is not A⁻¹): zoomed by s, each input pixel
// feeds about s² output pixels, so Aᵀg is about s² times the inverse warp, and they differ
// again at the borders. Tested by the adjoint identity ⟨A x, y⟩ = ⟨x, Aᵀ y⟩, as for im2col.
//
// Core module: no `node:*` imports.

import type { Floats } from "../tensor/tensor.js";

/** A zoom by `scale` and a counter-clockwise turn by `degrees` (on screen), about the centre. */
export interface Similarity {
  /** > 1 enlarges the content (zooms in), < 1 shrinks it; 1 keeps its size. */
  scale: number;
  /** Counter-clockwise as seen on screen, in degrees. */
  degrees: number;
}

/** Whether `t` leaves every picture exactly as it is. */
export function isIdentity(t: Similarity): boolean {
  return t.scale === 1 && t.degrees % 360 === 0;
}

/** The point p(q) reads, as p = c + (a·u − b·v, b·u + a·v) for q − c = (u, v). */
function sampling(t: Similarity): { a: number; b: number } {
  if (!(t.scale > 0) || !Number.isFinite(t.scale) || !Number.isFinite(t.degrees)) {
    throw new RangeError(`similarity: scale must be a positive number and degrees finite, got scale ${t.scale}, degrees ${t.degrees}`);
  }
  // Whole quarter turns exactly (cos 90° is 6e-17 in floating point): a 90° turn is then an
  // exact permutation of a square picture, and 0° an exact copy.
  const quarter = t.degrees / 90;
  if (Number.isInteger(quarter)) {
    const k = ((quarter % 4) + 4) % 4;
    return { a: [1, 0, -1, 0][k]! / t.scale, b: [0, 1, 0, -1][k]! / t.scale };
  }
  const theta = (t.degrees * Math.PI) / 180;
  return { a: Math.cos(theta) / t.scale, b: Math.sin(theta) / t.scale };
}

function checkPlanes(op: string, a: Floats, b: Floats, C: number, H: number, W: number): void {
  if (![C, H, W].every((n) => Number.isInteger(n) && n >= 1)) throw new RangeError(`${op}: C=${C} H=${H} W=${W} must be positive integers`);
  if (a.length !== C * H * W || b.length !== C * H * W) {
    throw new RangeError(`${op}: planes of ${a.length} and ${b.length} values, but C×H×W = ${C}×${H}×${W} = ${C * H * W}`);
  }
  if (a === b) throw new RangeError(`${op}: the output must not be the input`);
}

/**
 * out = A src: each of the C planes (H×W, row-major) transformed by `t` about its centre,
 * bilinearly, reading 0 outside the picture. Overwrites `out` (not `src`). The identity is an
 * exact copy.
 */
export function similarityForward<T extends Floats>(
  out: T, // [C × H × W]
  src: Floats, // [C × H × W]
  C: number,
  H: number,
  W: number,
  t: Similarity,
): T {
  checkPlanes("similarityForward", out, src, C, H, W);
  const { a, b } = sampling(t);
  const cx = (W - 1) / 2,
    cy = (H - 1) / 2;
  for (let y = 0; y < H; y++) {
    const v = y - cy;
    for (let x = 0; x < W; x++) {
      const u = x - cx;
      const px = cx + (a * u - b * v),
        py = cy + (b * u + a * v);
      const x0 = Math.floor(px),
        y0 = Math.floor(py);
      const fx = px - x0,
        fy = py - y0;
      // The four taps and their weights; a tap outside the picture reads 0, so it is left out.
      const in0 = y0 >= 0 && y0 < H,
        in1 = y0 + 1 >= 0 && y0 + 1 < H;
      const left = x0 >= 0 && x0 < W,
        right = x0 + 1 >= 0 && x0 + 1 < W;
      const w00 = (1 - fy) * (1 - fx),
        w01 = (1 - fy) * fx,
        w10 = fy * (1 - fx),
        w11 = fy * fx;
      const k = y0 * W + x0;
      for (let ch = 0; ch < C; ch++) {
        const plane = ch * H * W;
        let acc = 0;
        if (in0 && left) acc += w00 * src[plane + k]!;
        if (in0 && right) acc += w01 * src[plane + k + 1]!;
        if (in1 && left) acc += w10 * src[plane + k + W]!;
        if (in1 && right) acc += w11 * src[plane + k + W + 1]!;
        out[plane + y * W + x] = acc;
      }
    }
  }
  return out;
}

/**
 * dsrc += Aᵀ dout: the adjoint of `similarityForward` with the same `t` — every output pixel's
 * value sent back onto the (up to) four input pixels it was interpolated from, with the same
 * weights. Accumulates into `dsrc`, like every backward kernel.
 */
export function similarityBackward<T extends Floats>(
  dsrc: T, // [C × H × W], accumulated into
  dout: Floats, // [C × H × W]
  C: number,
  H: number,
  W: number,
  t: Similarity,
): T {
  checkPlanes("similarityBackward", dsrc, dout, C, H, W);
  const { a, b } = sampling(t);
  const cx = (W - 1) / 2,
    cy = (H - 1) / 2;
  for (let y = 0; y < H; y++) {
    const v = y - cy;
    for (let x = 0; x < W; x++) {
      const u = x - cx;
      const px = cx + (a * u - b * v),
        py = cy + (b * u + a * v);
      const x0 = Math.floor(px),
        y0 = Math.floor(py);
      const fx = px - x0,
        fy = py - y0;
      const in0 = y0 >= 0 && y0 < H,
        in1 = y0 + 1 >= 0 && y0 + 1 < H;
      const left = x0 >= 0 && x0 < W,
        right = x0 + 1 >= 0 && x0 + 1 < W;
      const w00 = (1 - fy) * (1 - fx),
        w01 = (1 - fy) * fx,
        w10 = fy * (1 - fx),
        w11 = fy * fx;
      const k = y0 * W + x0;
      for (let ch = 0; ch < C; ch++) {
        const plane = ch * H * W;
        const g = dout[plane + y * W + x]!;
        if (in0 && left) dsrc[plane + k]! += w00 * g;
        if (in0 && right) dsrc[plane + k + 1]! += w01 * g;
        if (in1 && left) dsrc[plane + k + W]! += w10 * g;
        if (in1 && right) dsrc[plane + k + W + 1]! += w11 * g;
      }
    }
  }
  return dsrc;
}

/**
 * The reference: the (H·W × H·W) matrix A of one plane, row q = y·W + x, column k, built entry
 * by entry in Float64 from the definition in the header (rotation as a 2×2 matrix, transposed;
 * the tent weights over every pixel). O((HW)²): small sizes, tests only.
 */
export function similarityMatrixNaive(H: number, W: number, t: Similarity): Float64Array {
  const theta = (t.degrees * Math.PI) / 180;
  const R = [
    [Math.cos(theta), Math.sin(theta)],
    [-Math.sin(theta), Math.cos(theta)],
  ]; // on screen, y down
  const Rt = [
    [R[0]![0]!, R[1]![0]!],
    [R[0]![1]!, R[1]![1]!],
  ];
  const cx = (W - 1) / 2,
    cy = (H - 1) / 2;
  const tent = (d: number): number => Math.max(0, 1 - Math.abs(d));
  const A = new Float64Array(H * W * H * W);
  for (let qy = 0; qy < H; qy++) {
    for (let qx = 0; qx < W; qx++) {
      const px = cx + (Rt[0]![0]! * (qx - cx) + Rt[0]![1]! * (qy - cy)) / t.scale;
      const py = cy + (Rt[1]![0]! * (qx - cx) + Rt[1]![1]! * (qy - cy)) / t.scale;
      for (let ky = 0; ky < H; ky++) {
        for (let kx = 0; kx < W; kx++) A[(qy * W + qx) * H * W + ky * W + kx] = tent(px - kx) * tent(py - ky);
      }
    }
  }
  return A;
}

/** out = A src, plane by plane, with A from `similarityMatrixNaive` (tests only). */
export function similarityForwardNaive(out: Floats, src: Floats, C: number, H: number, W: number, t: Similarity): Floats {
  const A = similarityMatrixNaive(H, W, t),
    n = H * W;
  for (let c = 0; c < C; c++) {
    for (let q = 0; q < n; q++) {
      let acc = 0;
      for (let k = 0; k < n; k++) acc += A[q * n + k]! * src[c * n + k]!;
      out[c * n + q] = acc;
    }
  }
  return out;
}

/** dsrc += Aᵀ dout, plane by plane, with A from `similarityMatrixNaive` (tests only). */
export function similarityBackwardNaive(dsrc: Floats, dout: Floats, C: number, H: number, W: number, t: Similarity): Floats {
  const A = similarityMatrixNaive(H, W, t),
    n = H * W;
  for (let c = 0; c < C; c++) {
    for (let k = 0; k < n; k++) {
      let acc = 0;
      for (let q = 0; q < n; q++) acc += A[q * n + k]! * dout[c * n + q]!;
      dsrc[c * n + k]! += acc;
    }
  }
  return dsrc;
}
