// Synthetic clips for the video tests: a camera panning across a photo at a known speed, so
// that the motion between frames is known exactly and can be compensated.
import type { RgbImage } from "../../src/io/image/image.js";
import { readImage } from "../../src/io/image/image-file.js";
import { resizeImage } from "../../src/io/image/resize.js";

const FLOWERS = new URL("../fixtures/images/flowers.jpg", import.meta.url).pathname;

/**
 * `count` frames of `width`×`height` cropped from `path` (flowers.jpg) (scaled to just cover them all),
 * each crop `shift` pixels to the right of the last: the picture moves left by
 * `shift` pixels a frame, so frame k+1 at x equals frame k at x + shift.
 */
export async function panningClip(count: number, width: number, height: number, shift: number, path = FLOWERS): Promise<RgbImage[]> {
  const photo = await readImage(path);
  const scale = Math.max((width + shift * (count - 1)) / photo.width, height / photo.height);
  const wide = resizeImage(photo, Math.ceil(photo.width * scale), Math.ceil(photo.height * scale));
  const y0 = Math.floor((wide.height - height) / 2);
  return Array.from({ length: count }, (_, k) => crop(wide, k * shift, y0, width, height));
}

function crop(img: RgbImage, x0: number, y0: number, width: number, height: number): RgbImage {
  const data = new Float32Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    const from = ((y0 + y) * img.width + x0) * 3;
    data.set(img.data.subarray(from, from + width * 3), y * width * 3);
  }
  return { width, height, data };
}

/**
 * The mean |frame k+1(x) − frame k(x + shift)| over all pairs and the pixels both frames see:
 * how much a clip changes besides the known motion (0 for the input clip itself).
 */
export function compensatedError(frames: readonly RgbImage[], shift: number): number {
  let sum = 0,
    n = 0;
  for (let k = 0; k + 1 < frames.length; k++) {
    const a = frames[k]!,
      b = frames[k + 1]!;
    for (let y = 0; y < a.height; y++) {
      for (let x = 0; x + shift < a.width; x++) {
        for (let c = 0; c < 3; c++) {
          sum += Math.abs(b.data[(y * b.width + x) * 3 + c]! - a.data[(y * a.width + x + shift) * 3 + c]!);
          n++;
        }
      }
    }
  }
  return sum / n;
}
