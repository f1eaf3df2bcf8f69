// The messages between a page's dreamer (./dreamer.ts) and its dream worker (../dream-worker.ts),
// and the worker's half: taking dreams one at a time, in the order they were sent.
//
//   client → worker   { type: "start", threads?, model? }          first, once
//                     { type: "dream", id, image, options }         any number, queued in order
//                     { type: "abort", id }                         at once, even mid-queue
//   worker → client   { type: "ready", info } | { type: "unusable", error }     answers "start"
//                     { type: "progress", id, progress } | { type: "note", id, message }
//                     { type: "done", id, image } | { type: "failed", id, error }
//
// Why the worker queues: a dream is async (it yields between steps so that aborts and progress
// get through), so a second "dream" message arrives while the first is still running; the two
// must not interleave, since they share the net's buffers and the thread pool. Why an abort is
// a message and not `worker.terminate()`: the worker holds the decoded model (28 MB, seconds to
// load) and its helper threads, and stays usable; the dream stops at its next step, which the
// core's `dream()` checks its signal before. A step in progress is finished first — the client
// has already rejected, so the caller does not wait for it, only the next dream does.
//
// Errors cross as ../serialized-error.ts sends them. Pixels cross as transferred buffers: the
// worker hands its result's buffer over rather than copying it (what the client sends is said
// in ./dreamer.ts). Core module: no `node:*`, and no DOM types (the project's TypeScript libs
// have none): what is used of a port is declared below.

import type { DreamOptions as CoreDreamOptions, DreamProgress } from "../dream/dream.js";
import type { RgbImage } from "../io/image/image.js";
import type { SimdFlavour } from "../layers/wasm/gemm-simd-module.js";
import { serializeError, type SerializedError } from "../serialized-error.js";

/** Where the model comes from: a URL (string or `URL`, resolved by the client) or its bytes. */
export type SentModel = string | ArrayBuffer | Uint8Array;

/**
 * What a dream takes across the boundary: `dream()`'s options but the model (the dreamer's
 * own), the callbacks and the signal (which the client turns into messages). `classes` may
 * name ImageNet classes, as the package entry's `dream()` allows.
 */
export type WorkerDreamOptions = Partial<Omit<CoreDreamOptions, "model" | "classes" | "onProgress" | "onNote" | "signal">> & {
  /** Classes to dream toward, by classifier index or by ImageNet name ("banana", "n07753592"). */
  classes?: readonly (number | string)[];
};

export interface StartRequest {
  type: "start";
  /** Threads to dream on; undefined: the browser's default (every core where it can). */
  threads?: number;
  /** An absolute URL or the model's bytes; undefined: the bundled GoogLeNet. */
  model?: SentModel;
}

export interface DreamRequest {
  type: "dream";
  id: number;
  image: RgbImage;
  options: WorkerDreamOptions;
}

export interface AbortRequest {
  type: "abort";
  id: number;
}

export type ClientMessage = StartRequest | DreamRequest | AbortRequest;

/** What a dreamer found when it started: `Dreamer.ready` resolves to it. */
export interface DreamerInfo {
  /** The threads every dream runs on: 1 where the page cannot share memory, else those asked for. */
  threads: number;
  /** The WebAssembly GEMM in use: relaxed SIMD's fused multiply–add, plain simd128, or none (plain JS). */
  simd: SimdFlavour | null;
  /** Whether the page is cross-origin isolated (served with COOP and COEP), which threads need. */
  crossOriginIsolated: boolean;
  /** What was adjusted on starting (e.g. one thread instead of every core, and why). */
  notes: readonly string[];
}

export type WorkerMessage =
  | { type: "ready"; info: DreamerInfo }
  | { type: "unusable"; error: SerializedError }
  | { type: "progress"; id: number; progress: DreamProgress }
  | { type: "note"; id: number; message: string }
  | { type: "done"; id: number; image: RgbImage }
  | { type: "failed"; id: number; error: SerializedError };

/** What the worker's half needs of its scope: a dedicated worker's `self`, or a MessagePort in a test. */
export interface WorkerPort {
  onmessage: ((event: { data: ClientMessage }) => void) | null;
  postMessage(message: WorkerMessage, transfer: ArrayBuffer[]): void;
}

/** The engine the worker serves: the browser entry's, or another in a test. */
export interface DreamEngine<Model> {
  /** Loads the model and sets the threads up, saying what it found. */
  start(request: StartRequest): Promise<{ model: Model; info: DreamerInfo }>;
  /** Dreams as `dream()` does, with the model `start` loaded. */
  dream(
    image: RgbImage,
    options: WorkerDreamOptions & {
      model: Model;
      onProgress: (p: DreamProgress) => void;
      onNote: (message: string) => void;
      signal: AbortSignal;
    },
  ): Promise<RgbImage>;
}

/** The buffer a transfer list can move: only an ArrayBuffer of its own, whole (not a view into a larger one, nor shared). */
export function ownBuffer(data: Float32Array): ArrayBuffer | null {
  const { buffer } = data;
  return buffer instanceof ArrayBuffer && data.byteOffset === 0 && data.byteLength === buffer.byteLength ? buffer : null;
}

/** Serves dreams on `port` with `engine`: the whole of the worker's side. */
export function serveDreams<Model>(port: WorkerPort, engine: DreamEngine<Model>): void {
  let started: Promise<Model> | null = null;
  let queue: Promise<void> = Promise.resolve();
  const controllers = new Map<number, AbortController>();
  const post = (m: WorkerMessage, transfer: ArrayBuffer[] = []): void => port.postMessage(m, transfer);

  async function run(request: DreamRequest, signal: AbortSignal): Promise<void> {
    const { id } = request;
    try {
      if (started === null) throw new Error("dream-worker: a dream arrived before the start message");
      const model = await started;
      signal.throwIfAborted(); // aborted while it waited its turn
      const image = await engine.dream(request.image, {
        ...request.options,
        model,
        signal,
        onProgress: (progress) => post({ type: "progress", id, progress }),
        onNote: (message) => post({ type: "note", id, message }),
      });
      const buffer = ownBuffer(image.data);
      post({ type: "done", id, image }, buffer === null ? [] : [buffer]);
    } catch (e) {
      post({ type: "failed", id, error: serializeError(e) });
    } finally {
      controllers.delete(id);
    }
  }

  port.onmessage = ({ data: m }) => {
    if (m.type === "start") {
      const starting = engine.start(m);
      started = starting.then(({ model }) => model);
      started.catch(() => {}); // a failed start is told by "unusable", and again by each dream
      starting.then(
        ({ info }) => post({ type: "ready", info }),
        (e: unknown) => post({ type: "unusable", error: serializeError(e) }),
      );
    } else if (m.type === "dream") {
      const controller = new AbortController();
      controllers.set(m.id, controller);
      queue = queue.then(() => run(m, controller.signal));
    } else {
      controllers.get(m.id)?.abort(new DOMException("The dream was aborted", "AbortError"));
    }
  };
}
