// The memory guard: the estimate's shape (what grows with what), and the refusal before work.
import { beforeAll, describe, expect, it } from "vitest";
import { dream } from "../../src/dream/dream.js";
import { DEFAULT_MAX_MEMORY, checkDreamMemory, estimateDreamMemory, netPassBytes, tileCropSide } from "../../src/dream/memory.js";
import { OptionError } from "../../src/errors.js";
import { createImage } from "../../src/io/image.js";
import { loadGoogLeNet } from "../../src/models/load.js";
import type { CaffeNet } from "../../src/models/net.js";

const LAYER = ["inception_4c/output"];
let net: CaffeNet;
beforeAll(async () => {
  net = await loadGoogLeNet();
});

describe("estimateDreamMemory", () => {
  it("counts GoogLeNet's activations to inception_4c at 224×224 as tens of MB, growing with the pixels", () => {
    const at224 = netPassBytes(net, LAYER, 224, 224);
    // The activations alone: the planned layers' outputs, 4 bytes each.
    const activations = 4 * net.plannedShapes(LAYER, [1, 3, 224, 224]).filter((r) => r.type !== "Split")
      .reduce((n, r) => n + r.shape.reduce((a, d) => a * d, 1), 0);
    expect(at224).toBeGreaterThan(activations);
    expect(at224).toBeLessThan(4 * activations);
    expect(at224 / 2 ** 20).toBeGreaterThan(20);
    expect(at224 / 2 ** 20).toBeLessThan(200);
    const at448 = netPassBytes(net, LAYER, 448, 448);
    expect(at448 / at224).toBeGreaterThan(3.5);
    expect(at448 / at224).toBeLessThan(4.5);
    // Measured peak RSS of a 1-step dream, minus Node and the model (140 MB): 74 MB at 224²,
    // 336 MB at 448², 1337 MB at 896²; the estimate must be within 25 % of these.
    for (const [side, measured] of [[224, 74], [448, 336], [896, 1337]] as const) {
      const e = estimateDreamMemory(net, LAYER, side, side).bytes / 2 ** 20;
      expect(e / measured, `${side}²: estimated ${e.toFixed(0)} MB`).toBeGreaterThan(0.75);
      expect(e / measured, `${side}²: estimated ${e.toFixed(0)} MB`).toBeLessThan(1.25);
    }
  });

  it("when tiled, the net's part does not grow with the picture; only the picture's copies do", () => {
    const small = estimateDreamMemory(net, LAYER, 1024, 1024, 512);
    const large = estimateDreamMemory(net, LAYER, 4096, 4096, 512);
    expect(large.net).toBe(small.net);
    expect([large.passHeight, large.passWidth]).toEqual([tileCropSide(512, 4096), tileCropSide(512, 4096)]);
    expect(large.picture / small.picture).toBe(16);
    expect(estimateDreamMemory(net, LAYER, 4096, 4096).net).toBeGreaterThan(10 * large.net);
    // Measured peak RSS with --tile 512, 1 octave, 1 step, minus Node and the model (140 MB):
    // 665 MB at 1024², 1690 MB at 4096² (407 s). The estimate must be within 25 % of these.
    for (const [e, measured] of [[small, 665], [large, 1690]] as const) {
      expect(e.bytes / 2 ** 20 / measured).toBeGreaterThan(0.75);
      expect(e.bytes / 2 ** 20 / measured).toBeLessThan(1.25);
    }
  });

  it("only counts the layers the target needs", () => {
    expect(netPassBytes(net, ["conv2/3x3"], 224, 224)).toBeLessThan(0.7 * netPassBytes(net, LAYER, 224, 224));
  });
});

describe("the guard", () => {
  it("passes a normal dream under the default limit", () => {
    expect(checkDreamMemory(net, LAYER, 1024, 768, undefined, 20, DEFAULT_MAX_MEMORY).bytes).toBeLessThan(DEFAULT_MAX_MEMORY);
  });

  it("refuses before running, naming the estimate and a --tile and --max-size that fit", async () => {
    let progressed = false;
    const image = createImage(2000, 1500);
    const limit = 400 * 2 ** 20;
    const error = await dream(image, { model: net, maxMemory: limit, onProgress: () => (progressed = true) }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OptionError);
    const message = (error as Error).message;
    expect(message).toMatch(/^this dream would need about [\d.]+ GB \(.* for the net at 2000×1500, \d+ MB for the 2000×1500 picture\), more than the limit of 400 MB; use --tile \d+ \(about \d+ MB\), or --max-size \d+/);
    expect(progressed).toBe(false);
    // The advice holds: the suggested tile and size fit under the limit.
    const tile = Number(/--tile (\d+)/.exec(message)![1]);
    expect(estimateDreamMemory(net, LAYER, 1500, 2000, tile).bytes).toBeLessThanOrEqual(limit);
    const side = Number(/--max-size (\d+)/.exec(message)![1]);
    expect(estimateDreamMemory(net, LAYER, Math.round((1500 * side) / 2000), side).bytes).toBeLessThanOrEqual(limit);
    expect(estimateDreamMemory(net, LAYER, Math.round((1500 * (side + 8)) / 2000), side + 8).bytes).toBeGreaterThan(limit);
  });

  it("says when no tile can help, because the picture alone is too large", () => {
    expect(() => checkDreamMemory(net, LAYER, 8000, 8000, 512, 20, 1024 * 2 ** 20)).toThrow(/--max-size \d+, or a larger --max-memory/);
    expect(() => checkDreamMemory(net, LAYER, 8000, 8000, 512, 20, 1024 * 2 ** 20)).not.toThrow(/--tile/);
  });

  it("refuses a limit that is not a positive number", async () => {
    await expect(dream(createImage(64, 64), { model: net, layer: "conv2/3x3", maxMemory: 0 })).rejects.toThrow(/maxMemory must be a positive/);
  });
});
