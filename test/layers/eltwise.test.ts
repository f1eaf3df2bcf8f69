import { describe, expect, it } from "vitest";
import { backward } from "../../src/autograd/tape.js";
import { eltwise, type EltwiseOp } from "../../src/layers/eltwise.js";
import { Tensor } from "../../src/tensor/tensor.js";

const t = (values: number[], requiresGrad = false): Tensor => new Tensor(Float64Array.from(values), [values.length], requiresGrad);

describe("eltwise", () => {
  it("sum, with and without coefficients", () => {
    expect(eltwise([t([1, 2]), t([10, 20])], "sum").data).toBeAllClose([11, 22], { atol: 0, rtol: 0 });
    expect(eltwise([t([1, 2]), t([10, 20])], "sum", [2, -1]).data).toBeAllClose([-8, -16], { atol: 0, rtol: 0 });
  });

  it("prod, and its gradient where an input is zero (the product of the others)", () => {
    const a = t([2, 0], true),
      b = t([3, 5], true);
    const y = eltwise([a, b], "prod");
    expect(y.data).toBeAllClose([6, 0], { atol: 0, rtol: 0 });
    backward(y);
    expect(a.grad).toBeAllClose([3, 5], { atol: 0, rtol: 0 });
    expect(b.grad).toBeAllClose([2, 0], { atol: 0, rtol: 0 });
  });

  it("max routes each gradient to the input that won; the first one on a tie", () => {
    const a = t([1, 5, 2], true),
      b = t([4, 5, 0], true),
      c = t([3, 1, 2], true);
    const y = eltwise([a, b, c], "max");
    expect(y.data).toBeAllClose([4, 5, 2], { atol: 0, rtol: 0 });
    backward(y, Float64Array.from([10, 20, 30]));
    expect(a.grad).toBeAllClose([0, 20, 30], { atol: 0, rtol: 0 });
    expect(b.grad).toBeAllClose([10, 0, 0], { atol: 0, rtol: 0 });
    expect(c.grad).toBeAllClose([0, 0, 0], { atol: 0, rtol: 0 });
  });

  it("skips inputs that need no gradient and keeps the dtype", () => {
    const a = new Tensor(Float32Array.from([1, 2]), [2], true),
      b = new Tensor(Float32Array.from([3, 4]), [2]);
    const y = eltwise([a, b], "sum", [1, 3]);
    expect(y.data).toBeInstanceOf(Float32Array);
    backward(y);
    expect(a.grad).toBeAllClose([1, 1], { atol: 0, rtol: 0 });
    expect(b.grad).toBeNull();
  });

  it("names mismatched shapes", () => {
    expect(() => eltwise([Tensor.zeros([1, 2, 3]), Tensor.zeros([1, 3, 2])], "sum")).toThrow(
      "eltwise sum: input 1 has shape [1, 3, 2] but input 0 has [1, 2, 3]; shapes must match",
    );
  });

  it("rejects bad coefficients, no inputs, unknown operations and mixed dtypes", () => {
    expect(() => eltwise([t([1]), t([2])], "sum", [1])).toThrow("eltwise sum: 1 coefficients for 2 inputs; give one per input");
    expect(() => eltwise([t([1]), t([2])], "prod", [1, 1])).toThrow('eltwise prod: coefficients are only allowed for "sum"');
    expect(() => eltwise([], "max")).toThrow("eltwise max: needs at least one input");
    expect(() => eltwise([t([1])], "min" as EltwiseOp)).toThrow('eltwise: unknown operation "min"');
    expect(() => eltwise([Tensor.zeros([1], "float32"), Tensor.zeros([1], "float64")], "sum")).toThrow(TypeError); // the one dtype error of every op
    expect(() => eltwise([Tensor.zeros([1], "float32"), Tensor.zeros([1], "float64")], "sum")).toThrow(
      "eltwise sum: inputs must share a dtype, got float32, float64",
    );
  });
});
