// Backward warping: bilinear sampling along a flow, out-of-frame pixels and occlusions marked.
import { describe, expect, it } from "vitest";
import type { RgbImage } from "../../src/io/image/image.js";
import { opticalFlow, type Flow } from "../../src/video/flow.js";
import { warpBackward } from "../../src/video/warp.js";
import { frame, knownFlow, smoothTexture } from "./synthetic-motion.js";

const W = 160,
  H = 120;
const texture = smoothTexture(7);

/** H×W×3 interleaved → 3×H×W planes, the layout warpBackward takes. */
function planes(image: RgbImage): Float32Array {
  const P = image.width * image.height,
    out = new Float32Array(3 * P);
  for (let p = 0; p < P; p++) for (let c = 0; c < 3; c++) out[c * P + p] = image.data[3 * p + c]!;
  return out;
}

/** Mean |a − b| over the pixels at least `margin` from the edges, all channels. */
function meanError(a: Float32Array, b: Float32Array, margin: number): number {
  let sum = 0,
    n = 0;
  for (let c = 0; c < 3; c++) {
    for (let y = margin; y < H - margin; y++) {
      for (let x = margin; x < W - margin; x++) {
        const i = c * W * H + y * W + x;
        sum += Math.abs(a[i]! - b[i]!);
        n++;
      }
    }
  }
  return sum / n;
}

describe("warpBackward", () => {
  it("samples bilinearly at p + flow[p], pixel centres at integers", () => {
    // One row of 4 and a second row: (0.3, 0.5) from pixel 1 mixes 1, 2 and the row below.
    const plane = Float32Array.of(0, 10, 20, 30, 100, 110, 120, 130);
    const flow: Flow = { width: 4, height: 2, dx: new Float32Array(8).fill(0.3), dy: new Float32Array(8) };
    flow.dy[1] = 0.5;
    const { warped, valid } = warpBackward(plane, 1, flow);
    expect(warped[0]).toBeCloseTo(3, 5);
    expect(warped[1]).toBeCloseTo(0.5 * 13 + 0.5 * 113, 5);
    expect(warped[5]).toBeCloseTo(113, 5);
    expect(Array.from(valid)).toEqual([1, 1, 1, 1, 1, 1, 1, 1]); // 3.3 ≤ W − ½ is still inside
    flow.dx[3] = 0.6;
    expect(warpBackward(plane, 1, flow).valid[3]).toBe(0); // 3.6 > W − ½
  });

  it("reproduces the new frame from the old one along the flow found between them", () => {
    const where = (x: number, y: number): [number, number] => [x + 2.3, y - 1.7];
    const from = frame(W, H, texture),
      to = frame(W, H, texture, where);
    const estimated = warpBackward(planes(from), 3, opticalFlow(from, to)).warped;
    const exact = warpBackward(planes(from), 3, knownFlow(W, H, where)).warped;
    const still = meanError(planes(from), planes(to), 8); // how different the frames are
    const error = meanError(estimated, planes(to), 8),
      floor = meanError(exact, planes(to), 8);
    // Bilinear sampling itself costs `floor` (measured 0.967 of 255; the frames differ by 26.4);
    // the found flow adds next to nothing to it (measured 0.972).
    expect(error).toBeLessThan(floor + 0.05);
    expect(error).toBeLessThan(still / 20);
  });

  it("marks exactly the pixels whose source lies outside the old frame", () => {
    const flow = knownFlow(W, H, (x, y) => [x + 2.3, y - 1.7]);
    const { valid } = warpBackward(new Float32Array(W * H), 1, flow);
    const expected = new Uint8Array(W * H);
    for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) expected[y * W + x] = x + 2.3 <= W - 0.5 && y - 1.7 >= -0.5 ? 1 : 0;
    expect(valid).toEqual(expected);
    expect(W * H - valid.reduce((a, b) => a + b, 0)).toBe(2 * H + 2 * W - 4); // columns 158–159, rows 0–1
  });

  it("marks the background a moving square uncovers as occluded, and little else", () => {
    // A textured square (another texture) moves by (8, 6) over a still background. Lucas–Kanade's
    // window smears the square's motion a few pixels past its edges, so the check flags a ring
    // around it too (and misses a little of the uncovered strip): measured 90% of the strip, 1.5%
    // of the pixels far from the edges.
    const square = smoothTexture(11),
      S = 40,
      X = 40,
      Y = 30,
      MX = 8,
      MY = 6;
    const inSquare = (x: number, y: number, ox: number, oy: number): boolean => x >= ox && x < ox + S && y >= oy && y < oy + S;
    const scene = (ox: number, oy: number): RgbImage => {
      const image = frame(W, H, texture);
      for (let y = oy; y < oy + S; y++) for (let x = ox; x < ox + S; x++) image.data.set(square(x - ox, y - oy), 3 * (y * W + x));
      return image;
    };
    const from = scene(X, Y),
      to = scene(X + MX, Y + MY);
    const backward = opticalFlow(from, to),
      forward = opticalFlow(to, from);
    const { valid } = warpBackward(planes(from), 3, backward, { forward });
    const unchecked = warpBackward(planes(from), 3, backward).valid;
    // Uncovered: in the square in `from`, not in `to` (2 px in from every edge of that region);
    // far: 8 px or more from both squares' edges, inside the frame's 8 px margin.
    let uncovered = 0,
      uncoveredFlagged = 0,
      uncoveredUnchecked = 0,
      far = 0,
      farFlagged = 0;
    for (let y = 8; y < H - 8; y++) {
      for (let x = 8; x < W - 8; x++) {
        const p = y * W + x;
        const near = (d: number): boolean =>
          inSquare(x + d, y, X, Y) !== inSquare(x - d, y, X, Y) ||
          inSquare(x, y + d, X, Y) !== inSquare(x, y - d, X, Y) ||
          inSquare(x + d, y, X + MX, Y + MY) !== inSquare(x - d, y, X + MX, Y + MY) ||
          inSquare(x, y + d, X + MX, Y + MY) !== inSquare(x, y - d, X + MX, Y + MY);
        if (inSquare(x, y, X, Y) && !inSquare(x, y, X + MX, Y + MY) && !near(2)) {
          uncovered++;
          uncoveredFlagged += 1 - valid[p]!;
          uncoveredUnchecked += 1 - unchecked[p]!;
        } else if (!near(8)) {
          far++;
          farFlagged += 1 - valid[p]!;
        }
      }
    }
    expect(uncovered).toBeGreaterThan(100);
    expect(uncoveredFlagged / uncovered).toBeGreaterThan(0.75);
    expect(uncoveredUnchecked / uncovered).toBeLessThan(0.1); // the check, not the frame's edge, caught them
    expect(farFlagged / far).toBeLessThan(0.03);
  });

  it("refuses planes or flows of the wrong size", () => {
    const flow = knownFlow(4, 3, (x, y) => [x, y]);
    expect(() => warpBackward(new Float32Array(11), 1, flow)).toThrow(RangeError);
    expect(() => warpBackward(new Float32Array(24), 2, flow, { forward: knownFlow(3, 4, (x, y) => [x, y]) })).toThrow(
      "the forward flow is 3×4, the flow 4×3",
    );
  });
});
