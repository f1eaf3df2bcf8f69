// `--class`: dreaming toward ImageNet classes from the command line, read in-process and run.
import { existsSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { UsageError, parseCommandLine } from "../../src/cli/args.js";
import { readImage } from "../../src/io/image/image-file.js";
import { runCli, type CliRun } from "./run-cli.js";

const ROOT = new URL("../../", import.meta.url).pathname;
const FLOWERS = join(ROOT, "examples/flowers.jpg"); // 320×240

const run = (...args: string[]): CliRun => runCli(args);

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "inceptionism-class-"));
});

describe("--class on the command line", () => {
  it("reads labels, comma-separated or repeated, for dream and zoom", () => {
    expect(parseCommandLine(["dream", "a.jpg", "-o", "b.png", "--class", "banana, 281", "--class", "n07753592"])).toMatchObject({
      classes: ["banana", "281", "n07753592"],
    });
    expect(parseCommandLine(["zoom", "a.jpg", "-o", "d", "--frames", "2", "--class", "tabby"])).toMatchObject({ classes: ["tabby"] });
    expect(parseCommandLine(["dream", "a.jpg", "-o", "b.png"])).toMatchObject({ classes: undefined });
    expect(parseCommandLine(["dream", "--help"])).toMatchObject({ text: expect.stringMatching(/--class LABEL/) });
    // The class objective's kind, for any layer: Σa.
    expect(parseCommandLine(["dream", "a.jpg", "-o", "b.png", "--objective", "sum"])).toMatchObject({ options: { objective: "sum" } });
  });

  it("refuses an empty label, and --class with --layer, --channels, --objective or --guide", () => {
    const refused = (argv: string[]): string => {
      try {
        parseCommandLine(argv);
      } catch (e) {
        expect(e).toBeInstanceOf(UsageError);
        return (e as Error).message;
      }
      throw new Error("no usage error");
    };
    expect(refused(["dream", "a.jpg", "-o", "b.png", "--class", "banana,"])).toBe(
      '--class needs class labels separated by commas, got "banana,"',
    );
    expect(refused(["dream", "a.jpg", "-o", "b.png", "--class", "banana", "--layer", "conv1/7x7_s2"])).toBe(
      "--class dreams on the model's classifier layer; leave out --layer",
    );
    expect(refused(["dream", "a.jpg", "-o", "b.png", "--class", "1", "--channels", "2", "--guide", "g.png"])).toMatch(
      /leave out --channels, --guide$/,
    );
  });

  for (const [label, message] of [
    ["cat", /^inceptionism: "cat" could be 7 classes: tabby \(281\), tiger cat \(282\), .*; give the index or a longer name$/],
    ["bananna", /^inceptionism: no ImageNet class is called "bananna"; the closest is banana \(954\)$/],
    ["1000", /^inceptionism: class 1000 is out of range: the classes are numbered 0–999$/],
  ] as const) {
    it(`exits 2 with one line for --class ${label}, writing nothing`, () => {
      const output = join(dir, `${label}.png`);
      const r = run("dream", FLOWERS, "-o", output, "--class", label, "--quiet");
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr.trim()).toMatch(message);
      expect(existsSync(output)).toBe(false);
    });
  }

  it("dreams flowers.jpg toward banana, dropping the octaves too small for the classifier", async () => {
    const output = join(dir, "banana.png");
    const r = run("dream", FLOWERS, "-o", output, "--class", "banana", "--iterations", "2");
    expect(r.code, r.stderr).toBe(0);
    // 320×240 holds one octave of the 223 pixels a side the classifier needs. (That the net then
    // sees a banana is test/dream/dream.test.ts's: it takes 10 steps.)
    expect(r.stderr).toMatch(/note: dropped 3 octave\(s\) smaller than the 223×223 pixels "loss3\/classifier" needs/);
    const out = await readImage(output);
    expect([out.width, out.height]).toEqual([320, 240]);
  });
});
