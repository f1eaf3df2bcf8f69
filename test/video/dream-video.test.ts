// dreamVideo(): the first frame as dream() dreams it, the carry recipe, reproducibility, resume,
// progress over the clip, and the refusals.
import { beforeAll, describe, expect, it } from "vitest";
import { dream } from "../../src/dream/dream.js";
import { OptionError } from "../../src/errors.js";
import type { RgbImage } from "../../src/io/image/image.js";
import type { CaffeNet } from "../../src/models/net.js";
import { loadGoogLeNet } from "../../src/models/load.js";
import { dreamVideo, frameOverrides, frameSeed, frameStart, roundToBytes, type VideoProgress } from "../../src/video/dream-video.js";
import { panningClip } from "./clips.js";

let model: CaffeNet;
let clip: RgbImage[];
beforeAll(async () => {
  model = await loadGoogLeNet();
  clip = await panningClip(4, 56, 48, 3);
});

const QUICK = { layer: "conv2/3x3", octaves: 1, iterations: 2, seed: 7 } as const;

async function collect(
  frames: Iterable<RgbImage> | AsyncIterable<RgbImage>,
  options: Parameters<typeof dreamVideo>[1],
): Promise<RgbImage[]> {
  const out: RgbImage[] = [];
  for await (const f of dreamVideo(frames, options)) out.push(f);
  return out;
}

const bytes = (img: RgbImage): Buffer => Buffer.from(Uint8Array.from(img.data));
const meanAbs = (a: RgbImage, b: RgbImage): number => a.data.reduce((s, v, i) => s + Math.abs(v - b.data[i]!), 0) / a.data.length;

describe("dreamVideo", () => {
  it("dreams the first frame as dream() does, and each next one from its start image with its own seed", async () => {
    const out = await collect(clip.slice(0, 3), { ...QUICK, model, blend: 0.5 });
    expect(out).toHaveLength(3);
    expect(bytes(out[0]!)).toEqual(bytes(roundToBytes(await dream(clip[0]!, { ...QUICK, model }))));
    const start1 = frameStart(clip[1]!, { index: 0, input: clip[0]!, dream: out[0]! }, 0.5, true);
    expect(bytes(out[1]!)).toEqual(bytes(roundToBytes(await dream(start1, { ...QUICK, model, seed: frameSeed(7, 1) }))));
    for (const f of out) expect(f.data.every((v) => Number.isInteger(v) && v >= 0 && v <= 255)).toBe(true);
  });

  it("starts a frame from its input plus blend × the previous frame's detail, clamped to 0–255", () => {
    const img = (values: number[]): RgbImage => ({ width: 2, height: 1, data: Float32Array.from(values) });
    const input = img([10, 20, 30, 40, 250, 5]);
    const previous = { index: 0, input: img([0, 0, 0, 100, 100, 100]), dream: img([40, 0, 10, 100, 180, 60]) };
    expect([...frameStart(input, previous, 0.5, false).data]).toEqual([30, 20, 35, 40, 255, 0]);
    expect([...frameStart(input, previous, 0, false).data]).toEqual([...input.data]);
  });

  it("moves the carried detail along the flow: on a pan of 3 px a frame, it arrives 3 px to the left", () => {
    const [a, b] = [clip[0]!, clip[1]!];
    const { width: w, height: h } = a;
    // A detail of ±12 stripes, 5 px wide and slanted, added to frame 0 (kept away from 0 and 255).
    const D = (x: number, y: number, c: number): number => (Math.floor((x + y + 2 * c) / 5) % 2 === 0 ? 12 : -12);
    const mid = (img: RgbImage): RgbImage => ({ ...img, data: img.data.map((v) => 40 + 0.6 * v) });
    const [a1, b1] = [mid(a), mid(b)];
    const dreamt = { ...a1, data: a1.data.map((v, i) => v + D(Math.floor(i / 3) % w, Math.floor(i / 3 / w), i % 3)) };
    const moved = frameStart(b1, { index: 0, input: a1, dream: dreamt }, 1, true);
    const still = frameStart(b1, { index: 0, input: a1, dream: dreamt }, 1, false);
    let errMoved = 0,
      errStill = 0,
      n = 0;
    for (let y = 6; y < h - 6; y++) {
      for (let x = 6; x < w - 9; x++) {
        for (let c = 0; c < 3; c++) {
          const i = (y * w + x) * 3 + c;
          errMoved += Math.abs(moved.data[i]! - b1.data[i]! - D(x + 3, y, c));
          errStill += Math.abs(still.data[i]! - b1.data[i]! - D(x + 3, y, c));
          n++;
        }
      }
    }
    expect(errMoved / n).toBeLessThan(2); // of stripes ±12: the detail arrived where the picture went
    expect(errStill / n).toBeGreaterThan(8);
  });

  it("with blend 0 dreams every frame on its own (each with its frame's seed)", async () => {
    const out = await collect(clip.slice(0, 2), { ...QUICK, model, blend: 0 });
    expect(bytes(out[1]!)).toEqual(bytes(roundToBytes(await dream(clip[1]!, { ...QUICK, model, seed: frameSeed(7, 1) }))));
  });

  it("is byte-identical for a seed, and another seed gives another clip", async () => {
    const a = await collect(clip.slice(0, 3), { ...QUICK, model });
    const b = await collect(clip.slice(0, 3), { ...QUICK, model });
    const c = await collect(clip.slice(0, 3), { ...QUICK, model, seed: 8 });
    expect(a.map(bytes)).toEqual(b.map(bytes));
    expect(meanAbs(a[2]!, c[2]!)).toBeGreaterThan(0.5);
  });

  it("continued after a finished frame (resume) gives the same frames as one run", async () => {
    const whole = await collect(clip, { ...QUICK, model, iterationsAfter: 1 });
    const rest = await collect(clip.slice(2), {
      ...QUICK,
      model,
      iterationsAfter: 1,
      resume: { index: 1, input: clip[1]!, dream: whole[1]! },
    });
    expect(rest.map(bytes)).toEqual(whole.slice(2).map(bytes));
  });

  it("takes iterationsAfter steps after the first frame and reports progress over the whole clip", async () => {
    const seen: VideoProgress[] = [];
    async function* frames(): AsyncGenerator<RgbImage> {
      yield* clip.slice(0, 3); // an async source, as a decoder gives
    }
    await collect(frames(), { ...QUICK, model, iterations: 3, iterationsAfter: 1, frames: 3, onProgress: (p) => seen.push(p) });
    expect(seen.map((p) => `${p.frame}/${p.frames}:${p.dream.iteration}/${p.dream.iterations}`)).toEqual([
      "1/3:1/3",
      "1/3:2/3",
      "1/3:3/3",
      "2/3:1/1",
      "3/3:1/1",
    ]);
    // Work counted in steps: 3 for the first frame, 1 for each next one, 5 in all.
    expect(seen.map((p) => p.fraction)).toEqual([1 / 5, 2 / 5, 3 / 5, 4 / 5, 1]);
    expect(seen.at(-1)!.eta).toBe(0);
    expect(seen.every((p) => p.elapsed >= 0)).toBe(true);
  });

  it("derives a distinct 32-bit seed per frame, the clip's own for the first", () => {
    const seeds = Array.from({ length: 1000 }, (_, k) => frameSeed(7, k));
    expect(seeds[0]).toBe(7);
    expect(new Set(seeds).size).toBe(1000);
    expect(seeds.every((s) => Number.isInteger(s) && s >= 0 && s < 2 ** 32)).toBe(true);
    expect(frameSeed(2 ** 40 + 7, 3)).not.toBe(frameSeed(7, 3)); // the high bits count too
    expect(frameOverrides({ seed: 7, iterationsAfter: 2 }, 0)).toEqual({ seed: 7 });
    expect(frameOverrides({ seed: 7, iterationsAfter: 2 }, 1)).toEqual({ seed: frameSeed(7, 1), iterations: 2 });
  });

  it("refuses a bad blend, a bad iterationsAfter and frames of another size, and stops when aborted", async () => {
    await expect(collect(clip, { ...QUICK, model, blend: 1.5 })).rejects.toThrow(
      new OptionError("blend must be a number from 0 to 1, got 1.5"),
    );
    await expect(collect(clip, { ...QUICK, model, blend: Number.NaN })).rejects.toBeInstanceOf(OptionError);
    await expect(collect(clip, { ...QUICK, model, iterationsAfter: 0 })).rejects.toThrow(
      /iterationsAfter must be a whole number ≥ 1, got 0/,
    );
    const odd: RgbImage = { width: 50, height: 48, data: new Float32Array(50 * 48 * 3) };
    await expect(collect([clip[0]!, odd], { ...QUICK, model })).rejects.toThrow(
      "frame 2 is 50×48 but the previous frame's input is 56×48; every frame of a clip must have one size",
    );
    const controller = new AbortController();
    const made: RgbImage[] = [];
    const run = (async () => {
      for await (const f of dreamVideo(clip, { ...QUICK, model, signal: controller.signal })) {
        made.push(f);
        controller.abort(new DOMException("stop", "AbortError"));
      }
    })();
    await expect(run).rejects.toThrow("stop");
    expect(made).toHaveLength(1);
  });
});
