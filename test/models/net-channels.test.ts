// Load-time checks that follow channel counts through the net: a weight blob that disagrees
// with the channels reaching its layer is a broken file, refused when it is loaded.
import { describe, expect, it } from "vitest";
import { ModelError, OptionError } from "../../src/errors.js";
import { CaffeNet } from "../../src/models/net.js";
import type { LayerDef, NetDef } from "../../src/io/caffe/net-def.js";

const zeros = (n: number): Float32Array => new Float32Array(n);

function conv(name: string, bottom: string, cin: number, cout: number, k: number, group = 1): LayerDef {
  return {
    name,
    type: "Convolution",
    bottoms: [bottom],
    tops: [name],
    phase: null,
    convolution: { numOutput: cout, biasTerm: false, kernel: [k, k], stride: [1, 1], pad: [0, 0], dilation: [1, 1], group },
    blobs: [{ shape: [cout, cin / group, k, k], data: zeros((cout * cin * k * k) / group) }],
  };
}
const ip = (name: string, bottom: string, k: number, out: number): LayerDef => ({
  name,
  type: "InnerProduct",
  bottoms: [bottom],
  tops: [name],
  phase: null,
  innerProduct: { numOutput: out, biasTerm: false, axis: 1, transpose: false },
  blobs: [{ shape: [out, k], data: zeros(out * k) }],
});
const net = (...layers: LayerDef[]): NetDef => ({ name: "hand-made", inputs: [{ name: "data", shape: [1, 3, 8, 8] }], layers });

describe("channel checks at load time", () => {
  it("accepts consistent convs, groups, concats and fully connected chains", () => {
    const def = net(
      conv("c1", "data", 3, 4, 3),
      conv("c2", "c1", 4, 6, 1, 2), // 2 groups of 2 → 3
      conv("c3", "c1", 4, 2, 1),
      { name: "cat", type: "Concat", bottoms: ["c2", "c3"], tops: ["cat"], blobs: [], phase: null, concat: { axis: 1 } },
      conv("c4", "cat", 8, 5, 3),
      ip("fc1", "c4", 5 * 4 * 4, 7),
      ip("fc2", "fc1", 7, 2),
    );
    expect(() => new CaffeNet(def)).not.toThrow();
  });

  it("names a conv whose weights are not out × in × kh × kw for the channels reaching it", () => {
    // c2's weights are [4, 3, 3, 3] — as if it read the picture — but c1 gives it 4 channels.
    const def = net(conv("c1", "data", 3, 4, 3), conv("c2", "c1", 3, 4, 3));
    expect(() => new CaffeNet(def)).toThrow(ModelError);
    expect(() => new CaffeNet(def)).toThrow(
      'layer "c2" (Convolution): weights are [4, 3, 3, 3] (out × in/group × kh × kw) but 4 channels reach the layer, so they should be [4, 4, 3, 3]; the file is broken or mismatched',
    );
  });

  it("checks the first conv against the declared input channels", () => {
    expect(() => new CaffeNet(net(conv("c1", "data", 1, 4, 3)))).toThrow(
      /layer "c1" \(Convolution\): weights are \[4, 1, 3, 3\].* 3 channels reach/,
    );
  });

  it("follows channels through a concat, and refuses groups that do not divide them", () => {
    const cat: LayerDef = { name: "cat", type: "Concat", bottoms: ["a", "b"], tops: ["cat"], blobs: [], phase: null, concat: { axis: 1 } };
    expect(() => new CaffeNet(net(conv("a", "data", 3, 2, 1), conv("b", "data", 3, 3, 1), cat, conv("c", "cat", 4, 2, 1)))).toThrow(
      /layer "c".*5 channels reach the layer/,
    );
    const h = { ...conv("h", "g", 8, 4, 1, 4), blobs: [{ shape: [4, 2, 1, 1], data: zeros(8) }] }; // made for 8 channels
    expect(() => new CaffeNet(net(conv("a", "data", 3, 4, 1), conv("g", "a", 4, 6, 1, 2), h))).toThrow(
      'layer "h" (Convolution): 6 input channels cannot be split into 4 groups',
    );
  });

  it("refuses an eltwise of blobs with different channels", () => {
    const sum: LayerDef = {
      name: "sum",
      type: "Eltwise",
      bottoms: ["a", "b"],
      tops: ["sum"],
      blobs: [],
      phase: null,
      eltwise: { operation: "sum", coeff: [] },
    };
    expect(() => new CaffeNet(net(conv("a", "data", 3, 2, 1), conv("b", "data", 3, 3, 1), sum))).toThrow(
      /layer "sum" \(Eltwise\): its inputs have 2, 3 channels/,
    );
  });

  it("checks a fully connected layer against the one before it, not against the picture size", () => {
    expect(() => new CaffeNet(net(conv("c", "data", 3, 2, 1), ip("fc1", "c", 2 * 8 * 8, 7), ip("fc2", "fc1", 6, 2)))).toThrow(
      /layer "fc2" \(InnerProduct\): weights take 6 inputs but the 7 outputs/,
    );
    // fc1's 128 inputs are an 8×8 window of c: a larger picture gives a grid of windows, a
    // smaller one is refused when run, as an option.
    const ok = new CaffeNet(net(conv("c", "data", 3, 2, 1), ip("fc1", "c", 2 * 8 * 8, 7)));
    expect(ok.outputShape("fc1", [1, 3, 8, 8])).toEqual([1, 7]);
    expect(ok.outputShape("fc1", [1, 3, 10, 11])).toEqual([1, 7, 3, 4]);
    expect(() => ok.outputShape("fc1", [1, 3, 7, 10])).toThrow(OptionError);
    expect(() => ok.outputShape("fc1", [1, 3, 7, 10])).toThrow(
      /"fc1" \(InnerProduct\) needs its input to be at least 8×8, .* but it is 7×10/,
    );
  });

  it("stops at an unsupported layer: what follows it is not checked, and it fails only when needed", () => {
    const weird: LayerDef = { name: "weird", type: "BNLL", bottoms: ["a"], tops: ["w"], blobs: [], phase: null };
    const n = new CaffeNet(net(conv("a", "data", 3, 2, 1), weird, conv("after", "w", 5, 2, 1)));
    expect(n.outputShape("a", [1, 3, 8, 8])).toEqual([1, 2, 8, 8]);
    expect(() => n.outputShape("after", [1, 3, 8, 8])).toThrow(/"weird" has type "BNLL", which inceptionism does not support/);
  });

  it("lists the planned layers with their shapes and conv scratch", () => {
    const n = new CaffeNet(net(conv("c1", "data", 3, 4, 3), conv("c2", "c1", 4, 2, 1), conv("c3", "c1", 4, 6, 3)));
    expect(n.plannedShapes(["c2"], [1, 3, 8, 8])).toEqual([
      // c1 is 3×3: Winograd's 36 products of (3 + 4) rows × 2·2 tiles need more than im2col's columns
      { name: "c1", type: "Convolution", top: "c1", shape: [1, 4, 6, 6], scratch: Math.max(3 * 3 * 3 * 6 * 6, 36 * (3 + 4) * 2 * 2) },
      { name: "c2", type: "Convolution", top: "c2", shape: [1, 2, 6, 6], scratch: 4 * 6 * 6 },
    ]);
  });
});
