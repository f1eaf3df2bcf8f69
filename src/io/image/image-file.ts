// Image files: reading them, and writing them safely.
//
// Node side: uses node:fs, so it is not part of the browser core; recognising and decoding bytes
// is ./decode.ts's.
//
// Writing is atomic: the encoded bytes go to a temporary file in the destination's directory,
// are flushed to disk, and the file is renamed into place. A rename within one directory is
// atomic, so readers see the old file or the whole new one, and a failure (disk full, a crash,
// an encoding error) never leaves a half-written image under the real name.

import { randomBytes } from "node:crypto";
import { mkdir, open, readFile, rename, stat, unlink } from "node:fs/promises";
import { basename, dirname, extname, join, resolve } from "node:path";
import { ImageError, OptionError } from "../../errors.js";
import { decodeImage } from "./decode.js";
import type { DecodeOptions, RgbImage } from "./image.js";
import { encodeJpeg, encodePng } from "./encode.js";

// Decoding bytes is not the file system's business: ./decode.ts; re-exported for the Node side.
export { decodeImage } from "./decode.js";

/** How `writeImage` encodes the file. */
export interface WriteImageOptions {
  /** JPEG quality, 1–100 (default 92); ignored for PNG. */
  quality?: number;
}

/** File formats we write, by lower-case extension. */
const FORMATS: Record<string, "png" | "jpeg"> = { ".png": "png", ".jpg": "jpeg", ".jpeg": "jpeg" };

/** Reads and decodes a PNG or JPEG file. Errors name the file. */
export async function readImage(path: string, options: DecodeOptions = {}): Promise<RgbImage> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (e) {
    throw new ImageError(`cannot read image ${path}: ${describeFsError(e)}`);
  }
  try {
    return decodeImage(bytes, options);
  } catch (e) {
    if (e instanceof ImageError) throw new ImageError(`${path}: ${e.message}`);
    throw e;
  }
}

/** The format for an output path, from its extension (case-insensitive); a wrong one is a bad argument. */
function formatFor(path: string): "png" | "jpeg" {
  const format = FORMATS[extname(path).toLowerCase()];
  if (format === undefined) {
    throw new OptionError(`cannot write ${path}: unknown image extension "${extname(path)}"; use ${Object.keys(FORMATS).join(", ")}`);
  }
  return format;
}

/**
 * Checks, before any long work, that `writeImage(path, …)` can succeed: the path is not a
 * directory, the extension is one we write, the directory exists, and the output would not
 * overwrite `inputPath`.
 */
export async function checkOutputPath(path: string, inputPath?: string): Promise<void> {
  if (
    await stat(path).then(
      (s) => s.isDirectory(),
      () => false,
    )
  ) {
    throw new OptionError(`output ${path} is a directory; give a file name, e.g. ${join(path, "dream.png")}`);
  }
  formatFor(path);
  await checkDirectory(path);
  if (inputPath !== undefined && resolve(path) === resolve(inputPath)) {
    throw new ImageError(`output ${path} is the input image; choose another output file name`);
  }
}

async function checkDirectory(path: string): Promise<string> {
  const dir = dirname(resolve(path));
  const isDir = await stat(dir).then(
    (s) => s.isDirectory(),
    () => false,
  );
  if (!isDir) throw new ImageError(`cannot write ${path}: directory ${dir} does not exist; create it first`);
  return dir;
}

/**
 * Creates the directory `dir` (and its parents) for a sequence of frames, unless it exists;
 * refuses a path that is a file.
 */
export async function makeFrameDirectory(dir: string): Promise<void> {
  const existing = await stat(dir).catch(() => null);
  if (existing !== null && !existing.isDirectory()) {
    throw new ImageError(`cannot write frames into ${dir}: it is a file, not a directory; give a directory name`);
  }
  try {
    await mkdir(dir, { recursive: true });
  } catch (e) {
    throw new ImageError(`cannot create the directory ${dir}: ${describeFsError(e)}`);
  }
}

/**
 * Encodes an image as PNG or JPEG, chosen by the extension (.png, .jpg, .jpeg), and writes it
 * atomically: through a temporary file in the same directory, renamed into place.
 */
export async function writeImage(path: string, img: RgbImage, { quality = 92 }: WriteImageOptions = {}): Promise<void> {
  const bytes = formatFor(path) === "png" ? encodePng(img) : encodeJpeg(img, quality);
  const dir = await checkDirectory(path);
  const temp = join(dir, `.${basename(path)}.${randomBytes(6).toString("hex")}.tmp`);
  try {
    const file = await open(temp, "wx"); // wx: never reuse an existing file
    try {
      await file.writeFile(bytes);
      await file.sync();
    } finally {
      await file.close();
    }
    await rename(temp, path);
  } catch (e) {
    await unlink(temp).catch(() => {}); // it may never have been created
    throw new ImageError(`cannot write image ${path}: ${describeFsError(e)}`);
  }
}

/** A file-system error as a short phrase with a hint, e.g. "no such file (ENOENT); check the path". */
function describeFsError(e: unknown): string {
  const code = (e as NodeJS.ErrnoException).code;
  const hints: Record<string, string> = {
    ENOENT: "no such file (ENOENT); check the path",
    EISDIR: "it is a directory (EISDIR); give a file name",
    EACCES: "permission denied (EACCES); check the file's permissions",
    EPERM: "operation not permitted (EPERM); check the file's permissions",
    ENOSPC: "no space left on the device (ENOSPC); free some space",
    ENOTDIR: "a part of the path is not a directory (ENOTDIR); check the path",
    EEXIST: "a file of that name is in the way (EEXIST); check the path",
  };
  return (code !== undefined && hints[code]) || `${(e as Error).message}`;
}
