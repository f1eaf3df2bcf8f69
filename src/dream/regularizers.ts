// Priors on the picture itself, subtracted from the dream's objective so that the ascent trades
// the net's score against them: L = L_net − w_tv · TV(x) − w_l2 · P(x). Their gradients add to
// the net's input gradient; the step then normalizes the sum as it always does.
//
// Squared total variation (Mahendran & Vedaldi's V^β with β = 2), over each plane of H×W:
//   TV(x) = ½ Σ_c Σ_{y,x} [ (x[y][x+1] − x[y][x])² + (x[y+1][x] − x[y][x])² ]
// with only pairs of pixels inside the picture. Its gradient at a pixel p is
//   ∂TV/∂x_p = Σ_{q ∈ N(p)} (x_p − x_q)
// over p's 2–4 neighbours inside the picture: minus the discrete Laplacian with a free (Neumann)
// border. The squared form rather than the anisotropic |dx| + |dy|: it is differentiable
// everywhere — |·| has no derivative where neighbours are equal, which is everywhere in the flat
// parts of a photo — so the ascent has a true gradient (and a finite-difference check holds), and
// it damps fine noise most, since a pattern of wavelength λ costs ∝ 1/λ².
//
// L2 on pixels, the distance from mid-grey:
//   P(x) = ½ Σ_c Σ_{y,x} (x − centre_c)²            ∂P/∂x = x − centre_c
// In the dream the picture is BGR minus the mean pixel, so mid-grey 127.5 is centre_c =
// 127.5 − mean_c. (Named "pixel L2" beside the "l2" objective, which is ½Σa² on the layer.)
//
// Both take Float32 or Float64 planes (the tests check the gradients in Float64); sums in
// double. The gradients accumulate, `dx += scale · ∂R/∂x`, so a caller adds −w's directly.

import type { Floats } from "../tensor/tensor.js";

/** TV(x) = ½ Σ over neighbouring pixel pairs of their squared difference, per plane of C×H×W. */
export function squaredTotalVariation(x: Floats, C: number, H: number, W: number): number {
  let sum = 0;
  for (let c = 0; c < C; c++) {
    const plane = c * H * W;
    for (let y = 0; y < H; y++) {
      for (let i = plane + y * W, end = i + W; i < end; i++) {
        if (i + 1 < end) sum += (x[i + 1]! - x[i]!) ** 2;
        if (y + 1 < H) sum += (x[i + W]! - x[i]!) ** 2;
      }
    }
  }
  return sum / 2;
}

/** dx += scale · ∂TV/∂x, where ∂TV/∂x_p = Σ over p's neighbours q of (x_p − x_q). */
export function squaredTotalVariationBackward(dx: Floats, x: Floats, C: number, H: number, W: number, scale: number): void {
  for (let c = 0; c < C; c++) {
    const plane = c * H * W;
    for (let y = 0; y < H; y++) {
      for (let col = 0; col < W; col++) {
        const i = plane + y * W + col,
          v = x[i]!;
        let g = 0;
        if (col > 0) g += v - x[i - 1]!;
        if (col + 1 < W) g += v - x[i + 1]!;
        if (y > 0) g += v - x[i - W]!;
        if (y + 1 < H) g += v - x[i + W]!;
        dx[i]! += scale * g;
      }
    }
  }
}

/** P(x) = ½ Σ (x − centre_c)², plane c of C×(H·W) pulled toward `centre[c]`. */
export function pixelL2(x: Floats, C: number, plane: number, centre: readonly number[]): number {
  let sum = 0;
  for (let c = 0; c < C; c++) {
    const m = centre[c]!;
    for (let i = c * plane; i < (c + 1) * plane; i++) sum += (x[i]! - m) ** 2;
  }
  return sum / 2;
}

/** dx += scale · (x − centre_c), the gradient of `pixelL2`. */
export function pixelL2Backward(dx: Floats, x: Floats, C: number, plane: number, centre: readonly number[], scale: number): void {
  for (let c = 0; c < C; c++) {
    const m = centre[c]!;
    for (let i = c * plane; i < (c + 1) * plane; i++) dx[i]! += scale * (x[i]! - m);
  }
}
