// How coherent is a dreamed clip? A synthetic pan — crops of a photo, each `--shift` pixels to
// the right of the last, so the motion is known exactly — dreamed one frame at a time (each on
// its own, with its frame's seed: dreamVideo with blend 0) and as a video (dreamVideo, the
// previous frame's detail carried along the optical flow), for each `--configs` entry.
//
//     npx tsx bench/video-coherence.ts [--size 320x240] [--frames 6] [--shift 4]
//          [--configs 0.5:10,0.5:2,1:1,1:1:noflow] (blend:iterationsAfter[:noflow])
//          [--layer L] [--octaves N] [--iterations N]
//
// The error is the mean |out_{k+1}(x) − out_k(x + shift)| over all pairs and the pixels both
// frames see, in 0–255 levels: 0 for the input clip itself, so all of it is the dream's flicker.
// A clip barely dreamed would be coherent for nothing, so each line also gives the dream's
// strength: the mean |out − in| over the frames after the first. It prints the error of each,
// the ratio video / one by one, and the seconds per frame (the
// first, and the later ones, which include the two optical flows), with the load average, as
// the machine is shared: compare only numbers from one run.
import { loadavg } from "node:os";
import { DREAM_DEFAULTS } from "../src/dream/dream.js";
import type { RgbImage } from "../src/io/image/image.js";
import { loadGoogLeNet } from "../src/models/load.js";
import { opticalFlow } from "../src/video/flow.js";
import { dreamVideo, type DreamVideoOptions } from "../src/video/dream-video.js";
import { compensatedError, panningClip } from "../test/video/clips.js";
import "../src/threads/node-host.js";

const args = process.argv.slice(2);
const flag = (name: string, fallback: string): string => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && i + 1 < args.length ? args[i + 1]! : fallback;
};
const [width, height] = flag("size", "320x240").split("x").map(Number) as [number, number];
const count = Number(flag("frames", "6"));
const shift = Number(flag("shift", "4"));
const configs = flag("configs", "0.5:10,0.5:2,1:1,1:1:noflow")
  .split(",")
  .map((c) => c.split(":"));
const base = {
  model: await loadGoogLeNet(),
  layer: flag("layer", DREAM_DEFAULTS.layer),
  octaves: Number(flag("octaves", String(DREAM_DEFAULTS.octaves))),
  iterations: Number(flag("iterations", String(DREAM_DEFAULTS.iterations))),
  seed: 1,
};
const photo = new URL("../examples/flowers.jpg", import.meta.url).pathname;
const clip = await panningClip(count, width, height, shift, photo);
/** Mean |out − in| over the frames after the first (the first is the same in every run). */
const strength = (frames: RgbImage[]): number =>
  frames.slice(1).reduce((s, f, k) => s + f.data.reduce((a, v, i) => a + Math.abs(v - clip[k + 1]!.data[i]!), 0) / f.data.length, 0) /
  (frames.length - 1);
const load = (): string =>
  loadavg()
    .map((l) => l.toFixed(1))
    .join(" ");

async function dreamClip(options: Omit<DreamVideoOptions, "model">): Promise<{ frames: RgbImage[]; first: number; later: number }> {
  const frames: RgbImage[] = [];
  const times: number[] = [];
  let t = performance.now();
  for await (const f of dreamVideo(clip, { ...base, ...options })) {
    frames.push(f);
    times.push((performance.now() - t) / 1000);
    t = performance.now();
  }
  const later = times.slice(1).reduce((a, b) => a + b, 0) / Math.max(1, times.length - 1);
  return { frames, first: times[0]!, later };
}

console.log(
  `video coherence — ${new Date().toISOString()}, Node ${process.version}, ${width}×${height}, ${count} frames panning ${shift} px/frame, ` +
    `${base.layer}, ${base.octaves} octaves × ${base.iterations} steps; load ${load()}`,
);
const t = performance.now();
opticalFlow(clip[0]!, clip[1]!);
console.log(`one optical flow: ${((performance.now() - t) / 1000).toFixed(2)} s (a later frame takes two)`);
console.log(`input clip: error ${compensatedError(clip, shift).toFixed(2)}`);
const alone = await dreamClip({ blend: 0, flow: false });
const aloneError = compensatedError(alone.frames, shift);
console.log(
  `one by one: error ${aloneError.toFixed(2)}, strength ${strength(alone.frames).toFixed(1)}; ${alone.first.toFixed(1)} s a frame; load ${load()}`,
);
for (const [blend, after, noflow] of configs) {
  const flow = noflow !== "noflow";
  const v = await dreamClip({ blend: Number(blend), iterationsAfter: Number(after), flow });
  const e = compensatedError(v.frames, shift);
  console.log(
    `video blend ${blend}, iterationsAfter ${after}, ${flow ? "flow" : "no flow"}: error ${e.toFixed(2)} = ${(e / aloneError).toFixed(2)}× one by one, ` +
      `strength ${strength(v.frames).toFixed(1)}; first frame ${v.first.toFixed(1)} s, later ${v.later.toFixed(1)} s a frame; load ${load()}`,
  );
}
