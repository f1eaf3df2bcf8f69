// The PNG decoder as it was before png.ts decoded by itself: pngjs, then our conversion to RGB
// floats. Kept as the oracle of the differential tests (png-differential.test.ts): on every
// valid file, the new decoder must give exactly these numbers.
import { PNG } from "pngjs";
import { compositeOnWhite, createImage, type RgbImage } from "../../../src/io/image/image.js";

/** pngjs's decode of `bytes`, as the old decodePng converted it (it throws pngjs's own errors). */
export function decodeWithPngjs(bytes: Uint8Array): RgbImage {
  // skipRescale: samples as stored (16-bit ones in a Uint16Array); scaled here.
  const png = PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), { skipRescale: true });
  const rgba: ArrayLike<number> = png.data;
  // As the old decoder had it: `png.palette` is also set when an RGB file carries a suggested
  // palette, which scaled a 16-bit one as if it were 8-bit (the defect png.test.ts pins down).
  const maxSample = png.palette ? 255 : 2 ** png.depth - 1;
  const toByte = 255 / maxSample;
  const img = createImage(png.width, png.height);
  for (let p = 0; p < png.width * png.height; p++) {
    const alpha = rgba[4 * p + 3]! / maxSample;
    for (let c = 0; c < 3; c++) img.data[3 * p + c] = compositeOnWhite(rgba[4 * p + c]! * toByte, alpha);
  }
  return img;
}
