import { describe, expect, it } from "vitest";
import { randomTensor } from "../../src/autograd/gradcheck.js";
import { backward } from "../../src/autograd/tape.js";
import {
  innerProduct,
  innerProductBackward,
  innerProductBackwardNaive,
  innerProductForward,
  innerProductForwardNaive,
  type InnerProductGeometry,
} from "../../src/layers/inner-product.js";
import { Tensor } from "../../src/tensor/tensor.js";
import { random } from "../random.js";

const geometries: InnerProductGeometry[] = [
  { M: 1, K: 1, N: 1, transpose: false },
  { M: 1, K: 1024, N: 7, transpose: false }, // a classifier on one image
  { M: 3, K: 65, N: 63, transpose: false },
  { M: 7, K: 3, N: 130, transpose: true },
  { M: 65, K: 300, N: 5, transpose: true },
];

describe("innerProduct kernels vs naive twins", () => {
  for (const [Type, rtol] of [
    [Float32Array, 1e-5],
    [Float64Array, 1e-12],
  ] as const) {
    for (const g of geometries) {
      it(`${Type.name} M=${g.M} K=${g.K} N=${g.N} transpose=${g.transpose}`, () => {
        const { M, K, N } = g;
        const x = random(M * K, 1, Type),
          w = random(N * K, 2, Type),
          bias = random(N, 3, Type);
        const atol = rtol * 10;
        for (const b of [bias, null]) {
          const y = random(M * N, 4, Type),
            yRef = new Type(M * N);
          innerProductForward(y, x, w, b, g);
          innerProductForwardNaive(yRef, x, w, b, g);
          expect(y).toBeAllClose(yRef, { rtol, atol });
        }
        const dy = random(M * N, 5, Type);
        const dx = random(M * K, 6, Type),
          dw = random(N * K, 7, Type),
          db = random(N, 8, Type);
        const dxRef = dx.slice(),
          dwRef = dw.slice(),
          dbRef = db.slice();
        innerProductBackward(dx, dw, db, dy, x, w, g);
        innerProductBackwardNaive(dxRef, dwRef, dbRef, dy, x, w, g);
        expect(dx).toBeAllClose(dxRef, { rtol, atol });
        expect(dw).toBeAllClose(dwRef, { rtol, atol });
        expect(db).toBeAllClose(dbRef, { rtol, atol });
      });
    }
  }
});

describe("innerProduct op", () => {
  it("computes y = x·Wᵀ + b on a hand-checked example", () => {
    const x = new Tensor(Float64Array.from([1, 2, 3, 4, 5, 6]), [2, 3]);
    const w = new Tensor(Float64Array.from([1, 0, -1, 2, 1, 0]), [2, 3]);
    const y = innerProduct(x, w, new Tensor(Float64Array.from([10, 20]), [2]));
    expect(y.shape).toEqual([2, 2]);
    expect(y.data).toBeAllClose([1 - 3 + 10, 2 + 2 + 20, 4 - 6 + 10, 8 + 5 + 20], { rtol: 0, atol: 0 });
    const yt = innerProduct(x, new Tensor(Float64Array.from([1, 2, 0, 1, -1, 0]), [3, 2]), null, { transpose: true });
    expect(yt.data).toBeAllClose([1 - 3, 2 + 2, 4 - 6, 8 + 5], { rtol: 0, atol: 0 });
  });

  it("flattens from axis and keeps the leading shape (GoogLeNet's classifier)", () => {
    const x = new Tensor(new Float32Array(2 * 1024), [2, 1024, 1, 1]);
    const y = innerProduct(x, new Tensor(new Float32Array(10 * 1024), [10, 1024]), null);
    expect(y.shape).toEqual([2, 10]);
    expect(y.data).toBeInstanceOf(Float32Array);
    const z = innerProduct(new Tensor(new Float32Array(24), [2, 3, 4]), new Tensor(new Float32Array(20), [5, 4]), null, { axis: -1 });
    expect(z.shape).toEqual([2, 3, 5]);
  });

  it("computes only dx when the weights do not require a gradient", () => {
    const x = randomTensor([2, 3], 1, -1, 1, true),
      w = randomTensor([4, 3], 2),
      b = randomTensor([4], 3);
    backward(innerProduct(x, w, b));
    expect(w.grad).toBeNull();
    expect(b.grad).toBeNull();
    // dL/dx for L = Σy is Σ_n W[n, :] for every row.
    const colSums = [0, 1, 2].map((k) => [0, 1, 2, 3].reduce((acc, n) => acc + w.data[n * 3 + k]!, 0));
    expect(x.grad!).toBeAllClose([...colSums, ...colSums], { rtol: 1e-12, atol: 1e-12 });
  });

  it("explains weights of the wrong shape, including legacy 4-D blobs", () => {
    const x = new Tensor(new Float32Array(1024), [1, 1024, 1, 1]);
    expect(() => innerProduct(x, new Tensor(new Float32Array(1000 * 1024), [1, 1, 1000, 1024]), null)).toThrow(
      "innerProduct: weights must be [numOutput, K] with K = 1024 (input [1, 1024, 1, 1] flattened from axis 1), " +
        "got [1, 1, 1000, 1024]; reshape legacy 4-D blobs when loading",
    );
    expect(() => innerProduct(x, new Tensor(new Float32Array(1024 * 3), [3, 1024]), null, { transpose: true })).toThrow(
      /weights must be \[K, numOutput\] with K = 1024/,
    );
  });

  it("explains bad axes, biases and dtypes", () => {
    const x = new Tensor(new Float32Array(6), [2, 3]),
      w = new Tensor(new Float32Array(12), [4, 3]);
    expect(() => innerProduct(x, w, null, { axis: 2 })).toThrow("innerProduct: axis 2 is out of range for 2-D input [2, 3]");
    expect(() => innerProduct(x, w, new Tensor(new Float32Array(3), [3]))).toThrow(
      "innerProduct: bias must be [4] for weights [4, 3], got [3]",
    );
    expect(() => innerProduct(x, w.to("float64"), null)).toThrow("innerProduct: inputs must share a dtype, got float32, float64");
  });
});
