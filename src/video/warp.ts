// warp.ts — backward warping along an optical flow, with the pixels it cannot trust marked.
//
// A backward flow (./flow.ts) says, for each pixel p of the new frame, where that pixel was in
// the old one: p + d(p). Warping the old frame's planes (or a dream's detail) into the new frame
// is then a gather, which leaves no holes, unlike pushing old pixels forward:
//
//     warped[c, p] = bilinear(planes[c], p + d(p))
//
// with pixel centres at integer coordinates, so (x, y) = (2.3, 0) is 0.7·plane[2] + 0.3·plane[3].
// Bilinear is the sampling the issue asks for: it keeps values inside the range of their four
// neighbours (no ringing to clip), at the price of blurring a sub-pixel shift slightly.
//
// Two kinds of pixel get valid[p] = 0, so that the caller falls back to the new frame there:
// - out of frame: p + d(p) lies outside the old frame's area, [−½, W − ½] × [−½, H − ½] (the
//   pixels' squares, not only their centres; within half a pixel of the edge the value is the
//   edge pixel's, by clamping, as it is for every sample);
// - occluded: what p shows was hidden in the old frame (uncovered by a moving object), so d(p)
//   points at whatever covered it. The forward flow f (old → new, `opticalFlow(to, from)`) then
//   fails to lead back: followed from q = p + d(p), it should return to p, i.e. d(p) + f(q) ≈ 0.
//   We flag p when the round trip misses by more than the estimates' own uncertainty allows,
//   with the test of Sundaram, Brox & Keutzer, "Dense point trajectories by GPU-accelerated large
//   displacement optical flow" (ECCV 2010, eq. 5), which lets the tolerance grow with the motion:
//
//       |d + f(q)|² > 0.01 · (|d|² + |f(q)|²) + 0.5            (pixels²; f(q) bilinear)
//
// Legend: C channels, W H the frame's width and height, P = W·H, planes C×H×W row-major.
//
// Core module: no `node:*` imports.

import type { Flow } from "./flow.js";

/** Sundaram et al.'s tolerance: relative to the motion's squared length, and an absolute floor (px²). */
const ROUND_TRIP_RELATIVE = 0.01;
const ROUND_TRIP_FLOOR = 0.5;

/**
 * Samples `planes` (C×h×w) at p + flow[p] bilinearly; valid[p] = 0 where that falls outside
 * the frame or fails the occlusion check (|flow[p] + forward[p + flow[p]]|² above
 * 0.01·(|flow|² + |forward|²) + 0.5, Sundaram et al. 2010). Out-of-frame samples are clamped to the
 * edge, so `warped` is defined everywhere; the caller should replace the invalid ones.
 */
export function warpBackward(
  planes: Float32Array,
  channels: number,
  flow: Flow,
  occlusion?: { forward: Flow },
): { warped: Float32Array; valid: Uint8Array } {
  const { width: W, height: H, dx, dy } = flow;
  const P = W * H;
  checkFlow(flow, "flow");
  if (!Number.isInteger(channels) || channels < 1 || planes.length !== channels * P) {
    throw new RangeError(`warpBackward: planes hold ${planes.length} values, expected ${channels} × ${H} × ${W}`);
  }
  const forward = occlusion?.forward;
  if (forward !== undefined) {
    checkFlow(forward, "occlusion.forward");
    if (forward.width !== W || forward.height !== H) {
      throw new RangeError(`warpBackward: the forward flow is ${forward.width}×${forward.height}, the flow ${W}×${H}`);
    }
  }
  const warped = new Float32Array(channels * P);
  const valid = new Uint8Array(P);
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      const p = y * W + x;
      const u = dx[p]!,
        v = dy[p]!;
      const sx = x + u,
        sy = y + v;
      let ok = sx >= -0.5 && sx <= W - 0.5 && sy >= -0.5 && sy <= H - 0.5;
      // The four neighbours of the clamped sample point and its weights; NaN flow lands on 0.
      const cx = Math.min(Math.max(sx, 0), W - 1) || 0,
        cy = Math.min(Math.max(sy, 0), H - 1) || 0;
      const x0 = Math.min(Math.floor(cx), Math.max(W - 2, 0)),
        y0 = Math.min(Math.floor(cy), Math.max(H - 2, 0));
      const x1 = Math.min(x0 + 1, W - 1),
        y1 = Math.min(y0 + 1, H - 1);
      const ax = cx - x0,
        ay = cy - y0;
      const w00 = (1 - ax) * (1 - ay),
        w01 = ax * (1 - ay),
        w10 = (1 - ax) * ay,
        w11 = ax * ay;
      const i00 = y0 * W + x0,
        i01 = y0 * W + x1,
        i10 = y1 * W + x0,
        i11 = y1 * W + x1;
      for (let c = 0, o = 0; c < channels; c++, o += P) {
        warped[o + p] = w00 * planes[o + i00]! + w01 * planes[o + i01]! + w10 * planes[o + i10]! + w11 * planes[o + i11]!;
      }
      if (ok && forward !== undefined) {
        const fu = w00 * forward.dx[i00]! + w01 * forward.dx[i01]! + w10 * forward.dx[i10]! + w11 * forward.dx[i11]!;
        const fv = w00 * forward.dy[i00]! + w01 * forward.dy[i01]! + w10 * forward.dy[i10]! + w11 * forward.dy[i11]!;
        const ex = u + fu,
          ey = v + fv;
        ok = ex * ex + ey * ey <= ROUND_TRIP_RELATIVE * (u * u + v * v + fu * fu + fv * fv) + ROUND_TRIP_FLOOR;
      }
      valid[p] = ok ? 1 : 0;
    }
  }
  return { warped, valid };
}

function checkFlow(flow: Flow, what: string): void {
  const P = flow.width * flow.height;
  if (
    !Number.isInteger(flow.width) ||
    !Number.isInteger(flow.height) ||
    flow.width < 1 ||
    flow.height < 1 ||
    flow.dx.length !== P ||
    flow.dy.length !== P
  ) {
    throw new RangeError(
      `warpBackward: ${what} is not a ${flow.width}×${flow.height} flow (dx ${flow.dx.length}, dy ${flow.dy.length} values)`,
    );
  }
}
