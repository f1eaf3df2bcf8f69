// Flatten, Reshape, Slice and Crop in nets built by hand and run through CaffeNet
// (src/models/layer-rules/reshaping.ts): Caffe's shape rules, the channels each top carries at
// load, the values and input gradients against the ops run by hand, and the one-line errors for
// a broken file (at load) and for a picture size the layer does not fit (when run).
import { afterAll, describe, expect, it } from "vitest";
import "../../src/threads/node-host.js";
import { dream } from "../../src/dream/dream.js";
import { defaultLayer } from "../../src/dream/default-layer.js";
import { netPassBytes } from "../../src/dream/memory.js";
import { shutdownThreads, threadsReady, withThreads } from "../../src/threads/pool.js";
import { randomTensor } from "../../src/autograd/gradcheck.js";
import { backward } from "../../src/autograd/tape.js";
import { ModelError, OptionError } from "../../src/errors.js";
import { conv2d } from "../../src/layers/conv.js";
import { crop } from "../../src/layers/crop.js";
import { innerProduct } from "../../src/layers/inner-product.js";
import { slice } from "../../src/layers/slice.js";
import { CaffeNet } from "../../src/models/net.js";
import type { LayerDef, NetDef } from "../../src/io/caffe/net-def.js";
import { Tensor } from "../../src/tensor/tensor.js";

const f32 = (t: { data: ArrayLike<number> }): Float32Array => Float32Array.from(t.data);

function conv(name: string, bottom: string, cin: number, cout: number, k: number, pad = 0): LayerDef {
  return {
    name,
    type: "Convolution",
    bottoms: [bottom],
    tops: [name],
    phase: null,
    convolution: { numOutput: cout, biasTerm: true, kernel: [k, k], stride: [1, 1], pad: [pad, pad], dilation: [1, 1], group: 1 },
    blobs: [
      { shape: [cout, cin, k, k], data: f32(randomTensor([cout * cin * k * k], 11 + cout)) },
      { shape: [cout], data: f32(randomTensor([cout], 12 + cout)) },
    ],
  };
}
const layer = (name: string, type: string, bottoms: string[], extra: Partial<LayerDef> = {}): LayerDef => ({
  name,
  type,
  bottoms,
  tops: [name],
  blobs: [],
  phase: null,
  ...extra,
});
const ip = (name: string, bottom: string, k: number, n: number): LayerDef =>
  layer(name, "InnerProduct", [bottom], {
    innerProduct: { numOutput: n, biasTerm: false, axis: 1, transpose: false },
    blobs: [{ shape: [n, k], data: f32(randomTensor([n * k], 21)) }],
  });
const net = (...layers: LayerDef[]): NetDef => ({ name: "hand-made", inputs: [{ name: "data", shape: [1, 3, 6, 6] }], layers });
const input = (h: number, w: number, requiresGrad = false): Tensor => {
  const x = randomTensor([1, 3, h, w], 5).to("float32");
  x.requiresGrad = requiresGrad;
  return x;
};
const weights = (l: LayerDef): [Tensor, Tensor] => [
  new Tensor(l.blobs[0]!.data, l.blobs[0]!.shape),
  new Tensor(l.blobs[1]!.data, [l.blobs[1]!.data.length]),
];

describe("Flatten and Reshape", () => {
  const c = conv("c", "data", 3, 4, 3); // [1, 4, 4, 4] at 6×6
  const flat = layer("flat", "Flatten", ["c"], { flatten: { axis: 1, endAxis: -1 } });

  it("follow Caffe's shape rules: axis … end_axis into one; 0 copies, −1 is inferred, axis/num_axes replace a range", () => {
    const shapes = (extra: Partial<LayerDef>, type: string) =>
      new CaffeNet(net(c, layer("r", type, ["c"], extra))).outputShape("r", [1, 3, 6, 6]);
    expect(shapes({ flatten: { axis: 1, endAxis: -1 } }, "Flatten")).toEqual([1, 64]);
    expect(shapes({ flatten: { axis: 2, endAxis: 3 } }, "Flatten")).toEqual([1, 4, 16]);
    expect(shapes({ flatten: { axis: 0, endAxis: 1 } }, "Flatten")).toEqual([4, 4, 4]);
    expect(shapes({ flatten: { axis: 2, endAxis: 1 } }, "Flatten")).toEqual([1, 4, 1, 4, 4]); // no axes: a 1 inserted, as in Caffe
    expect(shapes({ reshape: { shape: [0, -1], axis: 0, numAxes: -1 } }, "Reshape")).toEqual([1, 64]);
    expect(shapes({ reshape: { shape: [0, 2, -1, 4], axis: 0, numAxes: -1 } }, "Reshape")).toEqual([1, 2, 8, 4]);
    expect(shapes({ reshape: { shape: [2, 2], axis: 1, numAxes: 1 } }, "Reshape")).toEqual([1, 2, 2, 4, 4]);
    expect(shapes({ reshape: { shape: [-1], axis: -3, numAxes: 2 } }, "Reshape")).toEqual([1, 4, 16]); // −3 on 4-D: axis 2
    expect(shapes({ reshape: { shape: [1, 1], axis: -1, numAxes: 0 } }, "Reshape")).toEqual([1, 4, 4, 4, 1, 1]); // −1: after the last
    expect(shapes({ reshape: { shape: [], axis: 0, numAxes: 0 } }, "Reshape")).toEqual([1, 4, 4, 4]);
  });

  it("run as views: the InnerProduct after a Flatten gets the convolution's values, and the gradient comes back", () => {
    const n = new CaffeNet(net(c, flat, ip("fc", "flat", 64, 5)));
    const x = input(6, 6, true);
    const [y] = n.forward(x, ["fc"]);
    const dy = f32(randomTensor([5], 7));
    backward(y!, dy);

    const x2 = input(6, 6, true);
    const [w, b] = weights(c);
    const fc = new Tensor(f32(randomTensor([5 * 64], 21)), [5, 64]); // ip()'s weights
    const y2 = innerProduct(conv2d(x2, w, b), fc, null, { axis: 1 });
    backward(y2, dy);
    expect(Array.from(y!.data)).toEqual(Array.from(y2.data));
    expect(Array.from(x.grad!)).toEqual(Array.from(x2.grad!));
  });

  it("cost no memory and are not dreamed on: a plan counts the Flatten's blob nowhere", () => {
    const n = new CaffeNet(net(c, flat));
    expect(n.describe([1, 3, 6, 6]).map((r) => [r.type, r.shape])).toEqual([
      ["Input", [1, 3, 6, 6]],
      ["Convolution", [1, 4, 4, 4]],
      ["Flatten", [1, 64]],
    ]);
  });

  it("say which layer fixes the picture size: an InnerProduct after a Flatten on a larger picture", () => {
    const n = new CaffeNet(net(c, flat, ip("fc", "flat", 64, 5)));
    expect(() => n.forward(input(8, 8), ["fc"])).toThrow(
      new OptionError(
        'layer "fc" (InnerProduct) takes 64 values per image but gets [144] = 144 at this input size; fully connected layers only run at the size the net was made for — choose an earlier layer',
      ),
    );
  });

  it("say a Reshape with fixed dims fits one size only, and name a −1 it cannot infer", () => {
    const fixed = new CaffeNet(net(c, layer("r", "Reshape", ["c"], { reshape: { shape: [1, 64], axis: 0, numAxes: -1 } })));
    expect(fixed.forward(input(6, 6), ["r"])[0]!.shape).toEqual([1, 64]);
    expect(() => fixed.forward(input(7, 6), ["r"])).toThrow(
      new OptionError(
        'layer "r" (Reshape) makes [1, 64] = 64 values but its input is [1, 4, 5, 4] = 80 at this input size; fixed dims only fit the size the net was made for — choose an earlier layer',
      ),
    );
    const inferred = new CaffeNet(net(c, layer("r", "Reshape", ["c"], { reshape: { shape: [0, 3, -1], axis: 0, numAxes: -1 } })));
    expect(() => inferred.outputShape("r", [1, 3, 6, 6])).toThrow(
      'layer "r" (Reshape): its input [1, 4, 4, 4] has 64 values, which the other dims of [1, 3, ?] (3) do not divide at this input size',
    );
  });

  it("refuse a broken reshape_param at load, and a 0 with no axis to copy when run", () => {
    const r = (p: LayerDef["reshape"]) => new CaffeNet(net(c, layer("r", "Reshape", ["c"], { reshape: p })));
    expect(() => r({ shape: [-1, -1], axis: 0, numAxes: -1 })).toThrow(
      new ModelError('layer "r" (Reshape): its shape [-1, -1] has more than one −1; at most one dim is inferred'),
    );
    expect(() => r({ shape: [0, -2], axis: 0, numAxes: -1 })).toThrow('layer "r" (Reshape): its shape [0, -2] has a dim below −1');
    expect(() => r({ shape: [1], axis: 0, numAxes: -2 })).toThrow('layer "r" (Reshape): num_axes -2 must be ≥ 0, or −1 for all');
    expect(() => new CaffeNet(net(c, layer("r", "Reshape", ["c"])))).toThrow('layer "r" (Reshape): has no reshape parameters');
    expect(() => r({ shape: [0, 0, 0, 0, 0], axis: 0, numAxes: -1 }).outputShape("r", [1, 3, 6, 6])).toThrow(
      new ModelError('layer "r" (Reshape): dim 4 of its shape is 0, which copies axis 4, but its input [1, 4, 4, 4] has none'),
    );
    expect(() => r({ shape: [2], axis: 3, numAxes: 2 }).outputShape("r", [1, 3, 6, 6])).toThrow(
      'layer "r" (Reshape): axis 3 + num_axes 2 goes past the last axis of its 4-D input [1, 4, 4, 4]',
    );
  });

  it("carry channels at load where the file fixes them, so the layer after is checked", () => {
    // Reshape [0, 0, 16] keeps 4 channels; a conv after it taking 3 is refused at load.
    const keep = layer("r", "Reshape", ["c"], { reshape: { shape: [0, 0, 2, 8], axis: 0, numAxes: -1 } });
    expect(() => new CaffeNet(net(c, keep, conv("c2", "r", 3, 2, 1)))).toThrow(/layer "c2" \(Convolution\): .* 4 channels reach the layer/);
    // Flatten to [N, 64]: unknown until sizes are known, so an InnerProduct of any width loads.
    expect(() => new CaffeNet(net(c, flat, ip("fc", "flat", 99, 5)))).not.toThrow();
    // Reshape to [N, 64] with the count fixed: an InnerProduct taking 99 is refused at load.
    const fixed = layer("r", "Reshape", ["c"], { reshape: { shape: [0, 64], axis: 0, numAxes: -1 } });
    expect(() => new CaffeNet(net(c, fixed, ip("fc", "r", 99, 5)))).toThrow(
      /layer "fc" \(InnerProduct\): weights take 99 inputs but the 64 outputs/,
    );
  });
});

describe("Slice", () => {
  const c = conv("c", "data", 3, 6, 3);
  const cut = (p: LayerDef["slice"], tops: string[]): LayerDef => ({ ...layer("s", "Slice", ["c"], { slice: p }), tops });

  it("gives each top its own channels at load, so the convolutions after the parts are checked against them", () => {
    const s = cut({ axis: 1, slicePoints: [2] }, ["s2", "s4"]);
    expect(() => new CaffeNet(net(c, s, conv("a", "s2", 2, 3, 1), conv("b", "s4", 4, 3, 1)))).not.toThrow();
    expect(() => new CaffeNet(net(c, s, conv("a", "s2", 2, 3, 1), conv("b", "s4", 2, 3, 1)))).toThrow(
      'layer "b" (Convolution): weights are [3, 2, 1, 1] (out × in/group × kh × kw) but 4 channels reach the layer, so they should be [3, 4, 1, 1]; the file is broken or mismatched',
    );
    const equal = cut({ axis: 1, slicePoints: [] }, ["x", "y", "z"]);
    expect(() => new CaffeNet(net(c, equal, conv("a", "z", 2, 3, 1)))).not.toThrow();
  });

  it("gives the parts' values, and each part's gradient back to its channels", () => {
    const n = new CaffeNet(net(c, cut({ axis: 1, slicePoints: [1, 4] }, ["p", "q", "r"])));
    const x = input(6, 6, true);
    const [p, r] = n.forward(x, ["p", "r"]);
    expect([p!.shape, r!.shape]).toEqual([
      [1, 1, 4, 4],
      [1, 2, 4, 4],
    ]);
    const dp = f32(randomTensor([16], 8)),
      dr = f32(randomTensor([32], 9));
    backward([p!, r!], [dp, dr]);

    const x2 = input(6, 6, true);
    const [w, b] = weights(c);
    const [p2, , r2] = slice(conv2d(x2, w, b), [1, 3, 2], 1);
    backward([p2!, r2!], [dp, dr]);
    expect(Array.from(p!.data)).toEqual(Array.from(p2!.data));
    expect(Array.from(r!.data)).toEqual(Array.from(r2!.data));
    expect(Array.from(x.grad!)).toEqual(Array.from(x2.grad!));
  });

  it("refuses at load slice points that do not match its tops or the channels", () => {
    expect(() => new CaffeNet(net(c, cut({ axis: 1, slicePoints: [2] }, ["a", "b", "c2"])))).toThrow(
      new ModelError('layer "s" (Slice): 1 slice point(s) cut 2 parts, but it has 3 top(s)'),
    );
    expect(() => new CaffeNet(net(c, cut({ axis: 1, slicePoints: [3, 3] }, ["a", "b", "c2"])))).toThrow(
      'layer "s" (Slice): slice points [3, 3] must be positive and ascending',
    );
    expect(() => new CaffeNet(net(c, cut({ axis: 1, slicePoints: [6] }, ["a", "b"])))).toThrow(
      'layer "s" (Slice): slice point 6 is not inside the 6 of the 6 channels reaching it',
    );
    expect(() => new CaffeNet(net(c, cut({ axis: 1, slicePoints: [] }, ["a", "b", "c2", "d"])))).toThrow(
      'layer "s" (Slice): 4 tops cannot take equal parts of the 6 channels reaching it',
    );
  });

  it("says when a cut across the picture does not fit its size", () => {
    const rows = new CaffeNet(net(c, cut({ axis: 2, slicePoints: [] }, ["top", "bottom"])));
    expect(rows.outputShape("bottom", [1, 3, 6, 7])).toEqual([1, 6, 2, 5]);
    expect(() => rows.forward(input(7, 7), ["top"])).toThrow(
      new OptionError(
        'layer "s" (Slice): 2 tops cannot take equal parts of axis 2 of its input [1, 6, 5, 5] at this input size; try another picture size',
      ),
    );
  });
});

describe("Crop", () => {
  // An FCN-style head: a padded convolution grows the picture by 4, and a Crop with the data as
  // its second bottom cuts the scores back to the picture's own size.
  const grow = conv("grow", "data", 3, 4, 1, 2);
  const cropTo = (offset: number[], axis = 2, bottoms = ["grow", "data"]): LayerDef =>
    layer("crop", "Crop", bottoms, { crop: { axis, offset } });

  it("cuts bottom 0 to bottom 1's size at every picture size, with the values and gradient of the window", () => {
    const n = new CaffeNet(net(grow, cropTo([2])));
    for (const [h, w] of [
      [6, 6],
      [9, 13],
    ] as const) {
      const x = input(h, w, true);
      const [y] = n.forward(x, ["crop"]);
      expect(y!.shape).toEqual([1, 4, h, w]);
      const dy = f32(randomTensor(y!.shape, 3));
      backward(y!, dy);

      const x2 = input(h, w, true);
      const [cw, cb] = weights(grow);
      const y2 = crop(conv2d(x2, cw, cb, { pad: [2, 2] }), [1, 4, h, w], [0, 0, 2, 2]);
      backward(y2, dy);
      expect(Array.from(y!.data)).toEqual(Array.from(y2.data));
      expect(Array.from(x.grad!)).toEqual(Array.from(x2.grad!));
    }
  });

  it("takes no offset as 0, one for every cropped axis, or one per axis", () => {
    const shape = (offset: number[]) => new CaffeNet(net(grow, cropTo(offset))).forward(input(6, 6), ["crop"])[0]!;
    const whole = new CaffeNet(net(grow)).forward(input(6, 6), ["grow"])[0]!; // [1, 4, 10, 10]
    const at = (oy: number, ox: number) => Array.from({ length: 6 }, (_, r) => whole.data[(oy + r) * 10 + ox]!);
    const firstColumn = (t: Tensor) => Array.from({ length: 6 }, (_, r) => t.data[r * 6]!);
    expect(firstColumn(shape([]))).toEqual(at(0, 0));
    expect(firstColumn(shape([3]))).toEqual(at(3, 3));
    expect(firstColumn(shape([1, 4]))).toEqual(at(1, 4));
  });

  it("keeps bottom 0's channels from axis 2, takes bottom 1's from axis 1, and checks them at load", () => {
    const ref = conv("ref", "data", 3, 2, 1, 2); // 2 channels, also 10×10
    const channels = new CaffeNet(net(grow, ref, cropTo([1, 0, 0], 1, ["grow", "ref"]), conv("after", "crop", 2, 3, 1)));
    expect(channels.outputShape("after", [1, 3, 6, 6])).toEqual([1, 3, 10, 10]);
    expect(() => new CaffeNet(net(grow, ref, cropTo([3, 0, 0], 1, ["grow", "ref"])))).toThrow(
      new ModelError('layer "crop" (Crop): it cuts 2 channels at offset 3 out of the 4 reaching it; the file is broken or mismatched'),
    );
    expect(() => new CaffeNet(net(grow, cropTo([2]), conv("after", "crop", 3, 3, 1)))).toThrow(/4 channels reach the layer/);
  });

  it("says which axis a window too large leaves, and refuses one bottom or offsets of the wrong number", () => {
    expect(() => new CaffeNet(net(grow, cropTo([5]))).forward(input(6, 6), ["crop"])).toThrow(
      new OptionError(
        'layer "crop" (Crop): cutting [6, 6] at offset 5 on axis 2 needs 11 there, but its input [1, 4, 10, 10] has 10 at this input size; try another picture size',
      ),
    );
    expect(() => new CaffeNet(net(grow, cropTo([2], 2, ["grow"])))).toThrow(
      new ModelError('layer "crop" (Crop) has 1 bottom(s) and 1 top(s); it needs exactly 2 bottoms and exactly 1 top'),
    );
    expect(() => new CaffeNet(net(grow, cropTo([1, 2, 3]))).outputShape("crop", [1, 3, 6, 6])).toThrow(
      'layer "crop" (Crop): it has 3 offsets for the 2 axes it crops from axis 2; give one, or one per axis',
    );
    expect(() => new CaffeNet(net(grow, cropTo([-1])))).toThrow('layer "crop" (Crop): offsets [-1] must be whole numbers ≥ 0');
  });
});

describe("a net with every reshaping layer", () => {
  // data → conv (6) → ReLU → Slice 2 | 4 → conv 3×3 pad 2 on the 4 (grows by 2) → Crop to the 2's
  // size at 1 → global pooling → Flatten → InnerProduct (10) → Softmax.
  const def: NetDef = net(
    conv("c", "data", 3, 6, 3, 1),
    layer("relu", "ReLU", ["c"], { tops: ["c"], relu: { negativeSlope: 0 } }),
    { ...layer("s", "Slice", ["c"], { slice: { axis: 1, slicePoints: [2] } }), tops: ["two", "four"] },
    conv("wide", "four", 4, 4, 3, 2),
    layer("crop", "Crop", ["wide", "two"], { crop: { axis: 2, offset: [1] } }),
    layer("pool", "Pooling", ["crop"], { pooling: { method: "ave", kernel: [0, 0], stride: [1, 1], pad: [0, 0], globalPooling: true } }),
    layer("flat", "Flatten", ["pool"], { flatten: { axis: 1, endAxis: -1 } }),
    ip("fc", "flat", 4, 10),
    layer("prob", "Softmax", ["fc"], { softmax: { axis: 1 } }),
  );
  afterAll(() => shutdownThreads());

  it("dreams on its deepest feature map, the Crop, and counts the Flatten's view as no memory", async () => {
    const n = new CaffeNet(def);
    expect(defaultLayer(n, "inception_4c/output")).toBe("crop");
    const withFlatten = netPassBytes(n, ["flat"], 20, 20);
    expect(withFlatten).toBe(netPassBytes(n, ["pool"], 20, 20));
    const image = { width: 40, height: 30, data: Float32Array.from(randomTensor([30 * 40 * 3], 4, 0, 255).data) };
    const out = await dream(image, { model: n, octaves: 2, iterations: 2, seed: 1 });
    expect([out.width, out.height]).toEqual([40, 30]);
    expect(out.data.some((v, i) => Math.abs(v - image.data[i]!) > 1)).toBe(true);
  });

  it("gives the same bits on 1 and 2 threads, forward and input gradient (large enough for the convolutions to split)", async () => {
    await threadsReady(2);
    const n = new CaffeNet(def);
    const run = (): number[][] => {
      const x = randomTensor([1, 3, 90, 100], 9).to("float32");
      x.requiresGrad = true;
      const [crop_, prob] = n.forward(x, ["crop", "prob"]);
      backward([crop_!, prob!], [f32(randomTensor(crop_!.shape, 10)), f32(randomTensor([10], 11))]);
      return [Array.from(crop_!.data), Array.from(prob!.data), Array.from(x.grad!)];
    };
    const one = withThreads(1, run);
    withThreads(2, run).forEach((a, k) => {
      expect(a, `output ${k}`).toEqual(one[k]);
    });
  });
});
