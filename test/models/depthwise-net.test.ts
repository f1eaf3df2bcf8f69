// A depthwise convolution (group = C) through the net: it runs by the direct kernels, so a plan
// reports no im2col scratch for it — unless im2col is forced, when the grouped path's columns
// are back — and its values are the naive twin's.
import { afterEach, describe, expect, it } from "vitest";
import { randomTensor } from "../../src/autograd/gradcheck.js";
import type { LayerDef, NetDef } from "../../src/io/caffe/net-def.js";
import { conv2dForwardNaive, convGeometry, setConvAlgorithm } from "../../src/layers/conv.js";
import { winogradScratchBound } from "../../src/layers/winograd.js";
import { CaffeNet } from "../../src/models/net.js";
import { random } from "../random.js";

function conv(name: string, bottom: string, cin: number, cout: number, group: number, stride = 1): LayerDef {
  return {
    name,
    type: "Convolution",
    bottoms: [bottom],
    tops: [name],
    phase: null,
    convolution: { numOutput: cout, biasTerm: true, kernel: [3, 3], stride: [stride, stride], pad: [1, 1], dilation: [1, 1], group },
    blobs: [
      { shape: [cout, cin / group, 3, 3], data: random((cout * cin * 9) / group, 31, Float32Array) },
      { shape: [cout], data: random(cout, 32, Float32Array) },
    ],
  };
}
// MobileNet's pattern: a full 3×3 convolution, then a depthwise one (group = C), stride 2.
const net = (): NetDef => ({
  name: "mobile",
  inputs: [{ name: "data", shape: [1, 3, 16, 16] }],
  layers: [conv("conv1", "data", 3, 8, 1), conv("conv2/dw", "conv1", 8, 8, 8, 2)],
});

describe("a depthwise convolution in a net", () => {
  afterEach(() => setConvAlgorithm("auto"));

  it("reports no scratch for the depthwise layer, and the grouped path's columns when im2col is forced", () => {
    setConvAlgorithm("auto"); // the default path first, whatever INCEPTIONISM_CONV this run was given
    const n = new CaffeNet(net());
    const scratch = () => n.plannedShapes(["conv2/dw"], [1, 3, 16, 16]).map((r) => [r.name, r.scratch]);
    expect(scratch()).toEqual([
      ["conv1", Math.max(3 * 9 * 16 * 16, winogradScratchBound(3, 8, 16, 16))], // im2col, or Winograd's tiles
      ["conv2/dw", 0],
    ]);
    setConvAlgorithm("im2col");
    // C/G·R·S rows of OH·OW, or what Winograd's tiles would take: the rule knows a 3×3 but not its stride.
    expect(scratch()[1]).toEqual(["conv2/dw", Math.max(1 * 9 * 8 * 8, winogradScratchBound(1, 8, 8, 8))]);
  });

  it("computes the naive twin's values", () => {
    const n = new CaffeNet(net());
    const x = randomTensor([1, 3, 16, 16], 5);
    const [a, b] = n.forward(x, ["conv1", "conv2/dw"]);
    const layer = net().layers[1]!;
    const g = convGeometry(a!.shape, layer.blobs[0]!.shape, layer.convolution);
    const ref = new Float64Array(b!.size);
    conv2dForwardNaive(ref, a!.data, Float64Array.from(layer.blobs[0]!.data), Float64Array.from(layer.blobs[1]!.data), g);
    expect(b!.data).toBeAllClose(ref, { rtol: 0, atol: 0 });
  });
});
