import { describe, expect, it } from "vitest";
import { backward } from "../../src/autograd/tape.js";
import { relu, reluBackwardInThreads, reluBackwardNaive, reluForwardInThreads, reluForwardNaive } from "../../src/layers/relu.js";
import { fillUniform } from "../../src/tensor/random.js";
import { Tensor } from "../../src/tensor/tensor.js";

describe("relu", () => {
  it("zeroes negatives, keeps positives", () => {
    const y = relu(new Tensor(Float32Array.from([-2, -0.5, 0, 0.5, 3]), [5]));
    expect(y.data).toBeInstanceOf(Float32Array);
    expect(y.data).toBeAllClose([0, 0, 0, 0.5, 3], { atol: 0, rtol: 0 });
  });

  it("scales negatives by a leaky slope", () => {
    const y = relu(new Tensor(Float64Array.from([-2, 0, 3]), [3]), 0.1);
    expect(y.data).toBeAllClose([-0.2, 0, 3], { atol: 0, rtol: 1e-15 });
  });

  it("passes the gradient where x > 0 and slope·dy elsewhere, x = 0 included (as Caffe)", () => {
    const x = new Tensor(Float64Array.from([-1, 0, 2]), [3], true);
    backward(relu(x, 0.25), Float64Array.from([4, 4, 4]));
    expect(x.grad).toBeAllClose([1, 1, 4], { atol: 0, rtol: 0 });
  });

  it("does not write into its input", () => {
    const x = new Tensor(Float64Array.from([-1, 1]), [2]);
    relu(x);
    expect(x.data).toBeAllClose([-1, 1], { atol: 0, rtol: 0 });
  });
});

describe("branch-free relu kernels vs their naive twins", () => {
  for (const Ctor of [Float32Array, Float64Array]) {
    for (const n of [1, 7, 63, 65, 1000]) {
      for (const slope of [0, 0.1]) {
        it(`${Ctor.name} n=${n} slope=${slope}: identical results`, () => {
          const x = fillUniform(new Ctor(n), n);
          if (n > 3) x[2] = 0; // x = 0 takes the slope, as in Caffe
          const dy = fillUniform(new Ctor(n), n + 1);
          const y = new Ctor(n),
            yRef = new Ctor(n);
          reluForwardInThreads(y, x, slope);
          reluForwardNaive(yRef, x, slope);
          expect(y).toBeAllClose(yRef, { atol: 0, rtol: 0 });
          const dx = new Ctor(n).fill(0.5),
            dxRef = new Ctor(n).fill(0.5); // accumulates
          reluBackwardInThreads(dx, dy, x, slope);
          reluBackwardNaive(dxRef, dy, x, slope);
          expect(dx).toBeAllClose(dxRef, { atol: 0, rtol: 0 });
        });
      }
    }
  }

  it("writes +0, not −0, for negative inputs", () => {
    const y = new Float32Array(2);
    reluForwardInThreads(y, Float32Array.from([-3, -0]), 0);
    expect(Object.is(y[0], 0) && Object.is(y[1], 0)).toBe(true);
  });
});
