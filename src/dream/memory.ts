// How much memory a dream needs, estimated before it runs, so that a picture too large for the
// machine is tiled or refused before the work starts, instead of dying in an out-of-memory kill
// an hour later. The estimate is of the whole process's peak resident memory, and must not be
// below it on any thread count (test/dream/memory.test.ts measures child processes against it).
//
// A gradient step keeps on the tape, for the backward pass, every activation between the input
// and the target layer(s); the backward pass then holds a few gradients of the same sizes at
// once, and the convolutions share one im2col scratch buffer as large as the largest layer's
// columns. So, for one net pass on an input of h×w (Float32, 4 bytes a value):
//
//   pass(h, w) = 4 · ( Σ_layers |activation| + GRADIENT_COPIES · max |activation| + max |columns| )
//
// where |columns| = C/group·R·S · OH·OW of each convolution (or, for a 3×3 one, Winograd's
// buffers in the same place, if larger). Every shape comes from the net's
// own shape inference (CaffeNet.plannedShapes), nothing is run. The pass is made on the whole
// largest octave (the picture at full size), or, when tiling, on one tile with its context, at
// most (tile + 2·64 + 32)² (the 32 for aligning the crop to the net's stride).
//
// The process holds more than the live pass:
//
//   peak = RUNTIME + MODEL_COPIES · weights + SLACK(threads) · pass + PICTURE_COPIES · 12 · pixels
//
// - RUNTIME: Node, the loaded code and each thread's WebAssembly GEMM memory.
// - MODEL_COPIES: the file's bytes while they are decoded, the decoded weights, and with threads
//   their copies in shared memory; and what the kernels keep beside them (Winograd's transformed
//   3×3 weights, 9× their size: CaffeNet.keptValues).
// - SLACK: a freed array is only returned when V8 next collects, so the peak exceeds the bytes
//   live at any moment; with threads, arrays live in SharedArrayBuffers, which V8 collects later
//   still, so the slack is larger (measured, see the table in memory.test.ts).
// - PICTURE_COPIES: the picture lives in several full-size float copies beside the net (the
//   decoded image, the octave pyramid, the current picture, its rolled copy, its gradient, the
//   result — not all at once). Tiling cannot shrink that part; only --max-size can.

import { OptionError } from "../errors.js";
import { fitSize } from "../io/image/resize.js";
import { sharesInput } from "../models/layer-table.js";
import type { CaffeNet } from "../models/net.js";
import { TILE_ALIGN, TILE_MARGIN } from "./tiles.js";

/** The core's default limit, where the platform does not say how much memory it has (a browser). */
export const DEFAULT_MAX_MEMORY = 1536 * 2 ** 20;
/** The default budget on a machine with `total` bytes: this share of it … */
const MACHINE_SHARE = 0.5;
/** … but no more than this. */
const MACHINE_CAP = 16 * 2 ** 30;

/** The default memory budget for a machine with `totalBytes` of memory (Node: `os.totalmem()`). */
export function memoryBudget(totalBytes: number): number {
  return Math.min(MACHINE_CAP, Math.floor(MACHINE_SHARE * totalBytes));
}

/** Gradients alive at once during the backward pass, in units of the largest activation. */
const GRADIENT_COPIES = 3;
/** Node, the code, and the GEMM's WebAssembly memory of one thread (measured). */
const RUNTIME_BYTES = 180 * 2 ** 20;
/** Each further thread: a worker's isolate and its own WebAssembly memory. */
const WORKER_BYTES = 48 * 2 ** 20;
/** Peak over live bytes of a net pass on one thread, and on several (shared memory), measured. */
const SLACK_ONE_THREAD = 1.4;
const SLACK_THREADS = 1.55;
/** Copies of the weights: decoded, the file's bytes while decoding; one more in shared memory. */
const MODEL_COPIES_ONE_THREAD = 2;
const MODEL_COPIES_THREADS = 3;
/** Full-size float copies of the picture (3 × 4 bytes each) a dream holds at its peak, measured. */
const PICTURE_COPIES = 6;
const PICTURE_BYTES_PER_PIXEL = PICTURE_COPIES * 3 * 4;
/**
 * A masked dream holds more (./mask.ts): the picture before each step (3 × 4 bytes a pixel) and
 * the mask at every octave's size (4 bytes a pixel at full size, times Σ_k 1/1.4^2k < 2.1 at the
 * default octave scale; a closer scale holds more, as its octave pyramid does).
 */
const MASK_BYTES_PER_PIXEL = 3 * 4 + 2.1 * 4;

/** How a dream will run, as far as memory is concerned. */
export interface MemoryPlan {
  /** Tile side, or undefined for the whole picture at once. */
  tile?: number | undefined;
  /** Threads (1 by default). */
  threads?: number;
  /** Full-size float copies of the picture the step holds beyond a plain dream's (gradient shaping's scratch). */
  extraCopies?: number;
  /** Whether the dream has a mask (false by default). */
  masked?: boolean;
}

/** What `estimateDreamMemory` foresees for a dream, in bytes, and the size of its net pass. */
export interface MemoryEstimate {
  /** Bytes in all: `fixed + net + picture`. */
  bytes: number;
  /** The runtime, the model and the threads: what any dream costs. */
  fixed: number;
  /** Activations, gradients and scratch of one net pass, with their slack. */
  net: number;
  /** The full-size copies of the picture. */
  picture: number;
  /** The input size of that net pass: the whole picture, or one tile with its context. */
  passHeight: number;
  /** The width of that pass's input. */
  passWidth: number;
}

/** Live bytes of one forward + backward pass from an h×w input to `layers`. */
export function netPassBytes(net: CaffeNet, layers: readonly string[], h: number, w: number): number {
  const rows = net.plannedShapes(layers, [1, net.inputChannels, h, w]);
  let sum = 0,
    largest = 0,
    columns = 0;
  for (const r of rows) {
    columns = Math.max(columns, r.scratch);
    if (sharesInput(r.type)) continue; // its top is its input's tensor: counted there
    if (r.foldedInto !== undefined) continue; // computed by the convolution it is folded into: counted there
    const size = r.shape.reduce((a, d) => a * d, 1);
    sum += size;
    largest = Math.max(largest, size);
  }
  return 4 * (sum + GRADIENT_COPIES * largest + columns);
}

/** The side of the crop a tile of `tile` pixels is computed on, in a picture side of `side`. */
export function tileCropSide(tile: number, side: number): number {
  return Math.min(side, tile + 2 * TILE_MARGIN + TILE_ALIGN);
}

/** Estimates the peak memory of the process that dreams an h×w picture on `layers`. */
export function estimateDreamMemory(
  net: CaffeNet,
  layers: readonly string[],
  height: number,
  width: number,
  { tile, threads = 1, extraCopies = 0, masked = false }: MemoryPlan = {},
): MemoryEstimate {
  const passHeight = tile === undefined ? height : tileCropSide(tile, height);
  const passWidth = tile === undefined ? width : tileCropSide(tile, width);
  const several = threads > 1;
  const netBytes = Math.ceil((several ? SLACK_THREADS : SLACK_ONE_THREAD) * netPassBytes(net, layers, passHeight, passWidth));
  // Winograd's transformed weights, kept per weight array: a dream runs every step on one thread
  // count, so only one set of weight arrays (with threads, their shared copies) is transformed.
  const kept = 4 * net.keptValues(layers);
  const fixed =
    RUNTIME_BYTES + (threads - 1) * WORKER_BYTES + (several ? MODEL_COPIES_THREADS : MODEL_COPIES_ONE_THREAD) * net.weightBytes + kept;
  const picture = Math.ceil((PICTURE_BYTES_PER_PIXEL + extraCopies * 3 * 4 + (masked ? MASK_BYTES_PER_PIXEL : 0)) * height * width);
  return { bytes: fixed + netBytes + picture, fixed, net: netBytes, picture, passHeight, passWidth };
}

/** The smallest tile chosen automatically: at 256, a crop is still 40 % core, 60 % context. */
const SMALLEST_AUTO_TILE = 256;

/** What `planDreamMemory` decided: the tile to use (undefined: none), its estimate, and why. */
export interface MemoryDecision {
  tile: number | undefined;
  estimate: MemoryEstimate;
  /** Set when the dream was tiled automatically: one line saying so. */
  note?: string;
}

/**
 * Decides how a dream fits in `maxMemory` bytes, before any work. With a tile given, that tile
 * must fit. Without one, the whole picture at once if it fits, else the largest tile that does
 * (with a note). Throws an OptionError when nothing fits, naming the estimate and a tile or a
 * picture size that would.
 */
export function planDreamMemory(
  net: CaffeNet,
  layers: readonly string[],
  height: number,
  width: number,
  { tile, threads = 1, extraCopies = 0, masked = false, minSide, maxMemory }: MemoryPlan & { minSide: number; maxMemory: number },
): MemoryDecision {
  const at = (t: number | undefined): MemoryEstimate =>
    estimateDreamMemory(net, layers, height, width, { tile: t, threads, extraCopies, masked });
  const e = at(tile);
  if (e.bytes <= maxMemory) return { tile, estimate: e };
  const longest = Math.max(height, width);
  if (tile === undefined) {
    // Tiles much smaller than their context would mostly compute context: not chosen unasked.
    const fits = largestFittingTile(at, Math.max(minSide, SMALLEST_AUTO_TILE), longest, maxMemory);
    if (fits !== null) {
      const tiled = at(fits);
      const note =
        `the whole ${width}×${height} picture would need about ${mb(e.bytes)}, more than the budget of ${mb(maxMemory)}, ` +
        `so it is dreamed in tiles of ${fits}×${fits} (about ${mb(tiled.bytes)}); --max-size makes it smaller and quicker`;
      return { tile: fits, estimate: tiled, note };
    }
  }
  const advice: string[] = [];
  if (tile !== undefined && e.picture < maxMemory) {
    const fits = largestFittingTile(at, minSide, tile - 1, maxMemory);
    if (fits !== null) advice.push(`--tile ${fits} (about ${mb(at(fits).bytes)})`);
  }
  const side = largestFittingSide(net, layers, height, width, { tile, threads, extraCopies }, minSide, maxMemory);
  if (side !== null) advice.push(`--max-size ${side}`);
  advice.push("a larger --max-memory if the machine has the memory");
  throw new OptionError(
    `this dream would need about ${mb(e.bytes)} (${mb(e.net)} for the net at ${e.passWidth}×${e.passHeight}, ` +
      `${mb(e.picture)} for the ${width}×${height} picture), more than the limit of ${mb(maxMemory)}; ` +
      `use ${advice.join(", or ")}`,
  );
}

/**
 * The largest tile side from minSide to `most` whose estimate fits, or null: the estimate grows
 * with the tile, so a binary search over the sides finds it.
 */
function largestFittingTile(at: (tile: number) => MemoryEstimate, minSide: number, most: number, maxMemory: number): number | null {
  if (most < minSide || at(minSide).bytes > maxMemory) return null;
  let lo = minSide,
    hi = most + 1; // at(lo) fits; hi does not, or is past the range
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (at(mid).bytes <= maxMemory) lo = mid;
    else hi = mid;
  }
  return lo;
}

/** The longest picture side (as --max-size) whose dream fits, or null if none ≥ minSide does. */
function largestFittingSide(
  net: CaffeNet,
  layers: readonly string[],
  height: number,
  width: number,
  plan: MemoryPlan,
  minSide: number,
  maxMemory: number,
): number | null {
  const longest = Math.max(height, width);
  const at = (side: number): number => {
    const [w, h] = fitSize(width, height, side); // what --max-size side will make
    if (Math.min(h, w) < minSide) return Infinity;
    return estimateDreamMemory(net, layers, h, w, plan).bytes;
  };
  // The smallest side the layer accepts; if even that does not fit, no --max-size helps.
  let lo = Math.ceil((minSide * longest) / Math.min(height, width));
  if (lo >= longest || at(lo) > maxMemory) return null;
  let hi = longest; // at(lo) fits, at(hi) does not: the estimate grows with the side
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (at(mid) <= maxMemory) lo = mid;
    else hi = mid;
  }
  return lo;
}

/** Bytes as "640 MB" or "1.4 GB". */
export function mb(bytes: number): string {
  return bytes >= 2 ** 30 ? `${(bytes / 2 ** 30).toFixed(1)} GB` : `${Math.ceil(bytes / 2 ** 20)} MB`;
}
