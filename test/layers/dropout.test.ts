import { describe, expect, it } from "vitest";
import { backward } from "../../src/autograd/tape.js";
import { dropout } from "../../src/layers/dropout.js";
import { relu } from "../../src/layers/relu.js";
import { Tensor } from "../../src/tensor/tensor.js";

describe("dropout (inference)", () => {
  it("is the identity: returns its input itself", () => {
    const x = new Tensor(Float32Array.from([1, -2, 3]), [3]);
    expect(dropout(x)).toBe(x);
  });

  it("lets the gradient through unchanged", () => {
    const x = new Tensor(Float64Array.from([1, -2, 3]), [3], true);
    backward(dropout(relu(x)), Float64Array.from([5, 6, 7]));
    expect(x.grad).toBeAllClose([5, 0, 7], { atol: 0, rtol: 0 });
  });
});
