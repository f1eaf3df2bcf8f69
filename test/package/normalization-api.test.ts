// The normalization ops are part of the engine's public API, in both entries, like every other
// op the Caffe layer table runs (test/package/engine-api.test.ts lists the rest).
import { describe, expect, it } from "vitest";
import * as browser from "../../src/browser.js";
import * as node from "../../src/index.js";

describe("the normalization ops in the package entries", () => {
  for (const [entry, api] of [
    ["index", node],
    ["browser", browser],
  ] as const) {
    it(`${entry} exports batchNorm, batchNormOwnStatistics, scale and bias`, () => {
      for (const name of ["batchNorm", "batchNormOwnStatistics", "scale", "bias"]) expect(api, name).toHaveProperty(name);
      const x = api.randomTensor([1, 2, 1, 2], 1);
      const y = api.scale(x, api.randomTensor([2], 2), null, 1);
      expect(y.shape).toEqual([1, 2, 1, 2]);
    });
  }
});
