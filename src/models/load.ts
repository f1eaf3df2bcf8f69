// Loading Caffe models and labels from files — the Node side (it reads the file system).
// The core, `CaffeNet` and `decodeCaffeModel`, works on bytes and runs anywhere.

import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { ModelError } from "../errors.js";
import { decodeCaffeModel } from "../io/caffe/decode.js";
import { parseSynsetWords } from "./classify.js";
import { parseSynsets, type Synset } from "./labels.js";
import { CaffeNet } from "./net.js";

/** Where the bundled files live: `models/` at the package root (from src/ or dist/ alike). */
const BUNDLED = new URL("../../models/", import.meta.url);

/** The bundled BVLC GoogLeNet weights (legacy V1 .caffemodel). */
export const GOOGLENET_PATH = fileURLToPath(new URL("bvlc_googlenet.caffemodel", BUNDLED));
/** The 1000 ImageNet class names in classifier order. */
export const SYNSET_WORDS_PATH = fileURLToPath(new URL("synset_words.txt", BUNDLED));

/**
 * Builds a `CaffeNet` from a `.caffemodel`: a file path (Node only), or the file's bytes.
 * Legacy V1 and modern files both load.
 */
export async function loadCaffeModel(source: string | Uint8Array | ArrayBuffer): Promise<CaffeNet> {
  let bytes: Uint8Array;
  if (typeof source === "string") {
    try {
      bytes = await readFile(source);
    } catch (e) {
      throw new ModelError(`cannot read model file "${source}": ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
    }
  } else {
    bytes = source instanceof Uint8Array ? source : new Uint8Array(source);
  }
  return new CaffeNet(decodeCaffeModel(bytes));
}

let googlenet: Promise<CaffeNet> | null = null;

/** The bundled BVLC GoogLeNet, loaded once per process. */
export function loadGoogLeNet(): Promise<CaffeNet> {
  googlenet ??= loadCaffeModel(GOOGLENET_PATH);
  return googlenet;
}

/** The ImageNet class names bundled with the package. */
export async function loadImageNetLabels(): Promise<string[]> {
  return parseSynsetWords(await readFile(SYNSET_WORDS_PATH, "utf8"));
}

/** The ImageNet classes bundled with the package, with their synset ids and every name. */
export async function loadImageNetClasses(): Promise<Synset[]> {
  return parseSynsets(await readFile(SYNSET_WORDS_PATH, "utf8"));
}
