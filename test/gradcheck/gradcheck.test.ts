import { describe, expect, it } from "vitest";
import { gradcheck } from "../../src/autograd/gradcheck.js";
import { layerOps } from "../layer-ops.js";
import { allCases } from "./all.js";
import { GRADCHECK_TOLERANCE } from "./cases.js";

// The one place every op's gradient check runs (the layer tests check values; `npm run
// gradcheck` prints these same cases).
describe("Float64 gradient checks (central differences)", () => {
  it("cover every op the Caffe layer table runs", () => {
    const ops = new Set(allCases.map((c) => c.op));
    for (const op of [...layerOps(), "composed net"]) {
      expect(ops, op).toContain(op);
    }
  });
  for (const c of allCases) {
    it(`${c.op}: ${c.name}`, () => {
      const { maxRelativeError } = gradcheck(c.f, c.inputs());
      expect(maxRelativeError).toBeLessThanOrEqual(GRADCHECK_TOLERANCE);
    });
  }
});

describe("gradcheck itself", () => {
  it("catches a wrong backward rule", async () => {
    const { record } = await import("../../src/autograd/tape.js");
    const { randomTensor } = await import("../../src/autograd/gradcheck.js");
    const { Tensor } = await import("../../src/tensor/tensor.js");
    // y = x², with the backward forgetting the factor 2.
    const square = (x: InstanceType<typeof Tensor>) =>
      record(
        new Tensor(
          x.data.map((v) => v * v),
          x.shape,
        ),
        "square",
        [x],
        (dy) => [dy.map((g, i) => g * x.data[i]!)],
      );
    expect(gradcheck(square, [randomTensor([7], 3, -1, 1, true)]).maxRelativeError).toBeGreaterThan(0.3);
  });
});
