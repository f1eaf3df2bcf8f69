// The optical flow on synthetic motion whose flow is known exactly (./synthetic-motion.ts):
// sub-pixel shifts, a shift larger than one level can follow, a rotation; and the fast flow
// against its naive twin. Errors are endpoint errors |estimate − truth| in pixels, counted at
// least MARGIN px from the frame's edges, where the window and the motion see only the frame.
import { describe, expect, it } from "vitest";
import { ImageError, OptionError } from "../../src/errors.js";
import { opticalFlow, type Flow } from "../../src/video/flow.js";
import { opticalFlowNaive } from "../../src/video/flow-naive.js";
import { endpointErrors, frame, knownFlow, quantile, smoothTexture } from "./synthetic-motion.js";

const W = 160,
  H = 120,
  MARGIN = 16;
const texture = smoothTexture(7);

/** The frames of a known motion, the flow found between them, and its errors (sorted). */
function recover(where: (x: number, y: number) => [number, number], options = {}): { flow: Flow; errors: Float64Array } {
  const flow = opticalFlow(frame(W, H, texture), frame(W, H, texture, where), options);
  return { flow, errors: endpointErrors(flow, knownFlow(W, H, where), MARGIN) };
}

function rotation(degrees: number): (x: number, y: number) => [number, number] {
  const c = Math.cos((degrees * Math.PI) / 180),
    s = Math.sin((degrees * Math.PI) / 180),
    cx = W / 2,
    cy = H / 2;
  return (x, y) => [cx + c * (x - cx) - s * (y - cy), cy + s * (x - cx) + c * (y - cy)];
}

describe("opticalFlow on known motion", () => {
  it("recovers a sub-pixel shift (2.3, −1.7): median error < 0.05 px, 95th percentile < 0.15 px", () => {
    const { flow, errors } = recover((x, y) => [x + 2.3, y - 1.7]);
    expect(flow.width).toBe(W);
    expect(flow.height).toBe(H);
    expect(quantile(errors, 0.5)).toBeLessThan(0.05);
    expect(quantile(errors, 0.95)).toBeLessThan(0.15);
  });

  it("recovers a 12 px shift through the pyramid, which one level cannot", () => {
    const where = (x: number, y: number): [number, number] => [x + 12, y - 5];
    const { errors } = recover(where);
    expect(quantile(errors, 0.5)).toBeLessThan(0.05);
    expect(quantile(errors, 0.95)).toBeLessThan(0.15);
    const { errors: flat } = recover(where, { levels: 1 });
    expect(quantile(flat, 0.5)).toBeGreaterThan(1);
  });

  it("recovers a rotation by 2° about the centre (up to 3.5 px at the corners)", () => {
    const { errors } = recover(rotation(2));
    expect(quantile(errors, 0.5)).toBeLessThan(0.05);
    expect(quantile(errors, 0.95)).toBeLessThan(0.15);
  });

  it("finds no motion between two copies of one frame, exactly", () => {
    const f = frame(W, H, texture);
    const flow = opticalFlow(f, { ...f, data: f.data.slice() });
    expect(flow.dx.every((d) => d === 0) && flow.dy.every((d) => d === 0)).toBe(true);
  });
});

describe("opticalFlow against its naive twin", () => {
  // Awkward sizes (odd, not multiples of 2ⁿ) and a motion the pyramid has to carry.
  for (const [w, h, options] of [
    [61, 47, { levels: 3 }],
    [33, 65, { levels: 2, window: 1.5, iterations: 3 }],
  ] as const) {
    it(`${w}×${h}, ${JSON.stringify(options)}: equal to 1e-4 px`, () => {
      const where = rotation(3);
      const from = frame(w, h, texture),
        to = frame(w, h, texture, (x, y) => {
          const [a, b] = where(x, y);
          return [a + 3.4, b - 2.2];
        });
      const fast = opticalFlow(from, to, options),
        naive = opticalFlowNaive(from, to, options);
      let worst = 0;
      for (let p = 0; p < w * h; p++) worst = Math.max(worst, Math.abs(fast.dx[p]! - naive.dx[p]!), Math.abs(fast.dy[p]! - naive.dy[p]!));
      expect(worst).toBeLessThan(1e-4); // measured: 3e-6
      expect(Math.max(...naive.dx.map(Math.abs))).toBeGreaterThan(2); // it did move
    });
  }

  it("handles frames of 1×1, 1×5, 4×1 and 2×3 pixels: finite, and equal to the twin", () => {
    for (const [w, h] of [
      [1, 1],
      [1, 5],
      [4, 1],
      [2, 3],
    ] as const) {
      const from = frame(w, h, texture),
        to = frame(w, h, texture, (x, y) => [x + 0.4, y - 0.3]);
      const fast = opticalFlow(from, to),
        naive = opticalFlowNaive(from, to);
      expect(fast.dx.every(Number.isFinite) && fast.dy.every(Number.isFinite), `${w}×${h}`).toBe(true);
      for (let p = 0; p < w * h; p++)
        expect(Math.abs(fast.dx[p]! - naive.dx[p]!) + Math.abs(fast.dy[p]! - naive.dy[p]!)).toBeLessThan(1e-5);
    }
  });
});

describe("opticalFlow's errors", () => {
  const small = frame(20, 16, texture);
  it("refuses frames of two sizes, saying so", () => {
    expect(() => opticalFlow(small, frame(20, 17, texture))).toThrow(ImageError);
    expect(() => opticalFlow(small, frame(20, 17, texture))).toThrow("got 20×16 and 20×17; resize them to one size first");
  });
  it("refuses options that cannot work", () => {
    expect(() => opticalFlow(small, small, { levels: 0 })).toThrow(OptionError);
    expect(() => opticalFlow(small, small, { window: Number.NaN })).toThrow(OptionError);
    expect(() => opticalFlow(small, small, { iterations: 1.5 })).toThrow("flow iterations must be a whole number from 1 to 100, got 1.5");
  });
});
