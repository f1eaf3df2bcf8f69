// The rounding error of Winograd convolution on GoogLeNet's real weights and activations: the
// table behind src/layers/winograd.ts's choice of tile size. Not a timing; run on its own:
//     npx tsx bench/winograd-error.ts
// For every 3×3 convolution up to inception_4c, on the activations the golden cat input
// (test/fixtures/golden, 224²) gives at the layer's input, each algorithm's output is compared with
// the direct convolution in Float64 (conv2dForwardNaive): max |Δ| / max |reference| and
// ‖Δ‖₂ / ‖reference‖₂, the worst over the layers — with the algorithm itself run in Float64 (its
// own rounding, from the transforms' inexact entries such as 1/6) and in Float32 (what a step uses).
import { readFileSync } from "node:fs";
import { decodeCaffeModel } from "../src/io/caffe/decode.js";
import { conv2dForward, conv2dForwardNaive, convGeometry, setConvAlgorithm } from "../src/layers/conv.js";
import { winogradForward } from "../src/layers/winograd.js";
import { googlenetUrl } from "../src/models/sources.js";
import { CaffeNet } from "../src/models/net.js";
import { Tensor, type Floats } from "../src/tensor/tensor.js";
import { printTable } from "./util.js";

const LAYERS = ["conv2/3x3", "inception_3a/3x3", "inception_3b/3x3", "inception_4a/3x3", "inception_4b/3x3", "inception_4c/3x3"];

const def = decodeCaffeModel(readFileSync(googlenetUrl));
const net = new CaffeNet(def);
const bytes = readFileSync(new URL("../test/fixtures/golden/cat.input.f32", import.meta.url));
const input = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));

type Run = (out: Floats, x: Floats, w: Floats, b: Floats, g: ReturnType<typeof convGeometry>) => void;
const algorithms: Array<[string, Run]> = [
  [
    "im2col + GEMM",
    (out, x, w, b, g) => {
      setConvAlgorithm("im2col");
      conv2dForward(out, x, w, b, g);
      setConvAlgorithm("auto");
    },
  ],
  ...[2, 4, 6].map((m): [string, Run] => [`F(${m},3)`, (out, x, w, b, g) => winogradForward(out, x, w, b, g, false, m)]),
];
const worst = new Map<string, number[]>(); // name → [max f64, rms f64, max f32, rms f32]

for (const name of LAYERS) {
  const layer = def.layers.find((l) => l.name === name)!;
  const [x] = net.forward(new Tensor(input.slice(), [1, 3, 224, 224]), [layer.bottoms[0]!]);
  const [w, b] = layer.blobs as [{ shape: number[]; data: Float32Array }, { data: Float32Array }];
  const g = convGeometry(x!.shape, w.shape, { pad: [1, 1] });
  const x64 = Float64Array.from(x!.data),
    w64 = Float64Array.from(w.data),
    b64 = Float64Array.from(b.data);
  const ref = new Float64Array(g.K * g.OH * g.OW);
  conv2dForwardNaive(ref, x64, w64, b64, g);
  for (const [label, run] of algorithms) {
    const errors: number[] = [];
    for (const [xs, ws, bs, out] of [
      [x64, w64, b64, new Float64Array(ref.length)],
      [x!.data, w.data, b.data, new Float32Array(ref.length)],
    ] as const) {
      run(out, xs, ws, bs, g);
      errors.push(...relativeErrors(out, ref));
    }
    const sofar = worst.get(label) ?? [0, 0, 0, 0];
    worst.set(
      label,
      sofar.map((v, i) => Math.max(v, errors[i]!)),
    );
    console.log(`${name} ${label}: ${errors.map((e) => e.toExponential(1)).join(" ")}`);
  }
}
console.log("\nworst over the layers; errors relative to the layer's max |output| and its RMS output");
printTable(
  ["algorithm", "Float64 max", "Float64 RMS", "Float32 max", "Float32 RMS"],
  [...worst].map(([label, e]) => [label, ...e.map((v) => v.toExponential(1))]),
);

/** [max |a − ref| / max |ref|, ‖a − ref‖₂ / ‖ref‖₂]. */
function relativeErrors(a: Floats, ref: Float64Array): [number, number] {
  let maxDiff = 0,
    maxRef = 0,
    sumDiff = 0,
    sumRef = 0;
  for (let i = 0; i < ref.length; i++) {
    const d = Math.abs(a[i]! - ref[i]!);
    maxDiff = Math.max(maxDiff, d);
    maxRef = Math.max(maxRef, Math.abs(ref[i]!));
    sumDiff += d * d;
    sumRef += ref[i]! ** 2;
  }
  return [maxDiff / maxRef, Math.sqrt(sumDiff / sumRef)];
}
