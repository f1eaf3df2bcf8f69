// Frames with motion known exactly, for the flow and warp tests. A smooth random texture — a sum
// of sinusoids in every direction with wavelengths spread evenly on a log scale from 6 to 100 px
// (like a photo's, every scale has some detail, so that every pyramid level has something to
// follow), not white noise, which no flow method follows below a pixel — is defined at every real (x, y), so a frame moved by any
// sub-pixel amount, or rotated, is sampled exactly rather than resampled.
import type { Flow } from "../../src/video/flow.js";
import type { RgbImage } from "../../src/io/image/image.js";
import { random } from "../random.js";

/** RGB at a real position, 0–255. */
export type Texture = (x: number, y: number) => [number, number, number];

/** A texture of `waves` sinusoids per channel, seeded; values stay inside 0–255. */
export function smoothTexture(seed: number, waves = 24): Texture {
  const r = random(waves * 3 * 3, seed, Float64Array, [0, 1]);
  const params = Array.from({ length: 3 * waves }, (_, i) => {
    const wavelength = 6 * (100 / 6) ** r[3 * i]!,
      angle = 2 * Math.PI * r[3 * i + 1]!,
      k = (2 * Math.PI) / wavelength;
    return { kx: k * Math.cos(angle), ky: k * Math.sin(angle), phase: 2 * Math.PI * r[3 * i + 2]! };
  });
  const amplitude = 100 / Math.sqrt(waves) / 1.5; // a few σ inside ±100
  return (x, y) => {
    const rgb: [number, number, number] = [128, 128, 128];
    for (let c = 0; c < 3; c++) {
      let s = 0;
      for (let i = c * waves; i < (c + 1) * waves; i++) s += Math.sin(params[i]!.kx * x + params[i]!.ky * y + params[i]!.phase);
      rgb[c] = Math.min(255, Math.max(0, 128 + amplitude * s));
    }
    return rgb;
  };
}

/** A W×H frame whose pixel (x, y) shows `at(x, y)` of the texture. */
export function frame(W: number, H: number, texture: Texture, at: (x: number, y: number) => [number, number] = (x, y) => [x, y]): RgbImage {
  const data = new Float32Array(W * H * 3);
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      const [sx, sy] = at(x, y);
      data.set(texture(sx, sy), 3 * (y * W + x));
    }
  }
  return { width: W, height: H, data };
}

/** The flow a known motion has: `where(x, y)` is where `to`'s pixel (x, y) was in `from`. */
export function knownFlow(W: number, H: number, where: (x: number, y: number) => [number, number]): Flow {
  const dx = new Float32Array(W * H),
    dy = new Float32Array(W * H);
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      const [sx, sy] = where(x, y);
      dx[y * W + x] = sx - x;
      dy[y * W + x] = sy - y;
    }
  }
  return { width: W, height: H, dx, dy };
}

/** The endpoint errors |estimate − truth| of the pixels at least `margin` px from every edge, sorted. */
export function endpointErrors(estimate: Flow, truth: Flow, margin: number): Float64Array {
  const { width: W, height: H } = truth;
  const errors: number[] = [];
  for (let y = margin; y < H - margin; y++) {
    for (let x = margin; x < W - margin; x++) {
      const p = y * W + x;
      errors.push(Math.hypot(estimate.dx[p]! - truth.dx[p]!, estimate.dy[p]! - truth.dy[p]!));
    }
  }
  return Float64Array.from(errors).sort();
}

/** The q-quantile (0 ≤ q ≤ 1) of sorted values. */
export function quantile(sorted: Float64Array, q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}
