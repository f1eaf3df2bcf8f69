// The memory estimate: its shape (what grows with what), that it covers the real peak of a
// process on one thread and on several, and the plan made from it: tile automatically, or
// refuse before any work.
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";
import { dream } from "../../src/dream/dream.js";
import {
  DEFAULT_MAX_MEMORY,
  estimateDreamMemory,
  memoryBudget,
  netPassBytes,
  planDreamMemory,
  tileCropSide,
} from "../../src/dream/memory.js";
import { OptionError } from "../../src/errors.js";
import { createImage } from "../../src/io/image/image.js";
import { loadGoogLeNet } from "../../src/models/load.js";
import type { CaffeNet } from "../../src/models/net.js";

const LAYER = ["inception_4c/output"];
const MB = 2 ** 20;
let net: CaffeNet;
beforeAll(async () => {
  net = await loadGoogLeNet();
});

describe("estimateDreamMemory", () => {
  it("counts GoogLeNet's activations to inception_4c at 224×224 as tens of MB, growing with the pixels", () => {
    const at224 = netPassBytes(net, LAYER, 224, 224);
    // The activations alone: the planned layers' outputs, 4 bytes each.
    const activations =
      4 *
      net
        .plannedShapes(LAYER, [1, 3, 224, 224])
        .filter((r) => r.type !== "Split")
        .reduce((n, r) => n + r.shape.reduce((a, d) => a * d, 1), 0);
    expect(at224).toBeGreaterThan(activations);
    expect(at224).toBeLessThan(4 * activations);
    expect(at224 / MB).toBeGreaterThan(20);
    expect(at224 / MB).toBeLessThan(200);
    const at448 = netPassBytes(net, LAYER, 448, 448);
    expect(at448 / at224).toBeGreaterThan(3.5);
    expect(at448 / at224).toBeLessThan(4.5);
  });

  it("when tiled, the net's part does not grow with the picture; only the picture's copies do", () => {
    const small = estimateDreamMemory(net, LAYER, 1024, 1024, { tile: 512 });
    const large = estimateDreamMemory(net, LAYER, 4096, 4096, { tile: 512 });
    expect(large.net).toBe(small.net);
    expect([large.passHeight, large.passWidth]).toEqual([tileCropSide(512, 4096), tileCropSide(512, 4096)]);
    expect(large.picture / small.picture).toBe(16);
    expect(estimateDreamMemory(net, LAYER, 4096, 4096).net).toBeGreaterThan(10 * large.net);
  });

  it("counts more for several threads: their runtimes, shared weights and later collection", () => {
    const one = estimateDreamMemory(net, LAYER, 1000, 800, { threads: 1 });
    const two = estimateDreamMemory(net, LAYER, 1000, 800, { threads: 2 });
    expect(two.fixed).toBeGreaterThan(one.fixed + net.weightBytes);
    expect(two.net).toBeGreaterThan(one.net);
    expect(two.picture).toBe(one.picture);
  });

  it("only counts the layers the target needs", () => {
    expect(netPassBytes(net, ["conv2/3x3"], 224, 224)).toBeLessThan(0.7 * netPassBytes(net, LAYER, 224, 224));
  });
});

describe("the estimate covers the measured peak of a whole process", () => {
  // Each case is a child process that dreams one step of noise (./memory-child.ts) and prints its
  // peak RSS beside the estimate: the estimate must not be below the peak, nor far above it.
  const child = fileURLToPath(new URL("./memory-child.ts", import.meta.url));
  const cases: Array<[width: number, height: number, tile: number | "-", threads: number, octaves: number]> = [
    [320, 240, "-", 1, 3],
    [320, 240, "-", 2, 3],
    [800, 600, "-", 2, 1],
    [900, 700, 256, 1, 1],
    [900, 700, 256, 2, 2],
  ];
  for (const [width, height, tile, threads, octaves] of cases) {
    it(`${width}×${height}, ${tile === "-" ? "untiled" : `tile ${tile}`}, ${threads} thread(s), ${octaves} octave(s)`, () => {
      const r = spawnSync(
        process.execPath,
        ["--import", "tsx", child, String(width), String(height), String(tile), String(threads), String(octaves)],
        {
          encoding: "utf8",
          timeout: 240_000,
        },
      );
      expect(r.status, r.stderr).toBe(0);
      const { estimate, peak } = JSON.parse(r.stdout.trim().split("\n").pop()!) as { estimate: number; peak: number };
      const what = `estimate ${(estimate / MB).toFixed(0)} MB, measured peak ${(peak / MB).toFixed(0)} MB`;
      expect(estimate, what).toBeGreaterThanOrEqual(peak);
      expect(estimate, what).toBeLessThan(1.6 * peak);
    });
  }
});

describe("planDreamMemory", () => {
  const plan = (height: number, width: number, maxMemory: number, extra: { tile?: number; threads?: number } = {}) =>
    planDreamMemory(net, LAYER, height, width, { minSide: 20, maxMemory, ...extra });

  it("dreams the whole picture when it fits", () => {
    const d = plan(768, 1024, DEFAULT_MAX_MEMORY);
    expect(d.tile).toBeUndefined();
    expect(d.note).toBeUndefined();
    expect(d.estimate.bytes).toBeLessThanOrEqual(DEFAULT_MAX_MEMORY);
  });

  it("tiles a picture that does not fit with the largest tile that does, and says so", () => {
    const limit = 3000 * MB;
    const d = plan(3000, 4000, limit, { threads: 2 });
    expect(d.tile).toBeDefined();
    const tile = d.tile!;
    expect(estimateDreamMemory(net, LAYER, 3000, 4000, { tile, threads: 2 }).bytes).toBeLessThanOrEqual(limit);
    expect(estimateDreamMemory(net, LAYER, 3000, 4000, { tile: tile + 1, threads: 2 }).bytes).toBeGreaterThan(limit);
    expect(d.note).toMatch(
      new RegExp(
        `^the whole 4000×3000 picture would need about [\\d.]+ GB, more than the budget of 2.9 GB, so it is dreamed in tiles of ${tile}×${tile} \\(about [\\d.]+ GB\\); --max-size makes it smaller and quicker$`,
      ),
    );
  });

  it("refuses a given tile that does not fit, naming a smaller tile and a --max-size that do", () => {
    const limit = 700 * MB;
    let error: unknown = null;
    try {
      plan(1500, 2000, limit, { tile: 1024 });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(OptionError);
    const message = (error as Error).message;
    expect(message).toMatch(
      /^this dream would need about [\d.]+ GB \([\d.]+ GB for the net at 1184×1184, \d+ MB for the 2000×1500 picture\), more than the limit of 700 MB; use --tile \d+ \(about \d+ MB\), or --max-size \d+/,
    );
    const tile = Number(/--tile (\d+)/.exec(message)![1]);
    expect(estimateDreamMemory(net, LAYER, 1500, 2000, { tile }).bytes).toBeLessThanOrEqual(limit);
    const side = Number(/--max-size (\d+)/.exec(message)![1]);
    expect(estimateDreamMemory(net, LAYER, Math.round((1500 * side) / 2000), side, { tile: 1024 }).bytes).toBeLessThanOrEqual(limit);
  });

  it("does not choose tiles smaller than 256 by itself: it refuses instead", () => {
    expect(() => plan(3000, 4000, 1200 * MB)).toThrow(
      /^this dream would need about [\d.]+ GB .*more than the limit of 1.2 GB; use --max-size \d+/,
    );
  });

  it("says when no tile can help, because the picture alone is too large", () => {
    expect(() => plan(8000, 8000, 1024 * MB)).toThrow(/--max-size \d+, or a larger --max-memory/);
    expect(() => plan(8000, 8000, 1024 * MB)).not.toThrow(/--tile/);
  });

  it("dream() tiles by itself and tells onNote, rather than refusing", async () => {
    const notes: string[] = [];
    let progressed = 0;
    const out = await dream(createImage(600, 400), {
      model: net,
      layer: "inception_3a/output",
      octaves: 1,
      iterations: 1,
      maxMemory: 440 * MB,
      threads: 1,
      onNote: (n) => notes.push(n),
      onProgress: () => progressed++,
    });
    expect([out.width, out.height]).toEqual([600, 400]);
    expect(notes.filter((n) => /dreamed in tiles of \d+×\d+/.test(n))).toHaveLength(1);
    expect(progressed).toBe(1);
  });

  it("refuses a limit that is not a positive number", async () => {
    await expect(dream(createImage(64, 64), { model: net, layer: "conv2/3x3", maxMemory: 0 })).rejects.toThrow(
      /maxMemory must be a positive/,
    );
  });
});

describe("memoryBudget", () => {
  it("is half the machine's memory, at most 16 GiB", () => {
    expect(memoryBudget(8 * 2 ** 30)).toBe(4 * 2 ** 30);
    expect(memoryBudget(24 * 2 ** 30)).toBe(12 * 2 ** 30);
    expect(memoryBudget(128 * 2 ** 30)).toBe(16 * 2 ** 30);
  });
});
