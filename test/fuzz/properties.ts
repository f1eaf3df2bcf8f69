// The fuzz properties, shared by the short run in `npm test` (test/fuzz/*.test.ts) and the long
// run (`npm run fuzz -- --runs N`, scripts/fuzz.ts). Each mutates a real input and checks, through
// `graceful`, that our code answers with a result or a typed one-line error, in bounded time
// and memory.

import { readFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { randomTensor } from "../../src/autograd/gradcheck.js";
import { parseCommandLine } from "../../src/cli/args.js";
import { dream } from "../../src/dream/dream.js";
import { decodeCaffeModel } from "../../src/io/caffe/decode.js";
import { encodeCaffeModel } from "../../src/io/caffe/encode.js";
import { createImage } from "../../src/io/image/image.js";
import { decodeImage } from "../../src/io/image/image-file.js";
import { CaffeNet } from "../../src/models/net.js";
import type { LayerDef, NetDef } from "../../src/io/caffe/net-def.js";
import type { Pair } from "../../src/layers/conv-geometry.js";
import { graceful, type Budget, type Outcome } from "./harness.js";
import { mutate, mutationArb } from "./mutate.js";

const ROOT = new URL("../../", import.meta.url).pathname;
const IMAGES = join(ROOT, "test/fixtures/images");

export interface FuzzProperty {
  name: string;
  /** Runs `runs` cases; resolves with every case's outcome, rejects with the shrunk counterexample. */
  check(runs: number, seed?: number): Promise<Outcome[]>;
}

async function assertAll<T>(
  arb: fc.Arbitrary<T>,
  runs: number,
  seed: number | undefined,
  body: (v: T) => Promise<Outcome>,
): Promise<Outcome[]> {
  const outcomes: Outcome[] = [];
  await fc.assert(
    fc.asyncProperty(arb, async (v) => {
      outcomes.push(await body(v));
    }),
    { numRuns: runs, seed, endOnFailure: false },
  );
  return outcomes;
}

// --- models ----------------------------------------------------------------------------------

const f32 = (n: number, seed: number): Float32Array => Float32Array.from(randomTensor([n], seed).data);

function conv(name: string, bottom: string, top: string, cin: number, cout: number, k: number, pad: number, seed: number): LayerDef {
  return {
    name,
    type: "Convolution",
    bottoms: [bottom],
    tops: [top],
    phase: null,
    convolution: { numOutput: cout, biasTerm: true, kernel: [k, k], stride: [1, 1], pad: [pad, pad], dilation: [1, 1], group: 1 },
    blobs: [
      { shape: [cout, cin, k, k], data: f32(cout * cin * k * k, seed) },
      { shape: [cout], data: f32(cout, seed + 1) },
    ],
  };
}

/** A small net with every layer type we run, for fuzzing the whole path: decode, load, dream. */
export function tinyNetDef(): NetDef {
  const p = (name: string, bottom: string, top: string, method: "max" | "ave"): LayerDef => ({
    name,
    type: "Pooling",
    bottoms: [bottom],
    tops: [top],
    blobs: [],
    phase: null,
    pooling: { method, kernel: [2, 2], stride: [2, 2], pad: [0, 0], globalPooling: false },
  });
  const relu = (name: string, blob: string): LayerDef => ({
    name,
    type: "ReLU",
    bottoms: [blob],
    tops: [blob],
    blobs: [],
    phase: null,
    relu: { negativeSlope: 0 },
  });
  return {
    name: "tiny",
    inputs: [{ name: "data", shape: [1, 3, 16, 16] }],
    layers: [
      conv("conv1", "data", "conv1", 3, 4, 3, 1, 1),
      relu("relu1", "conv1"),
      p("pool1", "conv1", "pool1", "max"),
      {
        name: "norm1",
        type: "LRN",
        bottoms: ["pool1"],
        tops: ["norm1"],
        blobs: [],
        phase: null,
        lrn: { localSize: 3, alpha: 1e-4, beta: 0.75, k: 1, normRegion: "across" },
      },
      conv("a", "norm1", "a", 4, 2, 1, 0, 3),
      conv("b", "norm1", "b", 4, 3, 3, 1, 5),
      { name: "cat", type: "Concat", bottoms: ["a", "b"], tops: ["cat"], blobs: [], phase: null, concat: { axis: 1 } },
      {
        name: "sum",
        type: "Eltwise",
        bottoms: ["a", "a"],
        tops: ["sum"],
        blobs: [],
        phase: null,
        eltwise: { operation: "sum", coeff: [] },
      },
      p("pool2", "cat", "pool2", "ave"),
      { name: "drop", type: "Dropout", bottoms: ["pool2"], tops: ["pool2"], blobs: [], phase: null, dropout: { ratio: 0.5 } },
      {
        name: "fc",
        type: "InnerProduct",
        bottoms: ["pool2"],
        tops: ["fc"],
        phase: null,
        innerProduct: { numOutput: 3, biasTerm: true, axis: 1, transpose: false },
        blobs: [
          { shape: [3, 5 * 4 * 4], data: f32(3 * 80, 7) },
          { shape: [3], data: f32(3, 8) },
        ],
      },
      { name: "prob", type: "Softmax", bottoms: ["fc"], tops: ["prob"], blobs: [], phase: null, softmax: { axis: 1 } },
    ],
  };
}

const TINY_V1 = encodeCaffeModel(tinyNetDef(), "v1");
const TINY_MODERN = encodeCaffeModel(tinyNetDef(), "modern");
const TARGETS = ["conv1", "relu1", "pool1", "norm1", "a", "b", "cat", "sum", "pool2", "fc", "prob", "data"];

const MODEL_BUDGET: Budget = { ms: 5_000, perInputByte: 16, fixed: 64 * 2 ** 20 };

/** Decode, load, describe and dream one step on a tiny picture; every step may refuse. */
async function loadAndDream(bytes: Uint8Array, target: string, side: number): Promise<void> {
  const net = new CaffeNet(decodeCaffeModel(bytes));
  net.describe([1, net.inputChannels, side, side]);
  const names = net.outputNames;
  const layer = names.includes(target) ? target : names[names.length - 1]!;
  const image = createImage(side, side);
  image.data.forEach((_, i) => {
    image.data[i] = (i * 37) % 256;
  });
  await dream(image, { model: net, layer, octaves: 1, iterations: 1, jitter: 2, maxMemory: 32 * 2 ** 20 });
}

export const tinyModelProperty: FuzzProperty = {
  name: "a mutated tiny model (V1 and modern) decodes, loads and dreams, or refuses",
  check: (runs, seed) =>
    assertAll(
      fc.record({
        modern: fc.boolean(),
        mutations: mutationArb,
        target: fc.constantFrom(...TARGETS),
        side: fc.integer({ min: 1, max: 40 }),
      }),
      runs,
      seed,
      ({ modern, mutations, target, side }) => {
        const bytes = mutate(modern ? TINY_MODERN : TINY_V1, mutations);
        return graceful(bytes.length, MODEL_BUDGET, () => loadAndDream(bytes, target, side));
      },
    ),
};

// Structure-aware: change one parameter of the tiny net to an extreme (a 2^31 kernel, a zero
// stride, a pad of a billion, a bottom that does not exist, …), encode it, and run it all.
const EXTREME = fc.oneof(fc.constantFrom(0, 1, 2, 3, -1, 7, 255, 65535, 2 ** 31 - 1, 2 ** 32 - 1, 1e9), fc.integer({ min: -3, max: 40 }));
type Edit = { layer: number; field: string; value: number; other: number };
const editArb: fc.Arbitrary<Edit[]> = fc.array(
  fc.record({
    layer: fc.integer({ min: 0, max: 11 }),
    field: fc.constantFrom(
      "kernel",
      "stride",
      "pad",
      "dilation",
      "group",
      "numOutput",
      "axis",
      "localSize",
      "blobDim",
      "bottom",
      "top",
      "inputDim",
      "global",
      "coeff",
      "dropBlob",
    ),
    value: EXTREME,
    other: fc.integer({ min: 0, max: 3 }),
  }),
  { minLength: 1, maxLength: 3 },
);

function applyEdits(def: NetDef, edits: readonly Edit[]): NetDef {
  for (const e of edits) {
    const l = def.layers[e.layer % def.layers.length]!;
    const pair = (p: { kernel: Pair; stride: Pair; pad: Pair } | undefined, k: "kernel" | "stride" | "pad"): void => {
      if (p) p[k] = e.other % 2 === 0 ? [e.value, e.value] : [p[k][0], e.value];
    };
    switch (e.field) {
      case "kernel":
      case "stride":
      case "pad":
        pair(l.convolution ?? l.pooling, e.field);
        break;
      case "dilation":
        if (l.convolution) l.convolution.dilation = [e.value, e.value];
        break;
      case "group":
        if (l.convolution) l.convolution.group = e.value;
        break;
      case "numOutput":
        if (l.convolution) l.convolution.numOutput = e.value;
        if (l.innerProduct) l.innerProduct.numOutput = e.value;
        break;
      case "axis":
        if (l.concat) l.concat.axis = e.value;
        if (l.innerProduct) l.innerProduct.axis = e.value;
        if (l.softmax) l.softmax.axis = e.value;
        break;
      case "localSize":
        if (l.lrn) l.lrn.localSize = e.value;
        break;
      case "blobDim": {
        const b = l.blobs[e.other % Math.max(1, l.blobs.length)];
        if (b) b.shape = b.shape.map((d, i) => (i === e.other % b.shape.length ? e.value : d));
        break;
      }
      case "bottom":
        if (l.bottoms.length > 0) l.bottoms[e.other % l.bottoms.length] = ["data", "nowhere", l.tops[0] ?? "x", "prob"][e.other]!;
        break;
      case "top":
        l.tops = e.other === 0 ? [] : [...l.tops, "data"];
        break;
      case "inputDim":
        def.inputs[0]!.shape![e.other] = e.value;
        break;
      case "global":
        if (l.pooling) l.pooling.globalPooling = !l.pooling.globalPooling;
        break;
      case "coeff":
        if (l.eltwise) l.eltwise.coeff = Array<number>(e.other).fill(e.value);
        break;
      case "dropBlob":
        l.blobs = l.blobs.slice(0, e.other % 2);
        break;
    }
  }
  return def;
}

export const netEditProperty: FuzzProperty = {
  name: "a tiny model with extreme parameters loads and dreams, or refuses",
  check: (runs, seed) =>
    assertAll(
      fc.record({ modern: fc.boolean(), edits: editArb, target: fc.constantFrom(...TARGETS), side: fc.integer({ min: 1, max: 40 }) }),
      runs,
      seed,
      async ({ modern, edits, target, side }) => {
        let bytes: Uint8Array;
        try {
          bytes = encodeCaffeModel(applyEdits(tinyNetDef(), edits), modern ? "modern" : "v1");
        } catch {
          return { ok: true, ms: 0, bytes: 0 }; // the encoder (a test tool) cannot write it: nothing to decode
        }
        return graceful(bytes.length, MODEL_BUDGET, () => loadAndDream(bytes, target, side));
      },
    ),
};

let googlenetHead: Uint8Array | null = null;
let squeezenet: Uint8Array | null = null;

/** GoogLeNet's real layers and weights up to pool2 (0.5 MB), re-encoded as the V1 file is. */
function googlenetHeadBytes(): Uint8Array {
  const def = decodeCaffeModel(readFileSync(join(ROOT, "models/bvlc_googlenet.caffemodel")));
  const end = def.layers.findIndex((l) => l.name === "pool2/3x3_s2");
  return encodeCaffeModel({ ...def, layers: def.layers.slice(0, end + 1) }, "v1");
}

export const realModelProperty: FuzzProperty = {
  name: "a mutated real model (SqueezeNet whole, GoogLeNet up to pool2) decodes, loads (and dreams), or refuses",
  check: (runs, seed) => {
    googlenetHead ??= googlenetHeadBytes();
    squeezenet ??= readFileSync(join(ROOT, "test/fixtures/models/squeezenet_v1.1.caffemodel"));
    return assertAll(
      fc.record({ which: fc.constantFrom("googlenet", "squeezenet"), mutations: mutationArb }),
      runs,
      seed,
      ({ which, mutations }) => {
        const bytes = mutate(which === "googlenet" ? googlenetHead! : squeezenet!, mutations);
        // GoogLeNet's head is small enough to dream on (a 48×48 picture, to conv2); SqueezeNet loads.
        if (which === "googlenet") return graceful(bytes.length, MODEL_BUDGET, () => loadAndDream(bytes, "conv2/3x3", 48));
        return graceful(bytes.length, MODEL_BUDGET, () => {
          const net = new CaffeNet(decodeCaffeModel(bytes));
          net.describe([1, net.inputChannels, 227, 227]);
        });
      },
    );
  },
};

// --- images ----------------------------------------------------------------------------------

const IMAGE_FILES = [
  "gray4.png",
  "interlaced-rgb8.png",
  "interlaced-rgba16.png",
  "palette-trns.png",
  "palette.png",
  "gray.jpg",
  "progressive.jpg",
  "cmyk.jpg",
  "exif-orientation-6.jpg",
  "exif-orientation-8-le.jpg",
  "flowers.jpg",
];
const MAX_PIXELS = 2 ** 20;
// A decoded picture costs 12 bytes a pixel (RGB floats) plus the codec's RGBA copy: a fixed
// budget from the pixel limit, plus some bytes per input byte for the compressed data.
const IMAGE_BUDGET: Budget = { ms: 3_000, perInputByte: 64, fixed: 48 * MAX_PIXELS + 16 * 2 ** 20 };

let images: Uint8Array[] | null = null;

export const imageProperty: FuzzProperty = {
  name: "a mutated PNG or JPEG decodes, or refuses",
  check: (runs, seed) => {
    images ??= IMAGE_FILES.map((f) => new Uint8Array(readFileSync(join(IMAGES, f))));
    return assertAll(
      fc.record({ file: fc.integer({ min: 0, max: IMAGE_FILES.length - 1 }), mutations: mutationArb }),
      runs,
      seed,
      ({ file, mutations }) => {
        const bytes = mutate(images![file]!, mutations, IMAGE_FILES[file]!.endsWith(".png") ? 8 : 3);
        return graceful(bytes.length, IMAGE_BUDGET, () => {
          const img = decodeImage(bytes, { maxPixels: MAX_PIXELS });
          if (img.width * img.height > MAX_PIXELS || img.data.length !== img.width * img.height * 3) {
            throw new Error(`decoded ${img.width}×${img.height} with ${img.data.length} values, beyond the limit or inconsistent`);
          }
        });
      },
    );
  },
};

// --- command lines ---------------------------------------------------------------------------

const FLAG_NAMES = [
  "--output",
  "-o",
  "--model",
  "--layer",
  "--octaves",
  "--octave-scale",
  "--iterations",
  "--step",
  "--jitter",
  "--scale",
  "--rotate",
  "--seed",
  "--channels",
  "--guide",
  "--objective",
  "--max-size",
  "--max-pixels",
  "--max-memory",
  "--tile",
  "--quality",
  "--quiet",
  "--laplacian",
  "--smooth",
  "--tv",
  "--pixel-l2",
  "--help",
  "-h",
  "--frames",
  "--zoom",
  "--resume",
  "--top",
  "--json",
  "--size",
  "--bogus",
  "-x",
  "--",
  "-",
  "---",
];
const VALUES = [
  "0",
  "1",
  "-1",
  "3",
  "1.5",
  "1e3",
  "1e999",
  "-0",
  "+2",
  ".5",
  "5.",
  "NaN",
  "Infinity",
  "0x10",
  "",
  " ",
  "\n",
  "9007199254740993",
  "99999999999",
  "inception_4c/output",
  "conv1",
  "relu1",
  "prob:2",
  "conv1:-1e400",
  "a:x",
  "1,2",
  "0,,1",
  " 3 ",
  "l2",
  "mean",
  "max",
  "64x64",
  "0x0",
  "1x99999999999",
  "0.95:1.05",
  "1:0.5",
  "5e-324:1e308",
  "180",
  "-180",
  "in.png",
  "out.jpg",
  "é",
  "--quiet",
  "-o",
];
const argArb = fc.oneof(
  fc.constantFrom(...FLAG_NAMES),
  fc.constantFrom(...VALUES),
  fc.string({ maxLength: 6 }),
  fc.tuple(fc.constantFrom(...FLAG_NAMES), fc.constantFrom(...VALUES)).map(([f, v]) => `${f}=${v}`),
);
const argvArb = fc
  .tuple(
    fc.oneof(
      { arbitrary: fc.constantFrom("dream", "zoom", "classify", "layers"), weight: 9 },
      fc.constantFrom("help", "dreem", "--help", ""),
    ),
    fc.array(argArb, { maxLength: 12 }),
  )
  .map(([cmd, rest]) => [cmd, ...rest]);

const CLI_BUDGET: Budget = { ms: 2_000, perInputByte: 1024, fixed: 16 * 2 ** 20 };

let cliNet: CaffeNet | null = null;

export const commandLineProperty: FuzzProperty = {
  name: "a random command line is parsed, and its dream options run, or refused",
  check: (runs, seed) => {
    cliNet ??= new CaffeNet(tinyNetDef());
    return assertAll(argvArb, runs, seed, (argv) =>
      graceful(argv.join(" ").length, CLI_BUDGET, async () => {
        const line = parseCommandLine(argv);
        if (line.command !== "dream" && line.command !== "zoom") return;
        // What the CLI would hand to dream(), on a tiny net and picture, stopped after one step
        // (the arguments may ask for a billion iterations).
        const stop = new AbortController();
        const image = createImage(20, 20);
        try {
          await dream(image, { ...line.options, model: cliNet!, signal: stop.signal, onProgress: () => stop.abort() });
        } catch (e) {
          if (!(e instanceof Error && e.name === "AbortError")) throw e;
        }
      }),
    );
  },
};

export const ALL_PROPERTIES: FuzzProperty[] = [tinyModelProperty, netEditProperty, realModelProperty, imageProperty, commandLineProperty];
