// Errors a user can act on. Every failure caused by input — a bad model file, a bad image, a bad
// option — is one of these, with a one-line message that names the problem and the fix. The CLI
// prints `message` alone (no stack) for these; anything else is a bug and keeps its stack.

/** Base class: a problem with what the caller supplied, explained in `message`. */
export class InceptionismError extends Error {
  /** "InceptionismError", as `error.name` says it. */
  override name = "InceptionismError";
}

/** A model file that cannot be read or does not describe a network we can run. */
export class ModelError extends InceptionismError {
  /** "ModelError", as `error.name` says it. */
  override name = "ModelError";
}

/** An image that cannot be decoded, is too large, or is of an unsupported kind. */
export class ImageError extends InceptionismError {
  /** "ImageError", as `error.name` says it. */
  override name = "ImageError";
}

/**
 * Compressed (zlib/DEFLATE) data that cannot be inflated: corrupt, truncated, or larger than the
 * caller allows. `problem` says what and where; a decoder that wraps it words its own message.
 */
export class InflateError extends InceptionismError {
  override name = "InflateError";
  constructor(readonly problem: string) {
    super(`compressed data is corrupt or truncated: ${problem}; get an undamaged copy of it`);
  }
}

/** An option or argument with a value that cannot work (negative octaves, unknown layer, …). */
export class OptionError extends InceptionismError {
  /** "OptionError", as `error.name` says it. */
  override name = "OptionError";
}

/**
 * A layer name the model does not have. `problem` names it and the nearest names ("did you
 * mean …?"); `message` adds where the full list is, which a command line words its own way.
 */
export class UnknownLayerError extends OptionError {
  override name = "UnknownLayerError";
  readonly problem: string;
  constructor(
    readonly layer: string,
    readonly suggestions: readonly string[],
    nameCount: number,
  ) {
    const quoted = suggestions.map((s) => `"${s}"`);
    const problem = `unknown layer "${layer}"; did you mean ${quoted.slice(0, -1).join(", ")}${quoted.length > 1 ? " or " : ""}${quoted.at(-1) ?? ""}?`;
    super(`${problem} CaffeNet.outputNames lists all ${nameCount}`);
    this.problem = problem;
  }
}
