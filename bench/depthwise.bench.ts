// Depthwise 3×3 convolutions (group = C = K) at MobileNet's shapes: the direct kernels of
// src/layers/depthwise.ts against the grouped path they replace (im2col + GEMM per channel, which
// conv2dForward/conv2dBackward take when handed a column buffer), forward and dx, one thread.
//
// Napkin math: each output value is a dot product of length R·S (one channel), so
//     FLOPs = 2·N·K·OH·OW·R·S   for the forward, and the same for dx.
// Before timing, both paths are validated against the naive 7-loop kernels of conv.ts: at the
// real size in full mode, on a crop to at most 20×20 pixels (same channels, stride, pad) in
// quick mode.

import { conv2dBackward, conv2dBackwardNaive, conv2dForward, conv2dForwardNaive, convGeometry } from "../src/layers/conv.js";
import { usesDepthwise } from "../src/layers/depthwise.js";
import { fillRandom, maxRelDiff, medianMs, printTable, type BenchOptions } from "./util.js";

interface Shape {
  name: string;
  C: number;
  size: number; // H = W
  stride: number;
}

// MobileNet v1's depthwise layers at 224²: conv2_1/dw (32@112, s1), conv2_2/dw (64@112, s2),
// conv5_x/dw (512@14, s1), conv5_6/dw (512@14, s2); pad 1 throughout.
const shapes: Shape[] = [
  { name: "32×112² s1", C: 32, size: 112, stride: 1 },
  { name: "64×112² s2", C: 64, size: 112, stride: 2 },
  { name: "512×14² s1", C: 512, size: 14, stride: 1 },
  { name: "512×14² s2", C: 512, size: 14, stride: 2 },
];

function setup(l: Shape, size: number) {
  const g = convGeometry([1, l.C, size, size], [l.C, 1, 3, 3], { stride: [l.stride, l.stride], pad: [1, 1], group: l.C });
  const x = fillRandom(new Float32Array(l.C * size * size), 1);
  const w = fillRandom(new Float32Array(l.C * 9), 2);
  const bias = fillRandom(new Float32Array(l.C), 3);
  const dout = fillRandom(new Float32Array(l.C * g.OH * g.OW), 4);
  // The grouped path's column buffer: handing it in is what makes conv2d take that path.
  const columns = new Float32Array(9 * g.OH * g.OW);
  return { g, x, w, bias, dout, columns, out: new Float32Array(dout.length), dx: new Float32Array(x.length) };
}

/** Throws unless both paths match the naive kernels; returns the direct kernels' largest differences. */
function validate(l: Shape, size: number): [number, number] {
  const { g, x, w, bias, dout, columns, out, dx } = setup(l, size);
  if (!usesDepthwise(g)) throw new Error(`depthwise ${l.name}: the direct kernels do not apply (INCEPTIONISM_CONV=im2col?)`);
  const outRef = new Float32Array(out.length),
    dxRef = new Float32Array(dx.length);
  conv2dForwardNaive(outRef, x, w, bias, g);
  conv2dBackwardNaive(dxRef, null, null, dout, x, w, g);
  const diffs = (withColumns: boolean): [number, number] => {
    out.fill(NaN);
    dx.fill(0);
    conv2dForward(out, x, w, bias, g, withColumns ? columns : undefined);
    conv2dBackward(dx, null, null, dout, x, w, g, withColumns ? columns : undefined);
    return [maxRelDiff(out, outRef), maxRelDiff(dx, dxRef)];
  };
  const direct = diffs(false),
    grouped = diffs(true);
  if (Math.max(...direct, ...grouped) > 1e-5) {
    throw new Error(`depthwise ${l.name}: max relative difference vs the naive kernels, direct ${direct}, grouped ${grouped}`);
  }
  return direct;
}

export async function run(opts: BenchOptions): Promise<void> {
  const reps = opts.quick ? 5 : 15;
  const rows: (string | number)[][] = [];
  for (const l of shapes) {
    const [fwdDiff, dxDiff] = validate(l, opts.quick ? Math.min(l.size, 20) : l.size);
    const { g, x, w, bias, dout, columns, out, dx } = setup(l, l.size);
    const flops = 2 * g.N * g.K * g.OH * g.OW * g.R * g.S;
    // Alternating the two paths in one loop, so both see the same share of a busy machine.
    const times = { fwdOld: [] as number[], fwdNew: [] as number[], dxOld: [] as number[], dxNew: [] as number[] };
    for (let i = 0; i < 3; i++) {
      times.fwdOld.push(medianMs(() => conv2dForward(out, x, w, bias, g, columns), reps));
      times.fwdNew.push(medianMs(() => conv2dForward(out, x, w, bias, g), reps));
      times.dxOld.push(medianMs(() => conv2dBackward(dx, null, null, dout, x, w, g, columns), reps));
      times.dxNew.push(medianMs(() => conv2dBackward(dx, null, null, dout, x, w, g), reps));
    }
    const [fwdOld, fwdNew, dxOld, dxNew] = [times.fwdOld, times.fwdNew, times.dxOld, times.dxNew].map((t) => Math.min(...t)) as [
      number,
      number,
      number,
      number,
    ];
    const gflops = (ms: number): string => (flops / ms / 1e6).toFixed(2);
    rows.push([
      l.name,
      (flops / 1e6).toFixed(1),
      fwdOld.toFixed(2),
      fwdNew.toFixed(2),
      `${(fwdOld / fwdNew).toFixed(1)}×`,
      gflops(fwdNew),
      dxOld.toFixed(2),
      dxNew.toFixed(2),
      `${(dxOld / dxNew).toFixed(1)}×`,
      gflops(dxNew),
      `${fwdDiff.toExponential(1)} / ${dxDiff.toExponential(1)}`,
    ]);
  }
  console.log(
    `depthwise 3×3 pad 1, Float32, batch 1, single thread; FLOPs = 2·N·K·OH·OW·R·S each for forward and dx; ` +
      `best of 3 medians of ${reps}, old (im2col + GEMM per group) and new (direct) alternating; ` +
      `validated vs the naive kernels ${opts.quick ? "on ≤20×20 crops" : "at full size"}`,
  );
  printTable(
    [
      "shape",
      "MFLOP",
      "fwd old ms",
      "fwd new ms",
      "fwd ×",
      "fwd GFLOP/s",
      "dx old ms",
      "dx new ms",
      "dx ×",
      "dx GFLOP/s",
      "max rel diff fwd / dx",
    ],
    rows,
  );
}
