// Whether this machine has FFmpeg, for the video tests: without it they are skipped with one
// line saying how to install it — except under CI=true, where a missing ffmpeg is a failure,
// since a CI run that silently skips them would hide a broken video pipeline.
import { spawnSync } from "node:child_process";
import { FFMPEG_HINT } from "../../src/cli/ffmpeg.js";

let said = false;

/** True when ffmpeg and ffprobe run; false (after saying so once) to skip; throws under CI=true. */
export function ffmpegForTests(what: string, env: NodeJS.ProcessEnv = process.env): boolean {
  const found = ["ffmpeg", "ffprobe"].every((tool) => spawnSync(tool, ["-version"], { env }).status === 0);
  if (found) return true;
  if (env.CI === "true") throw new Error(`${what} needs ffmpeg and ffprobe under CI=true, but they are not on the PATH; ${FFMPEG_HINT}`);
  if (!said) console.warn(`skipping ${what}: ffmpeg is not installed; ${FFMPEG_HINT}`);
  said = true;
  return false;
}

/** Makes a test clip with ffmpeg's lavfi sources: `testsrc` (a moving pattern), with a tone if `audio`. */
export function makeClip(path: string, { width = 64, height = 48, fps = 10, frames = 6, audio = false } = {}): void {
  const seconds = frames / fps;
  const args = [
    "-hide_banner",
    "-loglevel",
    "error",
    "-y",
    "-f",
    "lavfi",
    "-i",
    `testsrc=size=${width}x${height}:rate=${fps}`,
    ...(audio ? ["-f", "lavfi", "-i", "sine=frequency=440:sample_rate=44100"] : []),
    "-t",
    String(seconds),
    "-frames:v",
    String(frames),
    "-c:v",
    "libx264",
    "-pix_fmt",
    "yuv444p",
    "-crf",
    "0",
    ...(audio ? ["-c:a", "aac", "-shortest"] : []),
    path,
  ];
  const r = spawnSync("ffmpeg", args, { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`ffmpeg could not make the test clip: ${r.stderr}`);
}

/** ffprobe's count of a file's video frames, its size and frame rate, and whether it has audio. */
export function probeCounted(path: string): { frames: number; width: number; height: number; fps: string; audio: boolean } {
  const r = spawnSync("ffprobe", ["-v", "error", "-count_frames", "-show_streams", "-of", "json", path], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`ffprobe failed on ${path}: ${r.stderr}`);
  const streams = (JSON.parse(r.stdout) as { streams: Array<Record<string, string | number>> }).streams;
  const v = streams.find((s) => s.codec_type === "video")!;
  return {
    frames: Number(v.nb_read_frames),
    width: Number(v.width),
    height: Number(v.height),
    fps: String(v.r_frame_rate),
    audio: streams.some((s) => s.codec_type === "audio"),
  };
}
