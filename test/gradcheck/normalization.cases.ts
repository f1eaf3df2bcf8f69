// Gradient checks for the normalization layers: BatchNorm with the stored statistics and with
// the batch's own (use_global_stats: false), Scale over one axis, several, all of them and none
// (a scalar), with and without a bias, and Scale and Bias with a second bottom, whose gradient is
// checked too. The statistics and learned blobs are constants here, as they are in a dream.
import { randomTensor } from "../../src/autograd/gradcheck.js";
import { batchNorm, batchNormOwnStatistics } from "../../src/layers/batch-norm.js";
import { bias, scale } from "../../src/layers/scale.js";
import { CaffeNet } from "../../src/models/net.js";
import type { LayerDef } from "../../src/io/caffe/net-def.js";
import type { GradcheckCase } from "./cases.js";

const grad = (shape: number[], seed: number) => randomTensor(shape, seed, -1, 1, true);
const constant = (shape: number[], seed: number, lo = -1, hi = 1) => randomTensor(shape, seed, lo, hi);

const blob = (shape: number[], seed: number, lo = -1, hi = 1) => ({
  shape,
  data: Float32Array.from(randomTensor(shape, seed, lo, hi).data),
});
const inPlace = (name: string, type: string, extra: Partial<LayerDef>): LayerDef => ({
  name,
  type,
  bottoms: ["c"],
  tops: ["c"],
  phase: null,
  blobs: [],
  ...extra,
});

/** Convolution → BatchNorm → Scale in place, which the net runs folded into one convolution (src/models/fold-batch-norm.ts). */
const foldedNet = new CaffeNet({
  name: "folded",
  inputs: [{ name: "data", shape: [1, 2, 5, 5] }],
  layers: [
    {
      name: "c",
      type: "Convolution",
      bottoms: ["data"],
      tops: ["c"],
      phase: null,
      convolution: { numOutput: 3, biasTerm: false, kernel: [3, 3], stride: [1, 1], pad: [1, 1], dilation: [1, 1], group: 1 },
      blobs: [blob([3, 2, 3, 3], 101)],
    },
    inPlace("bn", "BatchNorm", {
      batchNorm: { useGlobalStats: true, movingAverageFraction: 0.999, eps: 1e-5 },
      blobs: [blob([3], 102), blob([3], 103, 0.5, 2), { shape: [1], data: Float32Array.of(0.9) }],
    }),
    inPlace("sc", "Scale", { scale: { axis: 1, numAxes: 1, biasTerm: true }, blobs: [blob([3], 104), blob([3], 105)] }),
  ],
});

export const normalizationCases: GradcheckCase[] = [
  {
    op: "batchNorm",
    name: "stored statistics on [2, 3, 2, 3]",
    f: (x, mean, variance) => batchNorm(x!, mean!, variance!, 1e-5),
    inputs: () => [grad([2, 3, 2, 3], 71), constant([3], 72), constant([3], 73, 0.1, 2)],
  },
  {
    op: "batchNorm",
    name: "stored statistics on a 2-D [4, 5]",
    f: (x, mean, variance) => batchNorm(x!, mean!, variance!, 1e-3),
    inputs: () => [grad([4, 5], 74), constant([5], 75), constant([5], 76, 0.1, 2)],
  },
  {
    op: "batchNorm",
    name: "own statistics, batch of 3 on [3, 2, 2, 2]",
    f: (x) => batchNormOwnStatistics(x!, 1e-5),
    inputs: () => [grad([3, 2, 2, 2], 77)],
  },
  {
    op: "batchNorm",
    name: "own statistics, one image (instance normalization) on [1, 3, 3, 4]",
    f: (x) => batchNormOwnStatistics(x!, 1e-5),
    inputs: () => [grad([1, 3, 3, 4], 78)],
  },
  {
    op: "scale",
    name: "per channel with a bias, learned (axis 1, num_axes 1)",
    f: (x, s, b) => scale(x!, s!, b!, 1),
    inputs: () => [grad([2, 3, 2, 2], 81), constant([3], 82), constant([3], 83)],
  },
  {
    op: "scale",
    name: "over axes 2 and 3 (num_axes 2)",
    f: (x, s) => scale(x!, s!, null, 2),
    inputs: () => [grad([2, 2, 3, 2], 84), constant([3, 2], 85)],
  },
  {
    op: "scale",
    name: "from axis 1 to the end (num_axes −1)",
    f: (x, s) => scale(x!, s!, null, 1),
    inputs: () => [grad([2, 2, 2, 3], 86), constant([2, 2, 3], 87)],
  },
  {
    op: "scale",
    name: "a scalar (num_axes 0)",
    f: (x, s) => scale(x!, s!, null, 1),
    inputs: () => [grad([2, 3, 2], 88), constant([], 89)],
  },
  {
    op: "scale",
    name: "second bottom [2, 3] on axis 0, with a learned bias; both bottoms checked",
    f: (x, s, b) => scale(x!, s!, b!, 0),
    inputs: () => [grad([2, 3, 2, 2], 90), grad([2, 3], 91), constant([2, 3], 92)],
  },
  {
    op: "scale",
    name: "second bottom and bias both checked, per channel",
    f: (x, s, b) => scale(x!, s!, b!, 1),
    inputs: () => [grad([1, 4, 3, 2], 93), grad([4], 94), grad([4], 95)],
  },
  {
    op: "bias",
    name: "learned, per channel",
    f: (x, b) => bias(x!, b!, 1),
    inputs: () => [grad([2, 3, 2, 2], 96), constant([3], 97)],
  },
  {
    op: "bias",
    name: "second bottom [3, 2] on axis −2, both bottoms checked",
    f: (x, b) => bias(x!, b!, -2),
    inputs: () => [grad([2, 2, 3, 2], 98), grad([3, 2], 99)],
  },
  {
    op: "composed net",
    name: "Convolution → BatchNorm → Scale folded into one convolution by CaffeNet",
    f: (x) => foldedNet.forward(x!, ["sc"])[0]!,
    inputs: () => [grad([1, 2, 5, 5], 106)],
  },
];
