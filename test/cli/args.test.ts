// The command line, read and checked in-process (src/cli/args.ts): no files, no net.
import { describe, expect, it } from "vitest";
import { UsageError, parseCommandLine, readFlags } from "../../src/cli/args.js";

const fails = (argv: string[], message: RegExp): void => {
  let error: unknown;
  try {
    parseCommandLine(argv);
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(UsageError);
  expect((error as Error).message).toMatch(message);
  expect((error as Error).message).not.toMatch(/\n/);
};

describe("readFlags", () => {
  const flags = { output: { type: "string", short: "o" }, layer: { type: "string", multiple: true }, quiet: { type: "boolean" } } as const;
  it("reads --name value, --name=value, -o value, repeats and positionals, and stops at --", () => {
    expect(readFlags(["in.png", "-o", "out.png", "--layer=a", "--layer", "b:2", "--quiet", "--", "--not-a-flag"], flags, "dream")).toEqual({
      values: { output: "out.png", layer: ["a", "b:2"], quiet: true },
      positionals: ["in.png", "--not-a-flag"],
    });
  });
  it("lets a value start with a dash, so a negative number reaches its range check", () => {
    expect(readFlags(["--output", "-1"], flags, "dream").values.output).toBe("-1");
  });
  it("refuses unknown flags, a missing value and a value for a switch", () => {
    expect(() => readFlags(["--octavez", "3"], flags, "dream")).toThrow('unknown option "--octavez"; run "inceptionism dream --help"');
    expect(() => readFlags(["-x"], flags, "dream")).toThrow('unknown option "-x"');
    expect(() => readFlags(["--o", "x"], flags, "dream")).toThrow('unknown option "--o"');
    expect(() => readFlags(["--output"], flags, "dream")).toThrow("option --output needs a value");
    expect(() => readFlags(["--quiet=yes"], flags, "dream")).toThrow('option --quiet takes no value, got "--quiet=yes"');
  });
});

describe("parseCommandLine", () => {
  it("gives a checked dream plan", () => {
    const line = parseCommandLine([
      "dream",
      "in.jpg",
      "-o",
      "out.png",
      "--octaves",
      "2",
      "--step",
      "0.5",
      "--tile",
      "512",
      "--max-memory",
      "800",
      "--threads",
      "3",
      "--channels",
      "1, 2",
      "--layer",
      "conv1:0.5",
    ]);
    expect(line).toMatchObject({
      command: "dream",
      input: "in.jpg",
      output: "out.png",
      quiet: false,
      options: {
        octaves: 2,
        stepSize: 0.5,
        tile: 512,
        maxMemory: 800 * 2 ** 20,
        threads: 3,
        channels: [1, 2],
        layer: [{ name: "conv1", weight: 0.5 }],
      },
    });
  });
  it("gives help for no command, --help, and a command's --help", () => {
    expect(parseCommandLine([])).toMatchObject({ command: "help", text: expect.stringMatching(/^Usage: inceptionism <command>/) });
    expect(parseCommandLine(["zoom", "-h"])).toMatchObject({ command: "help", text: expect.stringMatching(/--resume/) });
    expect(parseCommandLine(["dream", "-h"])).toMatchObject({
      text: expect.stringMatching(/default inception_4c\/output, or the model's deepest feature\n +map where it has none/),
    });
  });
  it("reads --version and -V", () => {
    expect(parseCommandLine(["--version"])).toEqual({ command: "version" });
    expect(parseCommandLine(["-V"])).toEqual({ command: "version" });
  });
  it("reads a layer's weight after the last colon, and refuses one that is not a number", () => {
    expect(
      parseCommandLine(["dream", "a.png", "-o", "b.png", "--layer", "conv1", "--layer", "inception_4c/output:-0.5", "--layer", "x:1e-2"]),
    ).toMatchObject({
      options: {
        layer: [
          { name: "conv1", weight: 1 },
          { name: "inception_4c/output", weight: -0.5 },
          { name: "x", weight: 0.01 },
        ],
      },
    });
    fails(
      ["dream", "a.png", "-o", "b.png", "--layer", "inception_4c/output:abc"],
      /^--layer "inception_4c\/output:abc": the weight after ":" must be a number, got "abc"; e.g. --layer inception_4c\/output:0.5$/,
    );
    fails(["dream", "a.png", "-o", "b.png", "--layer", "conv1:"], /the weight after ":" must be a number, got ""/);
    fails(["dream", "a.png", "-o", "b.png", "--layer", ":2"], /^--layer needs a layer name, got ":2"$/);
  });
  it("reads --scale LO:HI and --rotate DEG, and refuses bad ones", () => {
    expect(parseCommandLine(["dream", "a.png", "-o", "b.png", "--scale", "0.95:1.05", "--rotate", "5"])).toMatchObject({
      options: { scale: [0.95, 1.05], rotate: 5 },
    });
    expect(parseCommandLine(["zoom", "a.png", "-o", "d", "--frames", "2", "--scale=1:1.1", "--rotate=0"])).toMatchObject({
      options: { scale: [1, 1.1], rotate: 0 },
    });
    expect(parseCommandLine(["dream", "a.png", "-o", "b.png"])).not.toHaveProperty("options.scale");
    expect(parseCommandLine(["dream", "a.png", "-o", "b.png"])).not.toHaveProperty("options.rotate");
    for (const bad of ["0:1", "-1:1", "1.1:0.9", "1.05", "a:b", "1:2:3", "NaN:1", "1:Infinity", ":1"]) {
      fails(
        ["dream", "a.png", "-o", "b.png", "--scale", bad],
        new RegExp(`^--scale must be LO:HI with 0 < LO ≤ HI, e.g. 0.95:1.05, got "${bad}"$`),
      );
    }
    fails(["dream", "a.png", "-o", "b.png", "--rotate", "181"], /^--rotate must be degrees from 0 to 180, got 181$/);
    fails(["dream", "a.png", "-o", "b.png", "--rotate", "-5"], /^--rotate must be degrees from 0 to 180, got -5$/);
    fails(["dream", "a.png", "-o", "b.png", "--rotate", "NaN"], /^--rotate must be a number, got "NaN"$/);
    expect(parseCommandLine(["dream", "-h"])).toMatchObject({ text: expect.stringMatching(/--scale LO:HI .*\n.*--rotate DEG /s) });
  });
  it("reads zoom's --resume and layers' --size", () => {
    expect(parseCommandLine(["zoom", "in.png", "-o", "d", "--frames", "3", "--resume"])).toMatchObject({
      frames: 3,
      zoom: 1.05,
      resume: true,
    });
    expect(parseCommandLine(["layers", "--size", "320x240"])).toMatchObject({ width: 320, height: 240 });
  });
  it("reads video's options: blend, flow, frames, start as seconds or [h:]m:s, fps, iterations after, resume", () => {
    expect(
      parseCommandLine([
        "video",
        "in.mp4",
        "-o",
        "out.gif",
        "--blend",
        "0.25",
        "--no-flow",
        "--frames",
        "12",
        "--start",
        "1:02.5",
        "--fps",
        "12.5",
        "--iterations-after",
        "2",
        "--resume",
        "--octaves",
        "2",
      ]),
    ).toMatchObject({
      command: "video",
      input: "in.mp4",
      output: "out.gif",
      options: { octaves: 2 },
      video: { blend: 0.25, flow: false, frames: 12, start: 62.5, fps: 12.5, iterationsAfter: 2, resume: true },
    });
    expect(parseCommandLine(["video", "in.mp4", "-o", "dir"])).toMatchObject({
      video: { blend: undefined, flow: true, frames: undefined, start: 0, fps: undefined, iterationsAfter: undefined, resume: false },
    });
    expect(parseCommandLine(["video", "in.mp4", "-o", "o.mp4", "--start", "1:00:02"])).toMatchObject({ video: { start: 3602 } });
    expect(parseCommandLine(["video", "in.mp4", "-o", "o.mp4", "--start", ".5"])).toMatchObject({ video: { start: 0.5 } });
    expect(parseCommandLine(["zoom", "in.png", "-o", "z.mp4", "--frames", "3"])).toMatchObject({ fps: 24 });
    expect(parseCommandLine(["video", "-h"])).toMatchObject({
      command: "help",
      text: expect.stringMatching(/^Usage: inceptionism video IN -o OUT/),
    });
    fails(["video", "in.mp4", "-o", "o.mp4", "--blend", "-0.1"], /^--blend must be a number from 0 to 1, got -0.1$/);
    // JPEG quality has nothing to act on in a video, so it is refused rather than ignored.
    fails(["video", "in.mp4", "-o", "o.mp4", "--quality", "80"], /^unknown option "--quality"; run "inceptionism video --help"$/);
    fails(["video", "in.mp4", "-o", "o.mp4", "--frames", "1.5"], /^--frames must be a whole number ≥ 1, got "1.5"$/);
    fails(["video", "in.mp4", "-o", "o.mp4", "--iterations-after", "0"], /^--iterations-after must be a whole number ≥ 1, got "0"$/);
    fails(["video", "in.mp4", "-o", "o.mp4", "--start", "-1"], /^--start must be a time in seconds/);
    fails(["video", "in.mp4", "-o", "o.mp4", "--start", "1:60"], /^--start must be a time/);
    fails(
      ["video", "in.mp4", "-o", "o.mp4", "--fps", "1001"],
      /^--fps must be a number of frames a second, above 0 and at most 1000, got 1001$/,
    );
    fails(["zoom", "in.png", "-o", "z.mp4", "--frames", "3", "--fps", "0"], /^--fps must be a number of frames a second/);
    fails(["video", "in.mp4"], /^video needs an output: inceptionism video "in.mp4" -o OUT.mp4/);
    fails(["video", "in.mp4", "-o", "o.mp4", "--no-flow=yes"], /option --no-flow takes no value/);
  });
  it("refuses bad numbers with one line that quotes the value", () => {
    fails(["dream", "a.png", "-o", "b.png", "--octaves", "-1"], /^--octaves must be a whole number ≥ 1, got "-1"$/);
    fails(["dream", "a.png", "-o", "b.png", "--step", "1e999"], /^--step must be a number, got "1e999"$/);
    fails(["dream", "a.png", "-o", "b.png", "--octave-scale", "Infinity"], /--octave-scale must be a number/);
    fails(["dream", "a.png", "-o", "b.png", "--max-memory", "0"], /--max-memory must be a whole number ≥ 1/);
    fails(["dream", "a.png", "-o", "b.png", "--quality", "101"], /--quality must be a whole number from 1 to 100/);
    fails(["dream", "a.png", "-o", "b.png", "--threads", "0"], /^--threads must be a whole number from 1 to 64, got "0"$/);
    fails(["dream", "a.png", "-o", "b.png", "--channels", "1\n2"], /--channels must be .*got "1\\n2"/);
    fails(["layers", "--size", "0x10"], /--size must be at least 1x1/);
    fails(["zoom", "a.png", "-o", "d", "--frames", "2", "--zoom", "1"], /--zoom must be greater than 1, got 1/);
  });
  it("reads the gradient-shaping flags, and zoom takes them too", () => {
    const flags = ["--laplacian", "4", "--smooth", "0.5", "--tv", "1e-1", "--pixel-l2", "0"];
    expect(parseCommandLine(["dream", "a.png", "-o", "b.png", ...flags])).toMatchObject({
      options: { laplacian: 4, smooth: 0.5, tv: 0.1, pixelL2: 0 },
    });
    expect(parseCommandLine(["zoom", "a.png", "-o", "d", "--frames", "2", ...flags])).toMatchObject({
      options: { laplacian: 4, smooth: 0.5, tv: 0.1, pixelL2: 0 },
    });
    const plain = parseCommandLine(["dream", "a.png", "-o", "b.png"]) as { options: object };
    for (const key of ["laplacian", "smooth", "tv", "pixelL2"]) expect(plain.options).not.toHaveProperty(key);
    expect(parseCommandLine(["dream", "-h"])).toMatchObject({
      text: expect.stringMatching(/--laplacian N .*\n(.*\n)* {2}--smooth SIGMA .*\n(.*\n)* {2}--tv W .*\n(.*\n)* {2}--pixel-l2 W /),
    });
  });
  it("refuses bad gradient-shaping values with one line", () => {
    const dream = (...flag: string[]): string[] => ["dream", "a.png", "-o", "b.png", ...flag];
    fails(dream("--laplacian", "0"), /^--laplacian must be a whole number from 1 to 8, got "0"$/);
    fails(dream("--laplacian", "9"), /^--laplacian must be a whole number from 1 to 8, got "9"$/);
    fails(dream("--laplacian", "2.5"), /^--laplacian must be a whole number from 1 to 8, got "2.5"$/);
    fails(dream("--laplacian", "four"), /^--laplacian must be a whole number from 1 to 8, got "four"$/);
    fails(dream("--smooth", "0"), /^--smooth must be a positive number of pixels up to 20, e.g. 0.5, got 0$/);
    fails(dream("--smooth", "-1"), /^--smooth must be a positive number of pixels up to 20, e.g. 0.5, got -1$/);
    fails(dream("--smooth", "99999999999"), /^--smooth must be a positive number of pixels up to 20, e.g. 0.5, got 99999999999$/);
    fails(dream("--smooth", "NaN"), /^--smooth must be a number, got "NaN"$/);
    fails(dream("--tv", "-0.1"), /^--tv must be a weight of 0 or more, got -0.1$/);
    fails(dream("--tv", "lots"), /^--tv must be a number, got "lots"$/);
    fails(dream("--pixel-l2", "-2"), /^--pixel-l2 must be a weight of 0 or more, got -2$/);
    fails(dream("--pixel-l2", "Infinity"), /^--pixel-l2 must be a number, got "Infinity"$/);
    fails(dream("--pixel-l2"), /^option --pixel-l2 needs a value/);
  });
  it("refuses unknown commands and missing arguments", () => {
    fails(["dreem"], /^unknown command "dreem"/);
    fails(["dream", "in.png"], /dream needs an output file: inceptionism dream "in.png" -o OUT.png/);
    fails(["dream", "a", "b", "-o", "c.png"], /dream takes one IN, got 2: "a" "b"/);
    fails(["zoom", "in.png", "-o", "d"], /zoom needs --frames N/);
  });
});
