// The dreamer: DeepDream for a page's main thread, computed in a dedicated worker.
//
// A window's thread may not block, and a dream is minutes of computing that blocks between
// steps and, with threads, sleeps in Atomics.wait inside every one (see ../threads/web-host.ts):
// so the engine runs in a worker the package ships (../dream-worker.ts), which loads the model
// once, starts its helper threads, and dreams each picture with the browser entry's `dream()` —
// the same code on the same values, so the same picture bit for bit. This file is the page's
// half: it turns a call into messages (./dream-protocol.ts) and the answers back into a promise,
// progress callbacks and errors of the library's own classes.
//
//     const dreamer = createDreamer();                    // every core, the bundled GoogLeNet
//     const { threads } = await dreamer.ready;            // optional: the worker has started
//     const out = await dreamer.dream(image, { octaves: 3, onProgress, signal });
//
// Pixels: the result's buffer is transferred from the worker, never copied. The picture sent is
// a copy of the caller's, made here (one memcpy, a few ms for a large photo, against seconds a
// step), and that copy is transferred: a careful user expects `dreamer.dream(image)` to leave
// `image` as `dream(image)` does, to show it beside the result or dream it again with other
// settings. `transfer: true` hands over the caller's own buffer instead, with no copy at all,
// and `image.data` is then detached (empty): for a very large picture that is not needed after.
//
// Abort: the promise rejects at once with the signal's reason (an AbortError unless the caller
// gave another), and the worker stops that dream before its next step and stays usable; dreams
// queued behind it start after that. `close()` terminates the worker and rejects every pending
// dream with an AbortError. Core module: no `node:*`, and no DOM types (the project's
// TypeScript libs have none): what is used of a Worker is declared below.

import type { DreamProgress } from "../dream/dream.js";
import { ImageError, InceptionismError, OptionError } from "../errors.js";
import type { RgbImage } from "../io/image/image.js";
import { reviveError } from "../serialized-error.js";
import {
  ownBuffer,
  type ClientMessage,
  type DreamerInfo,
  type SentModel,
  type WorkerDreamOptions,
  type WorkerMessage,
} from "./dream-protocol.js";

export type { DreamerInfo, WorkerDreamOptions } from "./dream-protocol.js";

/** What `createDreamer` takes. */
export interface DreamerOptions {
  /**
   * Threads for every dream: the worker and threads − 1 helpers. Default: every core where the
   * page is cross-origin isolated, else 1 (with a note in `ready`); more than 1 on a page that
   * is not isolated is an OptionError.
   */
  threads?: number;
  /** The .caffemodel: a URL (relative to the page) or its bytes. Default: the bundled GoogLeNet. */
  model?: URL | string | ArrayBuffer | Uint8Array;
}

/** What `Dreamer.dream` takes: `dream()`'s options but the model, and how the picture is sent. */
export interface DreamerDreamOptions extends WorkerDreamOptions {
  /** Called after every step, as `dream()`'s is. */
  onProgress?: (p: DreamProgress) => void;
  /** Told about adjustments, as `dream()`'s is. */
  onNote?: (message: string) => void;
  /** Aborting rejects the dream at once with the signal's reason; the worker stops it before its next step. */
  signal?: AbortSignal;
  /** Hand the image's own buffer to the worker instead of a copy: no copy is made, and `image.data` is left detached. */
  transfer?: boolean;
}

/** A DeepDream engine in a dedicated worker. */
export interface Dreamer {
  /** Resolves once the model is loaded and the threads have started; rejects if they cannot. */
  readonly ready: Promise<DreamerInfo>;
  /** Dreams `image` in the worker: the same picture, bit for bit, as `dream()` with the same options. Dreams run one after another, in call order. */
  dream(image: RgbImage, options?: DreamerDreamOptions): Promise<RgbImage>;
  /** Terminates the worker; pending dreams reject with an AbortError, later ones with an InceptionismError. */
  close(): void;
}

/** What the client needs of a worker: a dedicated Worker, or one end of a MessageChannel in a test. */
export interface DreamerWorker {
  onmessage: ((event: { data: WorkerMessage }) => void) | null;
  onerror: ((event: { message?: string }) => void) | null;
  postMessage(message: ClientMessage, transfer: ArrayBuffer[]): void;
  terminate(): void;
}

// The slice of the browser's globals used here (see the header).
declare const Worker: (new (url: URL, options: { type: "module" }) => DreamerWorker) | undefined;
/** A page's globals, read through globalThis: a bare `document` where there is none would throw. */
const page = globalThis as { document?: { baseURI: string }; location?: { href: string } };

/**
 * Starts a dreamer: a dedicated worker that loads the model and dreams on every core (where the
 * page is cross-origin isolated), for a page's main thread, which must not block.
 *
 * ```ts
 * const dreamer = createDreamer();
 * const out = await dreamer.dream(imageFromImageData(ctx.getImageData(0, 0, w, h)), { iterations: 5 });
 * ctx.putImageData(imageToImageData(out), 0, 0);
 * ```
 */
export function createDreamer(options: DreamerOptions = {}): Dreamer {
  if (typeof Worker !== "function") {
    throw new InceptionismError(
      "createDreamer needs Web Workers, which this runtime does not have; call it in a browser page (in Node, dream() already runs on every core)",
    );
  }
  // Written out in full, URL and import.meta.url, so that bundlers find and emit the worker's entry.
  const worker = new Worker(new URL("../dream-worker.js", import.meta.url), { type: "module" });
  return connectDreamer(worker, options);
}

interface Pending {
  resolve(image: RgbImage): void;
  reject(error: unknown): void;
  onProgress: ((p: DreamProgress) => void) | undefined;
  onNote: ((message: string) => void) | undefined;
}

/** A dreamer over `worker`, which runs ./dream-protocol.ts's `serveDreams` (createDreamer's, or a test's). */
export function connectDreamer(worker: DreamerWorker, { threads, model }: DreamerOptions = {}): Dreamer {
  const pending = new Map<number, Pending>();
  let nextId = 1;
  /** Set once the worker is gone: every later dream rejects with it. */
  let gone: Error | null = null;
  let settleReady: { resolve(info: DreamerInfo): void; reject(e: unknown): void } | null = null;
  const ready = new Promise<DreamerInfo>((resolve, reject) => (settleReady = { resolve, reject }));
  ready.catch(() => {}); // a failed start also fails every dream, so a caller need not await `ready`

  const fail = (error: Error): void => {
    gone = error;
    settleReady?.reject(error);
    for (const p of pending.values()) p.reject(error);
    pending.clear();
  };

  worker.onmessage = ({ data: m }) => {
    if (m.type === "ready") return settleReady?.resolve(m.info);
    if (m.type === "unusable") return settleReady?.reject(reviveError(m.error));
    const p = pending.get(m.id);
    if (p === undefined) return; // an aborted dream's last words
    if (m.type === "progress") p.onProgress?.(m.progress);
    else if (m.type === "note") p.onNote?.(m.message);
    else {
      pending.delete(m.id);
      if (m.type === "done") p.resolve(m.image);
      else p.reject(reviveError(m.error));
    }
  };
  worker.onerror = (event) => {
    worker.terminate();
    fail(
      new InceptionismError(
        `the dream worker failed: ${event.message ?? "its script did not load"}; check that the page serves dream-worker.js beside the package's other files`,
      ),
    );
  };
  worker.postMessage({ type: "start", threads, model: model === undefined ? undefined : modelSource(model) }, []);

  return {
    ready,
    dream(image, options = {}) {
      const { onProgress, onNote, signal, transfer = false, ...rest } = options;
      return new Promise<RgbImage>((resolve, reject) => {
        if (gone !== null) return reject(gone);
        if (signal?.aborted) return reject(signal.reason);
        if ("model" in options)
          return reject(new OptionError("a dreamer dreams with its own model; give it to createDreamer({ model }) instead"));
        const { width, height, data } = image;
        if (!(data instanceof Float32Array) || data.length !== width * height * 3) {
          const detached = data instanceof Float32Array && data.length === 0;
          return reject(
            new ImageError(
              detached
                ? "the image's pixels were handed to an earlier dream (transfer: true leaves its buffer detached); dream a copy, or leave out transfer"
                : `the image is not an RgbImage: data must be a Float32Array of ${width}×${height}×3 values`,
            ),
          );
        }
        const id = nextId++;
        // One copy, unless the caller gave its buffer away (see the header); either way it is moved, not cloned.
        const own = transfer ? ownBuffer(data) : null;
        const sent: RgbImage = { width, height, data: own !== null ? data : data.slice() };
        const onAbort = (): void => {
          pending.delete(id);
          worker.postMessage({ type: "abort", id }, []);
          reject(signal!.reason);
        };
        signal?.addEventListener("abort", onAbort, { once: true });
        const done = (): void => signal?.removeEventListener("abort", onAbort);
        pending.set(id, {
          resolve: (img) => {
            done();
            resolve(img);
          },
          reject: (e) => {
            done();
            reject(e);
          },
          onProgress,
          onNote,
        });
        try {
          worker.postMessage({ type: "dream", id, image: sent, options: rest }, [sent.data.buffer as ArrayBuffer]);
        } catch (e) {
          // A function or a class instance among the options cannot be cloned (DataCloneError).
          pending.delete(id);
          done();
          reject(new OptionError(`the dream's options cannot be sent to its worker (${(e as Error).message}); give plain values only`));
        }
      });
    },
    close() {
      if (gone !== null) return;
      worker.terminate();
      const closed = new DOMException("the dreamer was closed before this dream finished", "AbortError");
      for (const p of pending.values()) p.reject(closed);
      pending.clear();
      gone = new InceptionismError("this dreamer was closed; create another with createDreamer() to dream again");
      settleReady?.reject(gone);
    },
  };
}

/**
 * The model as the worker can load it: bytes as they are (cloned, so the caller keeps them), a
 * URL made absolute against the page, since the worker would resolve a relative one against
 * its own script instead.
 */
function modelSource(model: URL | string | ArrayBuffer | Uint8Array): SentModel {
  if (typeof model !== "string" && !(model instanceof URL)) return model;
  const base = page.document?.baseURI ?? page.location?.href;
  try {
    return new URL(model, base).href;
  } catch {
    throw new OptionError(
      `model "${String(model)}" is not a URL this page can fetch; give an absolute URL, a URL relative to the page, or the model's bytes`,
    );
  }
}
