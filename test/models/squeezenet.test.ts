// SqueezeNet v1.1 (modern Caffe format; fire modules, global average pooling, no LRN): a second,
// structurally different net. An independent implementation gives, for cat.jpg resized whole
// to 227×227: kit fox 0.24, tabby 0.20, tiger cat 0.17.
import { describe, expect, it } from "vitest";
import { readImage } from "../../src/io/image/image-file.js";
import { classify } from "../../src/models/classify.js";
import { loadCaffeModel, loadImageNetLabels } from "../../src/models/load.js";

const file = (p: string): string => new URL(`../fixtures/${p}`, import.meta.url).pathname;

describe("SqueezeNet v1.1", () => {
  it("loads, runs to prob at 227×227, and sees a cat in cat.jpg", async () => {
    const net = await loadCaffeModel(file("models/squeezenet_v1.1.caffemodel"));
    expect(net.declaredInputShape).toEqual([10, 3, 227, 227]);
    expect(net.outputShape("prob", [1, 3, 227, 227])).toEqual([1, 1000, 1, 1]);
    const top = classify(net, await readImage(file("images/cat.jpg")), { labels: await loadImageNetLabels(), top: 3 });
    const labels = top.map((t) => t.label);
    expect(labels).toContain("tabby");
    expect(labels).toContain("tiger cat");
    expect(top[0]!.probability).toBeCloseTo(0.24, 1);
    // Its classifier is a global average pooling: the softmax's input, [1, 1000, 1, 1] at any size.
    expect(net.classifierLayer()).toBe("pool10");
    expect(net.outputShape("pool10", [1, 3, 300, 260])).toEqual([1, 1000, 1, 1]);
  });
});
