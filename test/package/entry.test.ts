// The package entry as an npm user imports it: dream() with the bundled model, from an ndarray.
import ndarray from "ndarray";
import { describe, expect, it } from "vitest";
import * as inceptionism from "../../src/index.js";

describe("import { dream } from 'inceptionism'", () => {
  it("dreams an H×W×C ndarray with the bundled GoogLeNet and keeps its size", async () => {
    const h = 40,
      w = 56;
    const rgb = ndarray(
      new Uint8Array(h * w * 3).map((_, i) => (i * 37) % 256),
      [h, w, 3],
    );
    const out = await inceptionism.dream(rgb, { layer: "conv2/3x3", octaves: 1, iterations: 2 });
    expect([out.width, out.height]).toEqual([w, h]);
    let changed = 0;
    for (let i = 0; i < out.data.length; i++) changed += Math.abs(out.data[i]! - rgb.data[i]!);
    expect(changed / out.data.length).toBeGreaterThan(1); // the picture really changed
  });

  it("dreams toward classes given by name or index, and refuses an unknown name", async () => {
    const h = 224,
      w = 232;
    const rgb = ndarray(
      new Uint8Array(h * w * 3).map((_, i) => (i * 37) % 256),
      [h, w, 3],
    );
    const losses: number[] = [];
    const out = await inceptionism.dream(rgb, {
      classes: ["banana", 953],
      octaves: 1,
      iterations: 2,
      onProgress: (p) => losses.push(p.loss),
    });
    expect([out.width, out.height]).toEqual([w, h]);
    expect(losses[1]!).toBeGreaterThan(losses[0]!); // the banana and pineapple logits, summed, rise
    await expect(inceptionism.dream(rgb, { classes: ["bananna"] })).rejects.toThrow(
      'no ImageNet class is called "bananna"; the closest is banana (954)',
    );
  });

  it("dreams a clip with dreamVideo() and the bundled GoogLeNet, a frame at a time", async () => {
    const frame = (shift: number) => ({
      width: 40,
      height: 32,
      data: new Float32Array(40 * 32 * 3).map((_, i) => ((i + 3 * shift) * 37) % 256),
    });
    const out = [];
    for await (const f of inceptionism.dreamVideo([frame(0), frame(1)], { layer: "conv2/3x3", octaves: 1, iterations: 1, flow: false }))
      out.push(f);
    expect(out.map((f) => [f.width, f.height])).toEqual([
      [40, 32],
      [40, 32],
    ]);
  });

  it("exports the documented surface", () => {
    for (const name of [
      "dream",
      "readImage",
      "writeImage",
      "classify",
      "inputGradient",
      "loadCaffeModel",
      "loadGoogLeNet",
      "CaffeNet",
      "findClass",
      "loadImageNetClasses",
      "Tensor",
      "backward",
      "gradcheck",
      "tensorFromNdarray",
      "tensorToNdarray",
      "ModelError",
      "ImageError",
      "OptionError",
      "decodeImage",
      "imageFromImageData",
      "imageToImageData",
      "dreamVideo",
    ]) {
      expect(inceptionism, name).toHaveProperty(name);
    }
  });
});
