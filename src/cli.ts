#!/usr/bin/env node
// The `inceptionism` command: dream, zoom, classify, layers.
//
// Exit codes: 0 success, 2 usage error (unknown flag, bad number, unknown layer), 1 any other
// failure (unreadable image or model, …). Errors are one line on stderr, without a stack trace,
// unless they are bugs. Outputs are written to a temporary file and renamed into place.

import { mkdir, readdir } from "node:fs/promises";
import { parseArgs, type ParseArgsConfig } from "node:util";
import { dream, DREAM_DEFAULTS, type DreamOptions, type LayerWeight } from "./dream/dream.js";
import { InceptionismError, OptionError } from "./errors.js";
import type { RgbImage } from "./io/image.js";
import { DEFAULT_MAX_PIXELS } from "./io/image.js";
import { checkOutputPath, readImage, writeImage } from "./io/image-file.js";
import { resizeToFit } from "./io/resize.js";
import { classify } from "./models/classify.js";
import { loadCaffeModel, loadGoogLeNet, loadImageNetLabels } from "./models/load.js";
import type { CaffeNet } from "./models/net.js";
import { progressBar } from "./cli/progress.js";
import { zoomAboutCentre } from "./dream/zoom.js";

/** A mistake in how the command was called: exit code 2. */
class UsageError extends InceptionismError {}

const MAIN_HELP = `Usage: inceptionism <command> [options]

DeepDream with the BVLC GoogLeNet, in plain TypeScript.

Commands:
  dream IN -o OUT       dream a picture (PNG or JPEG in, PNG or JPEG out)
  zoom IN -o DIR        the infinite-zoom loop: dream, zoom in, repeat; numbered PNG frames
  classify IMAGE        the ImageNet classes the net sees in a picture
  layers                the net's layers and their output shapes

Run "inceptionism <command> --help" for a command's options.`;

const DREAM_OPTIONS = `Dream options:
  -o, --output FILE     where to write the result (.png, .jpg or .jpeg)
  --model FILE          a Caffe .caffemodel (default: the bundled BVLC GoogLeNet)
  --layer NAME[:W]      layer to amplify; repeat for several, each with an optional weight
                        (default ${DREAM_DEFAULTS.layer}; see "inceptionism layers")
  --octaves N           number of scales (default ${DREAM_DEFAULTS.octaves})
  --octave-scale F      size ratio between scales, > 1 (default ${DREAM_DEFAULTS.octaveScale})
  --iterations N        gradient steps per scale (default ${DREAM_DEFAULTS.iterations})
  --step F              step size (default ${DREAM_DEFAULTS.stepSize})
  --jitter N            largest random shift in pixels (default ${DREAM_DEFAULTS.jitter})
  --seed N              random seed; the same seed gives the same picture (default ${DREAM_DEFAULTS.seed})
  --channels LIST       amplify only these channels of the layer, e.g. 3,17,101
  --guide IMG           dream toward what the net sees in this picture
  --objective l2|mean   what to maximize (default l2, the original ½·Σa²)
  --max-size N          first scale the picture so its longer side is at most N pixels
  --max-pixels N        refuse pictures larger than N pixels (default ${DEFAULT_MAX_PIXELS})
  --tile N              compute gradients in tiles of at most N×N pixels (bounds memory)
  --quality N           JPEG quality 1–100 (default 92)
  --quiet               no progress bar`;

const HELP: Record<string, string> = {
  dream: `Usage: inceptionism dream IN -o OUT [options]

Dreams the picture IN as the original DeepDream notebook did and writes OUT.

${DREAM_OPTIONS}
  -h, --help            show this help`,
  zoom: `Usage: inceptionism zoom IN -o DIR --frames N [--zoom F] [dream options]

The notebook's infinite zoom: dream the picture, zoom in about its centre, dream again, …
Writes DIR/frame-0000.png, frame-0001.png, … (DIR is created if missing and must not hold frames).

  --frames N            number of frames (required)
  --zoom F              zoom factor per frame, > 1 (default 1.05)
${DREAM_OPTIONS.replace("Dream options:\n", "").replace(/^ {2}-o, --output FILE.*\n/m, "")}
  -h, --help            show this help`,
  classify: `Usage: inceptionism classify IMAGE [--model FILE] [--top K] [--json]

Resizes the whole picture to the net's input size (224×224 for GoogLeNet; no crop) and prints
the K most probable ImageNet classes.

  --model FILE          a Caffe .caffemodel (default: the bundled BVLC GoogLeNet)
  --top K               how many classes (default 5)
  --json                print {"top":[{"index":…,"label":…,"probability":…},…]}
  -h, --help            show this help`,
  layers: `Usage: inceptionism layers [--model FILE] [--size WxH] [--json]

Lists the net's layers in order with the shape of each output for an input of the given size.
Any of these names can be dreamed on with --layer.

  --model FILE          a Caffe .caffemodel (default: the bundled BVLC GoogLeNet)
  --size WxH            input size (default 224x224)
  --json                print JSON
  -h, --help            show this help`,
};

const dreamFlags = {
  output: { type: "string", short: "o" },
  model: { type: "string" },
  layer: { type: "string", multiple: true },
  octaves: { type: "string" },
  "octave-scale": { type: "string" },
  iterations: { type: "string" },
  step: { type: "string" },
  jitter: { type: "string" },
  seed: { type: "string" },
  channels: { type: "string" },
  guide: { type: "string" },
  objective: { type: "string" },
  "max-size": { type: "string" },
  "max-pixels": { type: "string" },
  tile: { type: "string" },
  quality: { type: "string" },
  quiet: { type: "boolean" },
  help: { type: "boolean", short: "h" },
} as const satisfies ParseArgsConfig["options"];

const FLAGS = {
  dream: dreamFlags,
  zoom: { ...dreamFlags, frames: { type: "string" }, zoom: { type: "string" } },
  classify: { model: { type: "string" }, top: { type: "string" }, json: { type: "boolean" }, help: { type: "boolean", short: "h" } },
  layers: { model: { type: "string" }, size: { type: "string" }, json: { type: "boolean" }, help: { type: "boolean", short: "h" } },
} as const satisfies Record<string, ParseArgsConfig["options"]>;

type Command = keyof typeof FLAGS;
type Values = Record<string, string | boolean | string[] | undefined>;

async function main(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  if (command === undefined || command === "--help" || command === "-h" || command === "help") {
    console.log(MAIN_HELP);
    return;
  }
  if (!(command in FLAGS)) throw new UsageError(`unknown command "${command}"; run "inceptionism --help" for the list`);
  const cmd = command as Command;
  let parsed: { values: Values; positionals: string[] };
  try {
    parsed = parseArgs({ args: joinNegativeValues(rest, FLAGS[cmd]), options: FLAGS[cmd], allowPositionals: true, strict: true }) as typeof parsed;
  } catch (e) {
    throw new UsageError(`${(e as Error).message.split("\n")[0]}; run "inceptionism ${cmd} --help"`);
  }
  const { values, positionals } = parsed;
  if (values.help) {
    console.log(HELP[cmd]);
    return;
  }
  switch (cmd) {
    case "dream":
      return dreamCommand(values, positionals);
    case "zoom":
      return zoomCommand(values, positionals);
    case "classify":
      return classifyCommand(values, positionals);
    case "layers":
      return layersCommand(values, positionals);
  }
}

async function dreamCommand(values: Values, positionals: string[]): Promise<void> {
  const input = onePositional(positionals, "dream", "IN");
  const output = stringFlag(values, "output") ?? usage(`dream needs an output file: inceptionism dream ${input} -o OUT.png`);
  const options = dreamOptions(values);
  await checkOutputPath(output, input);
  const image = await loadPicture(input, values);
  await loadGuide(options, values);
  const net = await loadModel(values);
  const result = await runDream(image, net, options, values, "dreaming");
  await writeImage(output, result, { quality: intFlag(values, "quality", 1, 100) });
  if (!values.quiet) console.error(`wrote ${output} (${result.width}×${result.height})`);
}

async function zoomCommand(values: Values, positionals: string[]): Promise<void> {
  const input = onePositional(positionals, "zoom", "IN");
  const dir = stringFlag(values, "output") ?? usage(`zoom needs an output directory: inceptionism zoom ${input} -o frames/ --frames 30`);
  const frames = intFlag(values, "frames", 1) ?? usage("zoom needs --frames N");
  const zoom = floatFlag(values, "zoom") ?? 1.05;
  if (!(zoom > 1)) usage(`--zoom must be greater than 1, got ${zoom}`);
  const options = dreamOptions(values);
  const image = await loadPicture(input, values);
  await loadGuide(options, values);
  const net = await loadModel(values);
  await mkdir(dir, { recursive: true });
  const existing = (await readdir(dir)).filter((f) => /^frame-\d+\.png$/.test(f));
  if (existing.length > 0) {
    throw new InceptionismError(`"${dir}" already holds ${existing.length} frame(s); choose an empty directory or remove them`);
  }
  let frame: RgbImage = image;
  for (let i = 0; i < frames; i++) {
    frame = await runDream(frame, net, options, values, `frame ${i + 1}/${frames}`);
    const name = `${dir}/frame-${String(i).padStart(4, "0")}.png`;
    await writeImage(name, frame);
    frame = zoomAboutCentre(frame, zoom);
  }
  if (!values.quiet) console.error(`wrote ${frames} frames to ${dir}`);
}

async function classifyCommand(values: Values, positionals: string[]): Promise<void> {
  const input = onePositional(positionals, "classify", "IMAGE");
  const top = intFlag(values, "top", 1) ?? 5;
  const image = await readImage(input, { maxPixels: DEFAULT_MAX_PIXELS });
  const net = await loadModel(values);
  const labels = await loadImageNetLabels();
  const predictions = classify(net, image, { labels, top });
  if (values.json) {
    console.log(JSON.stringify({ top: predictions }));
    return;
  }
  for (const p of predictions) console.log(`${p.probability.toFixed(4)}  ${p.label} (${p.index})`);
}

async function layersCommand(values: Values, positionals: string[]): Promise<void> {
  if (positionals.length > 0) usage(`layers takes no file argument (got "${positionals[0]}"); use --model FILE`);
  const size = stringFlag(values, "size") ?? "224x224";
  const m = /^(\d+)x(\d+)$/i.exec(size) ?? usage(`--size must look like 224x224, got "${size}"`);
  const [w, h] = [Number(m[1]), Number(m[2])];
  const net = await loadModel(values);
  const rows = net.describe([1, net.inputChannels, h, w]);
  if (values.json) {
    console.log(JSON.stringify({ input: [1, net.inputChannels, h, w], blobs: rows }));
    return;
  }
  const width = Math.max(...rows.map((r) => r.name.length));
  for (const r of rows) {
    const top = r.top === r.name ? "" : `  → ${r.top}`;
    console.log(`${r.name.padEnd(width)}  ${r.type.padEnd(12)}  ${r.shape.join("×")}${top}`);
  }
}

// --- shared pieces -------------------------------------------------------------------------

async function runDream(
  image: RgbImage, net: CaffeNet, options: Omit<DreamOptions, "model">, values: Values, label: string,
): Promise<RgbImage> {
  const bar = values.quiet ? { update() {}, done() {} } : progressBar(process.stderr, label);
  try {
    return await dream(image, {
      ...options,
      model: net,
      onProgress: (p) => bar.update(p),
      onNote: (msg) => {
        if (!values.quiet) console.error(`note: ${msg}`);
      },
    });
  } finally {
    bar.done();
  }
}

function dreamOptions(values: Values): Omit<DreamOptions, "model"> {
  const o: Omit<DreamOptions, "model"> = {};
  const layers = (values.layer as string[] | undefined)?.map(parseLayer);
  if (layers !== undefined) o.layer = layers;
  const set = <K extends keyof DreamOptions>(key: K, v: DreamOptions[K] | undefined): void => {
    if (v !== undefined) (o as DreamOptions)[key] = v;
  };
  set("octaves", intFlag(values, "octaves", 1));
  set("octaveScale", floatFlag(values, "octave-scale"));
  if (o.octaveScale !== undefined && !(o.octaveScale > 1)) usage(`--octave-scale must be greater than 1, got ${o.octaveScale}`);
  set("iterations", intFlag(values, "iterations", 1));
  set("stepSize", floatFlag(values, "step"));
  if (o.stepSize !== undefined && !(o.stepSize > 0)) usage(`--step must be a positive number, got ${o.stepSize}`);
  set("jitter", intFlag(values, "jitter", 0));
  set("seed", intFlag(values, "seed", 0));
  set("tile", intFlag(values, "tile", 1));
  const channels = stringFlag(values, "channels");
  if (channels !== undefined) {
    o.channels = channels.split(",").map((c) => {
      if (!/^\d+$/.test(c.trim())) usage(`--channels must be a comma-separated list of channel numbers, got "${channels}"`);
      return Number(c);
    });
  }
  const objective = stringFlag(values, "objective");
  if (objective !== undefined) {
    if (objective !== "l2" && objective !== "mean") usage(`--objective must be l2 or mean, got "${objective}"`);
    o.objective = objective;
  }
  return o;
}

function parseLayer(spec: string): LayerWeight {
  const m = /^(.+?)(?::(-?[\d.]+(?:e[+-]?\d+)?))?$/i.exec(spec);
  if (m === null || spec.trim() === "") usage(`--layer needs a layer name, got "${spec}"`);
  const weight = m![2] === undefined ? 1 : Number(m![2]);
  if (!Number.isFinite(weight)) usage(`--layer ${spec}: the weight after ":" must be a number`);
  return { name: m![1]!, weight };
}

async function loadPicture(path: string, values: Values): Promise<RgbImage> {
  const maxPixels = intFlag(values, "max-pixels", 1) ?? DEFAULT_MAX_PIXELS;
  const maxSize = intFlag(values, "max-size", 1);
  const image = await readImage(path, { maxPixels });
  return maxSize === undefined ? image : resizeToFit(image, maxSize);
}

async function loadGuide(options: Omit<DreamOptions, "model">, values: Values): Promise<void> {
  const path = stringFlag(values, "guide");
  if (path !== undefined) options.guide = await readImage(path, { maxPixels: intFlag(values, "max-pixels", 1) ?? DEFAULT_MAX_PIXELS });
}

async function loadModel(values: Values): Promise<CaffeNet> {
  const path = stringFlag(values, "model");
  return path === undefined ? loadGoogLeNet() : loadCaffeModel(path);
}

/**
 * parseArgs reads "--octaves -1" as two flags; we want "-1" to reach our own check, which says
 * what is wrong with it. So a value that looks like a negative number is joined to its flag.
 */
function joinNegativeValues(args: string[], flags: ParseArgsConfig["options"]): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const name = args[i]!.startsWith("--") ? args[i]!.slice(2) : undefined;
    const next = args[i + 1];
    if (name !== undefined && flags?.[name]?.type === "string" && next !== undefined && /^-[\d.]/.test(next)) {
      out.push(`${args[i]}=${next}`);
      i++;
    } else {
      out.push(args[i]!);
    }
  }
  return out;
}

function onePositional(positionals: string[], cmd: string, what: string): string {
  if (positionals.length === 0) usage(`${cmd} needs ${what}; run "inceptionism ${cmd} --help"`);
  if (positionals.length > 1) usage(`${cmd} takes one ${what}, got ${positionals.length}: ${positionals.join(" ")}`);
  return positionals[0]!;
}

function stringFlag(values: Values, name: string): string | undefined {
  const v = values[name];
  return typeof v === "string" ? v : undefined;
}

const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;

function floatFlag(values: Values, name: string): number | undefined {
  const v = stringFlag(values, name);
  if (v === undefined) return undefined;
  if (!NUMBER.test(v.trim())) usage(`--${name} must be a number, got "${v}"`);
  return Number(v);
}

function intFlag(values: Values, name: string, min: number, max = Number.MAX_SAFE_INTEGER): number | undefined {
  const v = stringFlag(values, name);
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!/^[+-]?\d+$/.test(v.trim()) || n < min || n > max) {
    usage(`--${name} must be a whole number ${max < Number.MAX_SAFE_INTEGER ? `from ${min} to ${max}` : `≥ ${min}`}, got "${v}"`);
  }
  return n;
}

function usage(message: string): never {
  throw new UsageError(message);
}

main(process.argv.slice(2)).then(
  () => {},
  (e: unknown) => {
    if (e instanceof InceptionismError) {
      console.error(`inceptionism: ${e.message}`);
      process.exitCode = e instanceof UsageError || e instanceof OptionError ? 2 : 1;
    } else if (e instanceof Error && e.name === "AbortError") {
      console.error("inceptionism: interrupted");
      process.exitCode = 130;
    } else {
      console.error(e); // a bug: keep the stack so it can be reported
      process.exitCode = 1;
    }
  },
);
