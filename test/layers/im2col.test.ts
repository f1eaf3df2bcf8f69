import { describe, expect, it } from "vitest";
import { convGeometry, type Conv2dOptions } from "../../src/layers/conv-geometry.js";
import { col2im, col2imNaive, im2col, im2colNaive } from "../../src/layers/im2col.js";
import { fillUniform } from "../../src/tensor/random.js";
import { random } from "../random.js";

function params(p: Conv2dOptions = {}): Conv2dOptions {
  return { stride: [1, 1], pad: [0, 0], dilation: [1, 1], group: 1, ...p };
}

// [input C, H, W], [R, S], params — one image, one group each.
const geometries: Array<{ name: string; x: [number, number, number]; k: [number, number]; p: Conv2dOptions }> = [
  { name: "1×1 on 1×1", x: [1, 1, 1], k: [1, 1], p: params() },
  { name: "3×3 pad 1", x: [3, 7, 7], k: [3, 3], p: params({ pad: [1, 1] }) },
  { name: "3×3 stride 2 on odd size", x: [2, 9, 7], k: [3, 3], p: params({ stride: [2, 2] }) },
  { name: "7×7 stride 2 pad 3 (conv1)", x: [3, 13, 11], k: [7, 7], p: params({ stride: [2, 2], pad: [3, 3] }) },
  { name: "pad > kernel/2", x: [2, 5, 6], k: [3, 2], p: params({ pad: [3, 2] }) },
  { name: "1×1 with pad 2 and stride 3", x: [1, 4, 5], k: [1, 1], p: params({ pad: [2, 2], stride: [3, 3] }) },
  { name: "dilation 2", x: [2, 9, 8], k: [3, 3], p: params({ dilation: [2, 2], pad: [1, 2] }) },
  { name: "non-square everything", x: [3, 10, 7], k: [5, 2], p: params({ stride: [3, 1], pad: [2, 0], dilation: [1, 3] }) },
  { name: "wide image, 65 columns", x: [1, 3, 65], k: [3, 3], p: params({ pad: [1, 1] }) },
  // Stride-1 rows of ≥ 32 values are copied as blocks; around the threshold, clipped by the pad.
  { name: "5×5 pad 2 on 63 columns (block copies)", x: [2, 4, 63], k: [5, 5], p: params({ pad: [2, 2] }) },
  { name: "3×3 pad 1 on 33 columns (31–33 valid)", x: [1, 3, 33], k: [3, 3], p: params({ pad: [1, 1] }) },
];

describe("convGeometry", () => {
  it("rounds the output size down like Caffe", () => {
    // (224 + 6 − 7) / 2 + 1 = 112.5 → 112: GoogLeNet conv1/7x7_s2.
    const g = convGeometry([10, 3, 224, 224], [64, 3, 7, 7], params({ stride: [2, 2], pad: [3, 3] }));
    expect([g.OH, g.OW]).toEqual([112, 112]);
    // Dilation 2 makes a 3×3 kernel span 5×5: (9 − 5) / 1 + 1 = 5; width (8 + 2 − 5) / 2 + 1 = 3.
    const d = convGeometry([1, 4, 9, 8], [6, 2, 3, 3], params({ dilation: [2, 2], pad: [0, 1], stride: [1, 2], group: 2 }));
    expect(d).toMatchObject({ N: 1, C: 4, K: 6, R: 3, S: 3, groups: 2, OH: 5, OW: 3 });
  });

  it("takes conv2d's options as they are: absent ones are Caffe's defaults", () => {
    // One vocabulary: the same Conv2dOptions that conv2d takes, partial or empty.
    const full = convGeometry([1, 2, 9, 8], [4, 2, 3, 3], params());
    expect(convGeometry([1, 2, 9, 8], [4, 2, 3, 3])).toEqual(full);
    expect(convGeometry([1, 2, 9, 8], [4, 2, 3, 3], { stride: undefined, relu: 0 })).toEqual(full);
    expect(convGeometry([1, 2, 9, 8], [4, 2, 3, 3], { pad: [1, 2] })).toMatchObject({
      strideH: 1,
      strideW: 1,
      padH: 1,
      padW: 2,
      dilationH: 1,
      dilationW: 1,
      groups: 1,
      OH: 9,
      OW: 10,
    });
  });

  it("explains bad channel counts and groups", () => {
    expect(() => convGeometry([1, 6, 5, 5], [8, 3, 3, 3], params({ group: 4 }))).toThrow(
      "conv2d: input has 6 channels, not divisible by group 4",
    );
    expect(() => convGeometry([1, 6, 5, 5], [9, 3, 3, 3], params({ group: 2 }))).toThrow(
      "conv2d: weights have 9 output channels, not divisible by group 2",
    );
    expect(() => convGeometry([1, 6, 5, 5], [8, 3, 3, 3], params())).toThrow(
      "conv2d: weights [8, 3, 3, 3] expect 3 input channels per group, but input [1, 6, 5, 5] with group 1 has 6",
    );
  });

  it("says how large the input must be when the output would be empty", () => {
    expect(() => convGeometry([1, 1, 4, 9], [1, 1, 5, 5], params({ pad: [0, 0] }))).toThrow(
      "conv2d: output would be empty: input 4×9 is smaller than the 5×5 (dilated) kernel with pad 0×0; the input must be at least 5×5",
    );
    expect(() => convGeometry([1, 1, 2, 2], [1, 1, 3, 3], params({ dilation: [3, 3], pad: [1, 1] }))).toThrow(/input must be at least 5×5/);
  });

  it("rejects bad ranks and hyper-parameters", () => {
    expect(() => convGeometry([3, 5, 5], [1, 3, 3, 3], params())).toThrow("conv2d: input must be 4-D [N, C, H, W], got [3, 5, 5]");
    expect(() => convGeometry([1, 3, 5, 5], [3, 3, 3], params())).toThrow(/weights must be 4-D/);
    expect(() => convGeometry([1, 3, 5, 5], [1, 3, 3, 3], params({ stride: [0, 1] }))).toThrow(
      "conv2d: stride must be positive integers, got 0, 1",
    );
    expect(() => convGeometry([1, 3, 5, 5], [1, 3, 3, 3], params({ pad: [-1, 0] }))).toThrow(/pad must be non-negative/);
    expect(() => convGeometry([1, 3, 5, 5], [1, 3, 3, 3], params({ group: 1.5 }))).toThrow(/group must be positive/);
  });
});

describe("im2col / col2im", () => {
  for (const {
    name,
    x: [C, H, W],
    k: [R, S],
    p,
  } of geometries) {
    const g = convGeometry([1, C, H, W], [1, C, R, S], p);
    const colSize = C * R * S * g.OH * g.OW;

    it(`match their naive twins: ${name}`, () => {
      const x = random(C * H * W, 1, Float64Array);
      const col = random(colSize, 9, Float64Array),
        colRef = new Float64Array(colSize); // garbage must be overwritten
      im2col(col, x, g, 0, g.OH);
      im2colNaive(colRef, x, g);
      expect(col).toBeAllClose(colRef, { rtol: 0, atol: 0 });

      const y = random(colSize, 2, Float64Array);
      const dx = random(C * H * W, 3, Float64Array),
        dxRef = dx.slice(); // col2im accumulates
      col2im(dx, y, g, 0, g.H);
      col2imNaive(dxRef, y, g);
      expect(dx).toBeAllClose(dxRef, { rtol: 1e-14, atol: 1e-14 });
    });

    it(`satisfy the adjoint identity ⟨im2col(x), y⟩ = ⟨x, col2im(y)⟩: ${name}`, () => {
      const x = random(C * H * W, 4, Float64Array),
        y = random(colSize, 5, Float64Array);
      const col = new Float64Array(colSize),
        back = new Float64Array(C * H * W);
      im2col(col, x, g, 0, g.OH);
      col2im(back, y, g, 0, g.H);
      const lhs = col.reduce((acc, v, i) => acc + v * y[i]!, 0);
      const rhs = x.reduce((acc, v, i) => acc + v * back[i]!, 0);
      expect(Math.abs(lhs - rhs)).toBeLessThan(1e-12 * Math.max(1, Math.abs(lhs)) * Math.sqrt(colSize));
    });
  }

  it("match their naive twins in Float32 on a GoogLeNet-like 3×3 layer (block copies)", () => {
    const g = convGeometry([1, 3, 40, 45], [1, 3, 3, 3], params({ pad: [1, 1] }));
    const x = fillUniform(new Float32Array(3 * 40 * 45), 6);
    const n = 3 * 9 * g.OH * g.OW;
    const col = new Float32Array(n).fill(7),
      colRef = new Float32Array(n);
    im2col(col, x, g, 0, g.OH);
    im2colNaive(colRef, x, g);
    expect(col).toBeAllClose(colRef, { rtol: 0, atol: 0 });
  });

  it("reads only its own group's channels from a group view", () => {
    // Two groups of 1 channel: im2col of the second group's view sees channel 1 only.
    const g = convGeometry([1, 2, 2, 2], [2, 1, 1, 1], params({ group: 2 }));
    const x = Float64Array.from([1, 2, 3, 4, 5, 6, 7, 8]);
    const col = new Float64Array(4);
    im2col(col, x.subarray(4), g, 0, g.OH);
    expect(col).toBeAllClose([5, 6, 7, 8], { rtol: 0, atol: 0 });
  });
});
