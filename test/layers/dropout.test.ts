import { describe, expect, it } from "vitest";
import { backward } from "../../src/autograd/tape.js";
import { gradcheck } from "../../src/autograd/gradcheck.js";
import { dropout } from "../../src/layers/dropout.js";
import { relu } from "../../src/layers/relu.js";
import { Tensor } from "../../src/tensor/tensor.js";
import { GRADCHECK_TOLERANCE } from "../gradcheck/cases.js";
import { layerCases } from "../gradcheck/layers.cases.js";

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

describe("dropout gradcheck", () => {
  it.each(layerCases.filter((c) => c.op === "dropout"))("$name", (c) => {
    expect(gradcheck(c.f, c.inputs()).maxRelativeError).toBeLessThan(GRADCHECK_TOLERANCE);
  });
});
