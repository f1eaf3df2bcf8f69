import { describe, expect, it } from "vitest";
import { backward } from "../../src/autograd/tape.js";
import { gradcheck } from "../../src/autograd/gradcheck.js";
import { relu } from "../../src/layers/relu.js";
import { Tensor } from "../../src/tensor/tensor.js";
import { GRADCHECK_TOLERANCE } from "../gradcheck/cases.js";
import { layerCases } from "../gradcheck/layers.cases.js";

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

describe("relu gradcheck", () => {
  it.each(layerCases.filter((c) => c.op === "relu"))("$name", (c) => {
    expect(gradcheck(c.f, c.inputs()).maxRelativeError).toBeLessThan(GRADCHECK_TOLERANCE);
  });
});
