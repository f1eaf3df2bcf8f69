// Our dream against the Caffe notebook's algorithm, run independently in PyTorch and scipy
// (bench/pytorch/notebook_dream.py), with the randomness removed (jitter 0) so that the two must
// agree up to floating-point rounding.
//
//     npx tsx bench/notebook-parity.ts [IMAGE] [--runs 1x1,1x3,1x10,4x1,4x3,4x10] [--per-step 10]
//                                                          (octaves × steps per octave)
//
// Both sides start from the same decoded pixels (ours, written out as float32) and the same mean
// pixel (ours, 104/117/123; the notebook's own is 104/116/122). For each run it reports mean and
// max |Δ| in 0–255 levels:
// - our CLI's PNG (rounded to 8 bits) against the notebook's picture as the notebook saves it
//   (`np.uint8(np.clip(...))`, truncated): equal algorithms leave ≈ 0.5, the mean gap between
//   rounding and truncating;
// - our CLI's PNG against the notebook's float picture: ≈ 0.25, rounding alone;
// - our `dream()` in floats against the notebook's floats: what is left of the algorithms' own
//   difference (summation order, float32 rounding, chaos over many steps).
// Then, one octave, step by step (`--per-step K`, 0 to skip): our picture after step k against
// one notebook step from our picture after step k − 1 (do single steps agree?), and against the
// notebook's own picture after k steps (how far do the two runs drift apart?).
// Bench only: needs `python3` with torch and scipy (Debian python3-torch, python3-scipy).
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { dream } from "../src/dream/dream.js";
import type { RgbImage } from "../src/io/image/image.js";
import { readImage } from "../src/io/image/image-file.js";
import { loadGoogLeNet } from "../src/models/load.js";
import "../src/threads/node-host.js";
import { shutdownThreads } from "../src/threads/pool.js";
import { DEFAULT_EXPORT_DIR, exportGoogLeNet } from "./pytorch/export-weights.js";
import { printTable } from "./util.js";

const ROOT = fileURLToPath(new URL("../", import.meta.url));
const SCRIPT = fileURLToPath(new URL("pytorch/notebook_dream.py", import.meta.url));
const LAYER = "inception_4c/output";

function findPython(): string {
  const candidates = process.env.INCEPTIONISM_PYTHON ? [process.env.INCEPTIONISM_PYTHON] : ["python3", "/usr/bin/python3"];
  for (const python of candidates) {
    if (spawnSync(python, ["-c", "import torch, scipy"], { stdio: "ignore" }).status === 0) return python;
  }
  throw new Error("notebook parity needs a python3 that can import torch and scipy (apt-get install python3-torch python3-scipy)");
}

function run(cmd: string, args: string[]): void {
  const r = spawnSync(cmd, args, { cwd: ROOT, encoding: "utf8", maxBuffer: 1 << 24 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")} failed:\n${r.stderr}`);
}

/** Mean and max |a − b| over all values. */
function stats(a: ArrayLike<number>, b: ArrayLike<number>): { mean: number; max: number } {
  let sum = 0,
    max = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i]! - b[i]!);
    sum += d;
    max = Math.max(max, d);
  }
  return { mean: sum / a.length, max };
}

const fmt = ({ mean, max }: { mean: number; max: number }, digits = 2): string =>
  `${mean.toFixed(digits)} / ${max.toFixed(max < 10 ? 2 : 0)}`;

const args = process.argv.slice(2);
const flag = (name: string, fallback: string): string => (args.includes(name) ? args[args.indexOf(name) + 1]! : fallback);
const runs = flag("--runs", "1x1,1x3,1x10,4x1,4x3,4x10")
  .split(",")
  .filter((r) => r !== "")
  .map((r) => r.split("x").map(Number) as [number, number]);
const perStep = Number(flag("--per-step", "10"));
const imagePath =
  args.find((a, i) => !a.startsWith("--") && (i === 0 || !args[i - 1]!.startsWith("--"))) ?? join(ROOT, "examples/flowers.jpg");

const python = findPython();
const netJson = exportGoogLeNet();
const dir = mkdtempSync(join(tmpdir(), "inceptionism-parity-"));
try {
  const net = await loadGoogLeNet();
  const photo = await readImage(imagePath);
  const rawIn = join(dir, "in.f32");
  writeFileSync(rawIn, new Uint8Array(photo.data.buffer, photo.data.byteOffset, photo.data.byteLength));
  console.log(
    `notebook parity — ${new Date().toISOString().slice(0, 10)}, ${imagePath} (${photo.width}×${photo.height}), ${LAYER}, jitter 0, mean ${net.meanBgr.join("/")}`,
  );
  /** The notebook port on `input` (raw pictures) with `extra` flags; returns its output. */
  const notebook = (input: string, extra: string[]): Float32Array => {
    const out = join(dir, "ref.f32");
    run(python, [
      SCRIPT,
      "--net",
      netJson,
      "--weights",
      join(DEFAULT_EXPORT_DIR, "weights.f32"),
      "--input",
      input,
      "--width",
      String(photo.width),
      "--height",
      String(photo.height),
      "--output",
      out,
      "--mean",
      net.meanBgr.join(","),
      "--layer",
      LAYER,
      ...extra,
    ]);
    return new Float32Array(new Uint8Array(readFileSync(out)).buffer);
  };
  const rows: string[][] = [];
  for (const [octaves, iterations] of runs) {
    const ref = notebook(rawIn, ["--octaves", String(octaves), "--iterations", String(iterations)]);
    const refSaved = ref.map((v) => Math.trunc(Math.min(255, Math.max(0, v)))); // np.uint8(np.clip(·, 0, 255))

    const png = join(dir, `ours-${octaves}x${iterations}.png`);
    run(process.execPath, [
      "--import",
      "tsx",
      "src/cli.ts",
      "dream",
      imagePath,
      "-o",
      png,
      "--quiet",
      "--jitter",
      "0",
      "--layer",
      LAYER,
      "--octaves",
      String(octaves),
      "--iterations",
      String(iterations),
    ]);
    const cli: RgbImage = await readImage(png);
    const api = await dream(photo, { model: net, layer: LAYER, octaves, iterations, jitter: 0 });
    rows.push([`${octaves} × ${iterations}`, fmt(stats(cli.data, refSaved)), fmt(stats(cli.data, ref)), fmt(stats(api.data, ref))]);
    console.error(`done ${octaves} octave(s) × ${iterations} step(s)`);
  }
  if (rows.length > 0)
    printTable(
      ["octaves × steps", "CLI PNG vs notebook uint8: mean / max |Δ|", "CLI PNG vs notebook float", "dream() float vs notebook float"],
      rows,
    );

  if (perStep > 0) {
    const ours: RgbImage[] = [];
    for (let k = 1; k <= perStep; k++) ours.push(await dream(photo, { model: net, layer: LAYER, octaves: 1, iterations: k, jitter: 0 }));
    const starts = new Float32Array(photo.data.length * perStep); // our pictures after steps 0 … K − 1
    [photo, ...ours.slice(0, -1)].forEach((p, k) => {
      starts.set(p.data, k * p.data.length);
    });
    const startsPath = join(dir, "starts.f32");
    writeFileSync(startsPath, new Uint8Array(starts.buffer));
    const oneStep = notebook(startsPath, ["--one-step"]);
    const trajectory = notebook(rawIn, ["--every-step", "--octaves", "1", "--iterations", String(perStep)]);
    const n = photo.data.length;
    console.log(`\none octave, step by step (dream() floats, mean / max |Δ|)`);
    printTable(
      ["step k", "ours after k vs one notebook step from ours after k − 1", "ours after k vs the notebook's own run after k"],
      ours.map((o, k) => [
        String(k + 1),
        fmt(stats(o.data, oneStep.subarray(k * n, (k + 1) * n)), 4),
        fmt(stats(o.data, trajectory.subarray(k * n, (k + 1) * n)), 4),
      ]),
    );
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
  shutdownThreads();
}
