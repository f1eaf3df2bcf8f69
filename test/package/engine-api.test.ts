// The engine as the README shows it, through the package entry: ops on the tape, backward, and
// gradcheck agreeing with central differences.
import { describe, expect, it } from "vitest";
import * as inceptionism from "../../src/index.js";
import type { Tensor } from "../../src/index.js";
import { layerOps } from "../layer-ops.js";

describe("the engine's public API", () => {
  it("runs the README's example: conv2d, relu, pool2d, backward and gradcheck", () => {
    const { backward, conv2d, gradcheck, pool2d, randomTensor, relu } = inceptionism;
    const x = randomTensor([1, 2, 6, 6], 1, -1, 1, true);
    const w = randomTensor([4, 2, 3, 3], 2, -1, 1, true);
    const net = (x: Tensor, w: Tensor): Tensor =>
      pool2d(relu(conv2d(x, w, null, { pad: [1, 1] })), { method: "max", kernel: [2, 2], stride: [2, 2] });
    const y = net(x, w);
    expect(y.shape).toEqual([1, 4, 3, 3]);
    backward(y);
    expect(x.grad?.length).toBe(72);
    expect(w.grad?.length).toBe(72);
    expect(gradcheck(net, [x, w]).maxRelativeError).toBeLessThan(1e-6);
  });

  it("exports every op the Caffe layer table runs, and record to write new ones", () => {
    for (const name of [...layerOps(), "record", "randomTensor"]) {
      expect(inceptionism, name).toHaveProperty(name);
    }
  });

  it("pool2d takes Caffe's stride and pad defaults, [1, 1] and [0, 0]", () => {
    const x = inceptionism.randomTensor([1, 1, 4, 4], 3);
    expect(inceptionism.pool2d(x, { method: "max", kernel: [2, 2] }).shape).toEqual([1, 1, 3, 3]);
  });
});
