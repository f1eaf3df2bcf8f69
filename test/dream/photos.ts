// The photo the dream tests run on: Caffe's fish-bike.jpg, resized (whole, antialiased) to a
// small size that keeps the tests quick.
import type { RgbImage } from "../../src/io/image/image.js";
import { readImage } from "../../src/io/image/image-file.js";
import { resizeImage } from "../../src/io/image/resize.js";

/** fish-bike.jpg at 320×214 (`photo`) and at 112×75 (`small`, for the quicker checks). */
export async function fishBike(): Promise<{ photo: RgbImage; small: RgbImage }> {
  const full = await readImage(new URL("../fixtures/images/fish-bike.jpg", import.meta.url).pathname);
  return { photo: resizeImage(full, 320, 214), small: resizeImage(full, 112, 75) };
}
