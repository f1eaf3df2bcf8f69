// `inceptionism video` and `zoom -o FILE.mp4` as a user runs them, on tiny clips made by ffmpeg
// here: the frames the API gives, the output's frame count, size, rate and sound by ffprobe,
// resume (after Ctrl-C too), and the refusals — one line each, with the right exit code.
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { decodeFrames } from "../../src/cli/ffmpeg.js";
import type { RgbImage } from "../../src/io/image/image.js";
import { readImage } from "../../src/io/image/image-file.js";
import { loadGoogLeNet } from "../../src/models/load.js";
import { dreamVideo } from "../../src/video/dream-video.js";
import { ffmpegForTests, makeClip, probeCounted } from "./ffmpeg-check.js";
import { runCli, type CliRun } from "./run-cli.js";

const ROOT = new URL("../../", import.meta.url).pathname;
const CLI = join(ROOT, "src/cli.ts");
const HAVE = ffmpegForTests("the video command tests");

const run = (args: string[], env: NodeJS.ProcessEnv = process.env): CliRun => runCli(args, { timeout: 300_000, env });

/** Quick settings for 64×48 frames. */
const QUICK = ["--layer", "conv2/3x3", "--octaves", "1", "--iterations", "2", "--iterations-after", "1", "--seed", "3", "--quiet"];

function expectCleanFailure(r: ReturnType<typeof run>, code: number, message: RegExp): void {
  expect(r.code, r.stderr).toBe(code);
  const lines = r.stderr.trim().split("\n");
  expect(lines, r.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(/^inceptionism: /);
  expect(lines[0]).toMatch(message);
}

const sha = (file: string): string => createHash("sha256").update(readFileSync(file)).digest("hex");
const shas = (dir: string): string[] =>
  readdirSync(dir)
    .filter((f) => f.endsWith(".png"))
    .sort()
    .map((f) => sha(join(dir, f)));

let dir: string;
let clip: string;
beforeAll(() => {
  if (!HAVE) return;
  dir = mkdtempSync(join(tmpdir(), "inceptionism-video-"));
  clip = join(dir, "clip.mp4");
  makeClip(clip, { audio: true }); // 6 frames, 64×48, 10 fps, a tone
});

describe.runIf(HAVE)("inceptionism video", () => {
  it("writes a directory of PNG frames, the same bytes as dreamVideo() gives", async () => {
    const out = join(dir, "frames");
    const r = run(["video", clip, "-o", out, ...QUICK]);
    expect(r.code, r.stderr).toBe(0);
    const names = readdirSync(out)
      .filter((f) => f.endsWith(".png"))
      .sort();
    expect(names).toEqual([0, 1, 2, 3, 4, 5].map((k) => `frame-00000${k}.png`));
    const frames: RgbImage[] = [];
    for await (const f of decodeFrames(clip, { width: 64, height: 48 })) frames.push(f);
    const options = { model: await loadGoogLeNet(), layer: "conv2/3x3", octaves: 1, iterations: 2, iterationsAfter: 1, seed: 3 };
    let k = 0;
    for await (const f of dreamVideo(frames, options)) {
      const written = await readImage(join(out, names[k++]!));
      expect(Buffer.from(Uint8Array.from(written.data)).equals(Buffer.from(Uint8Array.from(f.data))), `frame ${k - 1}`).toBe(true);
    }
    expect(k).toBe(6);
  });

  it("writes .mp4 with every frame at the clip's size and rate, and its sound; no work directory or temp file is left", () => {
    const out = join(dir, "dream.mp4");
    const r = run(["video", clip, "-o", out, ...QUICK]);
    expect(r.code, r.stderr).toBe(0);
    expect(probeCounted(out)).toEqual({ frames: 6, width: 64, height: 48, fps: "10/1", audio: true });
    expect(existsSync(`${out}.frames`)).toBe(false);
    expect(readdirSync(dir).filter((f) => f.endsWith(".tmp"))).toEqual([]);
  });

  it("takes --start, --fps, --frames and --max-size, into a .gif (palettegen) and a .webm", () => {
    const gif = join(dir, "dream.gif");
    expect(run(["video", clip, "-o", gif, "--fps", "5", "--frames", "2", "--no-flow", ...QUICK]).code).toBe(0);
    expect(probeCounted(gif)).toMatchObject({ frames: 2, width: 64, height: 48, audio: false });
    const webm = join(dir, "dream.webm");
    expect(run(["video", clip, "-o", webm, "--start", "0.2", "--max-size", "32", "--layer", "conv1/7x7_s2", ...QUICK.slice(2)]).code).toBe(
      0,
    );
    expect(probeCounted(webm)).toMatchObject({ frames: 4, width: 32, height: 24, fps: "10/1", audio: true });
  });

  it("--resume continues a clip left unfinished, to the same frames as one run, and refuses other settings", () => {
    const whole = join(dir, "frames"); // from the first test: all 6 frames in one run
    const part = join(dir, "part");
    expect(run(["video", clip, "-o", part, "--frames", "2", ...QUICK]).code).toBe(0);
    expectCleanFailure(
      run(["video", clip, "-o", part, ...QUICK]),
      1,
      /part already holds 2 dreamed frame\(s\); pass --resume to continue, or remove them to start over$/,
    );
    expectCleanFailure(
      run(["video", clip, "-o", part, "--resume", "--blend", "0.3", ...QUICK]),
      2,
      /cannot resume in .*part: its frames were made with other settings \(blend 0\.5 then, 0\.3 now\); pass the same options, or remove them to start over$/,
    );
    expect(run(["video", clip, "-o", part, "--resume", ...QUICK]).code).toBe(0);
    expect(shas(part)).toEqual(shas(whole));
  });

  it("Ctrl-C keeps the finished frames (exit 130, no video), and --resume makes the same video as one run", async () => {
    const out = join(dir, "stopped.mp4");
    const work = `${out}.frames`;
    const args = [CLI, "video", clip, "-o", out, ...QUICK.filter((a) => a !== "--quiet"), "--iterations-after", "3"];
    const child = spawn(process.execPath, ["--import", "tsx", ...args], { cwd: ROOT });
    let stderr = "";
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
    // Pressed once the second frame is on disk: frames 0 and 1 finished, the clip is not.
    const timer = setInterval(() => {
      if (existsSync(join(work, "frame-000001.png"))) {
        clearInterval(timer);
        child.kill("SIGINT");
      }
    }, 20);
    const code = await exited;
    clearInterval(timer);
    expect(code, stderr).toBe(130);
    expect(stderr).toMatch(
      /note: \d finished frame\(s\) are kept in .*stopped\.mp4\.frames; run the same command with --resume to continue\n/,
    );
    expect(stderr.trim().split("\n").at(-1)).toBe("inceptionism: interrupted; no partial file was written");
    expect(existsSync(out)).toBe(false);
    const kept = readdirSync(work).filter((f) => f.endsWith(".png")).length;
    expect(kept).toBeGreaterThanOrEqual(2);
    expect(kept).toBeLessThan(6);
    expect(run(["video", clip, "-o", out, "--resume", ...QUICK, "--iterations-after", "3"]).code).toBe(0);
    const once = join(dir, "once.mp4");
    expect(run(["video", clip, "-o", once, ...QUICK, "--iterations-after", "3"]).code).toBe(0);
    expect(sha(out)).toBe(sha(once)); // the encoder is deterministic, so equal frames give equal files
  });

  it("refuses, in one line: bad --blend, --frames, --fps and --start (2), an image output (2), a clip that is no video (1), no ffmpeg (1)", () => {
    expectCleanFailure(
      run(["video", clip, "-o", join(dir, "x.mp4"), "--blend", "1.5"]),
      2,
      /--blend must be a number from 0 to 1, got 1\.5$/,
    );
    expectCleanFailure(run(["video", clip, "-o", join(dir, "x.mp4"), "--blend", "much"]), 2, /--blend must be a number, got "much"$/);
    expectCleanFailure(run(["video", clip, "-o", join(dir, "x.mp4"), "--frames", "0"]), 2, /--frames must be a whole number ≥ 1, got "0"$/);
    expectCleanFailure(
      run(["video", clip, "-o", join(dir, "x.mp4"), "--fps", "0"]),
      2,
      /--fps must be a number of frames a second, above 0/,
    );
    expectCleanFailure(
      run(["video", clip, "-o", join(dir, "x.mp4"), "--start", "1:75"]),
      2,
      /--start must be a time in seconds \(12\.5\) or as \[h:\]m:s \(1:02\.5\), got "1:75"$/,
    );
    expectCleanFailure(
      run(["video", clip, "-o", join(dir, "x.png"), "--quiet"]),
      2,
      /a video is written as \.mp4, \.webm, \.gif, or as PNG frames into a directory .*got "\.png"$/,
    );
    expectCleanFailure(
      run(["video", clip, "-o", join(dir, "x.mp4"), "--start", "9", "--quiet"]),
      2,
      /--start 9 is past the end of .*clip\.mp4 \(0\.6\d s\); give an earlier time$/,
    );
    const text = join(dir, "notes.mp4");
    writeFileSync(text, "not a video\n");
    expectCleanFailure(
      run(["video", text, "-o", join(dir, "x.mp4"), "--quiet"]),
      1,
      /cannot read video .*notes\.mp4: .*Invalid data found when processing input; check that it is a video file$/,
    );
    const noFfmpeg = { ...process.env, PATH: join(dir, "no-such-bin") }; // node itself is started by its full path
    expectCleanFailure(
      run(["video", clip, "-o", join(dir, "x.mp4"), "--quiet"], noFfmpeg),
      1,
      /^inceptionism: ffprobe was not found on the PATH; video needs FFmpeg: install FFmpeg \(Debian\/Ubuntu: apt-get install ffmpeg; macOS: brew install ffmpeg/,
    );
    expect(existsSync(join(dir, "x.mp4"))).toBe(false);
    expect(existsSync(join(dir, "x.mp4.frames"))).toBe(false);
  });
});

describe.runIf(HAVE)("inceptionism zoom -o FILE.mp4|.gif", () => {
  it("writes the video itself, at --fps, and leaves no frames behind", async () => {
    const still = join(dir, "still.png");
    const frames: RgbImage[] = [];
    for await (const f of decodeFrames(clip, { width: 64, height: 48, frames: 1 })) frames.push(f);
    const { writeImage } = await import("../../src/io/image/image-file.js");
    await writeImage(still, frames[0]!);
    for (const ext of ["mp4", "gif"]) {
      const out = join(dir, `zoom.${ext}`);
      const r = run([
        "zoom",
        still,
        "-o",
        out,
        "--frames",
        "3",
        "--fps",
        "12",
        "--layer",
        "conv2/3x3",
        "--octaves",
        "1",
        "--iterations",
        "1",
        "--quiet",
      ]);
      expect(r.code, r.stderr).toBe(0);
      expect(probeCounted(out)).toMatchObject({ frames: 3, width: 64, height: 48, audio: false });
      if (ext === "mp4") expect(probeCounted(out).fps).toBe("12/1");
      expect(existsSync(`${out}.frames`)).toBe(false);
    }
  });
});
