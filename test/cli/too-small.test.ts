// Which layers `inceptionism layers --size WxH` cannot list for want of pixels (src/cli/too-small.ts).
import { describe, expect, it } from "vitest";
import { layersTooSmallFor, tooSmallNote } from "../../src/cli/too-small.js";
import { loadGoogLeNet } from "../../src/models/load.js";

describe("layersTooSmallFor", async () => {
  const net = await loadGoogLeNet();
  it("names the layers a 20×20 input cannot reach, in order, and the side that reaches them all", () => {
    const small = layersTooSmallFor(net, 20, 20)!;
    const shown = new Set(net.describe([1, 3, 20, 20]).map((r) => r.name));
    const all = [...new Set(net.describe([1, 3, 224, 224]).map((r) => r.name))];
    expect(small.layers).toEqual(all.filter((n) => !shown.has(n)));
    expect(small.layers.at(-1)).toBe("prob");
    expect(small.side).toBe(223);
    // 223 really is the least: one pixel less and prob is out of reach.
    expect(net.describe([1, 3, 223, 223]).map((r) => r.name)).toContain("prob");
    expect(net.describe([1, 3, 222, 222]).map((r) => r.name)).not.toContain("prob");
  });
  it("takes the shorter side of a non-square input", () => {
    expect(layersTooSmallFor(net, 300, 40)).toEqual(layersTooSmallFor(net, 40, 40));
  });
  it("says nothing where every layer is listed, or where one is missing for another reason", () => {
    expect(layersTooSmallFor(net, 224, 224)).toBeNull();
    // At 320×240 the classifier runs over a 4×2 grid of windows: every layer is there too.
    expect(net.describe([1, 3, 240, 320]).map((r) => r.name)).toContain("loss3/classifier");
    expect(layersTooSmallFor(net, 320, 240)).toBeNull();
  });
});

describe("tooSmallNote", async () => {
  const net = await loadGoogLeNet();
  it("is one line naming the first and last layer left out, and the size that reaches them", () => {
    expect(tooSmallNote(net, 20, 20)).toBe(
      'note: 33 layers, "pool4/3x3_s2" to "prob", need a larger input than 20×20 and are not listed; --size 223x223 is the smallest that reaches them all',
    );
    expect(tooSmallNote(net, 224, 224)).toBeNull();
  });
});
