// The FFmpeg pipeline (src/cli/ffmpeg.ts) on tiny clips made by ffmpeg here: probe, decode frame
// by frame (start, fps, count, size), encode by extension with the frame count, size, rate and
// audio checked by ffprobe, and the errors (no ffmpeg on the PATH, a file that is no video).
import { mkdirSync, mkdtempSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { decodeFrames, encodeVideo, probeVideo, VideoError, videoFormat } from "../../src/cli/ffmpeg.js";
import type { RgbImage } from "../../src/io/image/image.js";
import { writeImage } from "../../src/io/image/image-file.js";
import { ffmpegForTests, makeClip, probeCounted } from "./ffmpeg-check.js";

const HAVE = ffmpegForTests("the FFmpeg pipeline tests");
let dir: string;
let clip: string;
beforeAll(() => {
  if (!HAVE) return;
  dir = mkdtempSync(join(tmpdir(), "inceptionism-ffmpeg-"));
  clip = join(dir, "clip.mp4");
  makeClip(clip, { audio: true });
});

async function all(frames: AsyncIterable<RgbImage>): Promise<RgbImage[]> {
  const out: RgbImage[] = [];
  for await (const f of frames) out.push(f);
  return out;
}
const meanAbs = (a: RgbImage, b: RgbImage): number => a.data.reduce((s, v, i) => s + Math.abs(v - b.data[i]!), 0) / a.data.length;

describe.runIf(HAVE)("ffprobe and ffmpeg", () => {
  it("probes the size, frame rate, duration and audio of a clip", async () => {
    expect(await probeVideo(clip)).toEqual({ width: 64, height: 48, fps: 10, duration: expect.closeTo(0.6, 1), audio: "aac" });
  });

  it("decodes frame by frame, from a start time, at another rate, a given count and size", async () => {
    const frames = await all(decodeFrames(clip, { width: 64, height: 48 }));
    expect(frames).toHaveLength(6);
    expect(frames.every((f) => f.width === 64 && f.height === 48 && f.data.length === 64 * 48 * 3)).toBe(true);
    expect(meanAbs(frames[0]!, frames[1]!)).toBeGreaterThan(1); // testsrc moves
    const later = await all(decodeFrames(clip, { width: 64, height: 48, start: 0.2 }));
    expect(later).toHaveLength(4);
    expect(meanAbs(later[0]!, frames[2]!)).toBeLessThan(0.01); // lossless clip: frame 2 exactly
    expect(await all(decodeFrames(clip, { width: 64, height: 48, fps: 5 }))).toHaveLength(3);
    expect(await all(decodeFrames(clip, { width: 64, height: 48, frames: 2 }))).toHaveLength(2);
    const small = await all(decodeFrames(clip, { width: 32, height: 24, frames: 1 }));
    expect([small[0]!.width, small[0]!.height, small[0]!.data.length]).toEqual([32, 24, 32 * 24 * 3]);
  });

  it("stops ffmpeg when the reader stops early", async () => {
    for await (const f of decodeFrames(clip, { width: 64, height: 48 })) {
      expect(f.width).toBe(64);
      break; // the generator's finally kills ffmpeg; the test would hang on a leaked pipe otherwise
    }
  });

  it("encodes numbered frames as .mp4, .webm and .gif with their count, size and rate, and the audio where it fits", async () => {
    const frames = await all(decodeFrames(clip, { width: 64, height: 48 }));
    const pngs = join(dir, "pngs");
    mkdirSync(pngs);
    for (const [i, f] of frames.entries()) await writeImage(join(pngs, `frame-${String(i).padStart(6, "0")}.png`), f);
    for (const ext of ["mp4", "webm", "gif"]) {
      const out = join(dir, `out.${ext}`);
      await encodeVideo(out, { pattern: join(pngs, "frame-%06d.png"), fps: 10, audio: { path: clip, codec: "aac", start: 0 } });
      const p = probeCounted(out);
      expect(p, ext).toMatchObject({ frames: 6, width: 64, height: 48, audio: ext !== "gif" });
      if (ext !== "gif") expect(p.fps, ext).toBe("10/1");
      const back = await all(decodeFrames(out, { width: 64, height: 48 }));
      expect(back).toHaveLength(6);
      // Lossy (H.264 and VP9 share colour between 2×2 pixels, and testsrc's colour bars have sharp
      // edges; a GIF has 256 colours), but the same picture: a mean error of a few levels of 255.
      expect(meanAbs(back[3]!, frames[3]!), ext).toBeLessThan(12);
    }
    expect(readdirSync(dir).filter((f) => f.endsWith(".tmp"))).toEqual([]);
  });

  it("crops an odd size to even for yuv420p", async () => {
    const odd = join(dir, "odd");
    mkdirSync(odd);
    const img: RgbImage = { width: 33, height: 25, data: new Float32Array(33 * 25 * 3).fill(128) };
    for (let i = 0; i < 2; i++) await writeImage(join(odd, `frame-${String(i).padStart(6, "0")}.png`), img);
    await encodeVideo(join(dir, "odd.mp4"), { pattern: join(odd, "frame-%06d.png"), fps: 5 });
    expect(probeCounted(join(dir, "odd.mp4"))).toMatchObject({ frames: 2, width: 32, height: 24 });
  });

  it("chooses by extension", () => {
    expect(["a.mp4", "b.WebM", "c.gif", "frames", "d.png"].map(videoFormat)).toEqual(["mp4", "webm", "gif", null, null]);
  });

  it("says a file is not a video, and that ffmpeg is missing with how to install it", async () => {
    const text = join(dir, "not-a-video.mp4");
    writeFileSync(text, "hello, I am not a video\n");
    await expect(probeVideo(text)).rejects.toThrow(
      /^cannot read video .*not-a-video\.mp4: .*Invalid data found when processing input; check that it is a video file$/,
    );
    await expect(probeVideo(join(dir, "missing.mp4"))).rejects.toBeInstanceOf(VideoError);
    const path = process.env.PATH;
    process.env.PATH = join(dir, "empty-bin");
    try {
      await expect(probeVideo(clip)).rejects.toThrow(
        /^ffprobe was not found on the PATH; video needs FFmpeg: install FFmpeg \(Debian\/Ubuntu: apt-get install ffmpeg;/,
      );
      await expect(all(decodeFrames(clip, { width: 64, height: 48 }))).rejects.toThrow(/^ffmpeg was not found on the PATH/);
    } finally {
      process.env.PATH = path;
    }
  });
});

describe("the video tests without FFmpeg", () => {
  const env = (ci: string | undefined): NodeJS.ProcessEnv => ({ ...process.env, PATH: join(tmpdir(), "no-ffmpeg-here"), CI: ci });
  it("are skipped, with one note, outside CI", () => {
    expect(ffmpegForTests("the X tests", env(undefined))).toBe(false);
  });
  it("fail under CI=true, saying how to install it", () => {
    expect(() => ffmpegForTests("the X tests", env("true"))).toThrow(
      /^the X tests needs ffmpeg and ffprobe under CI=true, but they are not on the PATH; install FFmpeg \(Debian\/Ubuntu: apt-get install ffmpeg;/,
    );
  });
});
