// "Did you mean": edit distance and the nearest names (src/models/closest-names.ts).
import { describe, expect, it } from "vitest";
import { closestNames, editDistance } from "../../src/models/closest-names.js";

describe("editDistance", () => {
  it("counts insertions, deletions and substitutions, ignoring case", () => {
    expect(editDistance("", "")).toBe(0);
    expect(editDistance("", "abc")).toBe(3);
    expect(editDistance("abc", "")).toBe(3);
    expect(editDistance("kitten", "sitting")).toBe(3); // k→s, e→i, +g
    expect(editDistance("inception_4c/ouput", "inception_4c/output")).toBe(1);
    expect(editDistance("Conv1", "conv1")).toBe(0);
    expect(editDistance("flaw", "lawn")).toBe(2);
  });
  it("is symmetric", () => {
    for (const [a, b] of [
      ["pool5", "prob"],
      ["inception_9z", "inception_3a/1x1"],
      ["a", "xyz"],
    ] as const) {
      expect(editDistance(a, b)).toBe(editDistance(b, a));
    }
  });
});

describe("closestNames", () => {
  const names = [
    "data",
    "conv1",
    "relu1",
    "pool1",
    "conv2/3x3",
    "conv2/relu_3x3",
    "inception_4c/1x1",
    "inception_4c/output",
    "inception_4d/output",
    "prob",
  ];
  it("puts the nearest first, and as many as asked", () => {
    expect(closestNames("inception_4c/ouput", names, 3)).toEqual(["inception_4c/output", "inception_4d/output", "inception_4c/1x1"]);
    expect(closestNames("conv9", names)).toHaveLength(5);
    expect(closestNames("conv9", names)[0]).toBe("conv1");
  });
  it("counts a name that starts with the typed one as one edit away, shorter names first", () => {
    expect(closestNames("conv2", names, 3)).toEqual(["conv1", "conv2/3x3", "conv2/relu_3x3"]); // conv1: one substitution
    expect(closestNames("inception_4c", names, 2)).toEqual(["inception_4c/1x1", "inception_4c/output"]);
  });
  it("keeps the given order among equals", () => {
    expect(closestNames("xxxx", ["bbbb", "aaaa", "cccc"], 3)).toEqual(["bbbb", "aaaa", "cccc"]);
  });
});
