// Caffe Slice (src/layers/slice.ts): the parts' values by hand, the kernels against their naive
// twins on awkward shapes, the adjoint identity ⟨slice(x), dy⟩ = ⟨x, sliceᵀ(dy)⟩, and concat as
// its inverse.
import { describe, expect, it } from "vitest";
import { backward } from "../../src/autograd/tape.js";
import { concat } from "../../src/layers/concat.js";
import { slice, sliceBackward, sliceBackwardNaive, sliceForward, sliceForwardNaive, sliceGeometry } from "../../src/layers/slice.js";
import { Tensor } from "../../src/tensor/tensor.js";
import { random } from "../random.js";

const ramp = (shape: number[], requiresGrad = false): Tensor =>
  new Tensor(
    Float64Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, i) => i),
    shape,
    requiresGrad,
  );
const exact = { atol: 0, rtol: 0 };

describe("slice", () => {
  it("cuts the channels of each image into consecutive parts", () => {
    // [2, 3, 1, 2]: image 0 holds 0…5, image 1 holds 6…11; parts of 1 and 2 channels.
    const [a, b] = slice(ramp([2, 3, 1, 2]), [1, 2], 1);
    expect(a!.shape).toEqual([2, 1, 1, 2]);
    expect(b!.shape).toEqual([2, 2, 1, 2]);
    expect(a!.data).toBeAllClose([0, 1, 6, 7], exact);
    expect(b!.data).toBeAllClose([2, 3, 4, 5, 8, 9, 10, 11], exact);
  });

  it("cuts along the last axis and the first (a negative axis counts from the end)", () => {
    const [a, b] = slice(ramp([2, 3]), [2, 1], -1);
    expect(a!.data).toBeAllClose([0, 1, 3, 4], exact);
    expect(b!.data).toBeAllClose([2, 5], exact);
    const [top, bottom] = slice(ramp([3, 2]), [1, 2], 0);
    expect(top!.data).toBeAllClose([0, 1], exact);
    expect(bottom!.data).toBeAllClose([2, 3, 4, 5], exact);
  });

  it("writes each top's gradient into its own part, and the tape sums the tops", () => {
    const x = ramp([1, 4, 1, 1], true);
    const [a, b, c] = slice(x, [1, 2, 1]);
    // Only a and c reach the loss: b's part of dx stays 0.
    backward([a!, c!], [Float64Array.from([10]), Float64Array.from([30])]);
    expect(x.grad).toBeAllClose([10, 0, 0, 30], exact);
    expect(b!.requiresGrad).toBe(true);
  });

  it("keeps the dtype, and concatenating the parts gives the input back", () => {
    const x = new Tensor(random(2 * 7 * 3 * 5, 1, Float32Array), [2, 7, 3, 5]);
    const parts = slice(x, [3, 0, 4], 1);
    for (const p of parts) expect(p.data).toBeInstanceOf(Float32Array);
    expect(parts[1]!.shape).toEqual([2, 0, 3, 5]);
    expect(concat(parts, 1).data).toBeAllClose(x.data, exact);
  });

  it("refuses parts that do not add up to the axis", () => {
    expect(() => slice(ramp([1, 4, 2, 2]), [1, 2], 1)).toThrow("slice: parts [1, 2] do not cut axis 1 of [1, 4, 2, 2], of size 4");
    expect(() => slice(ramp([1, 4]), [4], 2)).toThrow("slice: axis 2 is out of range for 2-D input [1, 4]");
  });
});

describe("slice kernels vs their naive twins", () => {
  const cases: Array<[number[], number, number[]]> = [
    [[1, 7], 1, [1, 6]],
    [[2, 63, 1], 1, [31, 1, 31]],
    [[3, 5, 65], 2, [64, 1]],
    [[65, 2, 3], 0, [7, 0, 58]],
    [[1, 1, 7, 9], 3, [2, 3, 4]],
  ];
  for (const Ctor of [Float32Array, Float64Array]) {
    for (const [shape, axis, sizes] of cases) {
      it(`${Ctor.name} [${shape.join(", ")}] axis ${axis} into [${sizes.join(", ")}]: identical results`, () => {
        const g = sliceGeometry(shape, axis, sizes);
        const n = shape.reduce((a, b) => a * b, 1);
        const partLength = (s: number) => g.outer * s * g.inner;
        const x = random(n, n, Ctor);
        const ys = sizes.map((s) => new Ctor(partLength(s)).fill(7)),
          ysRef = sizes.map((s) => new Ctor(partLength(s)));
        sliceForward(ys, x, g);
        sliceForwardNaive(ysRef, x, g);
        ys.forEach((y, k) => {
          expect(y).toBeAllClose(ysRef[k]!, exact);
        });

        const dys = sizes.map((s, k) => (k === 1 ? null : random(partLength(s), 10 + k, Ctor)));
        const dx = random(n, 3, Ctor), // accumulates
          dxRef = dx.slice();
        sliceBackward(dx, dys, g);
        sliceBackwardNaive(dxRef, dys, g);
        expect(dx).toBeAllClose(dxRef, exact);
      });
    }
  }

  it("satisfies the adjoint identity ⟨slice(x), dy⟩ = ⟨x, sliceᵀ(dy)⟩", () => {
    const g = sliceGeometry([3, 11, 5], 1, [4, 2, 5]);
    const x = random(3 * 11 * 5, 5, Float64Array);
    const dys = g.sizes.map((s, k) => random(3 * s * 5, 20 + k, Float64Array));
    const ys = g.sizes.map((s) => new Float64Array(3 * s * 5));
    sliceForward(ys, x, g);
    const dx = new Float64Array(x.length);
    sliceBackward(dx, dys, g);
    const dot = (a: Float64Array, b: Float64Array) => a.reduce((acc, v, i) => acc + v * b[i]!, 0);
    const lhs = ys.reduce((acc, y, k) => acc + dot(y, dys[k]!), 0);
    expect(lhs).toBeCloseTo(dot(x, dx), 12);
  });
});
