// Where a model comes from, on any platform: its bytes, a fetch `Response`, or a URL to fetch —
// and where the files bundled with the package are, as URLs.
//
// A bundler (Vite, webpack, Rollup, Parcel) copies a file that the code names as
//     new URL("../../models/bvlc_googlenet.caffemodel", import.meta.url)
// written literally like that, into its output and rewrites the URL to the copy: that is how a
// web app gets the 28 MB of weights without anyone copying them by hand. From src/models/ and
// from dist/models/ alike, ../../models/ is the package's own models/ folder. In Node the same
// URL is a file: URL, which node:fs reads (./load.ts, the Node side, does).
//
// Core module: nothing here touches a file system, and nothing runs when it is imported.

import { ModelError } from "../errors.js";
import { decodeCaffeModel } from "../io/caffe/decode.js";
import { parseSynsetWords } from "./classify.js";
import { parseSynsets, type Synset } from "./labels.js";
import { CaffeNet } from "./net.js";

/** The bundled BVLC GoogLeNet weights (a legacy V1 .caffemodel), as a URL bundlers emit. */
export const googlenetUrl: URL = new URL("../../models/bvlc_googlenet.caffemodel", import.meta.url);
/** The bundled ImageNet class list (synset_words.txt, classifier order), as a URL bundlers emit. */
export const synsetWordsUrl: URL = new URL("../../models/synset_words.txt", import.meta.url);

/**
 * The part of a fetch `Response` read here: a real `Response` is one, and so is anything shaped
 * like it (declared here, so that the declarations need no DOM or Node types).
 */
export interface ResponseLike {
  /** Whether the status is 2xx. */
  readonly ok: boolean;
  /** The HTTP status, e.g. 404. */
  readonly status: number;
  /** The status's text, e.g. "Not Found". */
  readonly statusText: string;
  /** The URL answered, for messages. */
  readonly url: string;
  /** The whole body. */
  arrayBuffer(): Promise<ArrayBuffer>;
}

/**
 * A .caffemodel: its bytes, a `Response` to read them from, or a `URL` (or URL string) to
 * fetch. The Node entry also takes a file path.
 */
export type ModelSource = URL | string | ResponseLike | ArrayBuffer | Uint8Array;

/** Whether `source` is a Response (rather than bytes or a URL). */
export function isResponse(source: unknown): source is ResponseLike {
  return typeof source === "object" && source !== null && "arrayBuffer" in source && "status" in source && !(source instanceof URL);
}

/**
 * The bytes of a fetched or fetchable file. `what` names it in errors ("model", "ImageNet
 * labels"): a failed request is a ModelError with the URL and the HTTP status.
 */
export async function fetchBytes(source: URL | string | ResponseLike, what: string): Promise<Uint8Array> {
  let response: ResponseLike;
  if (isResponse(source)) {
    response = source;
  } else {
    try {
      response = await fetch(source);
    } catch (e) {
      throw new ModelError(
        `cannot fetch the ${what} from ${String(source)}: ${e instanceof Error ? e.message : String(e)}; check the URL and the network`,
      );
    }
  }
  const where = response.url !== "" ? response.url : isResponse(source) ? "a Response" : String(source);
  if (!response.ok) {
    const status = `HTTP ${response.status}${response.statusText ? ` ${response.statusText}` : ""}`;
    throw new ModelError(`cannot fetch the ${what} from ${where}: ${status}; check the URL and that the server serves the file`);
  }
  try {
    return new Uint8Array(await response.arrayBuffer());
  } catch (e) {
    // A body already read, or a connection cut halfway.
    throw new ModelError(`cannot read the ${what} from ${where}: ${e instanceof Error ? e.message : String(e)}`);
  }
}

/**
 * Builds a `CaffeNet` from .caffemodel bytes; `where` (a URL or path) prefixes the error of
 * bytes that are not one. An HTML page, which many web servers answer for a missing file, is
 * named as such (a .caffemodel starts with a protobuf tag, never with "<!doctype" or "<html").
 */
export function caffeNetFromBytes(bytes: Uint8Array, where?: string): CaffeNet {
  const prefix = where === undefined ? "" : `${where}: `;
  if (/^\uFEFF?\s*<(!doctype|html|\?xml)/i.test(new TextDecoder().decode(bytes.subarray(0, 64)))) {
    throw new ModelError(`${prefix}got an HTML or XML page, not a .caffemodel (a server's page for a missing file?); check the URL`);
  }
  try {
    return new CaffeNet(decodeCaffeModel(bytes));
  } catch (e) {
    if (e instanceof ModelError && where !== undefined) throw new ModelError(`${prefix}${e.message}`);
    throw e;
  }
}

/**
 * Builds a `CaffeNet` from a `.caffemodel`: its bytes, a `Response`, or a `URL` or URL string,
 * which is fetched. Legacy V1 and modern files both load.
 * @throws {ModelError} when the request fails (naming the HTTP status) or the bytes are not a
 * Caffe model.
 */
export async function loadCaffeModel(source: ModelSource): Promise<CaffeNet> {
  if (source instanceof Uint8Array) return caffeNetFromBytes(source);
  if (source instanceof ArrayBuffer) return caffeNetFromBytes(new Uint8Array(source));
  const where = isResponse(source) ? (source.url !== "" ? source.url : undefined) : String(source);
  return caffeNetFromBytes(await fetchBytes(source, "model"), where);
}

/**
 * One promise per process for a file loaded on first use; forgotten if it fails, so that a
 * later call (after the network came back, say) tries again.
 */
export function once<T>(load: () => Promise<T>): () => Promise<T> {
  let pending: Promise<T> | null = null;
  return () => {
    pending ??= load().catch((e: unknown) => {
      pending = null;
      throw e;
    });
    return pending;
  };
}

/** The bundled BVLC GoogLeNet, fetched from `googlenetUrl` once per page or worker. */
export const loadGoogLeNet: () => Promise<CaffeNet> = once(() => loadCaffeModel(googlenetUrl));

const synsetWords = once(async () => new TextDecoder().decode(await fetchBytes(synsetWordsUrl, "ImageNet labels")));

/** The ImageNet class names bundled with the package, in classifier order (fetched once). */
export async function loadImageNetLabels(): Promise<string[]> {
  return parseSynsetWords(await synsetWords());
}

/** The ImageNet classes bundled with the package, with their synset ids and every name. */
export async function loadImageNetClasses(): Promise<Synset[]> {
  return parseSynsets(await synsetWords());
}
