// The flow's passes are split over worker threads by rows: the flow must be the same bit for bit
// on any number of threads, including where pieces end mid-window (a column sum reads rows that
// another piece wrote in the pass before).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import "../../src/threads/node-host.js";
import { shutdownThreads, threadsReady, withThreads } from "../../src/threads/pool.js";
import { opticalFlow } from "../../src/video/flow.js";
import { frame, smoothTexture } from "./synthetic-motion.js";

beforeAll(() => threadsReady(3));
afterAll(() => shutdownThreads());

describe("opticalFlow on threads", () => {
  it("gives the one-thread flow bit for bit on 2 and 3 threads", () => {
    // 331×247: large enough to be split (≥ 2¹⁶ pixels), rows not a multiple of the pieces.
    const texture = smoothTexture(3),
      W = 331,
      H = 247;
    const from = frame(W, H, texture),
      to = frame(W, H, texture, (x, y) => [x + 4.6 + 0.02 * (y - 120), y - 3.1]);
    const one = withThreads(1, () => opticalFlow(from, to));
    for (const n of [2, 3]) {
      const many = withThreads(n, () => opticalFlow(from, to));
      expect(many.dx.buffer).toBeInstanceOf(SharedArrayBuffer); // so the jobs could be split
      expect(Buffer.from(many.dx.buffer).equals(Buffer.from(one.dx.buffer)), `dx on ${n} threads`).toBe(true);
      expect(Buffer.from(many.dy.buffer).equals(Buffer.from(one.dy.buffer)), `dy on ${n} threads`).toBe(true);
    }
    expect(Math.max(...one.dx)).toBeGreaterThan(4); // it found the motion
  });
});
