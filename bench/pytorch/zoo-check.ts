// Our net against PyTorch on any .caffemodel: the forward at a blob and the input gradient of
// the DeepDream objective ½Σa² there, for the same seeded input. Not a timing, and not a test
// dependency: PyTorch (Debian's python3-torch) is the independent reference where it is installed.
//
//     npx tsx bench/pytorch/zoo-check.ts FILE.caffemodel BLOB [BLOB …] [--side 224] [--float64]
//     npx tsx bench/pytorch/zoo-check.ts --write-zoo DIR     (writes the test suite's ResNet-50-
//                                                            and VGG-16-shaped files, and its net
//                                                            of every other layer type, to DIR)
//
// This side decodes the file with our decoder, exports the decoded layers and raw weights
// (./export-weights.ts: net.json + weights.f32) and the input, and runs our net in Float32, as
// a dream does (or in Float64 with --float64, to tell our Float32 rounding from a real difference). ./zoo_check.py builds the same layers from net.json with torch ops, in Float64,
// and prints, per blob, the largest |ours − torch| over the largest |torch| for the forward and
// for the input gradient. So the comparison is of our Float32 net with an exact-ish reference;
// an error near 1e-6 is Float32's rounding, anything near 1e-2 a semantic difference.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { randomTensor } from "../../src/autograd/gradcheck.js";
import { backward } from "../../src/autograd/tape.js";
import { decodeCaffeModel } from "../../src/io/caffe/decode.js";
import { caffeNetFromBytes } from "../../src/models/sources.js";
import { Tensor } from "../../src/tensor/tensor.js";
import { exportNet } from "./export-weights.js";

const SCRIPT = fileURLToPath(new URL("zoo_check.py", import.meta.url));

/** A Python that can import torch, or null (as bench/pytorch.bench.ts looks for one). */
function findPython(): string | null {
  const candidates = process.env.INCEPTIONISM_PYTHON ? [process.env.INCEPTIONISM_PYTHON] : ["python3", "/usr/bin/python3"];
  return candidates.find((python) => spawnSync(python, ["-c", "import torch"], { stdio: "ignore" }).status === 0) ?? null;
}

const f32 = (a: ArrayLike<number>): Uint8Array => new Uint8Array(Float32Array.from(a).buffer);
const f64 = (a: ArrayLike<number>): Uint8Array => new Uint8Array(Float64Array.from(a).buffer); // exact for either dtype

async function writeZoo(dir: string): Promise<void> {
  const { everyType, resnet50, vgg16 } = await import("../../test/models/zoo-nets.js");
  for (const [name, zoo] of [
    ["resnet50", resnet50()],
    ["vgg16", vgg16()],
    ["every-type", everyType()],
  ] as const) {
    writeFileSync(join(dir, `${name}.caffemodel`), zoo.bytes);
    console.log(join(dir, `${name}.caffemodel`));
  }
}

function check(file: string, blobs: string[], side: number, float64: boolean): void {
  const python = findPython();
  if (python === null) {
    console.log("skipped: python3-torch not installed (apt-get install python3-torch)");
    return;
  }
  const bytes = readFileSync(file);
  const dir = mkdtempSync(join(tmpdir(), "inceptionism-zoo-check-"));
  const netJson = exportNet(decodeCaffeModel(bytes), dir);
  const net = caffeNetFromBytes(bytes, file);
  const shape = [1, net.inputChannels, side, side];
  const input = Float32Array.from(randomTensor(shape, 11, -110, 130).data); // a mean-subtracted BGR picture's range
  writeFileSync(join(dir, "input.f32"), f32(input));
  for (const [k, blob] of blobs.entries()) {
    const x = new Tensor(float64 ? Float64Array.from(input) : input.slice(), shape, true);
    const [a] = net.forward(x, [blob]);
    backward(a!, a!.data); // d(½Σa²)/da = a
    writeFileSync(join(dir, `blob${k}.f64`), f64(a!.data));
    writeFileSync(join(dir, `grad${k}.f64`), f64(x.grad!));
  }
  const r = spawnSync(python, [SCRIPT, netJson, join(dir, "weights.f32"), dir, JSON.stringify(shape), ...blobs], {
    encoding: "utf8",
    stdio: ["ignore", "pipe", "inherit"],
  });
  process.stdout.write(r.stdout);
  if (r.status !== 0) process.exitCode = 1;
}

const args = process.argv.slice(2);
if (args[0] === "--write-zoo") {
  await writeZoo(args[1] ?? ".");
} else {
  const sideAt = args.indexOf("--side");
  const side = sideAt >= 0 ? Number(args[sideAt + 1]) : 224;
  const float64 = args.includes("--float64");
  const rest = (sideAt >= 0 ? [...args.slice(0, sideAt), ...args.slice(sideAt + 2)] : args).filter((a) => a !== "--float64");
  if (rest.length < 2) {
    console.error("usage: zoo-check.ts FILE.caffemodel BLOB [BLOB …] [--side N] [--float64] | --write-zoo DIR");
    process.exitCode = 2;
  } else {
    check(rest[0]!, rest.slice(1), side, float64);
  }
}
