// The acceptance of issue 15 as an inequality: on a synthetic pan (known motion), the dreamed
// video's frame-to-frame error after compensating the motion is well below that of the same
// frames dreamed one by one, while the video is dreamed as strongly. Small and quick here; the
// 320×240 figures are bench/video-coherence.ts's (README, "Video").
import { beforeAll, describe, expect, it } from "vitest";
import type { RgbImage } from "../../src/io/image/image.js";
import type { CaffeNet } from "../../src/models/net.js";
import { loadGoogLeNet } from "../../src/models/load.js";
import { dreamVideo, type DreamVideoOptions } from "../../src/video/dream-video.js";
import { compensatedError, panningClip } from "./clips.js";

const SHIFT = 3;
let model: CaffeNet;
let clip: RgbImage[];
beforeAll(async () => {
  model = await loadGoogLeNet();
  clip = await panningClip(5, 128, 96, SHIFT);
});

async function dreamed(options: Omit<DreamVideoOptions, "model">): Promise<RgbImage[]> {
  const out: RgbImage[] = [];
  for await (const f of dreamVideo(clip, { model, layer: "inception_3b/output", octaves: 2, iterations: 4, seed: 1, ...options }))
    out.push(f);
  return out;
}

/** Mean |out − in| over the frames after the first: how strongly they were dreamed. */
const strength = (frames: RgbImage[]): number =>
  frames.slice(1).reduce((s, f, k) => s + f.data.reduce((a, v, i) => a + Math.abs(v - clip[k + 1]!.data[i]!), 0) / f.data.length, 0) /
  (frames.length - 1);

describe("a dreamed pan", () => {
  it("flickers far less as a video than dreamed one frame at a time, and is dreamed as strongly", async () => {
    expect(compensatedError(clip, SHIFT)).toBe(0); // the motion is exactly known
    const alone = await dreamed({ blend: 0, flow: false });
    const video = await dreamed({ blend: 1, iterationsAfter: 1 });
    const still = await dreamed({ blend: 1, iterationsAfter: 1, flow: false });
    const [a, v, s] = [alone, video, still].map((f) => compensatedError(f, SHIFT)) as [number, number, number];
    console.log(
      `coherence at 128×96: one by one ${a.toFixed(2)}, video ${v.toFixed(2)} (${(v / a).toFixed(2)}×), without flow ${s.toFixed(2)}; ` +
        `strength ${strength(alone).toFixed(1)} / ${strength(video).toFixed(1)}`,
    );
    expect(v).toBeLessThan(0.6 * a);
    expect(v).toBeLessThan(0.6 * s); // the flow, not the blending alone, makes it coherent
    expect(strength(video)).toBeGreaterThan(0.7 * strength(alone));
  });
});
