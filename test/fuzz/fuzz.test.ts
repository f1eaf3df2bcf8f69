// The short fuzz run inside `npm test`: 50 or so cases per property, with fixed seeds so a
// failure reproduces. Long runs with fresh seeds: `npm run fuzz -- --runs 20000`.
import { describe, expect, it } from "vitest";
import { ImageError, ModelError, OptionError } from "../../src/errors.js";
import { decodeCaffeModel } from "../../src/io/caffe/decode.js";
import { encodeCaffeModel } from "../../src/io/caffe/encode.js";
import { CaffeNet } from "../../src/models/net.js";
import type { NetDef } from "../../src/io/caffe/net-def.js";
import { graceful } from "./harness.js";
import {
  commandLineProperty,
  imageProperty,
  netEditProperty,
  realModelProperty,
  tinyModelProperty,
  tinyNetDef,
  type FuzzProperty,
} from "./properties.js";

const SHORT: Array<[FuzzProperty, number]> = [
  [tinyModelProperty, 40],
  [netEditProperty, 50],
  [realModelProperty, 10],
  [imageProperty, 60],
  [commandLineProperty, 60],
];

describe("fuzz (short run)", () => {
  for (const [property, runs] of SHORT) {
    it(property.name, async () => {
      const outcomes = await property.check(runs, 20261128);
      expect(outcomes.length).toBeGreaterThanOrEqual(runs);
    });
  }
});

describe("the harness fails what it should", () => {
  const budget = { ms: 1000, perInputByte: 1, fixed: 2 ** 20 };
  it("passes a result and a typed one-line refusal", async () => {
    expect(await graceful(10, budget, () => 1)).toMatchObject({ ok: true });
    expect(
      await graceful(10, budget, () => {
        throw new ImageError("no");
      }),
    ).toMatchObject({ ok: false, error: "ImageError: no" });
  });
  it("fails an untyped error, a multi-line or empty message, a slow case and a large allocation", async () => {
    await expect(graceful(10, budget, () => JSON.parse("{"))).rejects.toThrow(/untyped error: SyntaxError/);
    await expect(
      graceful(10, budget, () => {
        throw new ImageError("two\nlines");
      }),
    ).rejects.toThrow(/bad message/);
    await expect(
      graceful(10, budget, () => {
        throw new ImageError("");
      }),
    ).rejects.toThrow(/bad message/);
    await expect(graceful(10, { ...budget, ms: 5 }, () => new Promise((r) => setTimeout(r, 30)))).rejects.toThrow(/took \d+ ms/);
    let kept: Float64Array | null = null;
    await expect(graceful(10, budget, () => (kept = new Float64Array(2 ** 20)))).rejects.toThrow(
      /allocated 8\.\d MB, more than the budget 1\.0 MB/,
    );
    expect(kept).not.toBeNull();
  });
});

// Each of these was a counterexample of a long run (shrunk by fast-check), failing with an
// untyped error or a multi-line message before the fix it names.
describe("regressions found by fuzzing", () => {
  const load = (def: NetDef): CaffeNet => new CaffeNet(decodeCaffeModel(encodeCaffeModel(def, "v1")));
  const edited = (edit: (def: NetDef) => void): NetDef => {
    const def = tinyNetDef();
    edit(def);
    return def;
  };
  const layer = (def: NetDef, name: string) => def.layers.find((l) => l.name === name)!;

  it("LRN local_size 0 or even: refused when decoded (was a RangeError from the kernel)", () => {
    for (const size of [0, 4]) {
      expect(() => load(edited((d) => (layer(d, "norm1").lrn!.localSize = size)))).toThrow(
        new ModelError(`layer "norm1": LRN local_size must be a positive odd number, got ${size}`),
      );
    }
  });

  it("a layer with a second top: refused at load (was a TypeError in the memory estimate)", () => {
    expect(() => load(edited((d) => layer(d, "conv1").tops.push("data")))).toThrow(
      'layer "conv1" (Convolution) has 1 bottom(s) and 2 top(s); it needs exactly 1 bottom and exactly 1 top',
    );
  });

  it("concat branches that do not line up at this size: a ModelError (was a RangeError from concat)", () => {
    const net = load(edited((d) => (layer(d, "a").convolution!.stride = [2, 2])));
    expect(() => net.outputShape("cat", [1, 3, 16, 16])).toThrow(
      /layer "cat" \(Concat\): its inputs \[1, 2, 4, 4\] and \[1, 3, 8, 8\] must agree on every axis but 1/,
    );
  });

  it("an InnerProduct at a smaller input size: an OptionError (was a RangeError from innerProduct)", () => {
    // At a larger size it runs at every window (fully convolutional): 20×20 gives a 2×2 grid.
    expect(load(tinyNetDef()).outputShape("fc", [1, 3, 20, 20])).toEqual([1, 3, 2, 2]);
    expect(() => load(tinyNetDef()).outputShape("fc", [1, 3, 12, 12])).toThrow(OptionError);
    expect(() => load(tinyNetDef()).outputShape("fc", [1, 3, 12, 12])).toThrow(/"fc" \(InnerProduct\) needs its input to be at least 4×4/);
  });

  it("control characters in names: refused, escaped on one line (was a multi-line message)", () => {
    const bytes = encodeCaffeModel(
      edited((d) => (layer(d, "conv1").name = "conv\n1")),
      "modern",
    );
    expect(() => decodeCaffeModel(bytes)).toThrow(
      new ModelError('layer #0 has a name with control characters, "conv\\n1": the file is damaged'),
    );
    expect(() => decodeCaffeModel(encodeCaffeModel({ ...tinyNetDef(), name: "ti\u0000ny" }, "v1"))).toThrow(
      /the model has a name with control/,
    );
  });
});
