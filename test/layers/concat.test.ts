import { describe, expect, it } from "vitest";
import { backward } from "../../src/autograd/tape.js";
import { concat } from "../../src/layers/concat.js";
import { Tensor } from "../../src/tensor/tensor.js";

const ramp = (shape: number[], from = 0, requiresGrad = false): Tensor => {
  const n = shape.reduce((a, b) => a * b, 1);
  return new Tensor(
    Float64Array.from({ length: n }, (_, i) => from + i),
    shape,
    requiresGrad,
  );
};

describe("concat", () => {
  it("axis 1 (channels) puts each input's planes after the previous input's, per image", () => {
    const a = ramp([2, 1, 1, 2], 0); // image 0: [0, 1], image 1: [2, 3]
    const b = ramp([2, 2, 1, 2], 10); // image 0: [10..13], image 1: [14..17]
    const y = concat([a, b]);
    expect(y.shape).toEqual([2, 3, 1, 2]);
    expect(y.data).toBeAllClose([0, 1, 10, 11, 12, 13, 2, 3, 14, 15, 16, 17], { atol: 0, rtol: 0 });
  });

  it("axis 0 stacks; the last axis interleaves rows", () => {
    expect(concat([ramp([1, 2]), ramp([2, 2], 10)], 0).data).toBeAllClose([0, 1, 10, 11, 12, 13], { atol: 0, rtol: 0 });
    const y = concat([ramp([2, 1]), ramp([2, 2], 10)], -1);
    expect(y.shape).toEqual([2, 3]);
    expect(y.data).toBeAllClose([0, 10, 11, 1, 12, 13], { atol: 0, rtol: 0 });
  });

  it("backward cuts dy back into the inputs' blocks, and skips inputs that need no gradient", () => {
    const a = ramp([2, 1, 2], 0, true),
      b = ramp([2, 2, 2], 0),
      c = ramp([2, 1, 2], 0, true);
    const y = concat([a, b, c], 1);
    backward(
      y,
      Float64Array.from({ length: 16 }, (_, i) => i),
    );
    // dy per image: [a a | b b b b | c c] = [0 1 | 2 3 4 5 | 6 7], [8 9 | 10 … 13 | 14 15]
    expect(a.grad).toBeAllClose([0, 1, 8, 9], { atol: 0, rtol: 0 });
    expect(c.grad).toBeAllClose([6, 7, 14, 15], { atol: 0, rtol: 0 });
    expect(b.grad).toBeNull();
  });

  it("keeps the dtype", () => {
    const y = concat([Tensor.zeros([1, 2], "float32"), Tensor.zeros([1, 3], "float32")], 1);
    expect(y.data).toBeInstanceOf(Float32Array);
  });

  it("names the shapes that do not match", () => {
    expect(() => concat([Tensor.zeros([1, 2, 4, 4]), Tensor.zeros([1, 3, 4, 5])])).toThrow(
      "concat: input 1 has shape [1, 3, 4, 5] but input 0 has [1, 2, 4, 4]; all axes except axis 1 must match",
    );
    expect(() => concat([Tensor.zeros([1, 2]), Tensor.zeros([1, 2, 1])])).toThrow("concat: input 1 has shape [1, 2, 1]");
  });

  it("rejects no inputs, a bad axis and mixed dtypes", () => {
    expect(() => concat([])).toThrow("concat: needs at least one input");
    expect(() => concat([Tensor.zeros([2, 2])], 2)).toThrow("concat: axis 2 is out of range for 2-D input [2, 2]");
    expect(() => concat([Tensor.zeros([2, 2], "float32"), Tensor.zeros([2, 2], "float64")])).toThrow(TypeError); // the one dtype error of every op
    expect(() => concat([Tensor.zeros([2, 2], "float32"), Tensor.zeros([2, 2], "float64")])).toThrow(
      "concat: inputs must share a dtype, got float32, float64",
    );
  });
});
