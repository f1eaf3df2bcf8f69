// Scores on blobs of any rank: GoogLeNet's classifier and softmax are [N, C] at the deploy size.
import { readFileSync } from "node:fs";
import { beforeAll, describe, expect, it } from "vitest";
import { inputGradient, objectiveGradient, objectiveValue } from "../../src/dream/objective.js";
import { loadGoogLeNet } from "../../src/models/load.js";
import type { CaffeNet } from "../../src/models/net.js";
import { Tensor } from "../../src/tensor/tensor.js";

const golden = new URL("../fixtures/golden/", import.meta.url);
let net: CaffeNet;
let cat: Tensor; // cat.jpg at 224×224, BGR minus the mean (the golden input)

beforeAll(async () => {
  net = await loadGoogLeNet();
  const b = readFileSync(new URL("cat.input.f32", golden));
  cat = new Tensor(new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength)), [1, 3, 224, 224]);
});

const absSum = (a: ArrayLike<number>): number => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += Math.abs(a[i]!);
  return s;
};

describe("objectives on N×C blobs", () => {
  it("scores prob [1, 1000]: ½Σp², with a gradient that is not zero", () => {
    const [p] = net.forward(cat, ["prob"]);
    expect(p!.shape).toEqual([1, 1000]);
    let expected = 0;
    for (const v of p!.data) expected += 0.5 * v * v;
    const g = inputGradient(net, cat, { layer: "prob" });
    expect(g.loss).toBeGreaterThan(0.05); // tiger cat alone has p ≈ 0.44
    expect(g.loss).toBeCloseTo(expected, 6);
    expect(absSum(g.grad)).toBeGreaterThan(0);
  });

  it("selects classes with `channels` on loss3/classifier, and mean averages over them", () => {
    const [logits] = net.forward(cat, ["loss3/classifier"]);
    const l = logits!.data;
    const one = objectiveGradient(net, cat, [{ layer: "loss3/classifier", objective: "mean", channels: [282] }]);
    expect(one.loss).toBeCloseTo(l[282]!, 4);
    expect(absSum(one.grad)).toBeGreaterThan(0);
    const two = objectiveValue(net, cat, [{ layer: "loss3/classifier", objective: "mean", channels: [281, 282] }]);
    expect(two).toBeCloseTo((l[281]! + l[282]!) / 2, 4);
    expect(() => objectiveValue(net, cat, [{ layer: "prob", channels: [1000] }])).toThrow(
      'channel 1000 is out of range for "prob", which has channels 0–999',
    );
  });

  it('"sum" is the class logit at the deploy size, and its sum over positions on a larger picture', () => {
    const [logits] = net.forward(cat, ["loss3/classifier"]);
    const one = objectiveGradient(net, cat, [{ layer: "loss3/classifier", objective: "sum", channels: [282] }]);
    expect(one.loss).toBeCloseTo(logits!.data[282]!, 4);
    expect(absSum(one.grad)).toBeGreaterThan(0);
    const wide = new Tensor(new Float32Array(3 * 224 * 288), [1, 3, 224, 288]);
    for (let c = 0; c < 3; c++) {
      for (let r = 0; r < 224; r++)
        wide.data.set(cat.data.subarray((c * 224 + r) * 224, (c * 224 + r + 1) * 224), (c * 224 + r) * 288 + 32);
    }
    const [grid] = net.forward(wide, ["loss3/classifier"]);
    expect(grid!.shape).toEqual([1, 1000, 1, 3]);
    const expected = grid!.data[282 * 3]! + grid!.data[282 * 3 + 1]! + grid!.data[282 * 3 + 2]!;
    expect(objectiveValue(net, wide, [{ layer: "loss3/classifier", objective: "sum", channels: [282] }])).toBeCloseTo(expected, 3);
  });
});
