// visualize(): pictures grown from noise, on the bundled GoogLeNet. The class test is the
// acceptance criterion: the net must call the picture that class, top-1.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import "../../src/threads/node-host.js";
import { shutdownThreads } from "../../src/threads/pool.js";
import { visualize, type VisualizeOptions } from "../../src/dream/visualize.js";
import type { DreamProgress } from "../../src/dream/dream.js";
import { OptionError } from "../../src/errors.js";
import { classify } from "../../src/models/classify.js";
import { loadGoogLeNet, loadImageNetLabels } from "../../src/models/load.js";
import type { CaffeNet } from "../../src/models/net.js";
import { imageToInput } from "../../src/models/preprocess.js";
import { objectiveValue } from "../../src/dream/objective.js";

let net: CaffeNet;
let labels: string[];
beforeAll(async () => {
  net = await loadGoogLeNet();
  labels = await loadImageNetLabels();
});
afterAll(() => shutdownThreads());

/** A quick channel visualization: a low layer, a small picture, few steps. */
const quick = (o: Partial<VisualizeOptions> = {}): Promise<ReturnType<typeof visualize> extends Promise<infer R> ? R : never> =>
  visualize({ model: net, layer: "inception_3a/output", channels: [0], size: 64, steps: 4, threads: 1, ...o });

describe("visualize", () => {
  // Classes tried while choosing these (32 steps at 224, seed 0): banana 1.000, flamingo 1.000.
  for (const [label, index] of [
    ["banana", 954],
    ["flamingo", 130],
  ] as const) {
    it(`grows a picture that the net calls ${label}, top-1 (32 steps at 224²)`, async () => {
      const image = await visualize({ model: net, classes: [index], steps: 32, size: 224, threads: 2 });
      expect([image.width, image.height]).toEqual([224, 224]);
      const [top] = classify(net, image, { labels, top: 1 });
      expect(top!.index, `${top!.label} ${top!.probability}`).toBe(index);
      expect(top!.probability).toBeGreaterThan(0.5);
    }, 900_000);
  }

  it("raises the channel's mean: more steps, a higher score", async () => {
    const terms = [{ layer: "inception_3a/output", objective: "mean" as const, channels: [30] }];
    const score = (steps: number): Promise<number> =>
      visualize({ model: net, layer: "inception_3a/output", channels: [30], size: 96, steps, threads: 1 }).then((img) =>
        objectiveValue(net, imageToInput(img, net.meanBgr), terms),
      );
    // Measured: 78.7 after 1 step, 165.0 after 24 (seed 0).
    const [few, more] = [await score(1), await score(24)];
    expect(few).toBeGreaterThan(0);
    expect(more).toBeGreaterThan(1.5 * few);
  }, 600_000);

  it("is the same picture, bit for bit, for a seed, on 1 thread and on 2, and another for another seed", async () => {
    const a = await quick({ seed: 7 }),
      b = await quick({ seed: 7 }),
      c = await quick({ seed: 8 });
    expect(Buffer.from(a.data.buffer).equals(Buffer.from(b.data.buffer))).toBe(true);
    expect(Buffer.from(a.data.buffer).equals(Buffer.from(c.data.buffer))).toBe(false);
    // The kernels give the same bits on any number of threads, so this picture does too.
    const twoThreads = await quick({ seed: 7, threads: 2 });
    expect(Buffer.from(twoThreads.data.buffer).equals(Buffer.from(a.data.buffer))).toBe(true);
    for (const v of a.data) {
      expect(v).toBeGreaterThanOrEqual(0);
      expect(v).toBeLessThanOrEqual(255);
    }
  }, 300_000);

  it("reports every step as the one octave of a dream, and stops when aborted", async () => {
    const seen: DreamProgress[] = [];
    await quick({ steps: 3, onProgress: (p) => seen.push(p) });
    expect(seen.map((p) => [p.octave, p.octaves, p.iteration, p.iterations, p.fraction])).toEqual([
      [1, 1, 1, 3, 1 / 3],
      [1, 1, 2, 3, 2 / 3],
      [1, 1, 3, 3, 1],
    ]);
    const controller = new AbortController();
    const run = quick({
      steps: 50,
      signal: controller.signal,
      onProgress: (p) => p.iteration === 2 && controller.abort(new DOMException("stop", "AbortError")),
    });
    await expect(run).rejects.toThrow("stop");
  }, 300_000);

  it("stops at the first step, naming the fix, when the channels are 0 everywhere and so give no gradient", async () => {
    // Channel 100 of inception_3b/output is 0 after its ReLU all over the near-grey start (as
    // are 268 of its 480 channels): before this check, 128 steps returned a flat grey picture.
    const run = visualize({ model: net, layer: "inception_3b/output", channels: [100], size: 64, steps: 3, threads: 1 });
    await expect(run).rejects.toBeInstanceOf(OptionError);
    await expect(run).rejects.toThrow(
      /^channel 100 of "inception_3b\/output" is 0 all over the starting picture, so it gives no gradient to grow from; choose other channels or another seed, or a blob before the layer's ReLU \(see "inceptionism layers"\)$/,
    );
    // With a live channel beside it, the dead one is no obstacle.
    await expect(
      visualize({ model: net, layer: "inception_3b/output", channels: [100, 67], size: 64, steps: 1, threads: 1 }),
    ).resolves.toBeDefined();
  }, 300_000);

  it("refuses bad options with one line naming the fix", async () => {
    const refused = async (o: Partial<VisualizeOptions>, message: RegExp): Promise<void> => {
      const run = visualize({ model: net, ...o } as VisualizeOptions);
      await expect(run).rejects.toBeInstanceOf(OptionError);
      await expect(run).rejects.toThrow(message);
    };
    await refused({ classes: [954], layer: "conv2/3x3" }, /^give classes or a layer to visualize, not both$/);
    await refused({}, /^give classes or a layer to visualize$/);
    await refused({ classes: [954], channels: [1] }, /^channels belong to a layer; leave them out with classes$/);
    await refused({ classes: [1000] }, /^class 1000 is out of range: "loss3\/classifier" scores classes 0–999$/);
    await refused(
      { classes: [954], size: 200 },
      /^size 200 is too small for "loss3\/classifier", which needs pictures of at least 223×223; use a size of 223 or more$/,
    );
    await refused({ layer: "conv2/3x3", steps: 0 }, /^steps must be a whole number ≥ 1, got 0$/);
    await refused({ layer: "conv2/3x3", size: 1.5 }, /^size must be a whole number ≥ 1, got 1.5$/);
    await refused({ layer: "conv2/3x3", learningRate: -1 }, /^learning rate must be a positive number, got -1$/);
    await refused({ layer: "nope" }, /^unknown layer "nope"/);
    await refused({ layer: "conv2/3x3", channels: [192] }, /^channel 192 is out of range for "conv2\/3x3", which has channels 0–191$/);
    await refused(
      { layer: "inception_4c/output", size: 4000, maxMemory: 2 ** 30 },
      /^visualizing at size 4000 would need about .*, more than the budget of 1.0 GB; use a smaller size$/,
    );
  });
});
