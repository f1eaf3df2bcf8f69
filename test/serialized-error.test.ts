// Errors across a thread boundary (src/serialized-error.ts): what arrives is the library's own
// class, named as it was thrown, with its fields; anything else keeps its name and stack.
import { describe, expect, it } from "vitest";
import { ImageError, InceptionismError, ModelError, OptionError, UnknownLayerError } from "../src/errors.js";
import { reviveError, serializeError } from "../src/serialized-error.js";

/** `e` as it comes out of a postMessage: serialized, cloned, revived. */
const across = (e: unknown): Error => reviveError(structuredClone(serializeError(e)));

describe("an error sent across a thread", () => {
  it("comes back as its own class, named as thrown, with its message", () => {
    for (const error of [new InceptionismError("a"), new ModelError("b"), new ImageError("c"), new OptionError("d")]) {
      const back = across(error);
      expect(back).toBeInstanceOf(error.constructor);
      expect(back.name).toBe(error.name);
      expect(back.message).toBe(error.message);
      expect(String(back)).toBe(String(error));
    }
  });

  it("keeps an UnknownLayerError's own fields", () => {
    const back = across(new UnknownLayerError("conv9", ["conv1", "conv2"], 40)) as UnknownLayerError;
    expect(back).toBeInstanceOf(OptionError);
    expect(back.name).toBe("UnknownLayerError");
    expect(back.suggestions).toEqual(["conv1", "conv2"]);
    expect(back.problem).toBe('unknown layer "conv9"; did you mean "conv1" or "conv2"?');
  });

  it("keeps a bug's name and stack, as a plain Error", () => {
    const bug = new TypeError("x is undefined");
    const back = across(bug);
    expect(back).not.toBeInstanceOf(InceptionismError);
    expect(back.name).toBe("TypeError");
    expect(back.stack).toBe(bug.stack);
    expect(across("a string thrown").message).toBe("a string thrown");
  });
});
