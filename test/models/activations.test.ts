// The six activation types beyond ReLU through the net (src/models/layer-rules/activations.ts):
// each in a tiny hand-built net, conv → activation in place as a prototxt has it, must give
// exactly what its op gives on the convolution's output, forward and input gradient; their
// Caffe parameters reach the op, with Caffe's defaults when a file leaves them out; and PReLU's
// slopes are checked against the channels at load, naming the layer. Last, GoogLeNet with every
// ReLU a PReLU of zero slopes must be GoogLeNet, to the bit.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { randomTensor } from "../../src/autograd/gradcheck.js";
import { backward } from "../../src/autograd/tape.js";
import { inputGradient } from "../../src/dream/objective.js";
import { decodeCaffeModel } from "../../src/io/caffe/decode.js";
import { ModelError } from "../../src/errors.js";
import { conv2d } from "../../src/layers/conv.js";
import { absval, elu, power, sigmoid, tanh } from "../../src/layers/pointwise.js";
import { prelu } from "../../src/layers/prelu.js";
import { CaffeNet } from "../../src/models/net.js";
import { googlenetUrl } from "../../src/models/sources.js";
import type { LayerDef, NetDef } from "../../src/io/caffe/net-def.js";
import { Tensor } from "../../src/tensor/tensor.js";

const f32 = (t: { data: ArrayLike<number> }): Float32Array => Float32Array.from(t.data);

const CONV: LayerDef = {
  name: "conv",
  type: "Convolution",
  bottoms: ["data"],
  tops: ["conv"],
  phase: null,
  convolution: { numOutput: 4, biasTerm: true, kernel: [3, 3], stride: [1, 1], pad: [1, 1], dilation: [1, 1], group: 1 },
  blobs: [
    { shape: [4, 3, 3, 3], data: f32(randomTensor([4 * 3 * 3 * 3], 21)) },
    { shape: [4], data: f32(randomTensor([4], 22)) },
  ],
};

/** An activation layer on the convolution's blob, in place (top = bottom) as in a Caffe prototxt. */
function activation(type: string, extra: Partial<LayerDef> = {}): LayerDef {
  return { name: "act", type, bottoms: ["conv"], tops: ["conv"], blobs: [], phase: null, ...extra };
}
const net = (...layers: LayerDef[]): NetDef => ({ name: "activations", inputs: [{ name: "data", shape: [1, 3, 6, 6] }], layers });

const SLOPES = Float32Array.from([0.25, -0.5, 0, 1.5]);

const CASES: Array<[string, LayerDef, (z: Tensor) => Tensor]> = [
  ["Sigmoid", activation("Sigmoid"), sigmoid],
  ["TanH", activation("TanH"), tanh],
  ["AbsVal", activation("AbsVal"), absval],
  ["ELU with α 0.4", activation("ELU", { elu: { alpha: 0.4 } }), (z) => elu(z, 0.4)],
  ["ELU without elu_param (α 1)", activation("ELU"), (z) => elu(z, 1)],
  [
    "Power with power 2, scale −0.5, shift 1",
    activation("Power", { power: { power: 2, scale: -0.5, shift: 1 } }),
    (z) => power(z, { power: 2, scale: -0.5, shift: 1 }),
  ],
  ["Power without power_param (the identity)", activation("Power"), (z) => z],
  [
    "PReLU per channel",
    activation("PReLU", { prelu: { channelShared: false }, blobs: [{ shape: [4], data: SLOPES }] }),
    (z) => prelu(z, new Tensor(SLOPES, [4])),
  ],
  [
    "PReLU channel-shared, its blob of shape []",
    activation("PReLU", { prelu: { channelShared: true }, blobs: [{ shape: [], data: Float32Array.from([0.3]) }] }),
    (z) => prelu(z, new Tensor(Float32Array.from([0.3]), [1])),
  ],
  [
    "PReLU without prelu_param (per channel)",
    activation("PReLU", { blobs: [{ shape: [4], data: SLOPES }] }),
    (z) => prelu(z, new Tensor(SLOPES, [4])),
  ],
];

describe("each activation type in a net", () => {
  for (const [name, layer, op] of CASES) {
    it(`${name}: the op's values and input gradient on the convolution's output`, () => {
      const n = new CaffeNet(net(CONV, layer));
      const x = randomTensor([1, 3, 6, 6], 5, -1, 1).to("float32");
      x.requiresGrad = true;
      const [y] = n.forward(x, ["act"]);
      expect(y!.shape).toEqual([1, 4, 6, 6]);
      const dy = f32(randomTensor(y!.shape, 6));
      backward(y!, dy);

      const x2 = new Tensor(Float32Array.from(x.data), x.shape, true);
      const z = conv2d(x2, new Tensor(CONV.blobs[0]!.data, [4, 3, 3, 3]), new Tensor(CONV.blobs[1]!.data, [4]), { pad: [1, 1] });
      const y2 = op(z);
      backward(y2, dy);
      expect(Array.from(y!.data)).toEqual(Array.from(y2.data));
      expect(Array.from(x.grad!)).toEqual(Array.from(x2.grad!));
      expect(n.describe([1, 3, 6, 6]).find((r) => r.name === "act")!.shape).toEqual([1, 4, 6, 6]);
    });
  }

  it("runs on a 2-D blob after an InnerProduct, and in Float64", () => {
    const fc: LayerDef = {
      name: "fc",
      type: "InnerProduct",
      bottoms: ["data"],
      tops: ["fc"],
      phase: null,
      innerProduct: { numOutput: 4, biasTerm: false, axis: 1, transpose: false },
      blobs: [{ shape: [4, 3 * 6 * 6], data: f32(randomTensor([4 * 108], 7)) }],
    };
    const act: LayerDef = { ...activation("PReLU", { blobs: [{ shape: [4], data: SLOPES }] }), bottoms: ["fc"], tops: ["out"] };
    const n = new CaffeNet(net(fc, act, { ...activation("TanH"), name: "t", bottoms: ["out"], tops: ["t"] }));
    const x = randomTensor([1, 3, 6, 6], 8);
    const [fcOut, t] = n.forward(x, ["fc", "t"]);
    expect(t!.data).toBeInstanceOf(Float64Array);
    const a = Float64Array.from(SLOPES);
    const expected = Array.from(fcOut!.data, (v, c) => Math.tanh(v > 0 ? v : a[c]! * v));
    expect(t!.data).toBeAllClose(expected, { atol: 0, rtol: 1e-15 });
  });
});

describe("PReLU's slopes at load", () => {
  it("names the layer whose slopes are not one per channel", () => {
    const bad = activation("PReLU", { blobs: [{ shape: [3], data: new Float32Array(3) }] });
    expect(() => new CaffeNet(net(CONV, bad))).toThrow(
      new ModelError('layer "act" (PReLU): has 3 slopes (blob 0) but 4 channels reach it; the file is broken or mismatched'),
    );
  });

  it("names a channel-shared layer with more than one slope, and one without its blob", () => {
    const shared = activation("PReLU", { prelu: { channelShared: true }, blobs: [{ shape: [4], data: SLOPES }] });
    expect(() => new CaffeNet(net(CONV, shared))).toThrow(
      'layer "act" (PReLU): channel_shared, so blob 0 should hold 1 slope, but it holds 4',
    );
    expect(() => new CaffeNet(net(CONV, activation("PReLU")))).toThrow('layer "act" (PReLU): has no slopes (blob 0)');
  });

  it("refuses one slope without channel_shared on 4 channels, as Caffe does", () => {
    const one = activation("PReLU", { blobs: [{ shape: [1], data: Float32Array.from([0.1]) }] });
    expect(() => new CaffeNet(net(CONV, one))).toThrow('layer "act" (PReLU): has 1 slope (blob 0) but 4 channels reach it');
  });

  it("refuses two bottoms for an activation, naming the layer", () => {
    const two = { ...activation("Sigmoid"), bottoms: ["conv", "data"] };
    expect(() => new CaffeNet(net(CONV, two))).toThrow(
      'layer "act" (Sigmoid) has 2 bottom(s) and 1 top(s); it needs exactly 1 bottom and exactly 1 top',
    );
  });
});

describe("GoogLeNet with PReLUs", () => {
  it("gives GoogLeNet's loss and input gradient bit for bit when every ReLU is a PReLU of zero slopes", () => {
    // The ReLUs run inside the convolutions (the GEMM's epilogue and the dx GEMM's mask); the
    // PReLUs after them, as layers of their own, in place: the same numbers either way.
    const def = decodeCaffeModel(readFileSync(googlenetUrl));
    const channels = new Map(def.layers.filter((l) => l.type === "Convolution").map((l) => [l.tops[0]!, l.convolution!.numOutput]));
    let replaced = 0;
    const layers = def.layers.map((l): LayerDef => {
      const c = channels.get(l.bottoms[0]!);
      if (l.type !== "ReLU" || c === undefined) return l;
      replaced++;
      return { ...l, type: "PReLU", relu: undefined, blobs: [{ shape: [c], data: new Float32Array(c) }] };
    });
    expect(replaced).toBe(57); // every convolution's
    const x = new Tensor(random255(3 * 96 * 96), [1, 3, 96, 96]);
    const original = inputGradient(new CaffeNet(def), x, { layer: "inception_3b/output" });
    const prelus = inputGradient(new CaffeNet({ ...def, layers }), x, { layer: "inception_3b/output" });
    expect(prelus.loss).toBe(original.loss);
    expect(Array.from(prelus.grad)).toEqual(Array.from(original.grad));
  });
});

function random255(n: number): Float32Array {
  return Float32Array.from(randomTensor([n], 9, -120, 120).data);
}
