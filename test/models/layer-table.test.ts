// The per-type rules of src/models/layer-table.ts, seen through the net that asks them: how many
// bottoms and tops a type takes, what its weights must hold, which ReLUs run inside the
// convolution before them, and how much im2col scratch a plan reports.
import { describe, expect, it } from "vitest";
import { randomTensor } from "../../src/autograd/gradcheck.js";
import { backward } from "../../src/autograd/tape.js";
import { ModelError } from "../../src/errors.js";
import { conv2d } from "../../src/layers/conv.js";
import { relu } from "../../src/layers/relu.js";
import { CaffeNet } from "../../src/models/net.js";
import type { LayerDef, NetDef } from "../../src/io/caffe/net-def.js";
import { Tensor } from "../../src/tensor/tensor.js";

const f32 = (t: { data: ArrayLike<number> }): Float32Array => Float32Array.from(t.data);

function conv(name: string, bottom: string, cin: number, cout: number, k: number): LayerDef {
  return {
    name,
    type: "Convolution",
    bottoms: [bottom],
    tops: [name],
    phase: null,
    convolution: { numOutput: cout, biasTerm: true, kernel: [k, k], stride: [1, 1], pad: [0, 0], dilation: [1, 1], group: 1 },
    blobs: [
      { shape: [cout, cin, k, k], data: f32(randomTensor([cout * cin * k * k], 11)) },
      { shape: [cout], data: f32(randomTensor([cout], 12)) },
    ],
  };
}
const layer = (name: string, type: string, bottoms: string[], tops: string[]): LayerDef => ({
  name,
  type,
  bottoms,
  tops,
  blobs: [],
  phase: null,
});
const net = (...layers: LayerDef[]): NetDef => ({ name: "hand-made", inputs: [{ name: "data", shape: [1, 3, 8, 8] }], layers });

describe("arity: the bottoms and tops each type takes", () => {
  it("refuses a Concat of nothing, a Split to nothing and a ReLU of two blobs, naming what the type needs", () => {
    const a = conv("a", "data", 3, 2, 1);
    expect(() => new CaffeNet(net(a, layer("cat", "Concat", [], ["cat"])))).toThrow(
      'layer "cat" (Concat) has 0 bottom(s) and 1 top(s); it needs at least 1 bottom and exactly 1 top',
    );
    expect(() => new CaffeNet(net(a, layer("s", "Split", ["a"], [])))).toThrow(
      'layer "s" (Split) has 1 bottom(s) and 0 top(s); it needs exactly 1 bottom and at least 1 top',
    );
    expect(() => new CaffeNet(net(a, layer("r", "ReLU", ["a", "data"], ["r"])))).toThrow(
      'layer "r" (ReLU) has 2 bottom(s) and 1 top(s); it needs exactly 1 bottom and exactly 1 top',
    );
  });

  it("accepts an Eltwise of three and a Split to three", () => {
    const def = net(conv("a", "data", 3, 2, 1), layer("s", "Split", ["a"], ["s1", "s2", "s3"]), {
      ...layer("sum", "Eltwise", ["s1", "s2", "s3"], ["sum"]),
      eltwise: { operation: "sum", coeff: [] },
    });
    const n = new CaffeNet(def);
    const x = randomTensor([1, 3, 8, 8], 3).to("float32");
    const [a, sum] = n.forward(x, ["a", "sum"]);
    expect(Array.from(sum!.data)).toEqual(Array.from(a!.data, (v) => Math.fround(Math.fround(v + v) + v)));
  });
});

describe("weights: what a type's blobs must hold", () => {
  it("names a convolution without its bias blob, or whose weights do not divide into its kernels", () => {
    const noBias = { ...conv("c", "data", 3, 4, 3), blobs: [conv("c", "data", 3, 4, 3).blobs[0]!] };
    expect(() => new CaffeNet(net(noBias))).toThrow(new ModelError('layer "c" (Convolution): blob 1 is missing'));
    const odd = { ...conv("c", "data", 3, 4, 3), blobs: [{ shape: [107], data: new Float32Array(107) }] };
    expect(() => new CaffeNet(net(odd))).toThrow(
      'layer "c" (Convolution): weights have 107 values, not a multiple of num_output × kernel = 4×3×3',
    );
  });

  it("names an InnerProduct without weights", () => {
    const fc: LayerDef = {
      ...layer("fc", "InnerProduct", ["data"], ["fc"]),
      innerProduct: { numOutput: 5, biasTerm: false, axis: 1, transpose: false },
    };
    expect(() => new CaffeNet(net(fc))).toThrow('layer "fc" (InnerProduct): has no weights (blob 0)');
  });
});

describe("ReLU fusion: a ReLU of slope ≥ 0 runs inside the convolution before it", () => {
  // Values and input gradients must be those of conv2d then relu as two ops, whatever the slope:
  // fused for 0 and 0.1, left as a layer of its own for −0.5.
  for (const slope of [0, 0.1, -0.5]) {
    it(`gives conv → ReLU(${slope}) exactly, forward and backward`, () => {
      const c = conv("c", "data", 3, 4, 3);
      const n = new CaffeNet(net(c, { ...layer("r", "ReLU", ["c"], ["c"]), relu: { negativeSlope: slope } }));
      const x = randomTensor([1, 3, 8, 8], 5, -1, 1, true).to("float32");
      x.requiresGrad = true;
      const [y] = n.forward(x, ["r"]);
      expect(y!.node!.op).toBe(slope >= 0 ? "conv2d+relu" : "relu");
      const dy = f32(randomTensor(y!.shape, 6));
      backward(y!, dy);

      const x2 = new Tensor(Float32Array.from(x.data), x.shape);
      x2.requiresGrad = true;
      const w = new Tensor(c.blobs[0]!.data, [4, 3, 3, 3]);
      const b = new Tensor(c.blobs[1]!.data, [4]);
      const y2 = relu(conv2d(x2, w, b), slope);
      backward(y2, dy);
      expect(Array.from(y!.data)).toEqual(Array.from(y2.data));
      expect(Array.from(x.grad!)).toEqual(Array.from(x2.grad!));
    });
  }
});

describe("scratch: the im2col columns a plan reports", () => {
  it("counts a fully convolutional InnerProduct's columns on a grid, and none for pooling or a plain InnerProduct", () => {
    const fc: LayerDef = {
      ...layer("fc", "InnerProduct", ["pool"], ["fc"]),
      innerProduct: { numOutput: 5, biasTerm: false, axis: 1, transpose: false },
      blobs: [{ shape: [5, 2 * 3 * 3], data: f32(randomTensor([5 * 18], 7)) }],
    };
    const pool: LayerDef = {
      ...layer("pool", "Pooling", ["a"], ["pool"]),
      pooling: { method: "max", kernel: [2, 2], stride: [2, 2], pad: [0, 0], globalPooling: false },
    };
    // Declared 6×6: pool gives 2×3×3, so fc's 18 inputs are a 3×3 window, run at every one of a larger grid.
    const def: NetDef = { ...net(conv("a", "data", 3, 2, 1), pool, fc), inputs: [{ name: "data", shape: [1, 3, 6, 6] }] };
    const n = new CaffeNet(def);
    const scratch = (side: number) => n.plannedShapes(["fc"], [1, 3, side, side]).map((r) => [r.name, r.shape, r.scratch]);
    expect(scratch(6)).toEqual([
      ["a", [1, 2, 6, 6], 3 * 6 * 6],
      ["pool", [1, 2, 3, 3], 0],
      ["fc", [1, 5], 0],
    ]);
    expect(scratch(10)).toEqual([
      ["a", [1, 2, 10, 10], 3 * 10 * 10],
      ["pool", [1, 2, 5, 5], 0],
      ["fc", [1, 5, 3, 3], 2 * 3 * 3 * 3 * 3], // C·kh·kw rows of OH·OW
    ]);
  });
});
