// Errors across a thread boundary. A worker's error reaches its creator as a message, and a
// message carries only structured-clonable data: an Error arrives as a plain Error at best,
// without its class. So an error is sent as its name, message, stack and own fields, and the
// receiver rebuilds it — as the library's own class where it is one of them, so that the
// caller can still tell a bad option from a bad file from a bug (the command line's exit codes,
// a page's message to its user). Used by the CLI's engine thread (./cli/engine.ts) and the
// browser's dream worker (./browser/dreamer.ts) alike. Core module: no `node:*` imports.

import { ImageError, InceptionismError, ModelError, OptionError, UnknownLayerError } from "./errors.js";

/** An error as a message can carry it. */
export interface SerializedError {
  name: string;
  message: string;
  stack: string | undefined;
  /** The error's own fields besides those (structured-clonable values only). */
  fields?: Record<string, unknown>;
}

const ERROR_CLASSES: Record<string, { prototype: InceptionismError }> = {
  InceptionismError,
  ModelError,
  ImageError,
  OptionError,
  UnknownLayerError,
};

/** `e` as a message can carry it. */
export function serializeError(e: unknown): SerializedError {
  const error = e instanceof Error ? e : new Error(String(e));
  const fields = Object.fromEntries(Object.entries(error).filter(([k]) => k !== "name" && k !== "message" && k !== "stack"));
  return { name: error.name, message: error.message, stack: error.stack, fields };
}

/** The error a `SerializedError` stands for: the library's own class where it is one of them. */
export function reviveError(e: SerializedError): Error {
  const Known = ERROR_CLASSES[e.name];
  if (Known !== undefined) {
    // Its prototype, name, message and fields, without calling a constructor whose arguments
    // differ. The name too: each class sets it as an instance field, in the constructor skipped.
    const error = Object.create(Known.prototype) as InceptionismError;
    return Object.assign(error, e.fields, { name: e.name, message: e.message, stack: `${e.name}: ${e.message}` });
  }
  const error = new Error(e.message);
  error.name = e.name;
  if (e.stack !== undefined) error.stack = e.stack;
  return error;
}
