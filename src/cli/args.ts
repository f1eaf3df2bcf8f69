// The `inceptionism` command line, from argv to a checked plan — no files touched, nothing run.
//
// Everything that can be refused without reading a file is refused here, as a UsageError (exit
// code 2): unknown commands and flags, numbers that are not numbers or out of range, a missing
// output. Keeping this step pure lets the tests (and the fuzzer) throw thousands of argument
// lists at it in-process. src/cli.ts then does the work the plan describes.
//
// The flag reader is our own rather than node:util's parseArgs so that this file stays core (no
// `node:*`) and a value may start with "-": `--octaves -1` reaches the range check, which says
// what is wrong, instead of being read as a flag.

import type { DreamOptions, LayerWeight } from "../dream/dream.js";
import { MAX_LAPLACIAN_LEVELS } from "../dream/laplacian.js";
import { MAX_SMOOTH } from "../dream/smooth.js";
import type { VisualizeOptions } from "../dream/visualize.js";
import { InceptionismError } from "../errors.js";
import { DEFAULT_MAX_PIXELS } from "../io/image/image.js";
import { MAX_THREADS } from "../threads/pool.js";
import { HELP, MAIN_HELP } from "./help.js";

/** A mistake in how the command was called: exit code 2. */
export class UsageError extends InceptionismError {
  override name = "UsageError";
}

// --- flags ---------------------------------------------------------------------------------

interface FlagSpec {
  type: "string" | "boolean";
  multiple?: boolean;
  short?: string;
}

const DREAM_FLAGS = {
  output: { type: "string", short: "o" },
  model: { type: "string" },
  layer: { type: "string", multiple: true },
  octaves: { type: "string" },
  "octave-scale": { type: "string" },
  iterations: { type: "string" },
  step: { type: "string" },
  jitter: { type: "string" },
  scale: { type: "string" },
  rotate: { type: "string" },
  seed: { type: "string" },
  channels: { type: "string" },
  guide: { type: "string" },
  mask: { type: "string" },
  "original-colors": { type: "boolean" },
  class: { type: "string", multiple: true },
  objective: { type: "string" },
  laplacian: { type: "string" },
  smooth: { type: "string" },
  tv: { type: "string" },
  "pixel-l2": { type: "string" },
  "max-size": { type: "string" },
  "max-pixels": { type: "string" },
  "max-memory": { type: "string" },
  tile: { type: "string" },
  threads: { type: "string" },
  quality: { type: "string" },
  quiet: { type: "boolean" },
  help: { type: "boolean", short: "h" },
} as const satisfies Record<string, FlagSpec>;

/** A dream's flags but --quality: a video's frames are PNGs or go to FFmpeg's encoder, never to JPEG. */
const { quality: _jpegOnly, ...VIDEO_DREAM_FLAGS } = DREAM_FLAGS;

/** Every flag each command accepts (a table typed by command, so a new command needs one). */
export const FLAGS = {
  dream: DREAM_FLAGS,
  zoom: { ...DREAM_FLAGS, frames: { type: "string" }, zoom: { type: "string" }, resume: { type: "boolean" }, fps: { type: "string" } },
  video: {
    ...VIDEO_DREAM_FLAGS,
    blend: { type: "string" },
    "no-flow": { type: "boolean" },
    frames: { type: "string" },
    start: { type: "string" },
    fps: { type: "string" },
    "iterations-after": { type: "string" },
    resume: { type: "boolean" },
  },
  classify: { model: { type: "string" }, top: { type: "string" }, json: { type: "boolean" }, help: { type: "boolean", short: "h" } },
  layers: { model: { type: "string" }, size: { type: "string" }, json: { type: "boolean" }, help: { type: "boolean", short: "h" } },
  visualize: {
    output: { type: "string", short: "o" },
    model: { type: "string" },
    class: { type: "string", multiple: true },
    layer: { type: "string" },
    channels: { type: "string" },
    size: { type: "string" },
    steps: { type: "string" },
    seed: { type: "string" },
    threads: { type: "string" },
    "max-memory": { type: "string" },
    quality: { type: "string" },
    quiet: { type: "boolean" },
    help: { type: "boolean", short: "h" },
  },
} as const satisfies Record<string, Record<string, FlagSpec>>;

export type Command = keyof typeof FLAGS;

type Values = Record<string, string | boolean | string[] | undefined>;

/**
 * Splits argv into flag values and positionals. `--name value`, `--name=value`, `-o value`; a
 * string flag takes the next argument whatever it looks like; "--" ends the flags. A repeated
 * flag keeps its last value unless it is `multiple`.
 */
export function readFlags(
  args: readonly string[],
  flags: Readonly<Record<string, FlagSpec>>,
  cmd: string,
): { values: Values; positionals: string[] } {
  const values: Values = {};
  const positionals: string[] = [];
  const byShort = new Map(Object.entries(flags).flatMap(([name, f]) => (f.short ? [[f.short, name] as const] : [])));
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === "--") {
      positionals.push(...args.slice(i + 1));
      break;
    }
    if (!arg.startsWith("-") || arg === "-") {
      positionals.push(arg);
      continue;
    }
    const eq = arg.indexOf("=");
    const long = arg.startsWith("--");
    const key = long ? arg.slice(2, eq < 0 ? undefined : eq) : arg.slice(1, eq < 0 ? undefined : eq);
    const name = long ? key : byShort.get(key);
    const spec = name === undefined ? undefined : flags[name];
    if (name === undefined || spec === undefined || (long && spec.short === key && key.length === 1)) {
      throw new UsageError(`unknown option ${quote(arg.slice(0, eq < 0 ? undefined : eq))}; run "inceptionism ${cmd} --help"`);
    }
    if (spec.type === "boolean") {
      if (eq >= 0) throw new UsageError(`option --${name} takes no value, got ${quote(arg)}`);
      values[name] = true;
      continue;
    }
    let value: string;
    if (eq >= 0) value = arg.slice(eq + 1);
    else if (i + 1 < args.length) value = args[++i]!;
    else throw new UsageError(`option --${name} needs a value; run "inceptionism ${cmd} --help"`);
    if (spec.multiple) values[name] = [...((values[name] as string[] | undefined) ?? []), value];
    else values[name] = value;
  }
  return { values, positionals };
}

// --- the plans -------------------------------------------------------------------------------

/** What a dream needs besides the files: everything checked. */
export interface DreamPlan {
  input: string;
  /** Output file (dream) or directory (zoom). */
  output: string;
  model: string | undefined;
  guide: string | undefined;
  /** `--mask` picture, read (and resized to the picture if need be) when the dream starts. */
  mask: string | undefined;
  /** `--class` labels, resolved against the ImageNet class names once they are read. */
  classes: string[] | undefined;
  options: Omit<DreamOptions, "model" | "guide" | "mask">;
  maxPixels: number;
  maxSize: number | undefined;
  quality: number | undefined;
  quiet: boolean;
}

/** What `video` adds to a dream: how frames carry over, and which frames. */
export interface VideoPlan {
  blend: number | undefined;
  flow: boolean;
  iterationsAfter: number | undefined;
  /** At most this many frames. */
  frames: number | undefined;
  /** Seconds into the clip. */
  start: number;
  /** Resample to this rate (default: the clip's). */
  fps: number | undefined;
  resume: boolean;
}

export type CommandLine =
  | { command: "help"; text: string }
  | { command: "version" }
  | ({ command: "dream" } & DreamPlan)
  | ({ command: "zoom"; frames: number; zoom: number; resume: boolean; fps: number } & DreamPlan)
  | ({ command: "video"; video: VideoPlan } & DreamPlan)
  | { command: "classify"; input: string; model: string | undefined; top: number; json: boolean }
  | { command: "layers"; model: string | undefined; width: number; height: number; json: boolean }
  | ({ command: "visualize" } & VisualizePlan);

/** What `visualize` needs: everything checked, the `--class` labels still to be resolved. */
export interface VisualizePlan {
  output: string;
  model: string | undefined;
  classes: string[] | undefined;
  options: Omit<VisualizeOptions, "model" | "classes" | "onProgress" | "onNote" | "signal">;
  quality: number | undefined;
  quiet: boolean;
}

/**
 * Reads and checks a command line (without the `node` and script path).
 * @throws {UsageError} naming the problem and how to get help.
 */
export function parseCommandLine(argv: readonly string[]): CommandLine {
  const [command, ...rest] = argv;
  if (command === undefined || command === "--help" || command === "-h" || command === "help") return { command: "help", text: MAIN_HELP };
  if (command === "--version" || command === "-V") return { command: "version" };
  if (!Object.hasOwn(FLAGS, command)) {
    throw new UsageError(`unknown command ${quote(command)}; run "inceptionism --help" for the list`);
  }
  const cmd = command as Command;
  const { values, positionals } = readFlags(rest, FLAGS[cmd], cmd);
  if (values.help) return { command: "help", text: HELP[cmd] };
  const model = stringFlag(values, "model");
  switch (cmd) {
    case "dream": {
      const input = onePositional(positionals, "dream", "IN");
      const output = stringFlag(values, "output") ?? usage(`dream needs an output file: inceptionism dream ${quote(input)} -o OUT.png`);
      return { command: "dream", ...dreamPlan(values, input, output) };
    }
    case "zoom": {
      const input = onePositional(positionals, "zoom", "IN");
      const output =
        stringFlag(values, "output") ?? usage(`zoom needs an output directory: inceptionism zoom ${quote(input)} -o frames/ --frames 30`);
      const frames = intFlag(values, "frames", 1) ?? usage("zoom needs --frames N");
      const zoom = floatFlag(values, "zoom") ?? 1.05;
      if (!(zoom > 1)) usage(`--zoom must be greater than 1, got ${zoom}`);
      const fps = floatFlag(values, "fps") ?? 24;
      if (!(fps > 0 && fps <= 1000)) usage(`--fps must be a number of frames a second, above 0 and at most 1000, got ${fps}`);
      return { command: "zoom", frames, zoom, resume: values.resume === true, fps, ...dreamPlan(values, input, output) };
    }
    case "video": {
      const input = onePositional(positionals, "video", "IN");
      const output =
        stringFlag(values, "output") ??
        usage(`video needs an output: inceptionism video ${quote(input)} -o OUT.mp4 (or .webm, .gif, or a directory for PNG frames)`);
      return { command: "video", video: videoPlan(values), ...dreamPlan(values, input, output) };
    }
    case "classify":
      return {
        command: "classify",
        input: onePositional(positionals, "classify", "IMAGE"),
        model,
        top: intFlag(values, "top", 1) ?? 5,
        json: values.json === true,
      };
    case "layers": {
      if (positionals.length > 0) usage(`layers takes no file argument (got ${quote(positionals[0]!)}); use --model FILE`);
      const size = stringFlag(values, "size") ?? "224x224";
      const m = /^(\d{1,9})x(\d{1,9})$/i.exec(size) ?? usage(`--size must look like 224x224, got ${quote(size)}`);
      const [width, height] = [Number(m[1]), Number(m[2])];
      if (width < 1 || height < 1) usage(`--size must be at least 1x1, got ${quote(size)}`);
      return { command: "layers", model, width, height, json: values.json === true };
    }
    case "visualize":
      return { command: "visualize", ...visualizePlan(values, positionals) };
  }
}

function videoPlan(values: Values): VideoPlan {
  const blend = floatFlag(values, "blend");
  if (blend !== undefined && !(blend >= 0 && blend <= 1)) usage(`--blend must be a number from 0 to 1, got ${blend}`);
  const fps = floatFlag(values, "fps");
  if (fps !== undefined && !(fps > 0 && fps <= 1000))
    usage(`--fps must be a number of frames a second, above 0 and at most 1000, got ${fps}`);
  const start = stringFlag(values, "start");
  return {
    blend,
    flow: values["no-flow"] !== true,
    iterationsAfter: intFlag(values, "iterations-after", 1),
    frames: intFlag(values, "frames", 1),
    start: start === undefined ? 0 : parseTime(start),
    fps,
    resume: values.resume === true,
  };
}

/** "12.5" seconds, "1:02.5" (minutes:seconds) or "1:00:02" (hours:minutes:seconds). */
function parseTime(text: string): number {
  const m = /^\s*(?:(?:(\d+):)?(\d+):)?(\d+(?:\.\d*)?|\.\d+)\s*$/.exec(text);
  const [h, min, sec] = m === null ? [] : [Number(m[1] ?? 0), Number(m[2] ?? 0), Number(m[3])];
  if (m === null || (m[2] !== undefined && sec! >= 60) || (m[1] !== undefined && min! >= 60)) {
    usage(`--start must be a time in seconds (12.5) or as [h:]m:s (1:02.5), got ${quote(text)}`);
  }
  return h! * 3600 + min! * 60 + sec!;
}

function dreamPlan(values: Values, input: string, output: string): DreamPlan {
  return {
    input,
    output,
    model: stringFlag(values, "model"),
    guide: stringFlag(values, "guide"),
    mask: stringFlag(values, "mask"),
    classes: classLabels(values),
    options: dreamOptions(values),
    maxPixels: intFlag(values, "max-pixels", 1) ?? DEFAULT_MAX_PIXELS,
    maxSize: intFlag(values, "max-size", 1),
    quality: intFlag(values, "quality", 1, 100),
    quiet: values.quiet === true,
  };
}

function dreamOptions(values: Values): Omit<DreamOptions, "model" | "guide" | "mask"> {
  const o: Omit<DreamOptions, "model" | "guide" | "mask"> = {};
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
  set("scale", scaleFlag(values));
  set("rotate", floatFlag(values, "rotate"));
  if (o.rotate !== undefined && !(o.rotate >= 0 && o.rotate <= 180)) usage(`--rotate must be degrees from 0 to 180, got ${o.rotate}`);
  set("seed", intFlag(values, "seed", 0));
  set("tile", intFlag(values, "tile", 1));
  set("threads", intFlag(values, "threads", 1, MAX_THREADS));
  set("laplacian", intFlag(values, "laplacian", 1, MAX_LAPLACIAN_LEVELS));
  set("smooth", floatFlag(values, "smooth"));
  if (o.smooth !== undefined && !(o.smooth > 0 && o.smooth <= MAX_SMOOTH))
    usage(`--smooth must be a positive number of pixels up to ${MAX_SMOOTH}, e.g. 0.5, got ${o.smooth}`);
  set("tv", floatFlag(values, "tv"));
  if (o.tv !== undefined && !(o.tv >= 0)) usage(`--tv must be a weight of 0 or more, got ${o.tv}`);
  set("pixelL2", floatFlag(values, "pixel-l2"));
  if (o.pixelL2 !== undefined && !(o.pixelL2 >= 0)) usage(`--pixel-l2 must be a weight of 0 or more, got ${o.pixelL2}`);
  const maxMemory = intFlag(values, "max-memory", 1);
  if (maxMemory !== undefined) o.maxMemory = maxMemory * 2 ** 20;
  const channels = stringFlag(values, "channels");
  if (channels !== undefined) o.channels = parseChannels(channels);
  if (values["original-colors"] === true) o.originalColors = true;
  const objective = stringFlag(values, "objective");
  if (objective !== undefined) {
    if (objective !== "l2" && objective !== "mean" && objective !== "sum")
      usage(`--objective must be l2, mean or sum, got ${quote(objective)}`);
    o.objective = objective;
  }
  return o;
}

/** `--scale LO:HI`, 0 < LO ≤ HI: the range of each step's random zoom. */
function scaleFlag(values: Values): [number, number] | undefined {
  const v = stringFlag(values, "scale");
  if (v === undefined) return undefined;
  const parts = v.split(":");
  const [lo, hi] = parts.map(Number) as [number, number];
  if (parts.length !== 2 || !parts.every((p) => NUMBER.test(p.trim())) || !(lo > 0 && hi >= lo) || !Number.isFinite(hi)) {
    usage(`--scale must be LO:HI with 0 < LO ≤ HI, e.g. 0.95:1.05, got ${quote(v)}`);
  }
  return [lo, hi];
}

/** `--channels 3,17,101` → [3, 17, 101]. */
function channelList(values: Values): number[] | undefined {
  const channels = stringFlag(values, "channels");
  return channels?.split(",").map((c) => {
    if (!/^\s*\d{1,9}\s*$/.test(c)) usage(`--channels must be a comma-separated list of channel numbers, got ${quote(channels)}`);
    return Number(c);
  });
}

/** `visualize (--class LABEL | --layer NAME [--channels LIST]) -o OUT [options]`. */
function visualizePlan(values: Values, positionals: string[]): VisualizePlan {
  if (positionals.length > 0) usage(`visualize grows its picture from noise and takes no input picture (got ${quote(positionals[0]!)})`);
  const layer = stringFlag(values, "layer");
  const specs = values.class as string[] | undefined;
  if (specs !== undefined && layer !== undefined) usage("give --class or --layer to visualize, not both");
  if (specs === undefined && layer === undefined)
    usage('visualize needs --class LABEL or --layer NAME; run "inceptionism visualize --help"');
  const output =
    stringFlag(values, "output") ?? usage("visualize needs an output file: inceptionism visualize --class banana -o banana.png");
  if (layer !== undefined && layer.trim() === "") usage("--layer needs a layer name");
  const labels = specs?.flatMap((spec) => spec.split(",").map((l) => l.trim()));
  if (labels?.some((l) => l === "")) usage(`--class needs class labels separated by commas, got ${specs!.map(quote).join(" ")}`);
  const channels = channelList(values);
  if (channels !== undefined && layer === undefined) usage("--channels picks channels of a --layer; leave it out with --class");
  const options: VisualizePlan["options"] = {};
  if (layer !== undefined) options.layer = layer;
  if (channels !== undefined) options.channels = channels;
  const set = <K extends keyof VisualizePlan["options"]>(key: K, v: VisualizePlan["options"][K] | undefined): void => {
    if (v !== undefined) options[key] = v;
  };
  set("size", intFlag(values, "size", 1));
  set("steps", intFlag(values, "steps", 1));
  set("seed", intFlag(values, "seed", 0));
  set("threads", intFlag(values, "threads", 1, MAX_THREADS));
  const maxMemory = intFlag(values, "max-memory", 1);
  if (maxMemory !== undefined) options.maxMemory = maxMemory * 2 ** 20;
  return {
    output,
    model: stringFlag(values, "model"),
    classes: labels,
    options,
    quality: intFlag(values, "quality", 1, 100),
    quiet: values.quiet === true,
  };
}

/** `--class a,b --class c` → ["a", "b", "c"]; it sets the layer and objective, so not with those. */
function classLabels(values: Values): string[] | undefined {
  const specs = values.class as string[] | undefined;
  if (specs === undefined) return undefined;
  const labels = specs.flatMap((spec) => spec.split(",").map((l) => l.trim()));
  if (labels.some((l) => l === "")) usage(`--class needs class labels separated by commas, got ${specs.map(quote).join(" ")}`);
  const clash = ["layer", "channels", "objective", "guide"].filter((f) => values[f] !== undefined);
  if (clash.length > 0) usage(`--class dreams on the model's classifier layer; leave out ${clash.map((f) => `--${f}`).join(", ")}`);
  return labels;
}

/** "3,17,101", or "strongest:N" / "weakest:N" (the N channels picked per picture). */
function parseChannels(spec: string): NonNullable<DreamOptions["channels"]> {
  const strategy = /^\s*(strongest|weakest)\s*:\s*(.*)$/.exec(spec);
  if (strategy !== null) {
    const key = strategy[1] as "strongest" | "weakest",
      count = strategy[2]!;
    if (!/^\d{1,9}\s*$/.test(count) || Number(count) < 1) usage(`--channels ${key}:N needs a whole number N ≥ 1, got ${quote(spec)}`);
    return key === "strongest" ? { strongest: Number(count) } : { weakest: Number(count) };
  }
  return spec.split(",").map((c) => {
    if (!/^\s*\d{1,9}\s*$/.test(c))
      usage(`--channels must be a comma-separated list of channel numbers, or strongest:N or weakest:N, got ${quote(spec)}`);
    return Number(c);
  });
}

/** NAME or NAME:WEIGHT; the weight is what follows the last ":" (Caffe names have none). */
function parseLayer(spec: string): LayerWeight {
  const colon = spec.lastIndexOf(":");
  const name = colon < 0 ? spec : spec.slice(0, colon);
  if (name.trim() === "") usage(`--layer needs a layer name, got ${quote(spec)}`);
  if (colon < 0) return { name, weight: 1 };
  const text = spec.slice(colon + 1);
  const weight = Number(text);
  if (!NUMBER.test(text.trim()) || !Number.isFinite(weight)) {
    usage(`--layer ${quote(spec)}: the weight after ":" must be a number, got ${quote(text)}; e.g. --layer ${name}:0.5`);
  }
  return { name, weight };
}

function onePositional(positionals: string[], cmd: string, what: string): string {
  if (positionals.length === 0) usage(`${cmd} needs ${what}; run "inceptionism ${cmd} --help"`);
  if (positionals.length > 1) usage(`${cmd} takes one ${what}, got ${positionals.length}: ${positionals.map(quote).join(" ")}`);
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
  const n = Number(v);
  if (!NUMBER.test(v.trim()) || !Number.isFinite(n)) usage(`--${name} must be a number, got ${quote(v)}`);
  return n;
}

function intFlag(values: Values, name: string, min: number, max = Number.MAX_SAFE_INTEGER): number | undefined {
  const v = stringFlag(values, name);
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!/^[+-]?\d+$/.test(v.trim()) || n < min || n > max) {
    usage(`--${name} must be a whole number ${max < Number.MAX_SAFE_INTEGER ? `from ${min} to ${max}` : `≥ ${min}`}, got ${quote(v)}`);
  }
  return n;
}

/** A user's string in a message: in quotes, with newlines and the like escaped (one line). */
const quote = (s: string): string => JSON.stringify(s);

function usage(message: string): never {
  throw new UsageError(message);
}
