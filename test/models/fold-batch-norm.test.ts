// Folding Convolution → BatchNorm → Scale into one convolution (src/models/fold-batch-norm.ts),
// on a ResNet-style stem and bottleneck built in place as Caffe files have them: the folded
// forward and input gradient against the unfolded path (the oracle) and against the ops run by
// hand, a layer name still meaning that layer's own output, the ReLU fused after a folded chain,
// the cases that must not fold, and the memory estimate of what a folded chain allocates.
import { afterAll, describe, expect, it } from "vitest";
import "../../src/threads/node-host.js";
import { randomTensor } from "../../src/autograd/gradcheck.js";
import { backward } from "../../src/autograd/tape.js";
import { dream } from "../../src/dream/dream.js";
import { netPassBytes } from "../../src/dream/memory.js";
import { objectiveValue } from "../../src/dream/objective.js";
import type { RgbImage } from "../../src/io/image/image.js";
import { batchNorm as batchNormOp } from "../../src/layers/batch-norm.js";
import { conv2d } from "../../src/layers/conv.js";
import { eltwise } from "../../src/layers/eltwise.js";
import { relu as reluOp } from "../../src/layers/relu.js";
import { scale as scaleOp } from "../../src/layers/scale.js";
import { CaffeNet } from "../../src/models/net.js";
import type { LayerDef, NetDef } from "../../src/io/caffe/net-def.js";
import { imageToInput } from "../../src/models/preprocess.js";
import { Tensor } from "../../src/tensor/tensor.js";
import { shutdownThreads } from "../../src/threads/pool.js";
import { relativeError } from "./expect-naive.js";

const f32 = (n: number, seed: number, lo = -1, hi = 1): Float32Array => Float32Array.from(randomTensor([n], seed, lo, hi).data);

function conv(name: string, bottom: string, top: string, cin: number, cout: number, k: number, seed: number, biasTerm = false): LayerDef {
  const blobs = [{ shape: [cout, cin, k, k], data: f32(cout * cin * k * k, seed, -0.5, 0.5) }];
  if (biasTerm) blobs.push({ shape: [cout], data: f32(cout, seed + 1) });
  const pad = (k - 1) / 2;
  return {
    name,
    type: "Convolution",
    bottoms: [bottom],
    tops: [top],
    phase: null,
    convolution: { numOutput: cout, biasTerm, kernel: [k, k], stride: [1, 1], pad: [pad, pad], dilation: [1, 1], group: 1 },
    blobs,
  };
}
const batchNorm = (name: string, blob: string, C: number, seed: number, useGlobalStats: boolean | null = true): LayerDef => ({
  name,
  type: "BatchNorm",
  bottoms: [blob],
  tops: [blob],
  phase: null,
  batchNorm: { useGlobalStats, movingAverageFraction: 0.999, eps: 1e-5 },
  // Sums over a moving average of total weight s = 7.5: mean = b0/s, variance = b1/s.
  blobs: [
    { shape: [C], data: f32(C, seed, -3, 3) },
    { shape: [C], data: f32(C, seed + 1, 0.1, 20) },
    { shape: [1], data: Float32Array.of(7.5) },
  ],
});
const scale = (name: string, blob: string, C: number, seed: number, biasTerm = true): LayerDef => ({
  name,
  type: "Scale",
  bottoms: [blob],
  tops: [blob],
  phase: null,
  scale: { axis: 1, numAxes: 1, biasTerm },
  blobs: biasTerm
    ? [
        { shape: [C], data: f32(C, seed, 0.2, 2) },
        { shape: [C], data: f32(C, seed + 1) },
      ]
    : [{ shape: [C], data: f32(C, seed, 0.2, 2) }],
});
const relu = (name: string, blob: string): LayerDef => ({
  name,
  type: "ReLU",
  bottoms: [blob],
  tops: [blob],
  phase: null,
  blobs: [],
  relu: { negativeSlope: 0 },
});
const layer = (name: string, type: string, bottoms: string[], tops: string[], extra: Partial<LayerDef> = {}): LayerDef => ({
  name,
  type,
  bottoms,
  tops,
  phase: null,
  blobs: [],
  ...extra,
});

/** ResNet's stem and one bottleneck block with a projection shortcut, every chain in place, as in ResNet-50's deploy file. */
function resnet(): NetDef {
  return {
    name: "resnet-ish",
    inputs: [{ name: "data", shape: [1, 3, 9, 9] }],
    layers: [
      conv("conv1", "data", "conv1", 3, 8, 3, 1, true),
      batchNorm("bn_conv1", "conv1", 8, 3),
      scale("scale_conv1", "conv1", 8, 5),
      relu("conv1_relu", "conv1"),
      conv("res2a_branch1", "conv1", "res2a_branch1", 8, 6, 1, 7),
      batchNorm("bn2a_branch1", "res2a_branch1", 6, 9),
      scale("scale2a_branch1", "res2a_branch1", 6, 11),
      conv("res2a_branch2a", "conv1", "res2a_branch2a", 8, 4, 1, 13),
      batchNorm("bn2a_branch2a", "res2a_branch2a", 4, 15),
      scale("scale2a_branch2a", "res2a_branch2a", 4, 17),
      relu("res2a_branch2a_relu", "res2a_branch2a"),
      conv("res2a_branch2b", "res2a_branch2a", "res2a_branch2b", 4, 6, 3, 19),
      batchNorm("bn2a_branch2b", "res2a_branch2b", 6, 21),
      scale("scale2a_branch2b", "res2a_branch2b", 6, 23, false),
      layer("res2a", "Eltwise", ["res2a_branch1", "res2a_branch2b"], ["res2a"], { eltwise: { operation: "sum", coeff: [] } }),
      relu("res2a_relu", "res2a"),
    ],
  };
}

/** The net's layers by hand, in Float64, unfolded: the oracle. */
function byHand(def: NetDef, x: Tensor): { conv1: Tensor; res2a: Tensor } {
  const by = new Map(def.layers.map((l) => [l.name, l]));
  const convOp = (name: string, t: Tensor): Tensor => {
    const l = by.get(name)!;
    const [w, b] = l.blobs.map((blob) => new Tensor(Float64Array.from(blob.data), blob.shape));
    const p = l.convolution!;
    return conv2d(t, w!, b ?? null, { pad: p.pad });
  };
  const bnOp = (name: string, t: Tensor): Tensor => {
    const [b0, b1, s] = by.get(name)!.blobs.map((blob) => Float64Array.from(blob.data));
    const inverse = Math.fround(1 / s![0]!);
    const stat = (sums: Float64Array): Tensor =>
      new Tensor(
        Float64Array.from(sums, (v) => Math.fround(v * inverse)),
        [sums.length],
      );
    return batchNormOp(t, stat(b0!), stat(b1!), 1e-5);
  };
  const scOp = (name: string, t: Tensor): Tensor => {
    const [g, b] = by.get(name)!.blobs.map((blob) => new Tensor(Float64Array.from(blob.data), blob.shape));
    return scaleOp(t, g!, b ?? null, 1);
  };
  const chain = (c: string, bn: string, sc: string, t: Tensor): Tensor => scOp(sc, bnOp(bn, convOp(c, t)));
  const conv1 = reluOp(chain("conv1", "bn_conv1", "scale_conv1", x));
  const branch1 = chain("res2a_branch1", "bn2a_branch1", "scale2a_branch1", conv1);
  const branch2a = reluOp(chain("res2a_branch2a", "bn2a_branch2a", "scale2a_branch2a", conv1));
  const branch2b = chain("res2a_branch2b", "bn2a_branch2b", "scale2a_branch2b", branch2a);
  return { conv1, res2a: reluOp(eltwise([branch1, branch2b], "sum")) };
}

const x32 = (): Tensor => randomTensor([1, 3, 9, 9], 31, -50, 50).to("float32");

describe("folding BatchNorm + Scale into the convolution", () => {
  const net = new CaffeNet(resnet());

  it("runs every chain as one convolution, the ReLU after it fused too", () => {
    const x = new Tensor(x32().data, [1, 3, 9, 9], true);
    const [stem, block] = net.forward(x, ["conv1_relu", "res2a_relu"]);
    // The tape shows what ran: the stem's ReLU is the folded convolution's epilogue.
    expect(stem!.node!.op).toBe("conv2d+relu");
    const sum = block!.node!.inputs[0]!;
    expect(sum.node!.op).toBe("eltwise");
    expect(sum.node!.inputs.map((t) => t.node!.op)).toEqual(["conv2d", "conv2d"]); // both branches end in a folded Scale
    const rows = net.plannedShapes(["res2a_relu"], [1, 3, 9, 9]);
    expect(rows.filter((r) => r.foldedInto !== undefined).map((r) => `${r.name} → ${r.foldedInto}`)).toEqual([
      "bn_conv1 → conv1",
      "scale_conv1 → conv1",
      "bn2a_branch1 → res2a_branch1",
      "scale2a_branch1 → res2a_branch1",
      "bn2a_branch2a → res2a_branch2a",
      "scale2a_branch2a → res2a_branch2a",
      "bn2a_branch2b → res2a_branch2b",
      "scale2a_branch2b → res2a_branch2b",
    ]);
  });

  it("gives the unfolded path's forward and input gradient, within Float32 rounding", () => {
    const seed = Float32Array.from(randomTensor([6 * 81], 33).data);
    const run = (outputs: string[]): { y: Float32Array; dx: Float32Array } => {
      const x = new Tensor(x32().data, [1, 3, 9, 9], true);
      const [y] = net.forward(x, outputs);
      backward(y!, seed);
      return { y: y!.data as Float32Array, dx: x.grad as Float32Array };
    };
    const folded = run(["res2a_relu"]);
    // Asking for every convolution's own output too keeps all four chains unfolded.
    const unfolded = run(["res2a_relu", "conv1", "res2a_branch1", "res2a_branch2a", "res2a_branch2b"]);
    const x64 = randomTensor([1, 3, 9, 9], 31, -50, 50, true);
    const oracle = byHand(resnet(), x64).res2a;
    backward(oracle, Float64Array.from(seed));
    // Measured on this net, relative to the largest value: folded vs unfolded 7.2e-7 (forward)
    // and 2.2e-6 (input gradient); folded vs the Float64 oracle 1.2e-6 and 3.3e-6, unfolded vs
    // the oracle 1.4e-6 and 1.4e-6. So folding moves the result by what Float32 rounding already
    // does — tens of ulps (2⁻²³ = 1.2e-7) through four layers. The tolerance, 1e-5, is 3× the
    // largest of them.
    const tolerance = 1e-5;
    expect(relativeError(folded.y, unfolded.y)).toBeLessThan(tolerance);
    expect(relativeError(folded.dx, unfolded.dx)).toBeLessThan(tolerance);
    expect(relativeError(folded.y, oracle.data)).toBeLessThan(tolerance);
    expect(relativeError(folded.dx, x64.grad!)).toBeLessThan(tolerance);
    expect(relativeError(unfolded.y, oracle.data)).toBeLessThan(tolerance);
    expect(relativeError(unfolded.dx, x64.grad!)).toBeLessThan(tolerance);
    expect(relativeError(folded.y, unfolded.y)).toBeGreaterThan(0); // two paths really ran
  });

  it("runs Float64 on Float64 folded weights, matching the Float64 oracle to 1e-12", () => {
    const x = randomTensor([1, 3, 9, 9], 31, -50, 50);
    const [y] = net.forward(x, ["res2a_relu"]);
    expect(y!.data).toBeInstanceOf(Float64Array);
    // Only the Float32 statistics' rounding is shared; the rest is exact arithmetic reordered.
    expect(relativeError(y!.data, byHand(resnet(), x).res2a.data)).toBeLessThan(1e-12);
  });

  it("keeps each layer name meaning that layer's own output: conv1 is pre-BatchNorm, bn_conv1 pre-Scale", () => {
    const x = x32();
    const [pre, normalized, scaled, blob] = net.forward(x, ["conv1", "bn_conv1", "scale_conv1", "conv1"]);
    const def = resnet().layers[0]!;
    const z = conv2d(x, new Tensor(def.blobs[0]!.data, [8, 3, 3, 3]), new Tensor(def.blobs[1]!.data, [8]), { pad: [1, 1] });
    expect(pre!.data).toBeAllClose(z.data, { atol: 0, rtol: 0 });
    expect(Math.min(...normalized!.data)).toBeLessThan(0);
    expect(scaled!.data).not.toEqual(normalized!.data);
    expect(blob).toBe(pre); // the layer name, not the blob's last value
  });

  it("asked for the Scale by name, folds the chain but runs the ReLU after it apart", () => {
    const x = new Tensor(x32().data, [1, 3, 9, 9], true);
    const [scaled, activated] = net.forward(x, ["scale_conv1", "conv1_relu"]);
    expect(scaled!.node!.op).toBe("conv2d"); // folded, without the ReLU
    expect(activated!.node!.op).toBe("relu");
    expect(Math.min(...scaled!.data)).toBeLessThan(0);
    expect(activated!.data).toBeAllClose(
      scaled!.data.map((v) => Math.max(v, 0)),
      { atol: 0, rtol: 0 },
    );
  });

  it("counts only the folded convolution's output in the memory estimate, and the folded weights in the model's", () => {
    const shape = [1, 3, 9, 9];
    const conv1Only = netPassBytes(net, ["scale_conv1"], 9, 9);
    const unfolded = netPassBytes(net, ["scale_conv1", "conv1"], 9, 9);
    // One [1, 8, 9, 9] tensor instead of three (conv, BatchNorm, Scale); the rest is the same.
    expect(unfolded - conv1Only).toBe(4 * 2 * 8 * 81);
    expect(net.plannedShapes(["scale_conv1", "conv1"], shape).some((r) => r.foldedInto !== undefined)).toBe(false);
    const raw = resnet()
      .layers.filter((l) => l.type !== "BatchNorm")
      .reduce((n, l) => n + l.blobs.reduce((m, b) => m + b.data.length, 0), 0);
    const statistics = 2 * (8 + 6 + 4 + 6); // mean and variance per channel: what the BatchNorm rule keeps
    const foldedConvs = [8 * 27 + 8, 6 * 8 + 6, 4 * 8 + 4, 6 * 36 + 6]; // w' and b' of each convolution
    expect(net.weightBytes).toBe(4 * (raw + statistics + foldedConvs.reduce((a, b) => a + b)));
  });
});

describe("chains that must not fold", () => {
  const stem = (...rest: LayerDef[]): NetDef => ({
    name: "stem",
    inputs: [{ name: "data", shape: [1, 3, 6, 6] }],
    layers: [conv("c", "data", "c", 3, 4, 3, 1, true), ...rest],
  });
  /** The op that made the output of `name`, the input requiring a gradient. */
  const opOf = (def: NetDef, name: string): string => {
    const x = new Tensor(randomTensor([1, 3, 6, 6], 2).to("float32").data, [1, 3, 6, 6], true);
    return new CaffeNet(def).forward(x, [name])[0]!.node!.op;
  };

  it("folds the plain chain (the control)", () => {
    expect(opOf(stem(batchNorm("bn", "c", 4, 3), scale("sc", "c", 4, 5)), "sc")).toBe("conv2d");
    expect(opOf(stem(batchNorm("bn", "c", 4, 3, null), scale("sc", "c", 4, 5, false)), "sc")).toBe("conv2d");
  });

  it("not when the convolution's output also goes elsewhere", () => {
    const def = stem(
      layer("split", "Split", ["c"], ["c1", "c2"]),
      { ...batchNorm("bn", "c1", 4, 3), tops: ["bn"] },
      { ...scale("sc", "bn", 4, 5), tops: ["sc"] },
      layer("sum", "Eltwise", ["sc", "c2"], ["sum"], { eltwise: { operation: "sum", coeff: [] } }),
    );
    expect(opOf(def, "sc")).toBe("scale");
    const fanOut = stem(
      { ...batchNorm("bn", "c", 4, 3), tops: ["bn"] },
      { ...scale("sc", "bn", 4, 5), tops: ["sc"] },
      layer("r", "ReLU", ["c"], ["r"]),
    );
    expect(opOf(fanOut, "sc")).toBe("scale");
  });

  it("not when the BatchNorm normalizes by the batch's own statistics, or the Scale is not per channel", () => {
    expect(opOf(stem(batchNorm("bn", "c", 4, 3, false), scale("sc", "c", 4, 5)), "sc")).toBe("scale");
    const plane = { ...scale("sc", "c", 36, 5, false), scale: { axis: 2, numAxes: -1, biasTerm: false } };
    expect(opOf(stem(batchNorm("bn", "c", 4, 3), plane), "sc")).toBe("scale");
    const byBottom = layer("sc", "Scale", ["c", "data"], ["c"], { scale: { axis: 0, numAxes: 1, biasTerm: false } });
    const gate = conv("g", "data", "g", 3, 4, 3, 9);
    const def = stem(batchNorm("bn", "c", 4, 3), gate, { ...byBottom, bottoms: ["c", "g"] });
    expect(opOf(def, "sc")).toBe("scale");
  });

  it("not a BatchNorm without a Scale after it", () => {
    expect(opOf(stem(batchNorm("bn", "c", 4, 3), relu("r", "c")), "r")).toBe("relu");
  });
});

describe("a dream through folded chains", () => {
  afterAll(() => shutdownThreads());

  it("raises ½Σa² at res2a and gives the same bits on 1 and 2 threads", async () => {
    const net = new CaffeNet(resnet());
    const picture: RgbImage = { width: 128, height: 96, data: Float32Array.from(randomTensor([128 * 96 * 3], 3, 0, 255).data) }; // conv1: 98k values, split across threads
    const options = { model: net, layer: "res2a", octaves: 2, iterations: 3, seed: 5 };
    const one = await dream(picture, { ...options, threads: 1 });
    const two = await dream(picture, { ...options, threads: 2 });
    expect(Array.from(two.data)).toEqual(Array.from(one.data));
    const score = (img: RgbImage): number => objectiveValue(net, imageToInput(img, net.meanBgr), [{ layer: "res2a" }]);
    expect(score(one)).toBeGreaterThan(score(picture));
  });
});
