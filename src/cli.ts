#!/usr/bin/env node
// The `inceptionism` command: dream, zoom, video, classify, layers, visualize.
//
// Exit codes: 0 success, 2 usage error (unknown flag, bad number, unknown layer or class, over
// --max-memory, an output that is a directory or has an unknown extension, a --resume that
// would change the frames' size or, for video, their settings), 1 any other failure (unreadable
// image, clip or model, no FFmpeg for video, …), 130 interrupted by Ctrl-C.
// Errors are one line on stderr, without a stack trace, unless they are bugs. Outputs are
// written to a temporary file and renamed into place, so an interrupted run leaves no partial
// file. Argument checking lives in ./cli/args.ts. Dreams run in an engine thread
// (./cli/engine.ts), so that this thread is free to draw the progress bar and to stop the
// dream the moment Ctrl-C is pressed.

import { readdir, readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import { parseCommandLine, UsageError, type CommandLine, type DreamPlan, type VisualizePlan } from "./cli/args.js";
import { startEngine, type Engine, type EngineOptions } from "./cli/engine.js";
import { progressBar, type ProgressBar } from "./cli/progress.js";
import { tooSmallNote } from "./cli/too-small.js";
import { encodeVideo } from "./cli/ffmpeg.js";
import { checkVideoOutput, videoCommand } from "./cli/video.js";
import { zoomAboutCentre } from "./dream/zoom.js";
import { gemmBackend } from "./layers/gemm.js";
import { InceptionismError, OptionError, UnknownLayerError } from "./errors.js";
import type { RgbImage } from "./io/image/image.js";
import { DEFAULT_MAX_PIXELS } from "./io/image/image.js";
import { checkOutputPath, makeFrameDirectory, readImage, writeImage } from "./io/image/image-file.js";
import { resizeToFit } from "./io/image/resize.js";
import { classify } from "./models/classify.js";
import { findClass } from "./models/labels.js";
import { loadCaffeModel, loadGoogLeNet, loadImageNetClasses, loadImageNetLabels } from "./models/load.js";
import type { CaffeNet } from "./models/net.js";
import "./node-relaxed-simd.js"; // INCEPTIONISM_GEMM=wasm-relaxed on Node 20
import "./threads/node-host.js"; // worker threads for dreams (--threads)

/** Aborted on Ctrl-C (SIGINT): the running dream stops at its next step and nothing is written. */
const interrupt = new AbortController();

async function main(argv: string[]): Promise<void> {
  const line = parseCommandLine(argv);
  try {
    gemmBackend(); // reads INCEPTIONISM_GEMM: a bad value is the caller's mistake, said before any work
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  switch (line.command) {
    case "help":
      console.log(line.text);
      return;
    case "version": {
      // package.json is one level above this file both in src/ and in dist/.
      const pkg = JSON.parse(await readFile(new URL("../package.json", import.meta.url), "utf8")) as { version: string };
      console.log(pkg.version);
      return;
    }
    case "dream":
      return dreamCommand(line);
    case "zoom":
      return zoomCommand(line);
    case "video":
      return videoCommand({
        plan: line,
        options: await dreamOptions(line),
        signal: interrupt.signal,
        note: (m) => !line.quiet && console.error(`note: ${m}`),
      });
    case "classify":
      return classifyCommand(line);
    case "layers":
      return layersCommand(line);
    case "visualize":
      return visualizeCommand(line);
  }
}

async function dreamCommand(plan: { command: "dream" } & DreamPlan): Promise<void> {
  await checkOutputPath(plan.output, plan.input);
  const bar = plan.quiet ? null : progressBar(process.stderr, "dreaming"); // drawn at once, before the picture is read
  const engine = startEngine(plan.model);
  let result: RgbImage;
  try {
    const image = await loadPicture(plan);
    result = await runDream(engine, image, await dreamOptions(plan), plan, bar);
    await writeImage(plan.output, result, { quality: plan.quality });
  } finally {
    engine.close();
    bar?.done();
  }
  if (!plan.quiet) console.error(`wrote ${plan.output} (${result.width}×${result.height})`);
}

async function zoomCommand(plan: Extract<CommandLine, { command: "zoom" }>): Promise<void> {
  // A video output is made from frames kept in FILE.frames/ until it is written (see ./cli/video.ts).
  const format = await checkVideoOutput(plan.output, plan.input);
  const dir = format === null ? plan.output : `${plan.output}.frames`;
  let frame = await loadPicture(plan);
  const options = await dreamOptions(plan);
  await makeFrameDirectory(dir);
  const existing = (await readdir(dir)).filter((f) => /^frame-\d+\.png$/.test(f)).sort();
  const name = (i: number): string => `${dir}/frame-${String(i).padStart(4, "0")}.png`;
  let first = 0;
  if (existing.length > 0) {
    const last = existing[existing.length - 1]!;
    if (!plan.resume) {
      throw new InceptionismError(
        `"${dir}" already holds ${existing.length} frame(s), up to ${last}; pass --resume to continue from there, or remove them to start over`,
      );
    }
    // Resuming needs frames 0…k−1 with none missing: the last one is where the zoom left off.
    if (existing.some((f, i) => f !== name(i).slice(dir.length + 1))) {
      throw new InceptionismError(
        `cannot resume in "${dir}": its frames are not numbered 0 to ${existing.length - 1} without gaps; remove them to start over`,
      );
    }
    first = existing.length;
    if (first >= plan.frames) {
      if (!plan.quiet) console.error(`${dir} already holds ${first} frames, as many as --frames ${plan.frames} asks for`);
      return zoomVideo(plan, dir);
    }
    const lastFrame = await readImage(name(first - 1), { maxPixels: plan.maxPixels });
    if (lastFrame.width !== frame.width || lastFrame.height !== frame.height) {
      const how = plan.maxSize === undefined ? "without --max-size" : `with --max-size ${plan.maxSize}`;
      throw new OptionError(
        `cannot resume in "${dir}": its frames are ${lastFrame.width}×${lastFrame.height} but this run, ${how}, would make ${frame.width}×${frame.height}; ` +
          `pass the --max-size they were made with, or remove them to start over`,
      );
    }
    frame = zoomAboutCentre(lastFrame, plan.zoom);
  }
  const engine = startEngine(plan.model); // one engine, so the model loads once for all frames
  try {
    for (let i = first; i < plan.frames; i++) {
      const bar = plan.quiet ? null : progressBar(process.stderr, `frame ${i + 1}/${plan.frames}`);
      try {
        frame = await runDream(engine, frame, options, plan, bar);
      } finally {
        bar?.done();
      }
      await writeImage(name(i), frame);
      interrupt.signal.throwIfAborted(); // Ctrl-C during the write: stop after this whole frame
      frame = zoomAboutCentre(frame, plan.zoom);
    }
  } finally {
    engine.close();
  }
  if (!plan.quiet) console.error(`wrote ${plan.frames - first} frames to ${dir}`);
  return zoomVideo(plan, dir);
}

/** For a video output: the zoom's frames in `dir` encoded into it, then `dir` removed. */
async function zoomVideo(plan: Extract<CommandLine, { command: "zoom" }>, dir: string): Promise<void> {
  if (dir === plan.output) return;
  await encodeVideo(plan.output, { pattern: join(dir, "frame-%04d.png"), fps: plan.fps, signal: interrupt.signal });
  await rm(dir, { recursive: true, force: true });
  if (!plan.quiet) console.error(`wrote ${plan.output} (${plan.frames} frames, ${plan.fps} fps)`);
}

async function classifyCommand(plan: Extract<CommandLine, { command: "classify" }>): Promise<void> {
  const image = await readImage(plan.input, { maxPixels: DEFAULT_MAX_PIXELS });
  const net = await loadModel(plan.model);
  const labels = await loadImageNetLabels();
  const predictions = classify(net, image, { labels, top: plan.top });
  if (plan.json) {
    console.log(JSON.stringify({ top: predictions }));
    return;
  }
  for (const p of predictions) console.log(`${p.probability.toFixed(4)}  ${p.label} (${p.index})`);
}

async function layersCommand(plan: Extract<CommandLine, { command: "layers" }>): Promise<void> {
  const { width: w, height: h } = plan;
  const net = await loadModel(plan.model);
  const rows = net.describe([1, net.inputChannels, h, w]);
  const note = tooSmallNote(net, w, h); // on stderr, after the table, so that --json output stays JSON
  if (plan.json) {
    console.log(JSON.stringify({ input: [1, net.inputChannels, h, w], blobs: rows }));
    if (note !== null) console.error(note);
    return;
  }
  const width = Math.max(...rows.map((r) => r.name.length));
  for (const r of rows) {
    const top = r.top === r.name ? "" : `  → ${r.top}`;
    console.log(`${r.name.padEnd(width)}  ${r.type.padEnd(12)}  ${r.shape.join("×")}${top}`);
  }
  if (note !== null) console.error(note);
}

async function visualizeCommand(plan: VisualizePlan): Promise<void> {
  await checkOutputPath(plan.output);
  const options: Parameters<Engine["visualize"]>[0] = { ...plan.options };
  if (plan.classes !== undefined) {
    const synsets = await loadImageNetClasses(); // an unknown or ambiguous label: an OptionError, exit 2
    options.classes = plan.classes.map((label) => findClass(label, synsets));
  }
  const bar = plan.quiet ? null : progressBar(process.stderr, "visualizing");
  const engine = startEngine(plan.model);
  let result: RgbImage;
  try {
    result = await engine.visualize(options, {
      signal: interrupt.signal,
      onProgress: (p) => bar?.update(p),
      onNote: (msg) => bar?.log(`note: ${msg}`),
    });
    await writeImage(plan.output, result, { quality: plan.quality });
  } finally {
    engine.close();
    bar?.done();
  }
  if (!plan.quiet) console.error(`wrote ${plan.output} (${result.width}×${result.height})`);
}

// --- shared pieces -------------------------------------------------------------------------

async function runDream(
  engine: Engine,
  image: RgbImage,
  options: EngineOptions,
  plan: DreamPlan,
  bar: ProgressBar | null,
): Promise<RgbImage> {
  return engine.dream(image, options, {
    signal: interrupt.signal,
    onProgress: (p) => bar?.update(p),
    onNote: (msg) => {
      if (bar !== null) bar.log(`note: ${msg}`);
      else if (!plan.quiet) console.error(`note: ${msg}`);
    },
  });
}

/** The dream's options: the plan's, with the classes, the guide and the mask read. */
async function dreamOptions(plan: DreamPlan): Promise<EngineOptions> {
  const options: EngineOptions = { ...plan.options };
  if (plan.classes !== undefined) {
    const synsets = await loadImageNetClasses(); // an unknown or ambiguous label: an OptionError, exit 2
    options.classes = plan.classes.map((label) => findClass(label, synsets));
  }
  if (plan.guide !== undefined) options.guide = await readImage(plan.guide, { maxPixels: plan.maxPixels });
  if (plan.mask !== undefined) options.mask = await readImage(plan.mask, { maxPixels: plan.maxPixels }); // resized by the dream if need be
  return options;
}

async function loadPicture(plan: DreamPlan): Promise<RgbImage> {
  const image = await readImage(plan.input, { maxPixels: plan.maxPixels });
  return plan.maxSize === undefined ? image : resizeToFit(image, plan.maxSize);
}

async function loadModel(path: string | undefined): Promise<CaffeNet> {
  return path === undefined ? loadGoogLeNet() : loadCaffeModel(path);
}

process.once("SIGINT", () => interrupt.abort(new DOMException("interrupted", "AbortError")));

main(process.argv.slice(2)).then(
  () => {},
  (e: unknown) => {
    if (e instanceof InceptionismError) {
      const message = e instanceof UnknownLayerError ? `${e.problem} "inceptionism layers" lists them all` : e.message;
      console.error(`inceptionism: ${message}`);
      process.exitCode = e instanceof UsageError || e instanceof OptionError ? 2 : 1;
    } else if (e instanceof Error && e.name === "AbortError") {
      console.error("inceptionism: interrupted; no partial file was written");
      process.exitCode = 130;
    } else {
      console.error(e); // a bug: keep the stack so it can be reported
      process.exitCode = 1;
    }
  },
);
