// The reshape op behind Caffe's Flatten and Reshape (src/layers/reshape.ts): a view of the same
// values, whose gradient is dy under the input's shape.
import { describe, expect, it } from "vitest";
import { backward } from "../../src/autograd/tape.js";
import { eltwise } from "../../src/layers/eltwise.js";
import { reshape } from "../../src/layers/reshape.js";
import { Tensor } from "../../src/tensor/tensor.js";

describe("reshape", () => {
  it("reads the same array under the new shape, without a copy", () => {
    const x = new Tensor(Float32Array.from([1, 2, 3, 4, 5, 6]), [1, 2, 3, 1]);
    const y = reshape(x, [1, 6]);
    expect(y.shape).toEqual([1, 6]);
    expect(y.data).toBe(x.data);
  });

  it("hands dy back as the input's gradient, summed with the input's other uses", () => {
    const x = new Tensor(Float64Array.from([1, 2, 3, 4]), [1, 1, 2, 2], true);
    const y = reshape(x, [4]);
    // L = ⟨dy, y⟩ + Σ x·x (through eltwise): dL/dx = dy + 2x.
    const sq = eltwise([x, x], "prod");
    backward([y, sq], [Float64Array.from([10, 20, 30, 40]), Float64Array.from([1, 1, 1, 1])]);
    expect(x.grad).toBeAllClose([12, 24, 36, 48], { atol: 0, rtol: 0 });
  });

  it("refuses a shape of another size", () => {
    expect(() => reshape(Tensor.zeros([2, 3]), [4])).toThrow("reshape: [2, 3] has 6 values but [4] holds 4");
  });
});
