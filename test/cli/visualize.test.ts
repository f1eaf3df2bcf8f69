// `inceptionism visualize`: its command line read in-process, and the command as a user runs it.
import { existsSync, mkdtempSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { UsageError, parseCommandLine } from "../../src/cli/args.js";
import { readImage } from "../../src/io/image/image-file.js";
import { runCli, type CliRun } from "./run-cli.js";

const run = (...args: string[]): CliRun => runCli(args, { timeout: 300_000 });

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "inceptionism-visualize-"));
});

const refused = (argv: string[]): string => {
  try {
    parseCommandLine(argv);
  } catch (e) {
    expect(e).toBeInstanceOf(UsageError);
    return (e as Error).message;
  }
  throw new Error("no usage error");
};

describe("inceptionism visualize, the command line", () => {
  it("reads --class or --layer with --channels, and the numbers", () => {
    expect(parseCommandLine(["visualize", "--class", "banana", "-o", "b.png"])).toEqual({
      command: "visualize",
      output: "b.png",
      model: undefined,
      classes: ["banana"],
      options: {},
      quality: undefined,
      quiet: false,
    });
    expect(
      parseCommandLine([
        "visualize",
        "--layer",
        "inception_4c/output",
        "--channels",
        "97,3",
        "-o",
        "c.jpg",
        "--size",
        "256",
        "--steps",
        "64",
        "--seed",
        "3",
        "--threads",
        "1",
        "--quiet",
      ]),
    ).toMatchObject({
      classes: undefined,
      quiet: true,
      options: { layer: "inception_4c/output", channels: [97, 3], size: 256, steps: 64, seed: 3, threads: 1 },
    });
    expect(parseCommandLine(["visualize", "--help"])).toMatchObject({
      text: expect.stringMatching(/^Usage: inceptionism visualize \(--class LABEL \| --layer NAME/),
    });
    expect(parseCommandLine(["--help"])).toMatchObject({ text: expect.stringMatching(/visualize -o OUT/) });
  });

  it("refuses both --class and --layer, neither, --channels with --class, steps 0, an input picture, no output", () => {
    expect(refused(["visualize", "--class", "banana", "--layer", "conv2/3x3", "-o", "b.png"])).toBe(
      "give --class or --layer to visualize, not both",
    );
    expect(refused(["visualize", "-o", "b.png"])).toBe(
      'visualize needs --class LABEL or --layer NAME; run "inceptionism visualize --help"',
    );
    expect(refused(["visualize", "--class", "banana", "--channels", "3", "-o", "b.png"])).toBe(
      "--channels picks channels of a --layer; leave it out with --class",
    );
    expect(refused(["visualize", "--class", "banana", "-o", "b.png", "--steps", "0"])).toBe('--steps must be a whole number ≥ 1, got "0"');
    expect(refused(["visualize", "--class", "banana", "-o", "b.png", "--size", "0"])).toBe('--size must be a whole number ≥ 1, got "0"');
    expect(refused(["visualize", "--layer", "conv2/3x3", "--channels", "a", "-o", "b.png"])).toBe(
      '--channels must be a comma-separated list of channel numbers, got "a"',
    );
    expect(refused(["visualize", "--class", "banana,", "-o", "b.png"])).toBe(
      '--class needs class labels separated by commas, got "banana,"',
    );
    expect(refused(["visualize", "in.jpg", "--class", "banana", "-o", "b.png"])).toBe(
      'visualize grows its picture from noise and takes no input picture (got "in.jpg")',
    );
    expect(refused(["visualize", "--class", "banana"])).toBe(
      "visualize needs an output file: inceptionism visualize --class banana -o banana.png",
    );
    expect(refused(["visualize", "--class", "banana", "-o", "b.png", "--octaves", "2"])).toBe(
      'unknown option "--octaves"; run "inceptionism visualize --help"',
    );
  });
});

describe("inceptionism visualize, run", () => {
  for (const [args, message] of [
    [
      ["--class", "banana", "--size", "100"],
      /^inceptionism: size 100 is too small for "loss3\/classifier", which needs pictures of at least 223×223; use a size of 223 or more$/,
    ],
    [["--class", "bananna"], /^inceptionism: no ImageNet class is called "bananna"; the closest is banana \(954\)$/],
    [["--layer", "inception_9z"], /^inceptionism: unknown layer "inception_9z"; did you mean .*\? "inceptionism layers" lists them all$/],
    [
      ["--layer", "conv2/3x3", "--channels", "500"],
      /^inceptionism: channel 500 is out of range for "conv2\/3x3", which has channels 0–191$/,
    ],
    [["--layer", "conv2/3x3", "--steps", "0"], /^inceptionism: --steps must be a whole number ≥ 1, got "0"$/],
    [
      ["--layer", "inception_3b/output", "--channels", "100", "--size", "64"],
      /^inceptionism: channel 100 of "inception_3b\/output" is 0 all over the starting picture, so it gives no gradient to grow from; .*$/,
    ],
  ] as const) {
    it(`exits 2 with one line for ${args.join(" ")}, writing nothing`, () => {
      const output = join(dir, "refused.png");
      const r = run("visualize", ...args, "-o", output);
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr.trim().split("\n")).toHaveLength(1);
      expect(r.stderr.trim()).toMatch(message);
      expect(existsSync(output)).toBe(false);
    });
  }

  it("writes the picture at --size, the same for the same seed", async () => {
    const [a, b] = ["a.png", "b.png"].map((f) => join(dir, f));
    for (const output of [a, b]) {
      const r = run(
        "visualize",
        "--layer",
        "conv2/3x3",
        "--channels",
        "7",
        "--size",
        "40",
        "--steps",
        "3",
        "--seed",
        "5",
        "--threads",
        "1",
        "-o",
        output!,
      );
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toBe(`wrote ${output} (40×40)\n`);
    }
    const [imgA, imgB] = [await readImage(a!), await readImage(b!)];
    expect([imgA.width, imgA.height]).toEqual([40, 40]);
    expect(Buffer.from(imgA.data.buffer).equals(Buffer.from(imgB.data.buffer))).toBe(true);
    expect(readdirSync(dir).filter((f) => f.includes(".tmp"))).toEqual([]); // no temporary file left
  }, 600_000);
});
