// The command line's dream engine: `dream()` run in a worker thread, so that the main thread
// stays free while the picture is dreamed.
//
// A dream step is minutes of synchronous work on a large photo (the net's forward and backward
// passes cannot be interrupted from inside), and while the main thread computes, its event loop
// is stopped: no Ctrl-C is seen, no progress bar is redrawn. So the CLI's main thread only
// reads and writes files and draws the bar; the engine thread (./engine-worker.ts) loads the
// model and dreams, starting its own helper threads as `dream()` always does, and posts its
// progress and notes as messages. Ctrl-C then stops the engine at once: its thread is
// terminated mid-step, and nothing was written. The picture is the same, bit for bit, as
// `dream()` in the main thread gives: it is the same code on the same values.
//
// Messages, main → engine:  { type: "dream", model, image, options } | { type: "visualize", model, options }
//           engine → main:  { type: "progress", progress } | { type: "note", message }
//                           | { type: "done", image } | { type: "failed", error }
// Errors cross as ../serialized-error.ts sends them: the library's own error classes are rebuilt
// by name, so the CLI still tells a bad option (exit 2) from a bad file (exit 1) from a bug
// (stack kept).

import type { Worker } from "node:worker_threads";
import type { DreamOptions, DreamProgress } from "../dream/dream.js";
import type { VisualizeOptions } from "../dream/visualize.js";
import type { RgbImage } from "../io/image/image.js";
import type { VideoFrame } from "../video/dream-video.js";
import { reviveError, type SerializedError } from "../serialized-error.js";
import { startNodeWorker } from "../threads/node-host.js";

export { reviveError, serializeError, type SerializedError } from "../serialized-error.js";

/** The options a dream takes across the thread boundary: everything but the model and callbacks. */
export type EngineOptions = Omit<DreamOptions, "model" | "onProgress" | "onNote" | "signal">;

export interface EngineCallbacks {
  onProgress?: (p: DreamProgress) => void;
  onNote?: (message: string) => void;
  /** Aborting terminates the engine's thread at once; the dream rejects with the reason. */
  signal?: AbortSignal;
}

export interface DreamRequest {
  type: "dream";
  /** A .caffemodel path, or undefined for the bundled GoogLeNet. */
  model: string | undefined;
  image: RgbImage;
  options: EngineOptions;
  /** A video frame: dream from `image` plus the previous frame's detail (dreamVideo's `frameStart`). */
  carry?: FrameCarry;
}

/** What a video frame takes over from the frame before it (see ../video/dream-video.ts). */
export interface FrameCarry {
  previous: VideoFrame;
  blend: number;
  flow: boolean;
}

/** A visualization from noise (../dream/visualize.ts): no picture goes in. */
export interface VisualizeRequest {
  type: "visualize";
  model: string | undefined;
  options: Omit<VisualizeOptions, "model" | "onProgress" | "onNote" | "signal">;
}

export type EngineMessage =
  | { type: "progress"; progress: DreamProgress }
  | { type: "note"; message: string }
  | { type: "done"; image: RgbImage }
  | { type: "failed"; error: SerializedError };

export interface Engine {
  /**
   * Dreams `image` in the engine's thread; one dream at a time. With `carry`, `image` is a video
   * frame, started from the previous frame's detail there (the optical flow is computed there too).
   */
  dream(image: RgbImage, options: EngineOptions, callbacks?: EngineCallbacks, carry?: FrameCarry): Promise<RgbImage>;
  /** Visualizes from noise in the engine's thread; one request at a time. */
  visualize(options: VisualizeRequest["options"], callbacks?: EngineCallbacks): Promise<RgbImage>;
  /** Stops the engine's thread. */
  close(): void;
}

/** An engine for the model at `model` (a .caffemodel path; undefined: the bundled GoogLeNet). */
export function startEngine(model: string | undefined): Engine {
  let worker: Worker | null = null;
  const send = (
    request: DreamRequest | VisualizeRequest,
    transfer: ArrayBuffer[],
    { onProgress, onNote, signal }: EngineCallbacks,
  ): Promise<RgbImage> =>
    new Promise<RgbImage>((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason);
      worker ??= startNodeWorker(new URL("./engine-worker.js", import.meta.url));
      const w = worker;
      w.ref(); // while it dreams, the process waits for it
      const finish = (): void => {
        w.off("message", onMessage);
        w.off("error", onError);
        w.off("exit", onExit);
        signal?.removeEventListener("abort", onAbort);
        w.unref(); // idle: it no longer keeps the process alive
      };
      const onMessage = (m: EngineMessage): void => {
        if (m.type === "progress") onProgress?.(m.progress);
        else if (m.type === "note") onNote?.(m.message);
        else {
          finish();
          if (m.type === "done") resolve(m.image);
          else reject(reviveError(m.error));
        }
      };
      const onError = (e: Error): void => {
        finish();
        worker = null;
        reject(e);
      };
      const onExit = (code: number): void => {
        finish();
        worker = null;
        reject(new Error(`the dream's engine thread stopped unexpectedly (exit code ${code})`));
      };
      const onAbort = (): void => {
        finish();
        void w.terminate();
        worker = null;
        reject(signal!.reason);
      };
      w.on("message", onMessage);
      w.on("error", onError);
      w.on("exit", onExit);
      signal?.addEventListener("abort", onAbort, { once: true });
      w.postMessage(request, transfer);
    });
  return {
    dream(image, options, callbacks = {}, carry) {
      // The picture's buffer is moved, not copied, when it is the array's own.
      const own = image.data.byteOffset === 0 && image.data.byteLength === image.data.buffer.byteLength;
      const transfer = own && !(image.data.buffer instanceof SharedArrayBuffer) ? [image.data.buffer as ArrayBuffer] : [];
      return send({ type: "dream", model, image, options, ...(carry === undefined ? {} : { carry }) }, transfer, callbacks);
    },
    visualize(options, callbacks = {}) {
      return send({ type: "visualize", model, options }, [], callbacks);
    },
    close() {
      void worker?.terminate();
      worker = null;
    },
  };
}
