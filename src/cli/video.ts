// `inceptionism video IN -o OUT`: a clip dreamed frame by frame, as ../video/dream-video.ts
// describes, with FFmpeg reading and writing the video (./ffmpeg.ts).
//
// The frames flow one at a time: ffmpeg decodes frame k into a pipe, the engine thread
// (./engine.ts) computes its start from frame k−1's input and dream (the optical flow runs
// there too, off this thread) and dreams it, and the result is written as a numbered PNG in
// the work directory — OUT.frames/ next to a video OUT, or OUT itself for a directory of
// frames. Only frames k−1 and k are ever in memory. The frames are the same, byte for byte, as
// `dreamVideo()` gives for the same options: it is the same recipe, the same seeds per frame,
// and the same rounding to bytes before a frame is carried on.
//
// Resume: the work directory keeps the settings the frames were made with
// (.inceptionism-video.json). After Ctrl-C (or a crash), the same command with --resume decodes
// the clip again, skips the finished frames, reads back the last one's dream, and continues;
// settings that would change the frames are refused, naming what differs. Once every frame is
// dreamed, a video OUT is encoded through a temporary file, and the work directory removed.
//
// Node side: files, child processes, the engine thread.

import { mkdir, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { dirname, extname, join, resolve } from "node:path";
import { DREAM_DEFAULTS } from "../dream/dream.js";
import { InceptionismError, OptionError } from "../errors.js";
import { checkImageSize } from "../io/image/image.js";
import { readImage, writeImage } from "../io/image/image-file.js";
import { fitSize } from "../io/image/resize.js";
import { clipClock, frameOverrides, roundToBytes, VIDEO_DEFAULTS, type VideoFrame } from "../video/dream-video.js";
import type { DreamPlan, VideoPlan } from "./args.js";
import { startEngine, type EngineOptions } from "./engine.js";
import { decodeFrames, encodeVideo, probeVideo, VIDEO_FORMATS, VideoError, videoFormat, type VideoFormat } from "./ffmpeg.js";
import { progressBar } from "./progress.js";

/** The settings file in a work directory: what the frames there were made with. */
export const SETTINGS_FILE = ".inceptionism-video.json";

/** Frame k's file name in a work directory. */
export const frameName = (k: number): string => `frame-${String(k).padStart(6, "0")}.png`;

export interface VideoRun {
  plan: DreamPlan & { video: VideoPlan };
  /** The dream's options, with the classes and the guide picture read. */
  options: EngineOptions;
  signal: AbortSignal;
  /** Prints a note: above the progress bar while there is one. */
  note: (message: string) => void;
}

export async function videoCommand({ plan, options, signal, note }: VideoRun): Promise<void> {
  const v = plan.video;
  const format = await checkVideoOutput(plan.output, plan.input);
  const info = await probeVideo(plan.input);
  const [width, height] = plan.maxSize === undefined ? [info.width, info.height] : fitSize(info.width, info.height, plan.maxSize);
  checkImageSize(width, height, plan.maxPixels);
  const fps = v.fps ?? info.fps;
  if (info.duration !== undefined && v.start >= info.duration) {
    throw new OptionError(`--start ${v.start} is past the end of ${plan.input} (${info.duration.toFixed(2)} s); give an earlier time`);
  }
  // How many frames there will be, for progress: ffmpeg's own count may differ by one at the end.
  const estimate = info.duration === undefined ? undefined : Math.max(1, Math.round((info.duration - v.start) * fps));
  const count = v.frames === undefined ? estimate : estimate === undefined ? v.frames : Math.min(v.frames, estimate);

  const work = format === null ? plan.output : `${plan.output}.frames`;
  const settings = frameSettings(plan, options, width, height, fps);
  const first = await prepareWorkDirectory(work, settings, v.resume, format === null ? "" : ` of ${plan.output}`);

  let done = first;
  if (count === undefined || first < count) {
    const engine = startEngine(plan.model); // one engine, so the model loads once for the clip
    let current = first;
    const bar = plan.quiet ? null : progressBar(process.stderr, () => `frame ${current + 1}/${count ?? "?"}`);
    const clock = clipClock(
      { iterations: options.iterations ?? DREAM_DEFAULTS.iterations, iterationsAfter: v.iterationsAfter, frames: count },
      first,
    );
    const blend = v.blend ?? VIDEO_DEFAULTS.blend;
    let previous: VideoFrame | null = null;
    try {
      let index = 0;
      for await (const input of decodeFrames(plan.input, { width, height, start: v.start, fps: v.fps, frames: v.frames })) {
        const k = index++;
        if (k < first - 1) continue; // finished, and not needed again
        if (k === first - 1) {
          previous = { index: k, input, dream: await readImage(join(work, frameName(k)), { maxPixels: plan.maxPixels }) };
          continue;
        }
        current = k;
        // A copy goes to the engine (its buffer is moved there); `input` stays for the next frame's carry.
        const dreamed = await engine.dream(
          { ...input, data: input.data.slice() },
          { ...options, ...frameOverrides({ seed: options.seed, iterationsAfter: v.iterationsAfter }, k) },
          {
            signal,
            onProgress: (p) => bar?.update({ ...p, fraction: clock(k, p).fraction ?? p.fraction }),
            onNote: (message) => (bar === null ? note(message) : bar.log(`note: ${message}`)),
          },
          previous === null ? undefined : { previous, blend, flow: v.flow },
        );
        const written = roundToBytes(dreamed);
        await writeImage(join(work, frameName(k)), written);
        done = k + 1;
        signal.throwIfAborted(); // Ctrl-C during the write: stop after this whole frame
        previous = { index: k, input, dream: written };
      }
    } catch (e) {
      if (e instanceof Error && e.name === "AbortError" && done > 0) {
        bar?.done();
        note(`${done} finished frame(s) are kept in ${work}; run the same command with --resume to continue`);
      }
      throw e;
    } finally {
      engine.close();
      bar?.done();
    }
    if (done === 0) throw new VideoError(`${plan.input} gave no frames from ${v.start} s on; give an earlier --start`);
  }

  if (format === null) {
    if (info.audio !== null) note("the clip's sound is not kept in a directory of frames; give an .mp4 or .webm output to keep it");
    if (!plan.quiet) console.error(`wrote ${done} frames (${width}×${height}) to ${plan.output}`);
    return;
  }
  await encodeVideo(plan.output, {
    pattern: join(work, "frame-%06d.png"),
    fps,
    audio: info.audio === null ? undefined : { path: plan.input, codec: info.audio, start: v.start },
    signal,
  });
  await rm(work, { recursive: true, force: true });
  if (!plan.quiet) console.error(`wrote ${plan.output} (${done} frames, ${width}×${height}, ${+fps.toFixed(3)} fps)`);
}

/**
 * A video output's format, or null for a directory of frames, after checking that it can be
 * written: not the input, a file name with a video extension or a directory (not a picture's
 * extension, which is a mistake more likely than a directory called "out.png").
 */
export async function checkVideoOutput(output: string, input?: string): Promise<VideoFormat | null> {
  if (input !== undefined && resolve(output) === resolve(input)) {
    throw new VideoError(`output ${output} is the input clip; choose another output name`);
  }
  const format = videoFormat(output);
  const isDir = await stat(output).then(
    (s) => s.isDirectory(),
    () => false,
  );
  const ext = extname(output);
  if (format === null) {
    if (ext !== "" && !isDir) {
      throw new OptionError(
        `cannot write ${output}: a video is written as ${Object.keys(VIDEO_FORMATS).join(", ")}, or as PNG frames into a directory (a name without an extension); got "${ext}"`,
      );
    }
    return null;
  }
  if (isDir) throw new OptionError(`output ${output} is a directory; give a file name, e.g. ${join(output, `dream${ext}`)}`);
  const dir = dirname(resolve(output));
  if (
    !(await stat(dir).then(
      (s) => s.isDirectory(),
      () => false,
    ))
  ) {
    throw new VideoError(`cannot write ${output}: directory ${dir} does not exist; create it first`);
  }
  return format;
}

/** What decides the frames' pixels: a resume must match all of it (the thread count does not count). */
function frameSettings(
  plan: DreamPlan & { video: VideoPlan },
  options: EngineOptions,
  width: number,
  height: number,
  fps: number,
): Record<string, unknown> {
  const { threads: _threads, guide: _guide, ...dream } = options;
  const v = plan.video;
  return {
    input: resolve(plan.input),
    size: `${width}×${height}`,
    start: v.start,
    fps,
    blend: v.blend ?? VIDEO_DEFAULTS.blend,
    flow: v.flow,
    iterationsAfter: v.iterationsAfter ?? null,
    model: plan.model === undefined ? null : resolve(plan.model),
    guide: plan.guide === undefined ? null : resolve(plan.guide),
    ...Object.fromEntries(
      Object.entries(dream)
        .map(([k, x]) => [k, x ?? null])
        .sort(([a], [b]) => String(a).localeCompare(String(b))),
    ),
  };
}

/**
 * Makes the work directory ready and returns how many frames are done: 0 for a fresh start
 * (refusing one that holds frames without --resume), or the count of frames 0…k−1 when
 * resuming with the settings they were made with.
 */
export async function prepareWorkDirectory(dir: string, settings: Record<string, unknown>, resume: boolean, ofWhat = ""): Promise<number> {
  const existing = await stat(dir).catch(() => null);
  if (existing !== null && !existing.isDirectory()) {
    throw new VideoError(`cannot write frames into ${dir}: it is a file, not a directory; remove it or give another output`);
  }
  await mkdir(dir, { recursive: true }).catch((e: NodeJS.ErrnoException) => {
    throw new VideoError(`cannot create the directory ${dir}: ${e.code ?? e.message}`);
  });
  const frames = (await readdir(dir)).filter((f) => /^frame-\d{6}\.png$/.test(f)).sort();
  const file = join(dir, SETTINGS_FILE);
  if (frames.length === 0) {
    await writeFile(file, `${JSON.stringify(settings, null, 2)}\n`);
    return 0;
  }
  if (!resume) {
    throw new InceptionismError(
      `${dir} already holds ${frames.length} dreamed frame(s)${ofWhat}; pass --resume to continue, or remove them to start over`,
    );
  }
  if (frames.some((f, i) => f !== frameName(i))) {
    throw new InceptionismError(
      `cannot resume in ${dir}: its frames are not numbered 0 to ${frames.length - 1} without gaps; remove them to start over`,
    );
  }
  const before = await readFile(file, "utf8").then(
    (t) => JSON.parse(t) as Record<string, unknown>,
    () => null,
  );
  if (before === null)
    throw new InceptionismError(
      `cannot resume in ${dir}: ${SETTINGS_FILE} is missing or damaged, so its frames' settings are unknown; remove them to start over`,
    );
  const changed = [...new Set([...Object.keys(before), ...Object.keys(settings)])]
    .filter((k) => JSON.stringify(before[k] ?? null) !== JSON.stringify(settings[k] ?? null))
    .map((k) => `${k} ${JSON.stringify(before[k] ?? null)} then, ${JSON.stringify(settings[k] ?? null)} now`);
  if (changed.length > 0) {
    throw new OptionError(
      `cannot resume in ${dir}: its frames were made with other settings (${changed.join("; ")}); pass the same options, or remove them to start over`,
    );
  }
  return frames.length;
}
