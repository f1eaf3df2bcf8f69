// DeepDream end to end on the bundled GoogLeNet, at small sizes so the suite stays quick.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import "../../src/threads/node-host.js";
import { setThreads, shutdownThreads, threadCount } from "../../src/threads/pool.js";
import { dream, type DreamOptions } from "../../src/dream/dream.js";
import { guideFeatures, objectiveValue, type ObjectiveTerm } from "../../src/dream/objective.js";
import type { RgbImage } from "../../src/io/image/image.js";
import { readImage } from "../../src/io/image/image-file.js";
import { resizeImage } from "../../src/io/image/resize.js";
import { classify } from "../../src/models/classify.js";
import { loadGoogLeNet } from "../../src/models/load.js";
import { fishBike } from "./photos.js";
import type { CaffeNet } from "../../src/models/net.js";
import { imageToInput } from "../../src/models/preprocess.js";

let net: CaffeNet;
let photo: RgbImage; // fish-bike.jpg at 320×214
let small: RgbImage; // the same at 112×75, for the quicker checks

beforeAll(async () => {
  net = await loadGoogLeNet();
  ({ photo, small } = await fishBike());
});

afterAll(() => shutdownThreads());

const score = (img: RgbImage, terms: ObjectiveTerm[]): number => objectiveValue(net, imageToInput(img, net.meanBgr), terms);

describe("dream", () => {
  it("raises ½Σa² at inception_4c/output at least 4× (3 octaves × 6 steps at 320×214)", async () => {
    const terms = [{ layer: "inception_4c/output" }];
    const before = score(photo, terms);
    const out = await dream(photo, { model: net, octaves: 3, iterations: 6, seed: 1 });
    expect([out.width, out.height]).toEqual([320, 214]);
    const after = score(out, terms);
    expect(after / before).toBeGreaterThanOrEqual(4);
  });

  const quick: DreamOptions = { model: undefined as never, layer: "inception_3a/output", octaves: 2, iterations: 3 };
  const opts = (extra: Partial<DreamOptions>): DreamOptions => ({ ...quick, model: net, ...extra });

  it("is bit-identical for the same seed and differs for another", async () => {
    const a = await dream(small, opts({ seed: 7 }));
    const b = await dream(small, opts({ seed: 7 }));
    const c = await dream(small, opts({ seed: 8 }));
    expect(Buffer.from(a.data.buffer).equals(Buffer.from(b.data.buffer))).toBe(true);
    expect(Buffer.from(a.data.buffer).equals(Buffer.from(c.data.buffer))).toBe(false);
  });

  it("is bit-identical whatever the number of threads", async () => {
    setThreads(1);
    const one = await dream(small, opts({ seed: 3 }));
    for (const threads of [2, 3]) {
      const many = await dream(small, opts({ seed: 3, threads }));
      expect(Buffer.from(many.data.buffer).equals(Buffer.from(one.data.buffer)), `${threads} threads`).toBe(true);
    }
    expect(threadCount()).toBe(1); // the dream's count was for the dream only
  });

  it("keeps pixels within 0–255 and reports progress for every step", async () => {
    const seen: string[] = [];
    const out = await dream(small, opts({ onProgress: (p) => seen.push(`${p.octave}/${p.octaves}:${p.iteration}`) }));
    expect(seen).toEqual(["1/2:1", "1/2:2", "1/2:3", "2/2:1", "2/2:2", "2/2:3"]);
    expect(Math.min(...out.data)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...out.data)).toBeLessThanOrEqual(255);
  });

  it("amplifies the chosen channels more than the others", async () => {
    const chosen = [3, 17, 101];
    const others = [0, 50, 200];
    const out = await dream(small, opts({ channels: chosen }));
    const gain = (chs: number[]): number =>
      score(out, [{ layer: "inception_3a/output", channels: chs }]) / score(small, [{ layer: "inception_3a/output", channels: chs }]);
    expect(gain(chosen)).toBeGreaterThan(1.3);
    expect(gain(chosen)).toBeGreaterThan(1.5 * gain(others));
  });

  it("with several layers, raises each; a layer's weight decides which it favours", async () => {
    const a = "inception_3a/output",
      b = "inception_4a/output";
    const gain = (img: RgbImage, layer: string): number => score(img, [{ layer }]) / score(small, [{ layer }]);
    const favourA = await dream(
      small,
      opts({
        layer: [
          { name: a, weight: 1 },
          { name: b, weight: 0.01 },
        ],
      }),
    );
    const favourB = await dream(
      small,
      opts({
        layer: [
          { name: a, weight: 0.01 },
          { name: b, weight: 1 },
        ],
      }),
    );
    expect(gain(favourA, a)).toBeGreaterThan(gain(favourB, a));
    expect(gain(favourB, b)).toBeGreaterThan(gain(favourA, b));
    expect(Math.min(gain(favourA, a), gain(favourB, b))).toBeGreaterThan(1.2);
  });

  it("guided: moves the features toward the guide picture's more than a plain dream does", async () => {
    const layer = "inception_3a/output";
    const guide = resizeImage(await readImage(new URL("../fixtures/images/flowers.jpg", import.meta.url).pathname), 112, 84);
    const features = guideFeatures(net, imageToInput(guide, net.meanBgr), layer);
    const match = (img: RgbImage): number => score(img, [{ layer, guide: features }]);
    const guided = await dream(small, opts({ guide }));
    const plain = await dream(small, opts({}));
    expect(match(guided) - match(small)).toBeGreaterThan(1.2 * (match(plain) - match(small)));
  });

  it("tiles give a result close to the untiled one", async () => {
    const whole = await dream(photo, opts({ octaves: 1, iterations: 2 }));
    const tiled = await dream(photo, opts({ octaves: 1, iterations: 2, tile: 160 }));
    let diff = 0,
      change = 0;
    for (let i = 0; i < whole.data.length; i++) {
      diff += Math.abs(whole.data[i]! - tiled.data[i]!);
      change += Math.abs(whole.data[i]! - photo.data[i]!);
    }
    // With 64 px of context the cores see what the whole image shows them (measured: identical
    // at inception_3a; with no context the difference is 25% of the change).
    expect(diff / change).toBeLessThan(0.02);
  });

  it("drops octaves too small for the layer, with a note, and refuses images that are", async () => {
    const notes: string[] = [];
    // inception_5b/output needs 31×31 pixels; octave heights 75 → 54 → 39 → 28 drop the last.
    await dream(small, opts({ layer: "inception_5b/output", octaves: 4, iterations: 1, onNote: (m) => notes.push(m) }));
    expect(notes).toEqual(['dropped 1 octave(s) smaller than the 31×31 pixels "inception_5b/output" needs']);
    const tiny = resizeImage(small, 40, 30);
    await expect(dream(tiny, opts({ layer: "inception_5b/output" }))).rejects.toThrow(
      'the image is 40×30 but layer "inception_5b/output" needs at least 31×31 pixels; use a larger image or a lower layer',
    );
  });

  it("refuses bad options with clear messages", async () => {
    await expect(dream(small, opts({ octaves: -1 }))).rejects.toThrow(/octaves must be a whole number ≥ 1, got -1/);
    await expect(dream(small, opts({ octaveScale: 0 }))).rejects.toThrow(/octave scale must be a number greater than 1/);
    await expect(dream(small, opts({ stepSize: Number.NaN }))).rejects.toThrow(/step size must be a positive number/);
    await expect(dream(small, opts({ layer: "inception_4c/ouput" }))).rejects.toThrow(
      /^unknown layer "inception_4c\/ouput"; did you mean "inception_4c\/output", "inception_4a\/output", .*\? CaffeNet.outputNames lists all 143$/,
    );
    await expect(dream(small, opts({ channels: [999] }))).rejects.toThrow(/channel 999 is out of range/);
    await expect(dream(small, opts({ threads: 0 }))).rejects.toThrow(/threads must be a whole number ≥ 1, got 0/);
    await expect(dream(small, opts({ threads: 65 }))).rejects.toThrow(/threads must be at most 64, got 65/);
  });

  it("dreams toward a class: its logit rises and the net comes to see it", async () => {
    const picture = resizeImage(photo, 256, 224); // at least the 223 pixels a side loss3/classifier needs
    const banana: ObjectiveTerm[] = [{ layer: "loss3/classifier", objective: "sum", channels: [954] }];
    const notes: string[] = [];
    const out = await dream(picture, { model: net, classes: [954], octaves: 2, iterations: 10, onNote: (m) => notes.push(m) });
    // Only the long-dream note may come and go with the machine's speed.
    expect(notes.filter((n) => !n.startsWith("this dream will take about"))).toEqual([
      'dropped 1 octave(s) smaller than the 223×223 pixels "loss3/classifier" needs',
    ]);
    expect(score(out, banana) - score(picture, banana)).toBeGreaterThan(20);
    // Measured: the banana logit 1.7 → 44, and classify (the whole picture at 224×224) says
    // banana with p = 0.97, from barrow; after 5 steps it is still third.
    const top = classify(net, out, { top: 1 });
    expect(top[0]!.index).toBe(954);
  });

  it("dreams on prob and on the classifier, which need at least 223 pixels a side", async () => {
    const picture = resizeImage(photo, 240, 230);
    for (const layer of ["prob", "loss3/classifier"]) {
      const out = await dream(picture, opts({ layer, octaves: 1, iterations: 1 }));
      expect([out.width, out.height]).toEqual([240, 230]);
    }
    await expect(dream(photo, opts({ layer: "prob" }))).rejects.toThrow(
      'the image is 320×214 but layer "prob" needs at least 223×223 pixels; use a larger image or a lower layer',
    );
  });

  it("refuses classes with a layer, out of range, or on a model without a classifier", async () => {
    const picture = resizeImage(photo, 240, 230);
    await expect(dream(picture, opts({ classes: [954] }))).rejects.toThrow(
      "classes choose the layer and objective themselves; leave out layer",
    );
    await expect(dream(picture, { model: net, classes: [954], channels: [1], objective: "mean" })).rejects.toThrow(
      /leave out objective, channels$/,
    );
    await expect(dream(picture, { model: net, classes: [1000] })).rejects.toThrow(
      'class 1000 is out of range: "loss3/classifier" scores classes 0–999',
    );
    await expect(dream(picture, { model: net, classes: [] })).rejects.toThrow("give at least one class to dream toward");
  });

  it("stops when aborted", async () => {
    const controller = new AbortController();
    const run = dream(small, opts({ signal: controller.signal, onProgress: () => controller.abort() }));
    await expect(run).rejects.toThrow(/abort/i);
  });
});
