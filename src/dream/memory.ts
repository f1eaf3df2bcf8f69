// How much memory a dream needs, estimated before it runs, so that a picture too large for the
// machine is refused with advice instead of dying in an out-of-memory kill an hour later.
//
// A gradient step keeps on the tape, for the backward pass, every activation between the input
// and the target layer(s); the backward pass then holds a few gradients of the same sizes at
// once, and the convolutions share one im2col scratch buffer as large as the largest layer's
// columns. So, for one net pass on an input of h×w (Float32, 4 bytes a value):
//
//   net(h, w) = GC_SLACK · 4 · ( Σ_layers |activation| + GRADIENT_COPIES · max |activation| + max |columns| )
//
// GC_SLACK: a freed typed array is only returned when V8 next collects, so the process's peak
// exceeds the bytes live at any moment. Measured (peak RSS of `inceptionism dream`, 1 octave,
// 1 step, minus the 140 MB of Node and the loaded GoogLeNet): 1.4× the live estimate at 224²,
// 1.6× at 448² and 896²; so 1.6.
//
// where |columns| = C/group·R·S · OH·OW of each convolution. Every shape comes from the net's
// own shape inference (CaffeNet.plannedShapes), nothing is run. The pass is made on the whole
// largest octave (the picture at full size), or, when tiling, on one tile with its context,
// at most (tile + 2·64 + 32)² (the 32 for aligning the crop to the net's stride).
//
// The picture itself lives in several full-size float copies beside the net: the decoded image,
// the octave pyramid, the current picture, its rolled copy, its gradient (when tiling), the
// result — not all at once. Measured with --tile 512 (so the net's part is the same), 1 step:
// peak RSS 764 MB at 1024², 1056 MB at 2048² and 1726 MB at 4096², about 61 bytes more per extra
// pixel, i.e. about five RGB float copies; we count 6, to stay on the safe side. Tiling cannot
// shrink that part; only --max-size can.

import { OptionError } from "../errors.js";
import { fitSize } from "../io/resize.js";
import type { CaffeNet } from "../models/net.js";
import { TILE_ALIGN, TILE_MARGIN } from "./tiles.js";

/** The default limit: sized for a 2 GB Node heap, with room for the model and the runtime. */
export const DEFAULT_MAX_MEMORY_MB = 1536;
export const DEFAULT_MAX_MEMORY = DEFAULT_MAX_MEMORY_MB * 2 ** 20;

/** Peak process memory over live bytes, measured (see above). */
const GC_SLACK = 1.6;
/** Gradients alive at once during the backward pass, in units of the largest activation. */
const GRADIENT_COPIES = 3;
/** Full-size float copies of the picture (3 × 4 bytes each) a dream holds at its peak, measured. */
const PICTURE_COPIES = 6;
const PICTURE_BYTES_PER_PIXEL = PICTURE_COPIES * 3 * 4;

export interface MemoryEstimate {
  /** Bytes in all: `net + picture`. */
  bytes: number;
  /** Activations, gradients and scratch of one net pass. */
  net: number;
  /** The full-size copies of the picture. */
  picture: number;
  /** The input size of that net pass: the whole picture, or one tile with its context. */
  passHeight: number;
  passWidth: number;
}

/** Bytes of one forward + backward pass from an h×w input to `layers`. */
export function netPassBytes(net: CaffeNet, layers: readonly string[], h: number, w: number): number {
  const rows = net.plannedShapes(layers, [1, net.inputChannels, h, w]);
  let sum = 0, largest = 0, columns = 0;
  for (const r of rows) {
    columns = Math.max(columns, r.scratch);
    if (r.type === "Split") continue; // shares its input's tensor
    const size = r.shape.reduce((a, d) => a * d, 1);
    sum += size;
    largest = Math.max(largest, size);
  }
  return Math.ceil(GC_SLACK * 4 * (sum + GRADIENT_COPIES * largest + columns));
}

/** The side of the crop a tile of `tile` pixels is computed on, in a picture side of `side`. */
export function tileCropSide(tile: number, side: number): number {
  return Math.min(side, tile + 2 * TILE_MARGIN + TILE_ALIGN);
}

/** Estimates the peak memory of dreaming an h×w picture on `layers`, tiled or not. */
export function estimateDreamMemory(
  net: CaffeNet, layers: readonly string[], height: number, width: number, tile?: number,
): MemoryEstimate {
  const passHeight = tile === undefined ? height : tileCropSide(tile, height);
  const passWidth = tile === undefined ? width : tileCropSide(tile, width);
  const netBytes = netPassBytes(net, layers, passHeight, passWidth);
  const picture = PICTURE_BYTES_PER_PIXEL * height * width;
  return { bytes: netBytes + picture, net: netBytes, picture, passHeight, passWidth };
}

/**
 * Throws an OptionError, before any work, if the estimate exceeds `maxMemory` bytes; the message
 * names the estimate and a tile size or a picture size that would fit.
 */
export function checkDreamMemory(
  net: CaffeNet, layers: readonly string[], height: number, width: number,
  tile: number | undefined, minSide: number, maxMemory: number,
): MemoryEstimate {
  const e = estimateDreamMemory(net, layers, height, width, tile);
  if (e.bytes <= maxMemory) return e;
  const advice: string[] = [];
  if (e.picture < maxMemory) {
    const fits = [1024, 768, 512, 384, 256, 192, 128, 96, 64]
      .filter((t) => t >= minSide && (tile === undefined || t < tile) && t < Math.max(height, width))
      .find((t) => estimateDreamMemory(net, layers, height, width, t).bytes <= maxMemory);
    if (fits !== undefined) {
      advice.push(`--tile ${fits} (about ${mb(estimateDreamMemory(net, layers, height, width, fits).bytes)})`);
    }
  }
  const side = largestFittingSide(net, layers, height, width, tile, minSide, maxMemory);
  if (side !== null) advice.push(`--max-size ${side}`);
  advice.push("a larger --max-memory if the machine has the memory");
  throw new OptionError(
    `this dream would need about ${mb(e.bytes)} (${mb(e.net)} for the net at ${e.passWidth}×${e.passHeight}, ` +
      `${mb(e.picture)} for the ${width}×${height} picture), more than the limit of ${mb(maxMemory)}; ` +
      `use ${advice.join(", or ")}`,
  );
}

/** The longest picture side (as --max-size) whose dream fits, or null if none ≥ minSide does. */
function largestFittingSide(
  net: CaffeNet, layers: readonly string[], height: number, width: number,
  tile: number | undefined, minSide: number, maxMemory: number,
): number | null {
  const longest = Math.max(height, width);
  const at = (side: number): number => {
    const [w, h] = fitSize(width, height, side); // what --max-size side will make
    if (Math.min(h, w) < minSide) return Infinity;
    return estimateDreamMemory(net, layers, h, w, tile).bytes;
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

function mb(bytes: number): string {
  return bytes >= 2 ** 30 ? `${(bytes / 2 ** 30).toFixed(1)} GB` : `${Math.ceil(bytes / 2 ** 20)} MB`;
}
