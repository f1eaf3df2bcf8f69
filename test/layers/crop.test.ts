// Caffe Crop (src/layers/crop.ts): a window by hand, the kernels against their naive twins on
// awkward shapes and ranks, the backward's zeros outside the window, and the refusals.
import { describe, expect, it } from "vitest";
import { backward } from "../../src/autograd/tape.js";
import { crop, cropBackward, cropBackwardNaive, cropForward, cropForwardNaive, cropGeometry } from "../../src/layers/crop.js";
import { Tensor } from "../../src/tensor/tensor.js";
import { random } from "../random.js";

const ramp = (shape: number[], requiresGrad = false): Tensor =>
  new Tensor(
    Float64Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, i) => i),
    shape,
    requiresGrad,
  );
const exact = { atol: 0, rtol: 0 };

describe("crop", () => {
  it("cuts the window at the offsets out of every plane", () => {
    // [1, 2, 3, 4]: plane 0 holds 0…11 (rows 0–3, 4–7, 8–11), plane 1 holds 12…23.
    const y = crop(ramp([1, 2, 3, 4]), [1, 2, 2, 2], [0, 0, 1, 2]);
    expect(y.shape).toEqual([1, 2, 2, 2]);
    expect(y.data).toBeAllClose([6, 7, 10, 11, 18, 19, 22, 23], exact);
  });

  it("crops every axis, the batch and channels too, and a 1-D tensor", () => {
    expect(crop(ramp([3, 2, 2]), [1, 1, 1], [2, 1, 0]).data).toBeAllClose([10], exact);
    expect(crop(ramp([6]), [3], [2]).data).toBeAllClose([2, 3, 4], exact);
  });

  it("scatters dy into zeros at the window's place", () => {
    const x = ramp([1, 1, 3, 3], true);
    backward(crop(x, [1, 1, 2, 2], [0, 0, 1, 0]), Float64Array.from([1, 2, 3, 4]));
    expect(x.grad).toBeAllClose([0, 0, 0, 1, 2, 0, 3, 4, 0], exact);
  });

  it("keeps the dtype", () => {
    const y = crop(Tensor.zeros([1, 1, 4, 4], "float32"), [1, 1, 2, 2], [0, 0, 1, 1]);
    expect(y.data).toBeInstanceOf(Float32Array);
  });

  it("refuses a window that leaves the input, and offsets of another rank", () => {
    expect(() => crop(ramp([1, 1, 4, 4]), [1, 1, 3, 3], [0, 0, 2, 0])).toThrow(
      "crop: on axis 2, offset 2 + size 3 does not fit in the input's 4",
    );
    expect(() => crop(ramp([1, 1, 4, 4]), [1, 1, 3, 3], [0, 0])).toThrow("need one rank ≥ 1");
    expect(() => crop(ramp([1, 1, 4, 4]), [1, 1, 3, 3], [0, 0, -1, 0])).toThrow("offset -1");
  });
});

describe("crop kernels vs their naive twins", () => {
  const cases: Array<[number[], number[], number[]]> = [
    [[7], [1], [6]],
    [
      [2, 3, 63, 65],
      [2, 3, 7, 1],
      [0, 0, 56, 64],
    ],
    [
      [1, 5, 65, 63],
      [1, 5, 63, 62],
      [0, 0, 1, 1],
    ],
    [
      [3, 7, 9],
      [2, 4, 9],
      [1, 3, 0],
    ],
    [
      [2, 2, 3, 4, 5],
      [1, 2, 2, 3, 1],
      [1, 0, 1, 1, 4],
    ],
    [
      [1, 2, 5, 5],
      [1, 2, 0, 5],
      [0, 0, 5, 0],
    ], // an empty window
  ];
  for (const Ctor of [Float32Array, Float64Array]) {
    for (const [inShape, outShape, offsets] of cases) {
      it(`${Ctor.name} [${inShape.join(", ")}] → [${outShape.join(", ")}] at [${offsets.join(", ")}]: identical results`, () => {
        const g = cropGeometry(inShape, outShape, offsets);
        const n = inShape.reduce((a, b) => a * b, 1),
          m = outShape.reduce((a, b) => a * b, 1);
        const x = random(n, n, Ctor);
        const y = new Ctor(m).fill(7),
          yRef = new Ctor(m);
        cropForward(y, x, g);
        cropForwardNaive(yRef, x, g);
        expect(y).toBeAllClose(yRef, exact);
        const dy = random(m, m + 1, Ctor);
        const dx = random(n, 3, Ctor), // accumulates
          dxRef = dx.slice();
        cropBackward(dx, dy, g);
        cropBackwardNaive(dxRef, dy, g);
        expect(dx).toBeAllClose(dxRef, exact);
      });
    }
  }

  it("satisfies the adjoint identity ⟨crop(x), dy⟩ = ⟨x, cropᵀ(dy)⟩", () => {
    const g = cropGeometry([2, 3, 9, 8], [2, 2, 5, 6], [0, 1, 3, 1]);
    const x = random(2 * 3 * 9 * 8, 1, Float64Array),
      dy = random(2 * 2 * 5 * 6, 2, Float64Array);
    const y = new Float64Array(dy.length),
      dx = new Float64Array(x.length);
    cropForward(y, x, g);
    cropBackward(dx, dy, g);
    const dot = (a: Float64Array, b: Float64Array) => a.reduce((acc, v, i) => acc + v * b[i]!, 0);
    expect(dot(y, dy)).toBeCloseTo(dot(x, dx), 12);
  });
});
