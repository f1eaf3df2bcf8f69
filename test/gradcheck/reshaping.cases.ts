// Gradient checks for the reshaping ops: reshape (Flatten, Reshape), slice and crop. They only
// move values, so each case feeds them into something that mixes values (a softmax, a product
// of two parts) so that a gradient put back in the wrong place cannot cancel out; and one case
// runs a small net of the four Caffe layers through CaffeNet, in Float64.
import { randomTensor } from "../../src/autograd/gradcheck.js";
import { crop } from "../../src/layers/crop.js";
import { eltwise } from "../../src/layers/eltwise.js";
import { reshape } from "../../src/layers/reshape.js";
import { slice } from "../../src/layers/slice.js";
import { softmax } from "../../src/layers/softmax.js";
import type { LayerDef } from "../../src/io/caffe/net-def.js";
import { CaffeNet } from "../../src/models/net.js";
import type { Tensor } from "../../src/tensor/tensor.js";
import type { GradcheckCase } from "./cases.js";

const grad = (shape: number[], seed: number): Tensor => randomTensor(shape, seed, -1, 1, true);

const layer = (name: string, type: string, bottoms: string[], extra: Partial<LayerDef>): LayerDef => ({
  name,
  type,
  bottoms,
  tops: [name],
  blobs: [],
  phase: null,
  ...extra,
});

/**
 * data 2×7×6 → conv 3×3 pad 2 (4 × 9×8) → Slice channels 2 | 2 → Crop each to `ref`'s 5×4 (an
 * average pooling of the data) at (1, 2) → Eltwise product → Flatten [1, 40] → Reshape [0, 4, −1].
 */
function reshapingNet(): CaffeNet {
  const w = randomTensor([4, 2, 3, 3], 61),
    b = randomTensor([4], 62);
  return new CaffeNet({
    name: "reshaping",
    inputs: [{ name: "data", shape: [1, 2, 7, 6] }],
    layers: [
      layer("conv", "Convolution", ["data"], {
        convolution: { numOutput: 4, biasTerm: true, kernel: [3, 3], stride: [1, 1], pad: [2, 2], dilation: [1, 1], group: 1 },
        blobs: [
          { shape: [4, 2, 3, 3], data: Float32Array.from(w.data) },
          { shape: [4], data: Float32Array.from(b.data) },
        ],
      }),
      { ...layer("slice", "Slice", ["conv"], { slice: { axis: 1, slicePoints: [2] } }), tops: ["a", "b"] },
      layer("ref", "Pooling", ["data"], { pooling: { method: "ave", kernel: [3, 3], stride: [1, 1], pad: [0, 0], globalPooling: false } }),
      layer("crop_a", "Crop", ["a", "ref"], { crop: { axis: 2, offset: [1, 2] } }),
      layer("crop_b", "Crop", ["b", "ref"], { crop: { axis: 2, offset: [1, 2] } }),
      layer("prod", "Eltwise", ["crop_a", "crop_b"], { eltwise: { operation: "prod", coeff: [] } }),
      layer("flat", "Flatten", ["prod"], { flatten: { axis: 1, endAxis: -1 } }),
      layer("shaped", "Reshape", ["flat"], { reshape: { shape: [0, 4, -1], axis: 0, numAxes: -1 } }),
    ],
  });
}
const net = reshapingNet();

export const reshapingCases: GradcheckCase[] = [
  {
    op: "reshape",
    name: "[2, 3, 2, 2] → [2, 12], under a softmax",
    f: (x) => softmax(reshape(x, [2, 12]), 1),
    inputs: () => [grad([2, 3, 2, 2], 51)],
  },
  {
    op: "slice",
    name: "channels 2 | 1 | 2 of [2, 5, 2, 3]; the outer parts multiplied, the middle one unread",
    f: (x) => {
      const [a, , c] = slice(x, [2, 1, 2], 1);
      return eltwise([a!, c!], "prod");
    },
    inputs: () => [grad([2, 5, 2, 3], 52)],
  },
  {
    op: "slice",
    name: "equal thirds of the last axis of [3, 2, 6], multiplied",
    f: (x) => {
      const [a, b, c] = slice(x, [2, 2, 2], -1);
      return eltwise([a!, b!, c!], "prod");
    },
    inputs: () => [grad([3, 2, 6], 53)],
  },
  {
    op: "crop",
    name: "[1, 2, 3, 3] window of [2, 3, 5, 6] at (1, 1, 2, 0), under a softmax",
    f: (x) => softmax(crop(x, [1, 2, 3, 3], [1, 1, 2, 0]), 1),
    inputs: () => [grad([2, 3, 5, 6], 54)],
  },
  {
    op: "crop",
    name: "squared window of a 3-D [4, 5, 7] at (0, 2, 3)",
    f: (x) => {
      const y = crop(x, [4, 3, 4], [0, 2, 3]);
      return eltwise([y, y], "prod");
    },
    inputs: () => [grad([4, 5, 7], 55)],
  },
  {
    op: "Caffe reshaping layers",
    name: "conv → Slice → Crop ×2 (second bottom a pooling) → Eltwise prod → Flatten → Reshape, through CaffeNet",
    f: (x) => net.forward(x, ["shaped"])[0]!,
    inputs: () => [grad([1, 2, 7, 6], 56)],
  },
];
