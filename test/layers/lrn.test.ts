import { describe, expect, it } from "vitest";
import { randomTensor } from "../../src/autograd/gradcheck.js";
import { lrn, lrnBackward, lrnBackwardNaive, lrnForward, lrnForwardNaive, lrnGeometry, type LrnParams } from "../../src/layers/lrn.js";
import { Tensor, type DType } from "../../src/tensor/tensor.js";

const googlenet: LrnParams = { localSize: 5, alpha: 1e-4, beta: 0.75, k: 1, region: "across" };

describe("lrn: hand-computed examples", () => {
  it("across channels: the window is clipped at the first and last channel, the divisor stays n", () => {
    // One pixel, channels [1, 2, 3], n = 3, α = 3 (α/n = 1), β = 1, k = 1:
    // scale = 1 + [1+4, 1+4+9, 4+9] = [6, 15, 14].
    const x = new Tensor(Float64Array.from([1, 2, 3]), [1, 3, 1, 1]);
    const y = lrn(x, { localSize: 3, alpha: 3, beta: 1, k: 1, region: "across" });
    expect(y.data).toBeAllClose([1 / 6, 2 / 15, 3 / 14], { atol: 0, rtol: 1e-15 });
  });

  it("across channels with GoogLeNet's parameters (β = 0.75 takes the square-root path)", () => {
    const x = new Tensor(Float32Array.from([0, 50, -120, 7]), [1, 4, 1, 1]);
    const y = lrn(x, googlenet);
    const sq = [0, 2500, 14400, 49];
    const windows = [
      [0, 1, 2],
      [0, 1, 2, 3],
      [0, 1, 2, 3],
      [1, 2, 3],
    ];
    const expected = windows.map((w, c) => x.data[c]! * (1 + (1e-4 / 5) * w.reduce((a, i) => a + sq[i]!, 0)) ** -0.75);
    expect(y.data).toBeAllClose(expected, { atol: 0, rtol: 1e-6 });
  });

  it("within channel: scale = 1 + α·(n×n window sum of x²)/n², padding counted as zeros", () => {
    // A 3×3 plane of ones, n = 3, α = 9, β = 1: scale = 1 + (cells of the window in the image),
    // i.e. 5 at the corners, 7 on the edges, 10 in the centre. k is not used.
    const x = new Tensor(new Float64Array(9).fill(1), [1, 1, 3, 3]);
    const y = lrn(x, { localSize: 3, alpha: 9, beta: 1, k: 123, region: "within" });
    expect(y.data).toBeAllClose(
      [5, 7, 5, 7, 10, 7, 5, 7, 5].map((s) => 1 / s),
      { atol: 0, rtol: 1e-15 },
    );
  });

  it("keeps the input's dtype and shape", () => {
    const y = lrn(Tensor.zeros([2, 3, 4, 5], "float32"), googlenet);
    expect(y.data).toBeInstanceOf(Float32Array);
    expect(y.shape).toEqual([2, 3, 4, 5]);
    expect(y.node).toBeNull();
  });
});

describe("lrn: bad arguments", () => {
  it("rejects an even localSize, as Caffe does", () => {
    expect(() => lrn(Tensor.zeros([1, 4, 2, 2]), { ...googlenet, localSize: 4 })).toThrow(
      "lrn: localSize must be a positive odd integer (as in Caffe), got 4",
    );
  });
  it("rejects non-4-D input", () => {
    expect(() => lrn(Tensor.zeros([4, 2, 2]), googlenet)).toThrow("lrn: input must be 4-D [N, C, H, W], got [4, 2, 2]");
  });
  it("rejects an unknown region", () => {
    expect(() => lrn(Tensor.zeros([1, 1, 2, 2]), { ...googlenet, region: "diagonal" as "across" })).toThrow(
      'lrn: unknown region "diagonal"',
    );
  });
});

// Channel counts around the window (1, 2, 3 clip it on both sides), odd plane sizes, several
// window sizes, and β other than 0.75 for the general exp∘log path.
const awkward: Array<[number[], LrnParams]> = [
  [[1, 1, 1, 1], { localSize: 5, alpha: 0.5, beta: 0.75, k: 1, region: "across" }],
  [[2, 2, 3, 7], { localSize: 3, alpha: 2, beta: 0.75, k: 1, region: "across" }],
  [[1, 3, 7, 3], { localSize: 5, alpha: 1.5, beta: 0.6, k: 2, region: "across" }],
  [[1, 7, 5, 5], { localSize: 1, alpha: 1, beta: 0.75, k: 1, region: "across" }],
  [[1, 65, 7, 9], { localSize: 5, alpha: 1, beta: 0.75, k: 1, region: "across" }],
  [[2, 63, 3, 3], { localSize: 7, alpha: 3, beta: 1.3, k: 0.5, region: "across" }],
  [[1, 2, 63, 65], { localSize: 5, alpha: 4, beta: 0.75, k: 1, region: "across" }],
  [[1, 2, 7, 7], { localSize: 3, alpha: 2, beta: 0.75, k: 1, region: "within" }],
  [[2, 3, 1, 9], { localSize: 5, alpha: 3, beta: 0.5, k: 1, region: "within" }],
  [[1, 1, 63, 65], { localSize: 7, alpha: 5, beta: 0.75, k: 1, region: "within" }],
];

describe.each(["float32", "float64"] as DType[])("fast kernels match the naive twins (%s)", (dtype) => {
  it.each(awkward)("%j %j", (shape, p) => {
    const g = lrnGeometry(shape, p);
    const x = randomTensor(shape, 9, -2, 2).to(dtype).data;
    const y = x.slice().fill(0),
      scale = x.slice().fill(0);
    const yRef = y.slice(),
      scaleRef = y.slice();
    lrnForward(y, scale, x, g);
    lrnForwardNaive(yRef, scaleRef, x, g);
    expect(scale).toBeAllClose(scaleRef, { rtol: 1e-6, atol: 0 });
    expect(y).toBeAllClose(yRef, { rtol: 1e-5, atol: 1e-7 });

    const dy = randomTensor(shape, 10).to(dtype).data;
    const dx = x.slice().fill(0.25),
      dxRef = x.slice().fill(0.25); // backward accumulates
    lrnBackward(dx, dy, x, y, scale, g);
    lrnBackwardNaive(dxRef, dy, x, g);
    expect(dx).toBeAllClose(dxRef, { rtol: 1e-5, atol: 1e-6 });
  });
});
