// The image type the rest of the library sees: RGB, 8-bit range, kept as floats.
//
// Decoders (PNG, JPEG) turn every kind of file into this one shape, and the dream turns it into
// Caffe's input planes. Keeping the values as floats means a 16-bit PNG keeps its precision and a
// resized or dreamed image is not rounded until it is written out (`quantize`).
//
//   data: H×W×3, row-major, interleaved RGB, values nominally 0–255 (may leave the range while
//         being dreamed; `quantize` rounds and clamps them)
//
// Core module: no `node:*` imports, so it also runs in a browser.

import ndarray from "ndarray";
import { ImageError } from "../../errors.js";
import type { NdArray } from "../../tensor/ndarray-type.js";

/** An RGB picture with 0–255 float samples. */
export interface RgbImage {
  /** Pixels a row. */
  width: number;
  /** Rows. */
  height: number;
  /** H×W×3, row-major, RGB, 0–255 floats (not quantized) */
  data: Float32Array;
}

/** The largest image decoded unless the caller allows more: 50 megapixels. */
export const DEFAULT_MAX_PIXELS = 50_000_000;

/** Options every decoder takes. */
export interface DecodeOptions {
  /** Refuse images with more pixels than this (default `DEFAULT_MAX_PIXELS`), before decoding. */
  maxPixels?: number;
}

/** A black image of the given size. */
export function createImage(width: number, height: number): RgbImage {
  checkDimensions(width, height);
  return { width, height, data: new Float32Array(width * height * 3) };
}

/**
 * Refuses images with more than `maxPixels` pixels, before anything is allocated for them.
 * Decoders call this with the size read from the file header.
 */
export function checkImageSize(width: number, height: number, maxPixels: number = DEFAULT_MAX_PIXELS): void {
  checkDimensions(width, height);
  const pixels = width * height;
  if (pixels > maxPixels) {
    throw new ImageError(
      `image is ${width}×${height} (${pixelCount(pixels)}), more than the limit of ` +
        `${pixelCount(maxPixels)}; pass a larger --max-pixels or use a smaller image`,
    );
  }
}

function checkDimensions(width: number, height: number): void {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new ImageError(`image size ${width}×${height} is invalid; width and height must be positive integers`);
  }
}

/** "10,000 megapixels", "51.2 megapixels", or "512 pixels" below a megapixel. */
function pixelCount(pixels: number): string {
  if (pixels < 1e6) return `${pixels.toLocaleString("en-US")} pixels`;
  return `${(pixels / 1e6).toLocaleString("en-US", { maximumFractionDigits: 1 })} megapixels`;
}

/**
 * Copies an ndarray into an image. Accepts H×W (gray) or H×W×C with C = 1 (gray), 2 (gray,
 * alpha), 3 (RGB) or 4 (RGBA); any numeric dtype and any strides. Values are taken as 0–255;
 * alpha is composited onto white.
 */
export function imageFromNdarray(nd: NdArray): RgbImage {
  const shape = nd.shape;
  const channels = shape.length === 2 ? 1 : shape.length === 3 ? shape[2]! : 0;
  if (channels < 1 || channels > 4) {
    throw new ImageError(
      `cannot make an image from an ndarray of shape [${shape.join(", ")}]; pass H×W (gray) or H×W×C with C = 1, 2, 3 or 4`,
    );
  }
  const img = createImage(shape[1]!, shape[0]!);
  const px = new Float64Array(4);
  let o = 0;
  for (let y = 0; y < img.height; y++) {
    for (let x = 0; x < img.width; x++) {
      for (let c = 0; c < channels; c++) {
        const v = Number(shape.length === 2 ? nd.get(y, x) : nd.get(y, x, c));
        if (!Number.isFinite(v)) {
          throw new ImageError(`ndarray value at [${y}, ${x}, ${c}] is ${v}; image values must be finite numbers (0–255)`);
        }
        px[c] = v;
      }
      const gray = channels < 3;
      const alpha = channels === 2 || channels === 4 ? px[channels - 1]! / 255 : 1;
      img.data[o++] = compositeOnWhite(px[0]!, alpha);
      img.data[o++] = compositeOnWhite(px[gray ? 0 : 1]!, alpha);
      img.data[o++] = compositeOnWhite(px[gray ? 0 : 2]!, alpha);
    }
  }
  return img;
}

/** `v` with opacity `alpha` (0–1) over a white background: v·α + 255·(1 − α). */
export function compositeOnWhite(v: number, alpha: number): number {
  return alpha === 1 ? v : v * alpha + 255 * (1 - alpha);
}

/** An H×W×3 ndarray view over the image's data (shares memory: writes change the image). */
export function imageToNdarray(img: RgbImage): NdArray<Float32Array> {
  return ndarray(img.data, [img.height, img.width, 3]);
}

/** The image as 8-bit RGB, H×W×3: each value rounded and clamped to 0–255. */
export function quantize(img: RgbImage): Uint8Array {
  const out = new Uint8Array(img.data.length);
  for (let i = 0; i < out.length; i++) {
    const v = img.data[i]!;
    out[i] = v <= 0 ? 0 : v >= 255 ? 255 : Math.round(v); // NaN → 0 (the Uint8Array store)
  }
  return out;
}
