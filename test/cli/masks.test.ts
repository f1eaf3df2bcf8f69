// --mask, --original-colors and --channels strongest:N / weakest:N on the command line: read and
// checked in-process, then run as a user runs them (a child process, its exit code, its files).
import { existsSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { parseCommandLine, UsageError } from "../../src/cli/args.js";
import type { RgbImage } from "../../src/io/image/image.js";
import { readImage, writeImage } from "../../src/io/image/image-file.js";
import { resizeImage } from "../../src/io/image/resize.js";
import { runCli, type CliRun } from "./run-cli.js";

const ROOT = new URL("../../", import.meta.url).pathname;
const run = (...args: string[]): CliRun => runCli(args);
const QUICK = ["--layer", "conv2/3x3", "--octaves", "2", "--iterations", "2"];

function refusal(argv: string[]): string {
  try {
    parseCommandLine(argv);
  } catch (e) {
    expect(e).toBeInstanceOf(UsageError);
    return (e as Error).message;
  }
  throw new Error(`accepted: ${argv.join(" ")}`);
}

describe("parseCommandLine", () => {
  const dream = (...flags: string[]): unknown => parseCommandLine(["dream", "in.jpg", "-o", "out.png", ...flags]);
  it("reads --mask, --original-colors and the channel strategies", () => {
    expect(dream("--mask", "m.png", "--original-colors", "--channels", "strongest:12")).toMatchObject({
      mask: "m.png",
      options: { originalColors: true, channels: { strongest: 12 } },
    });
    expect(dream("--channels", "weakest: 3")).toMatchObject({ mask: undefined, options: { channels: { weakest: 3 } } });
    expect(dream()).toMatchObject({ mask: undefined, options: {} });
    expect((dream() as { options: object }).options).not.toHaveProperty("originalColors");
  });
  it("refuses bad values in one line", () => {
    const base = ["dream", "in.jpg", "-o", "out.png"];
    expect(refusal([...base, "--channels", "strongest:0"])).toBe('--channels strongest:N needs a whole number N ≥ 1, got "strongest:0"');
    expect(refusal([...base, "--channels", "weakest:two"])).toBe('--channels weakest:N needs a whole number N ≥ 1, got "weakest:two"');
    expect(refusal([...base, "--channels", "strong:3"])).toBe(
      '--channels must be a comma-separated list of channel numbers, or strongest:N or weakest:N, got "strong:3"',
    );
    expect(refusal([...base, "--original-colors=yes"])).toBe('option --original-colors takes no value, got "--original-colors=yes"');
    expect(refusal([...base, "--mask"])).toMatch(/^option --mask needs a value/);
    expect(refusal([...base, "--class", "banana", "--channels", "strongest:3"])).toMatch(/leave out --channels$/);
  });
});

describe("inceptionism dream --mask", () => {
  let dir: string, input: string, photo: RgbImage;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "inceptionism-masks-"));
    photo = resizeImage(await readImage(join(ROOT, "test/fixtures/images/fish-bike.jpg")), 120, 80);
    input = join(dir, "in.png");
    await writeImage(input, photo);
    photo = await readImage(input); // as the CLI reads it: whole numbers
    // Half the picture's size, so the dream resizes it: black on the left, white on the right.
    const mask: RgbImage = {
      width: 60,
      height: 40,
      data: new Float32Array(60 * 40 * 3).map((_, i) => (Math.floor(i / 3) % 60 < 30 ? 0 : 255)),
    };
    await writeImage(join(dir, "mask.png"), mask);
  });

  it("leaves the black side's pixels as they were, dreams the other, and says it resized the mask", async () => {
    const out = join(dir, "masked.png");
    const r = run("dream", input, "-o", out, "--mask", join(dir, "mask.png"), ...QUICK);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain("note: the mask is 60×40; resized to the picture's 120×80");
    const result = await readImage(out);
    let same = 0,
      changed = 0;
    for (let i = 0; i < result.data.length; i++) {
      const x = Math.floor(i / 3) % 120;
      if (x < 58)
        same += result.data[i] === photo.data[i] ? 1 : 0; // the resize blurs columns 58–61
      else if (x >= 70 && result.data[i] !== photo.data[i]) changed++;
    }
    expect(same).toBe(58 * 80 * 3);
    expect(changed).toBeGreaterThan(0.5 * 50 * 80 * 3);
  });

  it("refuses a mask it cannot read: exit 1, one line, no output", () => {
    const out = join(dir, "never.png");
    const r = run("dream", input, "-o", out, "--mask", join(dir, "missing.png"), ...QUICK, "--quiet");
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split("\n")).toEqual([
      `inceptionism: cannot read image ${join(dir, "missing.png")}: no such file (ENOENT); check the path`,
    ]);
    expect(existsSync(out)).toBe(false);
  });

  it("--original-colors and --channels strongest:N run, the picks told as a note", () => {
    const r = run("dream", input, "-o", join(dir, "colours.png"), "--original-colors", "--channels", "strongest:3", ...QUICK);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/note: strongest 3 channels of "conv2\/3x3": \d+, \d+, \d+\n/);
    const over = run("dream", input, "-o", join(dir, "over.png"), "--channels", "weakest:999", ...QUICK, "--quiet");
    expect(over.code).toBe(2);
    expect(over.stderr.trim()).toBe(
      'inceptionism: channels weakest: 999 is more than the 192 channels of "conv2/3x3"; ask for at most 192',
    );
  });
});
