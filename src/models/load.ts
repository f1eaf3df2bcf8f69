// Loading Caffe models and labels in Node: ./sources.ts's loaders, plus file paths and file:
// URLs, which fetch cannot read — the bundled files are file: URLs here.
//
// A string is a URL when it starts with http:, https:, file:, data: or blob:, and a path
// otherwise (so "C:\models\x.caffemodel" stays a path).
//
// Node side: reads the file system (when called, never when imported).

import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { ModelError } from "../errors.js";
import { parseSynsetWords } from "./classify.js";
import { parseSynsets, type Synset } from "./labels.js";
import type { CaffeNet } from "./net.js";
import {
  caffeNetFromBytes,
  googlenetUrl,
  loadCaffeModel as loadFromBytesOrUrl,
  once,
  synsetWordsUrl,
  type ModelSource,
} from "./sources.js";

const URL_SCHEMES = /^(https?|file|data|blob):/i;

/** A file's bytes, or a ModelError naming the file and the system's error code. */
async function readModelFile(file: string | URL, what: string): Promise<Uint8Array> {
  try {
    return await readFile(file);
  } catch (e) {
    const name = file instanceof URL ? fileURLToPath(file) : file;
    throw new ModelError(`cannot read ${what} file "${name}": ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
  }
}

/**
 * Builds a `CaffeNet` from a `.caffemodel`: a file path, a `URL` or URL string (file: URLs are
 * read from disk, others fetched), a `Response`, or the file's bytes. Legacy V1 and modern
 * files both load.
 * @throws {ModelError} when the file cannot be read or fetched, or is not a Caffe model.
 */
export async function loadCaffeModel(source: ModelSource): Promise<CaffeNet> {
  if (typeof source === "string" && !URL_SCHEMES.test(source)) return caffeNetFromBytes(await readModelFile(source, "model"), source);
  const url = typeof source === "string" ? new URL(source) : source;
  if (url instanceof URL && url.protocol === "file:") return caffeNetFromBytes(await readModelFile(url, "model"), fileURLToPath(url));
  return loadFromBytesOrUrl(source);
}

/** The bundled BVLC GoogLeNet, loaded once per process. */
export const loadGoogLeNet: () => Promise<CaffeNet> = once(() => loadCaffeModel(googlenetUrl));

const synsetWords = once(async () => new TextDecoder().decode(await readModelFile(synsetWordsUrl, "ImageNet labels")));

/** The ImageNet class names bundled with the package, in classifier order. */
export async function loadImageNetLabels(): Promise<string[]> {
  return parseSynsetWords(await synsetWords());
}

/** The ImageNet classes bundled with the package, with their synset ids and every name. */
export async function loadImageNetClasses(): Promise<Synset[]> {
  return parseSynsets(await synsetWords());
}
