// The command line's engine thread (src/cli/engine.ts): the same picture as dream() in this
// thread, the library's errors back with their classes, and an abort that stops a step midway.
import { spawn } from "node:child_process";
import { mkdtempSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { reviveError, startEngine, type Engine } from "../../src/cli/engine.js";
import { dream } from "../../src/dream/dream.js";
import { ImageError, InceptionismError, ModelError, OptionError, UnknownLayerError } from "../../src/errors.js";
import { createImage, type RgbImage } from "../../src/io/image/image.js";
import { readImage, writeImage } from "../../src/io/image/image-file.js";
import { resizeImage } from "../../src/io/image/resize.js";
import { loadGoogLeNet } from "../../src/models/load.js";
import "../../src/threads/node-host.js";

const ROOT = new URL("../../", import.meta.url).pathname;
let engine: Engine;
let photo: RgbImage;
beforeAll(async () => {
  engine = startEngine(undefined);
  photo = resizeImage(await readImage(join(ROOT, "test/fixtures/images/fish-bike.jpg")), 96, 64);
});
afterAll(() => engine.close());

const copy = (img: RgbImage): RgbImage => ({ ...img, data: img.data.slice() });

describe("the engine thread", () => {
  it("dreams the same picture, bit for bit, as dream() here, and reports its steps", async () => {
    const options = { layer: "inception_3a/output", octaves: 2, iterations: 2, seed: 5 } as const;
    const here = await dream(copy(photo), { ...options, model: await loadGoogLeNet() });
    const steps: number[] = [];
    const there = await engine.dream(copy(photo), options, { onProgress: (p) => steps.push(p.iteration) });
    expect(Buffer.from(there.data.buffer).equals(Buffer.from(here.data.buffer))).toBe(true);
    expect(steps).toEqual([1, 2, 1, 2]);
  });

  it("carries a mask, originalColors and a channel strategy across, dreaming as dream() does", async () => {
    const mask: RgbImage = {
      width: 48,
      height: 32,
      data: new Float32Array(48 * 32 * 3).map((_, i) => (Math.floor(i / 3) % 48 < 24 ? 0 : 255)),
    };
    const options = {
      layer: "inception_3a/output",
      octaves: 2,
      iterations: 2,
      seed: 5,
      mask,
      originalColors: true,
      channels: { weakest: 3 },
    } as const;
    const here = await dream(copy(photo), { ...options, model: await loadGoogLeNet() });
    const notes: string[] = [];
    const there = await engine.dream(copy(photo), options, { onNote: (n) => notes.push(n) });
    expect(Buffer.from(there.data.buffer).equals(Buffer.from(here.data.buffer))).toBe(true);
    expect(notes.map((n) => n.replace(/: .*/, ""))).toEqual([
      'weakest 3 channels of "inception_3a/output"',
      "the mask is 48×32; resized to the picture's 96×64",
    ]);
  });

  it("brings the library's errors back as their own classes", async () => {
    await expect(engine.dream(copy(photo), { octaves: 0 })).rejects.toBeInstanceOf(OptionError);
    await expect(engine.dream(copy(photo), { layer: "inception_4c/output", octaves: 1, iterations: 1 })).resolves.toBeDefined();
    const unknown = await engine.dream(copy(photo), { layer: "inception_4c/ouput" }).catch((e: unknown) => e);
    expect(unknown).toBeInstanceOf(UnknownLayerError);
    expect((unknown as UnknownLayerError).problem).toMatch(/^unknown layer "inception_4c\/ouput"; did you mean "inception_4c\/output"/);
    expect(reviveError({ name: "ModelError", message: "m", stack: undefined })).toBeInstanceOf(ModelError);
    expect(reviveError({ name: "ImageError", message: "i", stack: undefined })).toBeInstanceOf(ImageError);
    const bug = reviveError({ name: "TypeError", message: "x is undefined", stack: "TypeError: x is undefined\n    at f (a.js:1:1)" });
    expect(bug).not.toBeInstanceOf(InceptionismError);
    expect(bug.stack).toContain("at f (a.js:1:1)");
  });

  it("stops in the middle of a step when aborted: the step never finishes", async () => {
    const own = startEngine(undefined);
    const controller = new AbortController();
    let steps = 0;
    // One step of inception_4c on 1400×1000, tiled to fit the budget, which the dream says just
    // before the step begins: seconds of work, aborted at that note.
    const run = own.dream(
      createImage(1400, 1000),
      { octaves: 1, iterations: 1, maxMemory: 1200 * 2 ** 20 },
      {
        signal: controller.signal,
        onProgress: () => steps++,
        onNote: () => controller.abort(new DOMException("stop", "AbortError")),
      },
    );
    await expect(run).rejects.toThrow("stop");
    expect(steps).toBe(0);
    own.close();
  });
});

describe("Ctrl-C in the command line", () => {
  it("stops a dream in the middle of its only step: exit 130, nothing written", async () => {
    const dir = mkdtempSync(join(tmpdir(), "inceptionism-sigint-"));
    const input = join(dir, "big.png");
    await writeImage(input, resizeImage(photo, 1500, 1000));
    const output = join(dir, "never.png");
    // Over the budget, so the dream is tiled, and says so before its first step: the signal to
    // press Ctrl-C. A whole step of these tiles takes far longer than it takes to stop.
    const child = spawn(
      process.execPath,
      [
        "--import",
        "tsx",
        join(ROOT, "src/cli.ts"),
        "dream",
        input,
        "-o",
        output,
        "--octaves",
        "1",
        "--iterations",
        "1",
        "--max-memory",
        "1200",
      ],
      { cwd: ROOT },
    );
    let stderr = "";
    let pressed = false;
    const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
    child.stderr.on("data", (d: Buffer) => {
      stderr += d.toString();
      if (!pressed && /note: .*dreamed in tiles/.test(stderr)) {
        pressed = true; // once: a second Ctrl-C would kill it outright
        child.kill("SIGINT");
      }
    });
    const code = await exited;
    expect(code, stderr).toBe(130);
    expect(stderr).toMatch(/note: the whole 1500×1000 picture would need about .* dreamed in tiles of \d+×\d+/);
    const lines = stderr.trim().split("\n");
    expect(lines.pop()).toBe("inceptionism: interrupted; no partial file was written");
    expect(
      lines.every((l) => l.startsWith("note: ")),
      stderr,
    ).toBe(true); // no stack, nothing else
    expect(readdirSync(dir)).toEqual(["big.png"]);
  });
});
