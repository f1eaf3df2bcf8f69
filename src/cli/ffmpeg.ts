// Video in and out through the system's FFmpeg: `ffprobe` to learn a clip's size, frame rate and
// streams, `ffmpeg` to decode it and to encode the dreamed frames.
//
// Decoding streams: ffmpeg writes the frames to a pipe as raw 8-bit RGB (rawvideo rgb24, W×H×3
// bytes a frame, no headers), and the generator cuts the stream into frames as they are pulled.
// A pipe holds only a few frames: while a frame is dreamed the reader stops pulling, the pipe
// fills, and ffmpeg waits, so a clip of any length takes the memory of a few frames.
//
// Encoding reads the finished frames back from the numbered PNGs the command keeps in its work
// directory (they are kept so that Ctrl-C loses nothing and --resume continues), into a
// temporary file renamed into place: an interrupted encode leaves no half-written video. The
// encoder is chosen by the output's extension: .mp4 H.264 (yuv420p, which players expect: its
// chroma is shared by 2×2 pixels, so an odd last row or column is cropped), .webm VP9, .gif with
// a palette made for the clip (palettegen), not the fixed 256 colours. Audio is carried over
// from the input, copied when the container takes its codec, re-encoded otherwise.
//
// Node side: child processes and files.

import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { rename, unlink } from "node:fs/promises";
import { basename, dirname, extname, join, resolve } from "node:path";
import { InceptionismError } from "../errors.js";
import type { RgbImage } from "../io/image/image.js";

/** A clip that cannot be read or written, or FFmpeg missing or failing. */
export class VideoError extends InceptionismError {
  override name = "VideoError";
}

/** How to get FFmpeg, said whenever it is missing. */
export const FFMPEG_HINT =
  "install FFmpeg (Debian/Ubuntu: apt-get install ffmpeg; macOS: brew install ffmpeg; Windows: winget install ffmpeg)";

/** The video files we write, by lower-case extension. */
export const VIDEO_FORMATS = { ".mp4": "mp4", ".webm": "webm", ".gif": "gif" } as const;
export type VideoFormat = (typeof VIDEO_FORMATS)[keyof typeof VIDEO_FORMATS];

/** The format for an output path by its extension, or null (then it is a directory of frames). */
export function videoFormat(path: string): VideoFormat | null {
  return VIDEO_FORMATS[extname(path).toLowerCase() as keyof typeof VIDEO_FORMATS] ?? null;
}

export interface VideoInfo {
  /** The size of the decoded frames (after the rotation a phone records is applied). */
  width: number;
  height: number;
  /** Frames per second. */
  fps: number;
  /** Seconds, when the container says. */
  duration: number | undefined;
  /** The first audio stream's codec name, or null for a silent clip. */
  audio: string | null;
}

/** Reads a clip's size, frame rate, duration and audio with ffprobe. */
export async function probeVideo(path: string): Promise<VideoInfo> {
  const { stdout, code, stderr } = await runTool("ffprobe", ["-v", "error", "-show_streams", "-show_format", "-of", "json", path]);
  if (code !== 0)
    throw new VideoError(
      `cannot read video ${path}: ${lastLine(stderr) || `ffprobe exited with code ${code}`}; check that it is a video file`,
    );
  const parsed = JSON.parse(stdout) as { streams?: ProbeStream[]; format?: { duration?: string } };
  const streams = parsed.streams ?? [];
  const video = streams.find((s) => s.codec_type === "video" && s.disposition?.attached_pic !== 1);
  if (video === undefined || !(video.width! > 0 && video.height! > 0)) {
    throw new VideoError(`cannot read video ${path}: it has no video stream; give a video file (.mp4, .webm, .mov, .gif, …)`);
  }
  const fps = rate(video.avg_frame_rate) ?? rate(video.r_frame_rate);
  if (fps === undefined) throw new VideoError(`cannot read video ${path}: ffprobe gives no frame rate; pass --fps`);
  // A quarter turn recorded as metadata: ffmpeg applies it when decoding, so the frames are tall.
  const rotation = Number(video.side_data_list?.find((d) => d.rotation !== undefined)?.rotation ?? video.tags?.rotate ?? 0);
  const turned = Math.abs(rotation) % 180 === 90;
  const duration = Number(parsed.format?.duration ?? video.duration);
  const audio = streams.find((s) => s.codec_type === "audio")?.codec_name ?? null;
  return {
    width: turned ? video.height! : video.width!,
    height: turned ? video.width! : video.height!,
    fps,
    duration: Number.isFinite(duration) && duration > 0 ? duration : undefined,
    audio,
  };
}

interface ProbeStream {
  codec_type?: string;
  codec_name?: string;
  width?: number;
  height?: number;
  avg_frame_rate?: string;
  r_frame_rate?: string;
  duration?: string;
  disposition?: { attached_pic?: number };
  side_data_list?: { rotation?: number }[];
  tags?: { rotate?: string };
}

/** "30000/1001" → 29.97; "0/0" or nonsense → undefined. */
function rate(text: string | undefined): number | undefined {
  const m = /^(\d+)(?:\/(\d+))?$/.exec(text ?? "");
  if (m === null) return undefined;
  const r = Number(m[1]) / Number(m[2] ?? 1);
  return Number.isFinite(r) && r > 0 ? r : undefined;
}

export interface DecodeRequest {
  /** The size to decode to (ffmpeg scales when it differs from the clip's). */
  width: number;
  height: number;
  /** Seconds into the clip to start at (default 0). */
  start?: number;
  /** Resample to this frame rate (default: the clip's own). */
  fps?: number;
  /** Decode at most this many frames. */
  frames?: number;
}

/**
 * The clip's frames, decoded by ffmpeg one at a time as they are pulled (see the header).
 * Stopping early (a `break`, an error in the consumer) stops ffmpeg.
 */
export async function* decodeFrames(path: string, r: DecodeRequest): AsyncGenerator<RgbImage, void, undefined> {
  const filters = [...(r.fps === undefined ? [] : [`fps=${r.fps}`]), `scale=${r.width}:${r.height}:flags=area`];
  const args = [
    "-hide_banner",
    "-loglevel",
    "error",
    "-nostdin",
    ...(r.start ? ["-ss", String(r.start)] : []),
    "-i",
    path,
    "-map",
    "0:v:0",
    "-vf",
    filters.join(","),
    ...(r.frames === undefined ? [] : ["-frames:v", String(r.frames)]),
    "-f",
    "rawvideo",
    "-pix_fmt",
    "rgb24",
    "pipe:1",
  ];
  const child = spawn("ffmpeg", args, { stdio: ["ignore", "pipe", "pipe"] });
  const exited = exitOf(child, "ffmpeg");
  exited.catch(() => {}); // awaited once the frames are read; until then a failure to start must not count as unhandled
  let stderr = "";
  child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr = (stderr + d).slice(-4000)));
  const frameBytes = r.width * r.height * 3;
  let pending: Buffer[] = [];
  let have = 0;
  let finished = false;
  try {
    for await (const chunk of child.stdout as AsyncIterable<Buffer>) {
      pending.push(chunk);
      have += chunk.length;
      while (have >= frameBytes) {
        const all = Buffer.concat(pending, have);
        yield { width: r.width, height: r.height, data: new Float32Array(all.subarray(0, frameBytes)) };
        pending = [all.subarray(frameBytes)];
        have -= frameBytes;
      }
    }
    const code = await exited;
    finished = true;
    if (code !== 0) throw new VideoError(`cannot decode video ${path}: ${lastLine(stderr) || `ffmpeg exited with code ${code}`}`);
    if (have > 0) throw new VideoError(`cannot decode video ${path}: its last frame is cut short (${have} of ${frameBytes} bytes)`);
  } finally {
    if (!finished) {
      child.kill();
      await exited.catch(() => {});
    }
  }
}

export interface EncodeRequest {
  /** The frames: an ffmpeg image2 pattern such as "dir/frame-%06d.png", numbered from 0. */
  pattern: string;
  fps: number;
  /** Carry this file's first audio stream over, from `audioStart` seconds on (default: none). */
  audio?: { path: string; codec: string; start: number };
  signal?: AbortSignal;
}

/**
 * Encodes numbered PNG frames into `output` (.mp4, .webm or .gif by its extension), through a
 * temporary file in the same directory renamed into place.
 */
export async function encodeVideo(output: string, r: EncodeRequest): Promise<void> {
  const format = videoFormat(output);
  if (format === null)
    throw new VideoError(
      `cannot write video ${output}: unknown extension "${extname(output)}"; use ${Object.keys(VIDEO_FORMATS).join(", ")}`,
    );
  const temp = join(dirname(resolve(output)), `.${basename(output)}.${randomBytes(6).toString("hex")}.tmp`);
  const audio = format === "gif" ? undefined : r.audio;
  const args = [
    "-hide_banner",
    "-loglevel",
    "error",
    "-nostdin",
    "-y",
    "-framerate",
    String(r.fps),
    "-start_number",
    "0",
    "-i",
    r.pattern,
    ...(audio === undefined
      ? []
      : [...(audio.start > 0 ? ["-ss", String(audio.start)] : []), "-i", audio.path, "-map", "0:v:0", "-map", "1:a:0", "-shortest"]),
    ...ENCODERS[format],
    ...(audio === undefined ? [] : ["-c:a", AUDIO[format].copies.includes(audio.codec) ? "copy" : AUDIO[format].encoder]),
    "-f",
    format,
    temp,
  ];
  const child = spawn("ffmpeg", args, { stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr = (stderr + d).slice(-4000)));
  const stop = (): void => void child.kill("SIGINT");
  r.signal?.addEventListener("abort", stop, { once: true });
  try {
    const code = await exitOf(child, "ffmpeg");
    r.signal?.throwIfAborted();
    if (code !== 0) throw new VideoError(`cannot encode ${output}: ${lastLine(stderr) || `ffmpeg exited with code ${code}`}`);
    await rename(temp, output);
  } catch (e) {
    await unlink(temp).catch(() => {});
    throw e;
  } finally {
    r.signal?.removeEventListener("abort", stop);
  }
}

/** The video encoder's arguments for each format. */
const ENCODERS: Record<VideoFormat, string[]> = {
  // yuv420p shares chroma between 2×2 pixels: the size must be even.
  mp4: ["-vf", "crop=trunc(iw/2)*2:trunc(ih/2)*2", "-c:v", "libx264", "-pix_fmt", "yuv420p", "-crf", "18", "-movflags", "+faststart"],
  webm: ["-vf", "crop=trunc(iw/2)*2:trunc(ih/2)*2", "-c:v", "libvpx-vp9", "-pix_fmt", "yuv420p", "-crf", "32", "-b:v", "0", "-row-mt", "1"],
  gif: ["-filter_complex", "[0:v]split[a][b];[a]palettegen=stats_mode=full[p];[b][p]paletteuse=dither=sierra2_4a", "-loop", "0"],
};

/** Audio codecs each container takes as they are, and the encoder for any other. */
const AUDIO: Record<VideoFormat, { copies: string[]; encoder: string }> = {
  mp4: { copies: ["aac", "mp3", "ac3", "eac3", "alac"], encoder: "aac" },
  webm: { copies: ["opus", "vorbis"], encoder: "libopus" },
  gif: { copies: [], encoder: "" }, // no sound in a GIF: the audio is left out
};

/** Runs a tool to its end, collecting its output; a missing tool is a VideoError saying how to install it. */
function runTool(tool: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const child = spawn(tool, args, { stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "",
    stderr = "";
  child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
  child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr = (stderr + d).slice(-4000)));
  return exitOf(child, tool).then((code) => ({ code, stdout, stderr }));
}

/** The exit code of a child process; its failure to start (ENOENT: not installed) as a VideoError. */
function exitOf(child: ReturnType<typeof spawn>, tool: string): Promise<number> {
  return new Promise((resolvePromise, reject) => {
    child.once("error", (e: NodeJS.ErrnoException) => {
      reject(
        e.code === "ENOENT"
          ? new VideoError(`${tool} was not found on the PATH; video needs FFmpeg: ${FFMPEG_HINT}`)
          : new VideoError(`cannot run ${tool}: ${e.message}`),
      );
    });
    child.once("close", (code) => resolvePromise(code ?? 1)); // null: killed by a signal
  });
}

/** The last non-empty line of a tool's stderr: its error, without the noise before it. */
function lastLine(text: string): string {
  return text.trim().split("\n").at(-1)?.trim() ?? "";
}
