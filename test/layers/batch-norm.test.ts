// BatchNorm: Caffe's conversion of the stored blobs, the kernels against their naive twins on
// awkward shapes (Float32 and Float64), the same bits on 1 and 2 threads, and the
// own-statistics forward (use_global_stats: false) against the textbook form of its gradient.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import "../../src/threads/node-host.js";
import { backward } from "../../src/autograd/tape.js";
import {
  batchNorm,
  batchNormBackward,
  batchNormBackwardNaive,
  batchNormForward,
  batchNormForwardNaive,
  batchNormGeometry,
  batchNormOwnStatistics,
  batchNormOwnStatisticsNaive,
  storedStatistics,
} from "../../src/layers/batch-norm.js";
import { allocFloats } from "../../src/tensor/buffers.js";
import { Tensor } from "../../src/tensor/tensor.js";
import { shutdownThreads, threadsReady, withThreads } from "../../src/threads/pool.js";
import { random } from "../random.js";

const size = (shape: number[]): number => shape.reduce((a, d) => a * d, 1);

describe("storedStatistics: Caffe's blobs to mean and variance", () => {
  it("divides both sums by the scale factor", () => {
    const { mean, variance } = storedStatistics(Float32Array.from([2, -4]), Float32Array.from([8, 1]), 2);
    expect(Array.from(mean)).toEqual([1, -2]);
    expect(Array.from(variance)).toEqual([4, 0.5]);
  });

  it("takes 1/s as 0 when s = 0, so the layer divides x by sqrt(eps) alone", () => {
    const { mean, variance } = storedStatistics(Float32Array.from([3]), Float32Array.from([5]), 0);
    expect(Array.from(mean)).toEqual([0]);
    expect(Array.from(variance)).toEqual([0]);
    const y = batchNorm(
      new Tensor(Float64Array.from([2, -1]), [2, 1]),
      new Tensor(new Float64Array(1), [1]),
      new Tensor(new Float64Array(1), [1]),
      1e-4,
    );
    expect(Array.from(y.data)).toEqual([200, -100]);
  });
});

describe("batchNorm vs its naive twin", () => {
  // [N, C, …]: a 1-D blob has one channel, a 2-D one no positions.
  const shapes = [[1, 1, 1, 1], [2, 7, 3, 3], [1, 63, 1, 1], [3, 65, 2, 1], [5, 7], [7], [2, 3, 4, 5, 2]];
  for (const Ctor of [Float32Array, Float64Array]) {
    for (const shape of shapes) {
      it(`${Ctor.name} ${JSON.stringify(shape)}: forward and input gradient`, () => {
        const g = batchNormGeometry(shape);
        const x = new Tensor(random(size(shape), 1, Ctor), shape, true);
        const mean = new Tensor(random(g.C, 2, Ctor), [g.C]),
          variance = new Tensor(random(g.C, 3, Ctor, [0, 2]), [g.C]);
        const y = batchNorm(x, mean, variance, 1e-3);
        const yRef = new Ctor(x.size);
        batchNormForwardNaive(yRef, x.data, mean.data, variance.data, 1e-3, g);
        // Float32 keeps sqrt(var + eps) as a Float32, as Caffe does; the twin's is exact.
        const tol = Ctor === Float64Array ? { atol: 0, rtol: 0 } : { atol: 1e-6, rtol: 1e-6 };
        expect(y.data).toBeAllClose(yRef, tol);
        const dy = random(x.size, 4, Ctor);
        backward(y, dy);
        const dxRef = new Ctor(x.size);
        batchNormBackwardNaive(dxRef, dy, variance.data, 1e-3, g);
        expect(x.grad!).toBeAllClose(dxRef, tol);
      });
    }
  }

  it("names the channels it needs when the statistics do not fit", () => {
    const x = new Tensor(new Float32Array(12), [1, 3, 2, 2]);
    const two = new Tensor(new Float32Array(2), [2]);
    expect(() => batchNorm(x, two, two, 1e-5)).toThrow(
      "batchNorm: mean and variance must have 3 values, one per channel of [1, 3, 2, 2], got 2 and 2",
    );
  });
});

describe("batchNorm's range kernels", () => {
  it("write only the planes [start, end), as the whole-blob twin there", () => {
    const g = { N: 2, C: 3, S: 5 },
      n = 30,
      SENTINEL = 7;
    const x = random(n, 1, Float64Array),
      mean = random(3, 2, Float64Array),
      variance = random(3, 3, Float64Array, [0, 1]);
    const sd = variance.map((v) => Math.sqrt(v + 1e-5));
    const y = new Float64Array(n).fill(SENTINEL),
      yRef = new Float64Array(n);
    batchNormForward(y, x, mean, sd, g.C, g.S, 1, 4);
    batchNormForwardNaive(yRef, x, mean, variance, 1e-5, g);
    expect(Array.from(y.subarray(0, 5))).toEqual(Array(5).fill(SENTINEL));
    expect(Array.from(y.subarray(20))).toEqual(Array(10).fill(SENTINEL));
    expect(Array.from(y.subarray(5, 20))).toEqual(Array.from(yRef.subarray(5, 20)));
    const dx = new Float64Array(n).fill(SENTINEL),
      dxRef = new Float64Array(n).fill(SENTINEL),
      dy = random(n, 4, Float64Array);
    batchNormBackward(dx, dy, sd, g.C, g.S, 4, 6);
    batchNormBackwardNaive(dxRef, dy, variance, 1e-5, g);
    expect(Array.from(dx.subarray(0, 20))).toEqual(Array(20).fill(SENTINEL));
    expect(Array.from(dx.subarray(20))).toEqual(Array.from(dxRef.subarray(20)));
  });
});

describe("batchNorm on threads", () => {
  beforeAll(() => threadsReady(2));
  afterAll(() => shutdownThreads());

  it("gives the same bits on 1 and 2 threads, forward and input gradient", () => {
    const shape = [2, 19, 45, 43]; // > 2¹⁶ values, so the job splits; planes of an odd size
    const compute = (): number[][] => {
      const f32 = (n: number): Float32Array => allocFloats("float32", n) as Float32Array;
      const x = new Tensor(random(size(shape), 1, f32), shape, true);
      const y = batchNorm(x, new Tensor(random(19, 2, f32), [19]), new Tensor(random(19, 3, f32, [0, 1]), [19]), 1e-5);
      backward(y, random(y.size, 4, f32));
      return [Array.from(y.data), Array.from(x.grad!)];
    };
    const one = withThreads(1, compute);
    const two = withThreads(2, compute);
    expect(two[0]).toEqual(one[0]);
    expect(two[1]).toEqual(one[1]);
  });
});

describe("batchNormOwnStatistics (use_global_stats: false)", () => {
  for (const shape of [[1, 3, 4, 5], [4, 2, 3, 1], [6, 5], [9]]) {
    it(`${JSON.stringify(shape)}: forward and input gradient match the textbook form`, () => {
      const g = batchNormGeometry(shape);
      const x = new Tensor(random(size(shape), 5, Float64Array, [-2, 3]), shape, true);
      const y = batchNormOwnStatistics(x, 1e-5);
      const dy = random(x.size, 6, Float64Array);
      backward(y, dy);
      const yRef = new Float64Array(x.size),
        dxRef = new Float64Array(x.size);
      batchNormOwnStatisticsNaive(yRef, dxRef, x.data, dy, 1e-5, g);
      expect(y.data).toBeAllClose(yRef, { atol: 1e-12, rtol: 1e-12 });
      expect(x.grad!).toBeAllClose(dxRef, { atol: 1e-10, rtol: 1e-10 });
    });
  }

  it("leaves every channel with mean 0 and variance 1 − eps/(var + eps)", () => {
    const x = new Tensor(random(2 * 3 * 16, 7, Float64Array, [0, 10]), [2, 3, 4, 4]);
    const y = batchNormOwnStatistics(x, 1e-5).data;
    for (let c = 0; c < 3; c++) {
      const values = [0, 1].flatMap((n) => Array.from(y.subarray((n * 3 + c) * 16, (n * 3 + c + 1) * 16)));
      const mean = values.reduce((a, v) => a + v, 0) / values.length;
      const variance = values.reduce((a, v) => a + (v - mean) ** 2, 0) / values.length;
      expect(Math.abs(mean)).toBeLessThan(1e-12);
      expect(Math.abs(variance - 1)).toBeLessThan(1e-5);
    }
  });
});
