// JPEG → RgbImage, on top of jpeg-js's decoder.
//
// Core module: jpeg-js is plain JS, and decodes from a Uint8Array into one (`useTArray`), with no
// Node Buffer, so this runs in a browser too. (Its encoder returns Buffers: ./encode.ts, Node side.)
//
// Decoding: gray and YCbCr/RGB files, baseline or progressive; CMYK/YCCK when the file carries
// Adobe's APP14 marker (as Photoshop's do). The EXIF orientation is applied, so the image comes
// out the way a viewer shows it. Untrusted input: the size in the frame header (SOF) is read here
// and checked against `maxPixels` before jpeg-js allocates anything, and jpeg-js's own pixel and
// memory guards are set from the same limit.
//
// Two things to know about jpeg-js (0.4): it upsamples subsampled chroma (4:2:0) by repeating
// pixels, where libjpeg interpolates ("fancy upsampling"), so colours at sharp edges can differ
// from other decoders by tens of levels; and it refuses a file whose final EOI marker is missing.

import decodeJpegData from "jpeg-js/lib/decoder.js"; // the decoder alone: see ./jpeg-js-decoder.d.ts
import { ImageError } from "../../errors.js";
import { applyOrientation, jpegSegments, readExifOrientation } from "./exif.js";
import { DEFAULT_MAX_PIXELS, checkImageSize, createImage, type DecodeOptions, type RgbImage } from "./image.js";

/**
 * jpeg-js's memory guard, per pixel: for up to 4 components, 4 bytes of coefficients, a 1-byte
 * line buffer and a 1-byte colour-converted copy each, plus the 3-byte output (27), rounded up.
 */
const JPEG_BYTES_PER_PIXEL = 32;

/** Decodes a JPEG file's bytes into an RGB image, turned upright by its EXIF orientation. */
export function decodeJpeg(bytes: Uint8Array, { maxPixels = DEFAULT_MAX_PIXELS }: DecodeOptions = {}): RgbImage {
  const { width, height } = readJpegSize(bytes);
  checkImageSize(width, height, maxPixels);
  let decoded: { width: number; height: number; data: Uint8Array };
  try {
    decoded = decodeJpegData(bytes, {
      useTArray: true,
      formatAsRGBA: false,
      maxResolutionInMP: maxPixels / 1e6,
      maxMemoryUsageInMB: Math.ceil((maxPixels * JPEG_BYTES_PER_PIXEL) / 2 ** 20) + 64,
    });
  } catch (e) {
    const message = (e as Error).message;
    if (/color mode/i.test(message)) {
      throw new ImageError(
        `JPEG image has a colour model this decoder does not support (${message}); convert it to RGB with an image editor`,
      );
    }
    throw new ImageError(`JPEG image is corrupt or truncated (${message}); re-save it with an image editor`);
  }
  const img = createImage(decoded.width, decoded.height);
  img.data.set(decoded.data); // H×W×3 bytes → floats
  const orientation = readExifOrientation(bytes);
  return orientation === 1 ? img : applyOrientation(img, orientation);
}

/** Width and height from the frame header (SOF0–SOF15), which precedes the first scan. */
function readJpegSize(bytes: Uint8Array): { width: number; height: number } {
  for (const seg of jpegSegments(bytes)) {
    // SOFn markers are C0–CF except C4 (DHT), C8 (reserved) and CC (DAC).
    const isFrame = seg.marker >= 0xc0 && seg.marker <= 0xcf && ![0xc4, 0xc8, 0xcc].includes(seg.marker);
    if (!isFrame || seg.length < 5) continue;
    // payload: precision (1) | height (2) | width (2) | components (1) | …
    const height = (bytes[seg.offset + 1]! << 8) | bytes[seg.offset + 2]!;
    const width = (bytes[seg.offset + 3]! << 8) | bytes[seg.offset + 4]!;
    if (height === 0) {
      throw new ImageError(`JPEG image leaves its height to a DNL marker, which is not supported; re-save it with an image editor`);
    }
    return { width, height };
  }
  throw new ImageError(`JPEG image is corrupt or truncated (no frame header before the image data); re-save it with an image editor`);
}
