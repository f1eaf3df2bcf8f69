import { describe, expect, it } from "vitest";
import { backward } from "../../src/autograd/tape.js";
import { randomTensor } from "../../src/autograd/gradcheck.js";
import { softmax } from "../../src/layers/softmax.js";
import { Tensor } from "../../src/tensor/tensor.js";

describe("softmax", () => {
  it("softmax(0, ln 2, ln 3) = (1, 2, 3)/6", () => {
    const y = softmax(new Tensor(Float64Array.from([0, Math.log(2), Math.log(3)]), [1, 3]));
    expect(y.data).toBeAllClose([1 / 6, 2 / 6, 3 / 6], { atol: 0, rtol: 1e-14 });
  });

  it("is stable for large inputs (the maximum is subtracted)", () => {
    const y = softmax(new Tensor(Float32Array.from([1000, 1001]), [1, 2])); // exp(1000) = Infinity
    expect(y.data).toBeAllClose([1 / (1 + Math.E), Math.E / (1 + Math.E)], { atol: 0, rtol: 1e-6 });
  });

  it("normalizes across channels at every spatial position, as Caffe", () => {
    const x = randomTensor([2, 4, 3, 5], 1, -3, 3);
    const y = softmax(x, 1);
    const C = 4,
      P = 15;
    const expected = new Float64Array(x.size);
    for (let n = 0; n < 2; n++) {
      for (let p = 0; p < P; p++) {
        const at = (c: number): number => (n * C + c) * P + p;
        let z = 0;
        for (let c = 0; c < C; c++) z += Math.exp(x.data[at(c)]!);
        for (let c = 0; c < C; c++) expected[at(c)] = Math.exp(x.data[at(c)]!) / z;
      }
    }
    expect(y.data).toBeAllClose(expected, { atol: 0, rtol: 1e-13 });
  });

  it("takes negative axes from the end", () => {
    const x = randomTensor([3, 2, 4], 2);
    expect(softmax(x, -1).data).toBeAllClose(softmax(x, 2).data, { atol: 0, rtol: 0 });
  });

  it("backward: dx = y ⊙ (dy − Σ dy⊙y); a constant dy gives zero", () => {
    const x = new Tensor(Float64Array.from([0.5, -1, 2]), [1, 3], true);
    backward(softmax(x), Float64Array.from([7, 7, 7]));
    expect(x.grad).toBeAllClose([0, 0, 0], { atol: 1e-14, rtol: 0 });
  });

  it("rejects an axis out of range", () => {
    expect(() => softmax(Tensor.zeros([2, 3]), 2)).toThrow("softmax: axis 2 is out of range for 2-D input [2, 3]");
  });
});
