// Scale and Bias: Caffe's [outer, D, inner] view for every num_axes, the kernels against their
// naive twins (all three gradients), the same bits on 1 and 2 threads, and gradients reaching a
// second bottom.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import "../../src/threads/node-host.js";
import { backward } from "../../src/autograd/tape.js";
import {
  bias,
  scale,
  scaleBackward,
  scaleBackwardNaive,
  scaleForward,
  scaleForwardNaive,
  scaleGeometry,
  scaleParamBackward,
} from "../../src/layers/scale.js";
import { allocFloats } from "../../src/tensor/buffers.js";
import { Tensor } from "../../src/tensor/tensor.js";
import { shutdownThreads, threadsReady, withThreads } from "../../src/threads/pool.js";
import { random } from "../random.js";

const size = (shape: readonly number[]): number => shape.reduce((a, d) => a * d, 1);

describe("scaleGeometry", () => {
  it("views x as [outer, D, inner] around the axes the scale covers", () => {
    const x = [2, 3, 4, 5];
    expect(scaleGeometry(x, [3], 1)).toEqual({ outer: 2, D: 3, inner: 20 });
    expect(scaleGeometry(x, [4, 5], 2)).toEqual({ outer: 6, D: 20, inner: 1 });
    expect(scaleGeometry(x, [3, 4, 5], -3)).toEqual({ outer: 2, D: 60, inner: 1 });
    expect(scaleGeometry(x, [2, 3], 0)).toEqual({ outer: 1, D: 6, inner: 20 });
    // A single number: the axis does not matter (Caffe takes 0).
    expect(scaleGeometry(x, [], 3)).toEqual({ outer: 1, D: 1, inner: 120 });
  });

  it("refuses a scale whose axes are not x's there", () => {
    expect(() => scaleGeometry([2, 3, 4, 5], [4], 1)).toThrow("scale: a [4] scale does not match the axes of [2, 3, 4, 5] from axis 1");
    expect(() => scaleGeometry([2, 3], [3, 1], 1, "bias")).toThrow(/^bias: /);
  });
});

describe("scale and bias vs their naive twins", () => {
  const cases: Array<[number[], number[], number]> = [
    [[1, 1, 1, 1], [1], 1],
    [[2, 7, 3, 3], [7], 1],
    [[1, 63, 1, 1], [63], 1],
    [[3, 65, 2, 1], [65, 2, 1], 1],
    [[2, 5, 3, 7], [3, 7], -2],
    [[4, 6], [4, 6], 0],
    [[3, 4, 5], [], 1],
  ];
  for (const Ctor of [Float32Array, Float64Array]) {
    for (const [shape, covered, axis] of cases) {
      for (const withBias of [false, true]) {
        it(`${Ctor.name} x ${JSON.stringify(shape)}, scale ${JSON.stringify(covered)} on axis ${axis}${withBias ? " + bias" : ""}`, () => {
          const g = scaleGeometry(shape, covered, axis);
          const x = new Tensor(random(size(shape), 1, Ctor), shape, true);
          const s = new Tensor(random(size(covered), 2, Ctor), covered, true);
          const b = withBias ? new Tensor(random(size(covered), 3, Ctor), covered, true) : null;
          const y = scale(x, s, b, axis);
          const yRef = new Ctor(x.size);
          scaleForwardNaive(yRef, x.data, s.data, b?.data ?? null, g);
          expect(y.data).toBeAllClose(yRef, { atol: 0, rtol: 0 });
          const dy = random(x.size, 4, Ctor);
          backward(y, dy);
          const [dx, ds, db] = [new Ctor(x.size), new Ctor(s.size), new Ctor(s.size)];
          scaleBackwardNaive(dx, ds, db, dy, x.data, s.data, g);
          expect(x.grad!).toBeAllClose(dx, { atol: 0, rtol: 0 });
          // The sums run in the same order; only where they start differs (0 + Σ vs Σ).
          expect(s.grad!).toBeAllClose(ds, { atol: 1e-6, rtol: 1e-6 });
          if (b !== null) expect(b.grad!).toBeAllClose(db, { atol: 1e-6, rtol: 1e-6 });
        });
      }
    }
  }

  it("bias adds, and sends dy to x and its sums to the bias", () => {
    const x = new Tensor(Float64Array.from([1, 2, 3, 4, 5, 6]), [1, 2, 3], true);
    const b = new Tensor(Float64Array.from([10, 20]), [2], true);
    const y = bias(x, b, 1);
    expect(Array.from(y.data)).toEqual([11, 12, 13, 24, 25, 26]);
    backward(y, Float64Array.from([1, 2, 3, 4, 5, 6]));
    expect(Array.from(x.grad!)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(Array.from(b.grad!)).toEqual([6, 15]);
  });

  it("gives a second bottom its gradient and leaves a constant scale without one", () => {
    const x = new Tensor(Float64Array.from([1, 2, 3, 4]), [2, 2], true);
    const learned = new Tensor(Float64Array.from([3, -1]), [2]);
    backward(scale(x, learned, null, 1), Float64Array.from([1, 1, 1, 1]));
    expect(learned.grad).toBeNull();
    const second = new Tensor(Float64Array.from([3, -1]), [2], true);
    backward(scale(x, second, null, 1), Float64Array.from([1, 1, 1, 1]));
    expect(Array.from(second.grad!)).toEqual([1 + 3, 2 + 4]); // Σ_o dy·x per entry
  });
});

describe("scale's range kernels", () => {
  it("write only their rows [start, end) or scale entries, as the whole-blob twin there", () => {
    const g = { outer: 2, D: 3, inner: 4 },
      n = 24,
      SENTINEL = 7;
    const x = random(n, 1, Float64Array),
      s = random(3, 2, Float64Array),
      b = random(3, 3, Float64Array),
      dy = random(n, 4, Float64Array);
    const y = new Float64Array(n).fill(SENTINEL),
      yRef = new Float64Array(n);
    scaleForward(y, x, s, b, g.D, g.inner, 2, 5); // rows 2…4: (o 0, d 2), (o 1, d 0), (o 1, d 1)
    scaleForwardNaive(yRef, x, s, b, g);
    expect(Array.from(y.subarray(0, 8))).toEqual(Array(8).fill(SENTINEL));
    expect(Array.from(y.subarray(20))).toEqual(Array(4).fill(SENTINEL));
    expect(Array.from(y.subarray(8, 20))).toEqual(Array.from(yRef.subarray(8, 20)));
    const dx = new Float64Array(n).fill(SENTINEL),
      dxRef = new Float64Array(n).fill(SENTINEL);
    scaleBackward(dx, dy, s, g.D, g.inner, 0, 1);
    scaleBackwardNaive(dxRef, null, null, dy, x, s, g);
    expect(Array.from(dx.subarray(0, 4))).toEqual(Array.from(dxRef.subarray(0, 4)));
    expect(Array.from(dx.subarray(4))).toEqual(Array(20).fill(SENTINEL));
    const ds = new Float64Array(3),
      db = new Float64Array(3),
      dsRef = new Float64Array(3),
      dbRef = new Float64Array(3);
    scaleParamBackward(ds, db, dy, x, g, 1, 2);
    scaleBackwardNaive(null, dsRef, dbRef, dy, x, s, g);
    expect([ds[0], ds[2], db[0], db[2]]).toEqual([0, 0, 0, 0]);
    expect(ds[1]).toBeCloseTo(dsRef[1]!, 14);
    expect(db[1]).toBeCloseTo(dbRef[1]!, 14);
  });
});

describe("scale on threads", () => {
  beforeAll(() => threadsReady(2));
  afterAll(() => shutdownThreads());

  it("gives the same bits on 1 and 2 threads: output, dx, dscale and dbias", () => {
    const shape = [3, 23, 31, 37]; // > 2¹⁶ values, odd rows
    const compute = (): number[][] => {
      const f32 = (n: number): Float32Array => allocFloats("float32", n) as Float32Array;
      const x = new Tensor(random(size(shape), 1, f32), shape, true);
      const s = new Tensor(random(23, 2, f32), [23], true),
        b = new Tensor(random(23, 3, f32), [23], true);
      const y = scale(x, s, b, 1);
      backward(y, random(y.size, 4, f32));
      return [y.data, x.grad!, s.grad!, b.grad!].map((a) => Array.from(a));
    };
    const one = withThreads(1, compute);
    const two = withThreads(2, compute);
    two.forEach((a, k) => {
      expect(a, `array ${k}`).toEqual(one[k]);
    });
  });
});
