// End to end: a 640×480 dream with the notebook's defaults (4 octaves of scale 1.4, 10 steps of
// 1.5, jitter 32, inception_4c/output), each as a whole process — start-up, model load, decoding
// and encoding included — ours (the built CLI, `node dist/cli.js dream`) against the notebook's
// algorithm in PyTorch (bench/pytorch/notebook_dream.py --image: octaves with detail, roll
// jitter, the step normalized by mean |g|, the clip), both on 2 threads.
//
// PyTorch is first run once in each of googlenet_step.py's configurations, and the fastest is
// the one timed. Then the two alternate, the order flipping every round, and the medians are
// compared: the machine's speed drifts over minutes, and alternating spreads the drift over both.
// Both must dream alike: the objective ½Σa² at inception_4c/output of each output picture, by
// our net, must rise above the photo's, and the two rises must agree within 25% (jitter makes
// the two pictures differ; the objective says whether they are equally strong dreams).
// Bench only: needs python3 with torch and PIL (Debian python3-torch, python3-pil).
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { objectiveValue } from "../src/dream/objective.js";
import { readImage, writeImage } from "../src/io/image/image-file.js";
import { resizeImage } from "../src/io/image/resize.js";
import { loadGoogLeNet } from "../src/models/load.js";
import { imageToInput } from "../src/models/preprocess.js";
import { DEFAULT_EXPORT_DIR, exportGoogLeNet } from "./pytorch/export-weights.js";
import { median, printTable, type BenchOptions } from "./util.js";

const ROOT = fileURLToPath(new URL("../", import.meta.url));
const SCRIPT = fileURLToPath(new URL("pytorch/notebook_dream.py", import.meta.url));
const PHOTO = "/work/shared/images/sky1024px.jpg";
const LAYER = "inception_4c/output";
const THREADS = 2;
const CONFIGS = ["default", "mkldnn-conv", "channels-last", "mkldnn-tensors"];

function findPython(): string | null {
  const candidates = process.env.INCEPTIONISM_PYTHON ? [process.env.INCEPTIONISM_PYTHON] : ["python3", "/usr/bin/python3"];
  for (const python of candidates) {
    if (spawnSync(python, ["-c", "import torch, PIL, scipy"], { stdio: "ignore" }).status === 0) return python;
  }
  return null;
}

/** Runs a command to completion and returns its wall time in seconds; throws on failure. */
function timed(cmd: string, args: string[]): number {
  const t0 = performance.now();
  const r = spawnSync(cmd, args, { cwd: ROOT, encoding: "utf8", maxBuffer: 1 << 24 });
  const s = (performance.now() - t0) / 1000;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")} failed:\n${r.stderr}`);
  return s;
}

export async function run({ quick }: BenchOptions): Promise<void> {
  const python = findPython();
  if (python === null) {
    console.log("skipped: needs python3 with torch, PIL and scipy (apt-get install python3-torch python3-pil python3-scipy)");
    return;
  }
  const rounds = quick ? 1 : 5;
  const dir = mkdtempSync(join(tmpdir(), "inceptionism-dream-bench-"));
  try {
    // Ours as users run it: the built CLI, not the TypeScript sources through a loader.
    timed("npm", ["run", "--silent", "build"]);
    const photo = join(dir, "photo-640x480.jpg");
    await writeImage(photo, resizeImage(await readImage(PHOTO), 640, 480));
    const netJson = exportGoogLeNet();
    const notebookDefaults = [
      "--octaves",
      "4",
      "--octave-scale",
      "1.4",
      "--iterations",
      "10",
      "--step",
      "1.5",
      "--jitter",
      "32",
      "--layer",
      LAYER,
    ];
    const torchArgs = (config: string, out: string): string[] => [
      SCRIPT,
      "--net",
      netJson,
      "--weights",
      join(DEFAULT_EXPORT_DIR, "weights.f32"),
      "--image",
      photo,
      "--save",
      out,
      "--threads",
      String(THREADS),
      "--config",
      config,
      ...notebookDefaults,
    ];
    const oursOut = join(dir, "ours.png"),
      torchOut = join(dir, "pytorch.png");
    const ours = (): number =>
      timed(process.execPath, [join(ROOT, "dist/cli.js"), "dream", photo, "-o", oursOut, "--threads", String(THREADS)]);

    const selection = CONFIGS.map((c) => [c, timed(python, torchArgs(c, torchOut))] as const);
    const [best] = [...selection].sort((a, b) => a[1] - b[1])[0]!;
    console.log(
      `PyTorch configurations, one 640×480 dream each (s): ${selection.map(([c, s]) => `${c} ${s.toFixed(1)}`).join(", ")}; timing ${best}`,
    );

    const times = { ours: [] as number[], torch: [] as number[] };
    for (let r = 0; r < rounds; r++) {
      const order = r % 2 === 0 ? (["ours", "torch"] as const) : (["torch", "ours"] as const);
      for (const who of order) times[who].push(who === "ours" ? ours() : timed(python, torchArgs(best, torchOut)));
    }

    // Both pictures through one net: how much did each raise the objective?
    const net = await loadGoogLeNet();
    const objective = async (file: string): Promise<number> =>
      objectiveValue(net, imageToInput(await readImage(file), net.meanBgr), [{ layer: LAYER }]);
    const [before, afterOurs, afterTorch] = [await objective(photo), await objective(oursOut), await objective(torchOut)];
    const gainOurs = afterOurs / before,
      gainTorch = afterTorch / before;
    console.log(
      `objective ½Σa² at ${LAYER} by our net: photo ${before.toExponential(3)}, ours ${afterOurs.toExponential(3)} (${gainOurs.toFixed(2)}×), PyTorch ${afterTorch.toExponential(3)} (${gainTorch.toFixed(2)}×)`,
    );
    if (!(gainOurs > 1.5 && gainTorch > 1.5 && Math.abs(gainOurs / gainTorch - 1) < 0.25)) {
      throw new Error("dream bench: the two dreams do not raise the objective alike; not comparing different algorithms");
    }

    const [o, t] = [median(times.ours), median(times.torch)];
    console.log(`\n640×480 dream, notebook defaults, whole process, ${THREADS} threads each, median of ${rounds} alternating rounds (s)`);
    printTable(
      ["", "ours (CLI)", `PyTorch (${best})`, "ours / PyTorch"],
      [
        ["median", o.toFixed(1), t.toFixed(1), `${(o / t).toFixed(2)}×`],
        ["all runs", times.ours.map((s) => s.toFixed(1)).join(" "), times.torch.map((s) => s.toFixed(1)).join(" "), ""],
      ],
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
