// The Deconvolution rule (src/models/layer-rules/deconvolution.ts) through the net: its
// transposed weight blob [C, K/G, R, S], the errors a broken file gets at load, the shapes, the
// scratch a plan reports, and the net's values and input gradient against the naive twin.
import { describe, expect, it } from "vitest";
import { randomTensor } from "../../src/autograd/gradcheck.js";
import { backward } from "../../src/autograd/tape.js";
import { ModelError } from "../../src/errors.js";
import type { ConvolutionParam, LayerDef, NetDef } from "../../src/io/caffe/net-def.js";
import { setConvAlgorithm } from "../../src/layers/conv.js";
import { deconv2dBackwardNaive, deconv2dForwardNaive, deconvGeometry } from "../../src/layers/deconv.js";
import { winogradScratchBound } from "../../src/layers/winograd.js";
import { CaffeNet } from "../../src/models/net.js";
import { random } from "../random.js";

function deconv(name: string, bottom: string, cin: number, p: Partial<ConvolutionParam> & { numOutput: number }): LayerDef {
  const q: ConvolutionParam = { biasTerm: true, kernel: [4, 4], stride: [2, 2], pad: [1, 1], dilation: [1, 1], group: 1, ...p };
  const perGroup = q.numOutput / q.group;
  const blobs = [{ shape: [cin, perGroup, ...q.kernel], data: random(cin * perGroup * q.kernel[0] * q.kernel[1], 21, Float32Array) }];
  if (q.biasTerm) blobs.push({ shape: [q.numOutput], data: random(q.numOutput, 22, Float32Array) });
  return { name, type: "Deconvolution", bottoms: [bottom], tops: [name], phase: null, convolution: q, blobs };
}
const net = (...layers: LayerDef[]): NetDef => ({ name: "hand-made", inputs: [{ name: "data", shape: [1, 3, 8, 8] }], layers });

describe("Deconvolution through the net", () => {
  it("upsamples 2× (4×4 kernel, stride 2, pad 1) with the naive twin's values and input gradient", () => {
    const layer = deconv("up", "data", 3, { numOutput: 5 });
    const n = new CaffeNet(net(layer));
    expect(n.outputShape("up", [1, 3, 8, 7])).toEqual([1, 5, 16, 14]);
    const x = randomTensor([1, 3, 8, 7], 3, -1, 1, true);
    const [y] = n.forward(x, ["up"]);
    const g = deconvGeometry(x.shape, layer.blobs[0]!.shape, layer.convolution);
    const w = Float64Array.from(layer.blobs[0]!.data),
      b = Float64Array.from(layer.blobs[1]!.data);
    const ref = new Float64Array(y!.size);
    deconv2dForwardNaive(ref, x.data, w, b, g);
    expect(y!.data).toBeAllClose(ref, { rtol: 1e-12, atol: 1e-12 });
    const dy = random(y!.size, 4, Float64Array);
    backward(y!, dy);
    const dxRef = new Float64Array(x.size);
    deconv2dBackwardNaive(dxRef, null, null, dy, x.data, w, g);
    expect(x.grad).toBeAllClose(dxRef, { rtol: 1e-12, atol: 1e-12 });
  });

  it("runs grouped (depthwise) and without a bias", () => {
    const n = new CaffeNet(net(deconv("up", "data", 3, { numOutput: 6, group: 3, biasTerm: false, kernel: [3, 3], pad: [0, 0] })));
    expect(n.describe([1, 3, 5, 5]).at(-1)).toEqual({ name: "up", type: "Deconvolution", top: "up", shape: [1, 6, 11, 11] });
  });

  it("names the layer when the weights disagree with the channels that reach it", () => {
    // Weights for 4 input channels, but the data has 3.
    expect(() => new CaffeNet(net(deconv("up", "data", 4, { numOutput: 2 })))).toThrow(
      new ModelError(
        'layer "up" (Deconvolution): weights are [4, 2, 4, 4] (in × out/group × kh × kw) but 3 channels reach the layer, ' +
          "so they should be [3, 2, 4, 4]; the file is broken or mismatched",
      ),
    );
  });

  it("names the layer when num_output, the groups or the blobs do not fit", () => {
    const layer = deconv("up", "data", 3, { numOutput: 6, group: 3 });
    expect(() => new CaffeNet(net({ ...layer, convolution: { ...layer.convolution!, numOutput: 7 } }))).toThrow(
      'layer "up" (Deconvolution): num_output 7 cannot be split into 3 groups',
    );
    expect(() => new CaffeNet(net(deconv("up", "data", 3, { numOutput: 2, group: 2 })))).toThrow(
      'layer "up" (Deconvolution): 3 input channels cannot be split into 2 groups',
    );
    const odd = { ...layer, blobs: [{ shape: [37], data: new Float32Array(37) }, layer.blobs[1]!] };
    expect(() => new CaffeNet(net(odd))).toThrow(
      'layer "up" (Deconvolution): weights have 37 values, not a multiple of num_output/group × kernel = 2×4×4',
    );
    expect(() => new CaffeNet(net({ ...layer, blobs: [layer.blobs[0]!] }))).toThrow('layer "up" (Deconvolution): blob 1 is missing');
    expect(() => new CaffeNet(net({ ...layer, convolution: undefined }))).toThrow('layer "up" (Deconvolution): no convolution parameters');
  });

  it("reports the adjoint convolution's columns on the input plane, and the backward's temporary, as scratch", () => {
    const n = new CaffeNet(
      net(deconv("up", "data", 3, { numOutput: 5 }), deconv("same", "up", 5, { numOutput: 2, kernel: [3, 3], stride: [1, 1] })),
    );
    const rows = n.plannedShapes(["same"], [1, 3, 6, 7]).map((r) => [r.name, r.shape, r.scratch]);
    expect(rows).toEqual([
      ["up", [1, 5, 12, 14], 5 * 4 * 4 * 6 * 7 + 3 * 6 * 7], // K/G·R·S rows of H·W, and x's size
      ["same", [1, 2, 12, 14], Math.max(2 * 3 * 3 * 12 * 14, winogradScratchBound(2, 5, 12, 14)) + 5 * 12 * 14],
    ]);
  });

  it("reports no columns when the adjoint convolution is depthwise (num_output = group: FCN's bilinear upsampling)", () => {
    setConvAlgorithm("auto"); // the depthwise kernels run unless im2col is forced (INCEPTIONISM_CONV)
    const n = new CaffeNet(net(deconv("up", "data", 3, { numOutput: 3, group: 3, biasTerm: false })));
    expect(n.plannedShapes(["up"], [1, 3, 6, 7]).map((r) => [r.name, r.shape, r.scratch])).toEqual([
      ["up", [1, 3, 12, 14], 3 * 6 * 7], // only the backward's temporary
    ]);
  });
});
