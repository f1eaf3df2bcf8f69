// BatchNorm, Scale and Bias as layers of a net (src/models/layer-rules/normalization.ts): their
// blobs checked at load against the channels that reach them, with the layer named; the net's
// output against the ops run by hand; a Scale and a Bias fed by a second bottom, whose gradient
// flows; and a BatchNorm that says use_global_stats: false.
import { describe, expect, it } from "vitest";
import { randomTensor } from "../../src/autograd/gradcheck.js";
import { backward } from "../../src/autograd/tape.js";
import { ModelError } from "../../src/errors.js";
import { batchNorm as batchNormOp, batchNormOwnStatistics } from "../../src/layers/batch-norm.js";
import { conv2d } from "../../src/layers/conv.js";
import { scale as scaleOp } from "../../src/layers/scale.js";
import { CaffeNet } from "../../src/models/net.js";
import type { BatchNormParam, LayerDef, NetDef } from "../../src/io/caffe/net-def.js";
import { Tensor } from "../../src/tensor/tensor.js";

const f32 = (n: number, seed: number, lo = -1, hi = 1): Float32Array => Float32Array.from(randomTensor([n], seed, lo, hi).data);

function conv(name: string, bottom: string, cin: number, cout: number, seed: number): LayerDef {
  return {
    name,
    type: "Convolution",
    bottoms: [bottom],
    tops: [name],
    phase: null,
    convolution: { numOutput: cout, biasTerm: true, kernel: [3, 3], stride: [1, 1], pad: [1, 1], dilation: [1, 1], group: 1 },
    blobs: [
      { shape: [cout, cin, 3, 3], data: f32(cout * cin * 9, seed) },
      { shape: [cout], data: f32(cout, seed + 1) },
    ],
  };
}

/** A BatchNorm in place on `blob` with C channels of stored statistics (s = 4). */
function batchNorm(name: string, blob: string, C: number, seed: number, p?: Partial<BatchNormParam>): LayerDef {
  return {
    name,
    type: "BatchNorm",
    bottoms: [blob],
    tops: [blob],
    phase: null,
    batchNorm: { useGlobalStats: null, movingAverageFraction: 0.999, eps: 1e-5, ...p },
    blobs: [
      { shape: [C], data: f32(C, seed, -2, 2) },
      { shape: [C], data: f32(C, seed + 1, 0.5, 8) },
      { shape: [1], data: Float32Array.of(4) },
    ],
  };
}

function scale(name: string, bottoms: string[], top: string, C: number, seed: number, biasTerm = true): LayerDef {
  const blobs = [{ shape: [C], data: f32(C, seed, 0.5, 2) }];
  if (biasTerm) blobs.push({ shape: [C], data: f32(C, seed + 1) });
  return {
    name,
    type: "Scale",
    bottoms,
    tops: [top],
    phase: null,
    scale: { axis: 1, numAxes: 1, biasTerm },
    blobs: bottoms.length > 1 ? blobs.slice(1) : blobs,
  };
}

const net = (...layers: LayerDef[]): NetDef => ({ name: "normalized", inputs: [{ name: "data", shape: [1, 3, 6, 6] }], layers });
const input = (): Tensor => randomTensor([1, 3, 6, 5], 9).to("float32");

describe("BatchNorm and Scale layers", () => {
  it("run as Caffe's formulas: (x − b0/s) / sqrt(b1/s + eps), then · γ + β", () => {
    const def = net(conv("c", "data", 3, 4, 1), batchNorm("bn", "c", 4, 3), scale("sc", ["c"], "c", 4, 5));
    const [bn, sc] = new CaffeNet(def).forward(input(), ["bn", "sc"]);
    const [, bnDef, scDef] = def.layers;
    const z = conv2d(input(), new Tensor(def.layers[0]!.blobs[0]!.data, [4, 3, 3, 3]), new Tensor(def.layers[0]!.blobs[1]!.data, [4]), {
      pad: [1, 1],
    });
    const [b0, b1] = bnDef!.blobs.map((b) => b.data);
    const mean = new Tensor(
        b0!.map((v) => v / 4),
        [4],
      ),
      variance = new Tensor(
        b1!.map((v) => v / 4),
        [4],
      );
    const expected = batchNormOp(z, mean, variance, 1e-5);
    expect(bn!.data).toBeAllClose(expected.data, { atol: 0, rtol: 0 });
    const [gamma, beta] = scDef!.blobs.map((b) => new Tensor(b.data, [4]));
    expect(sc!.data).toBeAllClose(scaleOp(expected, gamma!, beta!, 1).data, { atol: 0, rtol: 0 });
  });

  it("refuse statistics or a scale for other channels than reach them, naming the layer", () => {
    expect(() => new CaffeNet(net(conv("c", "data", 3, 4, 1), batchNorm("bn", "c", 5, 3)))).toThrow(
      new ModelError('layer "bn" (BatchNorm): its statistics are for 5 channels but 4 reach it; the file is broken or mismatched'),
    );
    expect(() => new CaffeNet(net(conv("c", "data", 3, 4, 1), scale("sc", ["c"], "c", 3, 5)))).toThrow(
      new ModelError('layer "sc" (Scale): its scale has 3 values but 4 channels reach it; the file is broken or mismatched'),
    );
    const biasLayer: LayerDef = {
      name: "b",
      type: "Bias",
      bottoms: ["c"],
      tops: ["c"],
      phase: null,
      bias: { axis: 1, numAxes: 1 },
      blobs: [{ shape: [2], data: f32(2, 1) }],
    };
    expect(() => new CaffeNet(net(conv("c", "data", 3, 4, 1), biasLayer))).toThrow(
      'layer "b" (Bias): its bias has 2 values but 4 channels reach it; the file is broken or mismatched',
    );
  });

  it("refuse missing or mis-sized blobs, naming the layer", () => {
    const noStats = { ...batchNorm("bn", "c", 4, 3), blobs: [] };
    expect(() => new CaffeNet(net(conv("c", "data", 3, 4, 1), noStats))).toThrow(
      'layer "bn" (BatchNorm): has 0 blobs, but a BatchNorm stores 3 (mean sum, variance sum, scale factor); the weights do not match the file',
    );
    const bn = batchNorm("bn", "c", 4, 3);
    bn.blobs[1] = { shape: [3], data: new Float32Array(3) };
    expect(() => new CaffeNet(net(conv("c", "data", 3, 4, 1), bn))).toThrow(
      'layer "bn" (BatchNorm): blob 1 has 3 values (dims [3]) but the layer needs [4]',
    );
    const sc = scale("sc", ["c"], "c", 4, 5);
    sc.blobs[1] = { shape: [2], data: new Float32Array(2) };
    expect(() => new CaffeNet(net(conv("c", "data", 3, 4, 1), sc))).toThrow(
      'layer "sc" (Scale): blob 1 has 2 values (dims [2]) but the layer needs [4]',
    );
    const three = scale("sc", ["c", "data", "data"], "c", 4, 5);
    expect(() => new CaffeNet(net(conv("c", "data", 3, 4, 1), three))).toThrow(
      'layer "sc" (Scale): has 3 bottoms; it takes 1, or 2 with the scale as the second',
    );
  });

  it("check a scale over several axes when a size is asked for", () => {
    // num_axes −1 from axis 2: a 6×6 plane of factors fits a 6×6 input only.
    const sc: LayerDef = { ...scale("sc", ["c"], "sc", 36, 5, false), scale: { axis: 2, numAxes: -1, biasTerm: false } };
    const n = new CaffeNet(net(conv("c", "data", 3, 4, 1), sc));
    expect(n.outputShape("sc", [1, 3, 6, 6])).toEqual([1, 4, 6, 6]);
    expect(() => n.outputShape("sc", [1, 3, 6, 5])).toThrow(
      new ModelError('layer "sc" (Scale): its blobs have 36 values but the axes they cover in [1, 4, 6, 5] hold 30'),
    );
    const [y] = n.forward(randomTensor([1, 3, 6, 6], 2).to("float32"), ["sc", "c"]);
    expect(y!.shape).toEqual([1, 4, 6, 6]);
  });

  it("take the scale from a second bottom, and send its gradient back through it", () => {
    // The factors are a value of the net itself: y = a ⊙ b + β over every axis (axis 0), the
    // product Caffe's Scale makes of two equal-shaped bottoms.
    const mul: LayerDef = { ...scale("mul", ["a", "b"], "mul", 4, 7, true), scale: { axis: 0, numAxes: 1, biasTerm: true } };
    mul.blobs = [{ shape: [1, 4, 6, 6], data: f32(144, 8) }];
    const n = new CaffeNet(net(conv("a", "data", 3, 4, 1), conv("b", "data", 3, 4, 3), mul));
    const x = new Tensor(randomTensor([1, 3, 6, 6], 4).data, [1, 3, 6, 6], true);
    const [a, b, y] = n.forward(x, ["a", "b", "mul"]);
    const expected = a!.data.map((v, i) => v * b!.data[i]! + mul.blobs[0]!.data[i]!);
    expect(y!.data).toBeAllClose(expected, { atol: 0, rtol: 0 });
    // The input's gradient through both factors, against central differences on a few values.
    backward(y!, new Float64Array(y!.size).fill(1));
    const loss = (t: Tensor): number => Array.from(n.forward(t, ["mul"])[0]!.data).reduce((sum, v) => sum + v, 0);
    const h = 1e-6;
    for (const at of [0, 40, 107]) {
      const plus = new Tensor(Float64Array.from(x.data), x.shape),
        minus = new Tensor(Float64Array.from(x.data), x.shape);
      plus.data[at]! += h;
      minus.data[at]! -= h;
      expect(x.grad![at]).toBeCloseTo((loss(plus) - loss(minus)) / (2 * h), 6);
    }
  });

  it("refuse a second bottom whose axes do not fit the first's, naming the layer", () => {
    const mul: LayerDef = { ...scale("mul", ["a", "data"], "mul", 4, 7, false), scale: { axis: 1, numAxes: 1, biasTerm: false } };
    const n = new CaffeNet(net(conv("a", "data", 3, 4, 1), mul));
    expect(() => n.outputShape("mul", [1, 3, 6, 6])).toThrow(
      new ModelError('layer "mul" (Scale): its second bottom [1, 3, 6, 6] does not match the axes of [1, 4, 6, 6] from axis 1'),
    );
  });

  it("normalize by the batch's own statistics where the file says use_global_stats: false, as Caffe does", () => {
    const def = net(conv("c", "data", 3, 4, 1), batchNorm("bn", "c", 4, 3, { useGlobalStats: false }));
    const [z, y] = new CaffeNet(def).forward(input(), ["c", "bn"]);
    expect(y!.data).toBeAllClose(batchNormOwnStatistics(z!, 1e-5).data, { atol: 0, rtol: 0 });
    // … and even without blobs, which Caffe would create as zeros and never read.
    const bare = { ...batchNorm("bn", "c", 4, 3, { useGlobalStats: false }), blobs: [] };
    const [y2] = new CaffeNet(net(conv("c", "data", 3, 4, 1), bare)).forward(input(), ["bn"]);
    expect(y2!.data).toBeAllClose(y!.data, { atol: 0, rtol: 0 });
  });
});
