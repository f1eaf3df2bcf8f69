// Every threaded kernel is a plain function over a range: a thread's piece is one call on its
// range. These tests pin that contract: a call writes inside its range only, and the ranges of
// any split put together give the naive twin's whole result.

import { describe, expect, it } from "vitest";
import { convGeometry } from "../../src/layers/conv-geometry.js";
import { col2im, col2imNaive, im2col, im2colNaive } from "../../src/layers/im2col.js";
import { lrnAcrossBackward, lrnAcrossForward, lrnBackwardNaive, lrnForwardNaive, lrnGeometry } from "../../src/layers/lrn.js";
import { maxPoolBackward, maxPoolForward, maxPoolForwardNaive, poolGeometry } from "../../src/layers/pooling.js";
import { reluBackward, reluBackwardNaive, reluForward, reluForwardNaive, reluMask } from "../../src/layers/relu.js";
import { fillUniform } from "../../src/tensor/random.js";

const SENTINEL = 7; // outside [-1, 1], so no kernel here could have written it

function random(n: number, seed: number): Float64Array {
  return fillUniform(new Float64Array(n), seed);
}

/** Indices [0, n) outside [start, end). */
function outside(n: number, start: number, end: number): number[] {
  return Array.from({ length: n }, (_, i) => i).filter((i) => i < start || i >= end);
}

describe("range kernels", () => {
  it("ReLU forward, mask and backward touch only [start, end)", () => {
    const n = 101,
      start = 17,
      end = 60,
      x = random(n, 1),
      dy = random(n, 2);
    const y = new Float64Array(n).fill(SENTINEL),
      yRef = new Float64Array(n);
    reluForward(y, x, 0.1, start, end);
    reluForwardNaive(yRef, x, 0.1);
    for (const i of outside(n, start, end)) expect(y[i]).toBe(SENTINEL);
    expect(Array.from(y.subarray(start, end))).toEqual(Array.from(yRef.subarray(start, end)));

    const dx = new Float64Array(n).fill(SENTINEL),
      dxRef = new Float64Array(n).fill(SENTINEL);
    reluBackward(dx, dy, x, 0.1, start, end);
    reluBackwardNaive(dxRef, dy, x, 0.1);
    for (const i of outside(n, start, end)) expect(dx[i]).toBe(SENTINEL);
    expect(Array.from(dx.subarray(start, end))).toEqual(Array.from(dxRef.subarray(start, end)));

    const masked = dy.slice();
    reluMask(masked, x, 0.1, start, end);
    for (const i of outside(n, start, end)) expect(masked[i]).toBe(dy[i]);
    for (let i = start; i < end; i++) expect(masked[i]).toBe(x[i]! > 0 ? dy[i] : 0.1 * dy[i]!);
  });

  it("im2col writes only its band of output rows, col2im only its band of input rows", () => {
    const g = convGeometry([1, 2, 9, 8], [4, 2, 3, 3], { stride: [2, 1], pad: [1, 2], dilation: [1, 2], group: 1 });
    const x = random(2 * 9 * 8, 3),
      rows = 2 * 3 * 3,
      cut = 2;
    const col = new Float64Array(rows * g.OH * g.OW).fill(SENTINEL),
      colRef = new Float64Array(col.length);
    im2colNaive(colRef, x, g);
    im2col(col, x, g, 0, cut);
    for (let i = 0; i < col.length; i++) {
      const oh = Math.floor(i / g.OW) % g.OH;
      expect(col[i]).toBe(oh < cut ? colRef[i] : SENTINEL);
    }
    im2col(col, x, g, cut, g.OH);
    expect(Array.from(col)).toEqual(Array.from(colRef));

    const y = random(col.length, 4),
      dx = random(x.length, 5),
      dxRef = dx.slice(),
      before = dx.slice();
    col2imNaive(dxRef, y, g);
    col2im(dx, y, g, 3, 7);
    for (let i = 0; i < dx.length; i++) {
      const h = Math.floor(i / g.W) % g.H;
      if (h >= 3 && h < 7) expect(dx[i]).toBeCloseTo(dxRef[i]!, 12);
      else expect(dx[i]).toBe(before[i]);
    }
  });

  it("max pooling forward and backward touch only their planes", () => {
    const g = poolGeometry([2, 3, 7, 6], { method: "max", kernel: [3, 3], stride: [2, 2], pad: [1, 1] });
    const plane = g.OH * g.OW,
      planes = g.N * g.C,
      x = random(planes * g.H * g.W, 6);
    const y = new Float64Array(planes * plane).fill(SENTINEL),
      argmax = new Int32Array(y.length).fill(-2);
    const yRef = new Float64Array(y.length),
      argRef = new Int32Array(y.length);
    maxPoolForwardNaive(yRef, argRef, x, g);
    maxPoolForward(y, argmax, x, g, 2, 5);
    for (let o = 0; o < y.length; o++) {
      const inside = o >= 2 * plane && o < 5 * plane;
      expect(y[o]).toBe(inside ? yRef[o] : SENTINEL);
      expect(argmax[o]).toBe(inside ? argRef[o] : -2);
    }
    const dx = new Float64Array(x.length),
      dy = random(y.length, 7);
    maxPoolBackward(dx, dy, argRef, g, 1, 2); // plane 1 only: image 0, channel 1
    const inPlane = g.H * g.W;
    for (let i = 0; i < dx.length; i++) if (i < inPlane || i >= 2 * inPlane) expect(dx[i]).toBe(0);
    expect(dx.subarray(inPlane, 2 * inPlane).some((v) => v !== 0)).toBe(true);
  });

  it("LRN across channels, forward and backward, touch only their pixels of every plane", () => {
    const g = lrnGeometry([2, 6, 5, 4], { localSize: 5, alpha: 0.3, beta: 0.75, k: 2, region: "across" });
    const P = g.H * g.W,
      n = g.N * g.C * P,
      p0 = 3,
      p1 = 11;
    const x = random(n, 8),
      dy = random(n, 9);
    const yRef = new Float64Array(n),
      scaleRef = new Float64Array(n),
      dxRef = new Float64Array(n);
    lrnForwardNaive(yRef, scaleRef, x, g);
    lrnBackwardNaive(dxRef, dy, x, g);
    const y = new Float64Array(n).fill(SENTINEL),
      scale = new Float64Array(n).fill(SENTINEL);
    lrnAcrossForward(y, scale, x, g, p0, p1);
    const dx = new Float64Array(n);
    lrnAcrossBackward(dx, dy, x, yRef, scaleRef, g, p0, p1);
    for (let i = 0; i < n; i++) {
      const p = i % P;
      if (p >= p0 && p < p1) {
        expect(y[i]).toBeCloseTo(yRef[i]!, 12);
        expect(scale[i]).toBeCloseTo(scaleRef[i]!, 12);
        expect(dx[i]).toBeCloseTo(dxRef[i]!, 12);
      } else {
        expect(y[i]).toBe(SENTINEL);
        expect(scale[i]).toBe(SENTINEL);
        expect(dx[i]).toBe(0);
      }
    }
  });
});
