// PReLU (src/layers/prelu.ts): values, input and slope gradients worked out by hand from Caffe's
// formulas, per channel and channel-shared; the plane kernels against Caffe-style naive loops on
// awkward shapes; the shape checks; and the same bits on 1, 2 and 3 threads.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import "../../src/threads/node-host.js";
import { backward } from "../../src/autograd/tape.js";
import {
  prelu,
  preluBackwardData,
  preluBackwardDataInThreads,
  preluBackwardNaive,
  preluBackwardSlopesInThreads,
  preluForward,
  preluForwardInThreads,
  preluForwardNaive,
  preluGeometry,
} from "../../src/layers/prelu.js";
import { allocFloats } from "../../src/tensor/buffers.js";
import { Tensor } from "../../src/tensor/tensor.js";
import { shutdownThreads, threadsReady, withThreads } from "../../src/threads/pool.js";
import { random } from "../random.js";

describe("prelu by hand", () => {
  // x [1, 2, 1, 3]: channel 0 holds −2, 0, 3; channel 1 holds −1, 4, −0.5. Slopes 0.25 and −0.5.
  const xValues = [-2, 0, 3, -1, 4, -0.5];

  it("per channel: max(x, 0) + a[c]·min(x, 0), dx = dy·a[c] where x ≤ 0, da[c] = Σ dy·x where x ≤ 0", () => {
    const x = new Tensor(Float64Array.from(xValues), [1, 2, 1, 3], true);
    const a = new Tensor(Float64Array.from([0.25, -0.5]), [2], true);
    const y = prelu(x, a);
    expect(Array.from(y.data)).toEqual([-0.5, 0, 3, 0.5, 4, 0.25]);
    backward(y, Float64Array.from([1, 2, 3, 4, 5, 6]));
    expect(Array.from(x.grad!)).toEqual([0.25, 0.5, 3, -2, 5, -3]); // x = 0 takes the slope
    expect(Array.from(a.grad!)).toEqual([1 * -2 + 2 * 0, 4 * -1 + 6 * -0.5]);
  });

  it("channel-shared: one slope for every channel, its gradient summed over all of them", () => {
    const x = new Tensor(Float64Array.from(xValues), [1, 2, 1, 3], true);
    const a = new Tensor(Float64Array.from([0.1]), [1], true);
    const y = prelu(x, a);
    expect(y.data).toBeAllClose([-0.2, 0, 3, -0.1, 4, -0.05], { atol: 0, rtol: 1e-15 });
    backward(y, Float64Array.from([1, 2, 3, 4, 5, 6]));
    expect(x.grad!).toBeAllClose([0.1, 0.2, 3, 0.4, 5, 0.6], { atol: 0, rtol: 1e-15 });
    expect(Array.from(a.grad!)).toEqual([-2 + 0 - 4 - 3]);
  });

  it("a 2-D [N, C] input has planes of one value", () => {
    const y = prelu(new Tensor(Float32Array.from([-1, -1, 2, -4]), [2, 2]), new Tensor(Float32Array.from([0.5, 2]), [2]));
    expect(Array.from(y.data)).toEqual([-0.5, -2, 2, -8]);
  });

  it("computes no slope gradient when the slopes do not ask for one, as the net's weights", () => {
    const x = new Tensor(Float64Array.from(xValues), [1, 2, 1, 3], true);
    const a = new Tensor(Float64Array.from([0.25, -0.5]), [2]);
    const y = prelu(x, a);
    expect(y.node!.backward(Float64Array.from([1, 1, 1, 1, 1, 1]), [])[1]).toBeNull();
  });

  it("refuses slopes that are neither one per channel nor one, and inputs without channels", () => {
    const x = new Tensor(new Float32Array(12), [1, 3, 2, 2]);
    expect(() => prelu(x, new Tensor(new Float32Array(2), [2]))).toThrow(
      "prelu: 2 slopes for an input of 3 channels [1, 3, 2, 2]; give one per channel, or one shared",
    );
    expect(() => prelu(new Tensor(new Float32Array(3), [3]), new Tensor(new Float32Array(1), [1]))).toThrow(
      "prelu: the input must have at least 2 axes [N, C, …], got [3]",
    );
    expect(() => prelu(x, new Tensor(new Float64Array(3), [3]))).toThrow(/prelu/);
  });
});

describe("the plane kernels against Caffe's loop", () => {
  for (const Ctor of [Float32Array, Float64Array]) {
    for (const shape of [
      [1, 1, 1, 1],
      [2, 7, 3, 3],
      [1, 63, 1, 1],
      [3, 5, 13],
      [2, 65],
    ]) {
      for (const shared of [false, true]) {
        it(`${Ctor.name} ${JSON.stringify(shape)}${shared ? " shared" : ""}: identical values and gradients`, () => {
          const n = shape.reduce((p, d) => p * d, 1);
          const g = preluGeometry(shape, shared ? 1 : shape[1]!);
          const x = random(n, n, Ctor, [-2, 2]);
          if (n > 3) x[2] = 0;
          const a = random(shared ? 1 : shape[1]!, 5, Ctor);
          const dy = random(n, n + 1, Ctor);
          const y = new Ctor(n),
            yRef = new Ctor(n);
          preluForwardInThreads(y, x, a, g);
          preluForwardNaive(yRef, x, a, g);
          expect(y).toBeAllClose(yRef, { atol: 0, rtol: 0 });
          const dx = new Ctor(n).fill(0.5),
            dxRef = new Ctor(n).fill(0.5);
          preluBackwardDataInThreads(dx, dy, x, a, g);
          const da = new Ctor(a.length),
            daRef = new Ctor(a.length);
          preluBackwardSlopesInThreads(da, dy, x, g);
          preluBackwardNaive(dxRef, daRef, dy, x, a, g);
          expect(dx).toBeAllClose(dxRef, { atol: 0, rtol: 0 });
          // Per channel the sums run in Caffe's order, in a double (the twin rounds to x's type at
          // every step); a shared slope adds the channels' sums.
          const sameBits = Ctor === Float64Array && !shared;
          expect(da).toBeAllClose(daRef, sameBits ? { atol: 0, rtol: 0 } : { atol: 1e-6, rtol: 1e-5 });
        });
      }
    }
  }

  it("a range of planes writes only those planes", () => {
    const g = preluGeometry([2, 3, 2, 2], 3); // 6 planes of 4
    const x = random(24, 1, Float64Array),
      a = random(3, 2, Float64Array),
      dy = random(24, 3, Float64Array);
    const y = new Float64Array(24).fill(7),
      dx = new Float64Array(24).fill(7);
    preluForward(y, x, a, g, 2, 4);
    preluBackwardData(dx, dy, x, a, g, 2, 4);
    const yRef = new Float64Array(24);
    preluForwardNaive(yRef, x, a, g);
    for (let i = 0; i < 24; i++) {
      const inside = i >= 8 && i < 16;
      expect(y[i]).toBe(inside ? yRef[i] : 7);
      expect(dx[i] === 7).toBe(!inside);
    }
  });
});

describe("prelu on 1, 2 and 3 threads", () => {
  beforeAll(() => threadsReady(3));
  afterAll(() => shutdownThreads());

  for (const shared of [false, true]) {
    it(`gives the same bits${shared ? " with a shared slope" : ""}: values, input and slope gradients`, () => {
      const float32s = (n: number): Float32Array => allocFloats("float32", n) as Float32Array;
      const shape = [2, 37, 41, 43]; // 130 462 values in 74 planes, split unevenly
      const compute = (): Float32Array[] => {
        const n = shape.reduce((p, d) => p * d, 1);
        const g = preluGeometry(shape, shared ? 1 : 37);
        const x = random(n, 11, float32s),
          a = random(shared ? 1 : 37, 12, float32s),
          dy = random(n, 13, float32s);
        const y = float32s(n),
          dx = random(n, 14, float32s),
          da = float32s(a.length);
        preluForwardInThreads(y, x, a, g);
        preluBackwardDataInThreads(dx, dy, x, a, g);
        preluBackwardSlopesInThreads(da, dy, x, g);
        return [y, dx, da];
      };
      const one = withThreads(1, compute).map((t) => Array.from(t));
      for (const n of [2, 3]) {
        withThreads(n, compute).forEach((t, k) => {
          expect(Array.from(t), `output ${k} at ${n} threads`).toEqual(one[k]);
        });
      }
    });
  }
});
