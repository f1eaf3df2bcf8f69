// Convolution throughput per GoogLeNet layer shape (batch 1, 224² network input): the forward
// pass, and the input gradient alone (dx, all DeepDream needs).
//
// Napkin math: each output value is a dot product of length C/G·R·S, so
//     FLOPs = 2·N·K·OH·OW·(C/G)·R·S   for the forward, and the same for dx
// (dx = col2im(Wᵀ·dout) is the transposed product over the same terms).
// Before timing, each layer is validated against the direct 7-loop kernels. Full mode validates
// at the real size; quick mode on a copy cropped to at most 20×20 pixels (same channels,
// kernel, stride and pad), because the naive kernels take seconds at full size.

import { conv2dBackward, conv2dBackwardNaive, conv2dForward, conv2dForwardNaive, convGeometry } from "../src/layers/conv.js";
import { fillRandom, maxRelDiff, medianMs, printTable, type BenchOptions } from "./util.js";

interface Layer {
  name: string;
  C: number;
  K: number;
  size: number; // H = W
  kernel: number; // R = S
  stride: number;
  pad: number;
}

const layers: Layer[] = [
  { name: "conv1/7x7_s2", C: 3, K: 64, size: 224, kernel: 7, stride: 2, pad: 3 },
  { name: "conv2/3x3", C: 64, K: 192, size: 56, kernel: 3, stride: 1, pad: 1 },
  { name: "inception_3a/3x3", C: 96, K: 128, size: 28, kernel: 3, stride: 1, pad: 1 },
  { name: "inception_4c/5x5", C: 24, K: 64, size: 14, kernel: 5, stride: 1, pad: 2 },
  { name: "inception_4a/1x1", C: 480, K: 192, size: 14, kernel: 1, stride: 1, pad: 0 },
];

function setup(l: Layer, size: number) {
  const g = convGeometry([1, l.C, size, size], [l.K, l.C, l.kernel, l.kernel], {
    stride: [l.stride, l.stride],
    pad: [l.pad, l.pad],
    dilation: [1, 1],
    group: 1,
  });
  const x = fillRandom(new Float32Array(l.C * size * size), 1);
  const w = fillRandom(new Float32Array(l.K * l.C * l.kernel * l.kernel), 2);
  const bias = fillRandom(new Float32Array(l.K), 3);
  const dout = fillRandom(new Float32Array(l.K * g.OH * g.OW), 4);
  return { g, x, w, bias, dout, out: new Float32Array(dout.length), dx: new Float32Array(x.length) };
}

/** Throws unless the fast forward and dx match the naive kernels on this layer at `size`. */
function validate(l: Layer, size: number): [number, number] {
  const { g, x, w, bias, dout, out, dx } = setup(l, size);
  const outRef = new Float32Array(out.length),
    dxRef = new Float32Array(dx.length);
  conv2dForward(out, x, w, bias, g);
  conv2dForwardNaive(outRef, x, w, bias, g);
  conv2dBackward(dx, null, null, dout, x, w, g);
  conv2dBackwardNaive(dxRef, null, null, dout, x, w, g);
  const diffs: [number, number] = [maxRelDiff(out, outRef), maxRelDiff(dx, dxRef)];
  // 1e-3: the 3×3 layers run by Winograd's F(4,3), whose transforms round more than im2col (up to
  // 5e-4 here, on uniform [−1, 1] weights far larger than GoogLeNet's; bench/README.md has the
  // error on real weights and activations).
  if (Math.max(...diffs) > 1e-3) throw new Error(`conv ${l.name}: max relative difference ${diffs} vs the naive kernels`);
  return diffs;
}

export async function run(opts: BenchOptions): Promise<void> {
  const reps = opts.quick ? 3 : 7;
  const rows: (string | number)[][] = [];
  for (const l of layers) {
    const [fwdDiff, dxDiff] = validate(l, opts.quick ? Math.min(l.size, 20) : l.size);
    const { g, x, w, bias, dout, out, dx } = setup(l, l.size);
    const flops = 2 * g.N * g.K * g.OH * g.OW * (g.C / g.groups) * g.R * g.S;
    const fwdMs = medianMs(() => conv2dForward(out, x, w, bias, g), reps);
    const dxMs = medianMs(() => conv2dBackward(dx, null, null, dout, x, w, g), reps);
    rows.push([
      l.name,
      `${l.C}→${l.K} ${l.kernel}×${l.kernel}/${l.stride} p${l.pad} on ${l.size}²`,
      (flops / 1e6).toFixed(0),
      fwdMs.toFixed(1),
      (flops / fwdMs / 1e6).toFixed(2),
      dxMs.toFixed(1),
      (flops / dxMs / 1e6).toFixed(2),
      `${fwdDiff.toExponential(1)} / ${dxDiff.toExponential(1)}`,
    ]);
  }
  console.log(
    `conv2d, Float32, batch 1, single thread; FLOPs = 2·N·K·OH·OW·(C/G)·R·S each for forward and dx; ` +
      `median of ${reps}; validated vs the naive kernels ${opts.quick ? "on ≤20×20 crops" : "at full size"}`,
  );
  printTable(["layer", "shape", "MFLOP", "fwd ms", "fwd GFLOP/s", "dx ms", "dx GFLOP/s", "max rel diff fwd / dx"], rows);
}
