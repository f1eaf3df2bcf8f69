// The reshaping layers' copies at the sizes Model Zoo nets give them: FCN-32s's Crop (21 class
// planes of 544² cut back to a 500² picture at offset 19) and a Slice of 512 channels in halves
// at 28² (a max-feature-map net's). Each fast kernel is validated against its naive twin on the
// same inputs, then both are timed. Flatten and Reshape are views and cost nothing to time.
//
// Napkin math: a copy does no arithmetic; it moves each output value once, 4 bytes read and 4
// written, so the figure to read is GB/s = 8 · values / time (a backward also reads dx: 12).
import { cropBackward, cropBackwardNaive, cropForward, cropForwardNaive, cropGeometry } from "../src/layers/crop.js";
import { sliceBackward, sliceBackwardNaive, sliceForward, sliceForwardNaive, sliceGeometry } from "../src/layers/slice.js";
import { fillRandom, maxRelDiff, medianMs, printTable, type BenchOptions } from "./util.js";

function validate(what: string, fast: ArrayLike<number>, naive: ArrayLike<number>): void {
  const diff = maxRelDiff(fast, naive);
  if (diff !== 0) throw new Error(`${what}: the fast kernel disagrees with its naive twin (max relative diff ${diff})`);
  console.log(`validate ${what}: identical`);
}

const gbs = (bytes: number, ms: number): string => (bytes / ms / 1e6).toFixed(2);

export async function run({ quick }: BenchOptions): Promise<void> {
  const reps = quick ? 3 : 9;
  const rows: (string | number)[][] = [];

  const g = cropGeometry([1, 21, 544, 544], [1, 21, 500, 500], [0, 0, 19, 19]);
  const x = fillRandom(new Float32Array(21 * 544 * 544));
  const y = new Float32Array(21 * 500 * 500),
    yRef = new Float32Array(y.length);
  cropForward(y, x, g);
  cropForwardNaive(yRef, x, g);
  validate("crop forward", y, yRef);
  const dx = new Float32Array(x.length),
    dxRef = new Float32Array(x.length);
  cropBackward(dx, y, g);
  cropBackwardNaive(dxRef, y, g);
  validate("crop backward", dx, dxRef);
  const crop = [medianMs(() => cropForwardNaive(yRef, x, g), reps), medianMs(() => cropForward(y, x, g), reps)];
  const cropBack = [medianMs(() => cropBackwardNaive(dxRef, y, g), reps), medianMs(() => cropBackward(dx, y, g), reps)];
  rows.push(["crop forward", "[1,21,544,544]→500²", ...crop.map((ms) => ms.toFixed(2)), gbs(8 * y.length, crop[1]!)]);
  rows.push(["crop backward", "[1,21,544,544]→500²", ...cropBack.map((ms) => ms.toFixed(2)), gbs(12 * y.length, cropBack[1]!)]);

  const sg = sliceGeometry([1, 512, 28, 28], 1, [256, 256]);
  const sx = fillRandom(new Float32Array(512 * 784));
  const parts = [new Float32Array(256 * 784), new Float32Array(256 * 784)],
    partsRef = [new Float32Array(256 * 784), new Float32Array(256 * 784)];
  sliceForward(parts, sx, sg);
  sliceForwardNaive(partsRef, sx, sg);
  validate("slice forward", [...parts[0]!, ...parts[1]!], [...partsRef[0]!, ...partsRef[1]!]);
  const sdx = new Float32Array(sx.length),
    sdxRef = new Float32Array(sx.length);
  sliceBackward(sdx, parts, sg);
  sliceBackwardNaive(sdxRef, parts, sg);
  validate("slice backward", sdx, sdxRef);
  const sl = [medianMs(() => sliceForwardNaive(partsRef, sx, sg), reps), medianMs(() => sliceForward(parts, sx, sg), reps)];
  const slBack = [medianMs(() => sliceBackwardNaive(sdxRef, parts, sg), reps), medianMs(() => sliceBackward(sdx, parts, sg), reps)];
  rows.push(["slice forward", "[1,512,28,28] in halves", ...sl.map((ms) => ms.toFixed(3)), gbs(8 * sx.length, sl[1]!)]);
  rows.push(["slice backward", "[1,512,28,28] in halves", ...slBack.map((ms) => ms.toFixed(3)), gbs(12 * sx.length, slBack[1]!)]);

  printTable(["kernel", "shape", "naive ms", "fast ms", "fast GB/s"], rows);
}
