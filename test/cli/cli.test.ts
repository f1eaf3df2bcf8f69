// The `inceptionism` command as a user runs it: a child process, its exit code, its stderr.
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PNG } from "pngjs";
import { beforeAll, describe, expect, it } from "vitest";
import { readImage } from "../../src/io/image/image-file.js";
import { runCli, type CliRun } from "./run-cli.js";

const ROOT = new URL("../../", import.meta.url).pathname;
const IMAGES = join(ROOT, "test/fixtures/images");
const CLI = join(ROOT, "src/cli.ts");

const run = (...args: string[]): CliRun => runCli(args);

/** Fast dream settings for tiny test images. */
const QUICK = ["--layer", "conv2/3x3", "--octaves", "1", "--iterations", "1", "--quiet"];

let dir: string;
let rgba: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "inceptionism-cli-"));
  // A 40×30 RGBA PNG whose left half is transparent.
  const png = new PNG({ width: 40, height: 30 });
  for (let i = 0; i < 40 * 30; i++) png.data.set([200, (i * 7) % 256, 50, i % 40 < 20 ? 0 : 255], i * 4);
  rgba = join(dir, "rgba.png");
  writeFileSync(rgba, PNG.sync.write(png));
});

const sha = (file: string): string => createHash("sha256").update(readFileSync(file)).digest("hex");

/** A failure as the brief wants it: the exit code, one line on stderr, no stack trace. */
function expectCleanFailure(r: ReturnType<typeof run>, code: number, message: RegExp): void {
  expect(r.code, r.stderr).toBe(code);
  const lines = r.stderr.trim().split("\n");
  expect(lines, r.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(/^inceptionism: /);
  expect(lines[0]).toMatch(message);
  expect(r.stderr).not.toMatch(/\n\s+at /);
}

describe("inceptionism --version", () => {
  it("prints the version in package.json", () => {
    const { version } = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { version: string };
    for (const flag of ["--version", "-V"]) {
      const r = run(flag);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toBe(`${version}\n`);
    }
  });
});

describe("inceptionism --help", () => {
  for (const args of [
    ["--help"],
    ["dream", "--help"],
    ["zoom", "--help"],
    ["video", "--help"],
    ["classify", "--help"],
    ["layers", "--help"],
  ]) {
    it(args.join(" "), () => {
      const r = run(...args);
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/^Usage: inceptionism/);
    });
  }
});

describe("usage errors exit 2 with one line", () => {
  const out = () => join(dir, "never.png");
  const cases: Array<[string, string[], RegExp]> = [
    ["an unknown command", ["dreem"], /unknown command "dreem"/],
    ["an unknown flag", ["dream", "x.jpg", "-o", "y.png", "--octavez", "3"], /unknown option "--octavez"/],
    ["a missing output", ["dream", join(IMAGES, "gray.jpg")], /needs an output file/],
    [
      "negative octaves",
      ["dream", join(IMAGES, "gray.jpg"), "-o", "OUT", "--octaves", "-1"],
      /--octaves must be a whole number ≥ 1, got "-1"/,
    ],
    [
      "octave scale 0",
      ["dream", join(IMAGES, "gray.jpg"), "-o", "OUT", "--octave-scale", "0"],
      /--octave-scale must be greater than 1, got 0/,
    ],
    ["a non-numeric step", ["dream", join(IMAGES, "gray.jpg"), "-o", "OUT", "--step", "big"], /--step must be a number, got "big"/],
    ["bad channels", ["dream", join(IMAGES, "gray.jpg"), "-o", "OUT", "--channels", "1,x"], /--channels must be a comma-separated list/],
    [
      "a scale range upside down",
      ["dream", join(IMAGES, "gray.jpg"), "-o", "OUT", "--scale", "1.05:0.95"],
      /^inceptionism: --scale must be LO:HI with 0 < LO ≤ HI, e\.g\. 0\.95:1\.05, got "1\.05:0\.95"$/,
    ],
    [
      "a rotation over 180°",
      ["dream", join(IMAGES, "gray.jpg"), "-o", "OUT", "--rotate", "270"],
      /^inceptionism: --rotate must be degrees from 0 to 180, got 270$/,
    ],
    [
      "an unknown layer, with the nearest names and where the rest are",
      ["dream", join(IMAGES, "gray.jpg"), "-o", "OUT", "--layer", "inception_4c/ouput"],
      /^inceptionism: unknown layer "inception_4c\/ouput"; did you mean "inception_4c\/output", "inception_4a\/output", "inception_4b\/output", "inception_4d\/output" or "inception_4e\/output"\? "inceptionism layers" lists them all$/,
    ],
    [
      "a layer weight that is not a number",
      ["dream", join(IMAGES, "gray.jpg"), "-o", "OUT", "--layer", "inception_4c/output:abc"],
      /--layer "inception_4c\/output:abc": the weight after ":" must be a number, got "abc"/,
    ],
    [
      "an output with an unknown extension",
      ["dream", join(IMAGES, "gray.jpg"), "-o", "OUT.gif", "--quiet"],
      /unknown image extension ".gif"; use .png, .jpg, .jpeg/,
    ],
    [
      "an output that is a directory",
      ["dream", join(IMAGES, "gray.jpg"), "-o", "DIR", "--quiet"],
      /^inceptionism: output .* is a directory; give a file name, e\.g\. .*dream\.png$/,
    ],
    ["a bad --size", ["layers", "--size", "big"], /--size must look like 224x224/],
  ];
  for (const [what, args, message] of cases) {
    it(what, () => {
      const r = run(...args.map((a) => (a === "OUT" ? out() : a === "OUT.gif" ? `${out()}.gif` : a === "DIR" ? dir : a)));
      expectCleanFailure(r, 2, message);
      expect(existsSync(out())).toBe(false);
      expect(existsSync(`${out()}.gif`)).toBe(false);
    });
  }
});

describe("bad files exit 1 with one line, writing nothing", () => {
  it("refuses to write over the input, leaving it untouched", () => {
    const input = join(dir, "same.png");
    writeFileSync(input, readFileSync(rgba));
    const before = sha(input);
    expectCleanFailure(run("dream", input, "-o", input, ...QUICK), 1, /is the input image; choose another output/);
    expect(sha(input)).toBe(before);
  });
  it("refuses an output in a missing directory", () => {
    expectCleanFailure(run("dream", rgba, "-o", join(dir, "no/such/dir/out.png"), ...QUICK), 1, /does not exist; create it first/);
    expect(existsSync(join(dir, "no"))).toBe(false);
  });
  for (const [name, bytes, message] of [
    ["empty.jpg", () => new Uint8Array(0), /not a PNG or JPEG image \(it is empty\)/],
    ["text.png", () => new TextEncoder().encode("hello, I am not a picture\n"), /not a PNG or JPEG image/],
    ["truncated.jpg", () => readFileSync(join(IMAGES, "flowers.jpg")).subarray(0, 2000), /truncated|corrupt|JPEG/i],
    ["truncated.png", () => readFileSync(rgba).subarray(0, 60), /PNG/],
  ] as const) {
    it(`refuses ${name}`, () => {
      const input = join(dir, name);
      writeFileSync(input, bytes());
      const output = join(dir, `${name}.out.png`);
      const r = run("dream", input, "-o", output, ...QUICK);
      expectCleanFailure(r, 1, message);
      expect(existsSync(output)).toBe(false);
      expect(readdirSync(dir).filter((f) => f.endsWith(".tmp"))).toEqual([]);
    });
  }
  it("refuses a missing input", () => {
    expectCleanFailure(run("classify", join(dir, "nope.jpg")), 1, /cannot read image .*nope\.jpg: no such file/);
  });
  it("refuses a model file that is not one", () => {
    expectCleanFailure(run("layers", "--model", rgba), 1, /not a Caffe model|Caffe/);
  });
});

describe("inputs of every kind dream", () => {
  for (const [name, file] of [
    ["an RGBA PNG (alpha over white)", () => rgba],
    ["a 16-bit interlaced RGBA PNG", () => join(IMAGES, "interlaced-rgba16.png")],
    ["a 4-bit grayscale PNG", () => join(IMAGES, "gray4.png")],
    ["a palette PNG", () => join(IMAGES, "palette-trns.png")],
    ["a grayscale JPEG", () => join(IMAGES, "gray.jpg")],
  ] as const) {
    it(name, async () => {
      const input = file();
      const before = sha(input);
      const output = join(dir, `${name.replace(/\W+/g, "-")}.png`);
      const r = run("dream", input, "-o", output, ...QUICK);
      expect(r.code, r.stderr).toBe(0);
      const [a, b] = [await readImage(input), await readImage(output)];
      expect([b.width, b.height]).toEqual([a.width, a.height]);
      expect(sha(input)).toBe(before);
    });
  }
  it("writes JPEG by extension and scales with --max-size", async () => {
    const output = join(dir, "small.jpg");
    const r = run("dream", join(IMAGES, "fish-bike.jpg"), "-o", output, "--max-size", "64", ...QUICK);
    expect(r.code, r.stderr).toBe(0);
    const img = await readImage(output);
    expect([img.width, img.height]).toEqual([64, 43]); // 481×323 scaled to a longer side of 64
  });
});

describe("classify and layers", () => {
  it("classify cat.jpg: tiger cat, then tabby", () => {
    const r = run("classify", join(IMAGES, "cat.jpg"), "--json");
    expect(r.code, r.stderr).toBe(0);
    const { top } = JSON.parse(r.stdout) as { top: Array<{ index: number; label: string; probability: number }> };
    expect(top.slice(0, 2).map((t) => t.label)).toEqual(["tiger cat", "tabby"]);
    expect(top[0]!.index).toBe(282);
    expect(top[0]!.probability).toBeCloseTo(0.44, 1);
  });
  it("classify fish-bike.jpg: barrow", () => {
    const r = run("classify", join(IMAGES, "fish-bike.jpg"), "--top", "1");
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^0\.\d{4} {2}barrow \(428\)\n$/);
  });
  it("layers --size 20x20 says which layers it leaves out and what size reaches them", () => {
    for (const json of [[], ["--json"]]) {
      const r = run("layers", "--size", "20x20", ...json);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toBe(
        'note: 33 layers, "pool4/3x3_s2" to "prob", need a larger input than 20×20 and are not listed; --size 223x223 is the smallest that reaches them all\n',
      );
      if (json.length > 0)
        expect(JSON.parse(r.stdout).blobs.at(-1).name).toBe("inception_4e/output"); // stdout stays JSON
      else expect(r.stdout).not.toMatch(/prob/);
    }
    expect(run("layers", "--size", "224x224").stderr).toBe("");
  });
  it("layers --json lists blobs in order with shapes", () => {
    const r = run("layers", "--json", "--size", "320x240");
    expect(r.code, r.stderr).toBe(0);
    const { blobs } = JSON.parse(r.stdout) as { blobs: Array<{ name: string; shape: number[] }> };
    expect(blobs[0]).toMatchObject({ name: "data", shape: [1, 3, 240, 320] });
    expect(blobs.find((b) => b.name === "inception_4c/output")!.shape).toEqual([1, 512, 15, 20]);
  });
});

describe("zoom", () => {
  it("writes numbered frames and refuses a directory that already has some", () => {
    const frames = join(dir, "frames");
    const r = run("zoom", join(IMAGES, "gray.jpg"), "-o", frames, "--frames", "2", ...QUICK);
    expect(r.code, r.stderr).toBe(0);
    expect(readdirSync(frames).sort()).toEqual(["frame-0000.png", "frame-0001.png"]);
    expectCleanFailure(
      run("zoom", join(IMAGES, "gray.jpg"), "-o", frames, "--frames", "2", ...QUICK),
      1,
      /already holds 2 frame\(s\), up to frame-0001.png; pass --resume to continue from there, or remove them to start over/,
    );
  });
  it("--resume continues after the last frame, and does nothing when all are there", () => {
    const frames = join(dir, "resumed");
    expect(run("zoom", join(IMAGES, "gray.jpg"), "-o", frames, "--frames", "1", ...QUICK).code).toBe(0);
    const first = sha(join(frames, "frame-0000.png"));
    const r = run("zoom", join(IMAGES, "gray.jpg"), "-o", frames, "--frames", "3", "--resume", ...QUICK);
    expect(r.code, r.stderr).toBe(0);
    expect(readdirSync(frames).sort()).toEqual(["frame-0000.png", "frame-0001.png", "frame-0002.png"]);
    expect(sha(join(frames, "frame-0000.png"))).toBe(first);
    expect(run("zoom", join(IMAGES, "gray.jpg"), "-o", frames, "--frames", "3", "--resume", ...QUICK).code).toBe(0);
  });
});

describe("zoom refuses, in one line", () => {
  it("an output that is a file", () => {
    const file = join(dir, "a-file");
    writeFileSync(file, "keep me");
    expectCleanFailure(
      run("zoom", join(IMAGES, "gray.jpg"), "-o", file, "--frames", "1", ...QUICK),
      1,
      /^inceptionism: cannot write frames into .*a-file: it is a file, not a directory; give a directory name$/,
    );
    expect(readFileSync(file, "utf8")).toBe("keep me");
  });
  it("--resume at another --max-size than the frames were made with", async () => {
    const frames = join(dir, "resized");
    expect(run("zoom", join(IMAGES, "fish-bike.jpg"), "-o", frames, "--frames", "1", "--max-size", "64", ...QUICK).code).toBe(0);
    const before = sha(join(frames, "frame-0000.png"));
    expectCleanFailure(
      run("zoom", join(IMAGES, "fish-bike.jpg"), "-o", frames, "--frames", "2", "--resume", "--max-size", "80", ...QUICK),
      2,
      /cannot resume in ".*resized": its frames are 64×43 but this run, with --max-size 80, would make 80×54; pass the --max-size they were made with, or remove them to start over$/,
    );
    expectCleanFailure(
      run("zoom", join(IMAGES, "fish-bike.jpg"), "-o", frames, "--frames", "2", "--resume", ...QUICK),
      2,
      /its frames are 64×43 but this run, without --max-size, would make 481×323;/,
    );
    expect(readdirSync(frames)).toEqual(["frame-0000.png"]);
    expect(sha(join(frames, "frame-0000.png"))).toBe(before);
    expect(run("zoom", join(IMAGES, "fish-bike.jpg"), "-o", frames, "--frames", "2", "--resume", "--max-size", "64", ...QUICK).code).toBe(
      0,
    );
    expect((await readImage(join(frames, "frame-0001.png"))).width).toBe(64);
  });
});

describe("a model without inception_4c/output", () => {
  it("dreams on its deepest feature map by default, saying so in one note", async () => {
    const output = join(dir, "squeezed.png");
    const r = run(
      "dream",
      join(IMAGES, "fish-bike.jpg"),
      "-o",
      output,
      "--model",
      join(ROOT, "test/fixtures/models/squeezenet_v1.1.caffemodel"),
      "--max-size",
      "120",
      "--octaves",
      "1",
      "--iterations",
      "1",
    );
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr.split("\n").filter((l) => l.startsWith("note: "))).toEqual([
      'note: model "SqueezeNet" has no "inception_4c/output" (the default layer); dreaming on "fire9/concat", its deepest feature map; give a layer to choose another',
    ]);
    expect((await readImage(output)).width).toBe(120);
  });
});

describe("memory", () => {
  it("refuses a dream over --max-memory before starting, suggesting a tile", () => {
    const output = join(dir, "too-big.png");
    // 450 MB: the fixed part (runtime, two threads, the model, Winograd's transformed weights) is
    // about 350 MB, so a small tile fits and the whole picture does not.
    expectCleanFailure(
      run("dream", join(IMAGES, "cat.jpg"), "-o", output, "--max-memory", "450", "--tile", "480", "--quiet"),
      2,
      /would need about \d+ MB .*more than the limit of 450 MB; use --tile \d+/,
    );
    expect(existsSync(output)).toBe(false);
  });
  // Ctrl-C: test/cli/engine.test.ts, which presses it on a readiness signal, mid-step.
});

describe("the environment", () => {
  it("a bad INCEPTIONISM_GEMM is a one-line usage error", () => {
    const r = spawnSync(process.execPath, ["--import", "tsx", CLI, "classify", join(IMAGES, "cat.jpg")], {
      cwd: ROOT,
      encoding: "utf8",
      timeout: 120_000,
      env: { ...process.env, INCEPTIONISM_GEMM: "fast" },
    });
    expectCleanFailure(
      { code: r.status, stdout: r.stdout, stderr: r.stderr },
      2,
      /INCEPTIONISM_GEMM="fast": expected one of auto, js, wasm, wasm-plain, wasm-relaxed/,
    );
  });
});
