// What folding BatchNorm + Scale into the convolution saves (src/models/fold-batch-norm.ts), on
// ResNet-50's stem and first bottleneck block at 224² (seeded weights, the real shapes): one
// forward plus the input gradient, a DeepDream step without its objective, folded and unfolded,
// alternating, on one thread. The unfolded run asks for every convolution's own output too, which
// is what keeps a chain unfolded; both keep every activation on the tape, so the extra outputs
// cost nothing more. First the two are checked against each other.
//
// Napkin math: a BatchNorm and a Scale are 2 passes of 2–3 flops a value over each convolution's
// output, and 2 more tensors on the tape; the block's convolutions do 2·C·R·S flops a value. So
// the saving is largest after the 1×1 convolutions of few input channels.
import { randomTensor } from "../src/autograd/gradcheck.js";
import { backward } from "../src/autograd/tape.js";
import type { LayerDef, NetDef } from "../src/io/caffe/net-def.js";
import { CaffeNet } from "../src/models/net.js";
import { Tensor } from "../src/tensor/tensor.js";
import { withThreads } from "../src/threads/pool.js";
import { type BenchOptions, median, printTable } from "./util.js";

const f32 = (n: number, seed: number, lo: number, hi: number): Float32Array => Float32Array.from(randomTensor([n], seed, lo, hi).data);

/** A convolution and its BatchNorm and Scale, in place on the convolution's name, as ResNet-50's deploy file has them. */
function chain(name: string, bottom: string, cin: number, cout: number, k: number, stride: number, seed: number): LayerDef[] {
  const pad = (k - 1) >> 1,
    inPlace = { bottoms: [name], tops: [name], phase: null };
  const bound = Math.sqrt(3 / (cin * k * k)); // keeps activations of order 1 through the block
  return [
    {
      name,
      type: "Convolution",
      bottoms: [bottom],
      tops: [name],
      phase: null,
      convolution: {
        numOutput: cout,
        biasTerm: false,
        kernel: [k, k],
        stride: [stride, stride],
        pad: [pad, pad],
        dilation: [1, 1],
        group: 1,
      },
      blobs: [{ shape: [cout, cin, k, k], data: f32(cout * cin * k * k, seed, -bound, bound) }],
    },
    {
      ...inPlace,
      name: `bn_${name}`,
      type: "BatchNorm",
      batchNorm: { useGlobalStats: true, movingAverageFraction: 0.999, eps: 1e-5 },
      blobs: [
        { shape: [cout], data: f32(cout, seed + 1, -0.5, 0.5) },
        { shape: [cout], data: f32(cout, seed + 2, 0.5, 2) },
        { shape: [1], data: Float32Array.of(1) },
      ],
    },
    {
      ...inPlace,
      name: `scale_${name}`,
      type: "Scale",
      scale: { axis: 1, numAxes: 1, biasTerm: true },
      blobs: [
        { shape: [cout], data: f32(cout, seed + 3, 0.5, 1.5) },
        { shape: [cout], data: f32(cout, seed + 4, -0.2, 0.2) },
      ],
    },
  ];
}
const relu = (blob: string): LayerDef => ({
  name: `${blob}_relu`,
  type: "ReLU",
  bottoms: [blob],
  tops: [blob],
  phase: null,
  blobs: [],
  relu: { negativeSlope: 0 },
});

function resnetStem(): NetDef {
  return {
    name: "resnet-50 stem + res2a",
    inputs: [{ name: "data", shape: [1, 3, 224, 224] }],
    layers: [
      ...chain("conv1", "data", 3, 64, 7, 2, 1),
      relu("conv1"),
      {
        name: "pool1",
        type: "Pooling",
        bottoms: ["conv1"],
        tops: ["pool1"],
        phase: null,
        blobs: [],
        pooling: { method: "max", kernel: [3, 3], stride: [2, 2], pad: [0, 0], globalPooling: false },
      },
      ...chain("res2a_branch1", "pool1", 64, 256, 1, 1, 11),
      ...chain("res2a_branch2a", "pool1", 64, 64, 1, 1, 21),
      relu("res2a_branch2a"),
      ...chain("res2a_branch2b", "res2a_branch2a", 64, 64, 3, 1, 31),
      relu("res2a_branch2b"),
      ...chain("res2a_branch2c", "res2a_branch2b", 64, 256, 1, 1, 41),
      {
        name: "res2a",
        type: "Eltwise",
        bottoms: ["res2a_branch1", "res2a_branch2c"],
        tops: ["res2a"],
        phase: null,
        blobs: [],
        eltwise: { operation: "sum", coeff: [] },
      },
      relu("res2a"),
    ],
  };
}

export async function run({ quick }: BenchOptions): Promise<void> {
  const net = new CaffeNet(resnetStem());
  const convs = ["conv1", "res2a_branch1", "res2a_branch2a", "res2a_branch2b", "res2a_branch2c"];
  const x = randomTensor([1, 3, 224, 224], 5, -100, 100).to("float32");
  const step = (outputs: string[]): Float32Array => {
    const input = new Tensor(x.data, x.shape, true);
    const [y] = net.forward(input, outputs);
    backward(y!);
    return input.grad as Float32Array;
  };
  const folded = ["res2a_relu"],
    unfolded = ["res2a_relu", ...convs];
  withThreads(1, () => {
    const [a] = net.forward(x, folded),
      [b] = net.forward(x, unfolded);
    // Relative to the largest value: a value's own relative error means little where it cancels.
    const forward = relativeToLargest(a!.data, b!.data),
      gradient = relativeToLargest(step(folded), step(unfolded));
    console.log(
      `validation: folded vs unfolded, forward ${forward.toExponential(1)}, input gradient ${gradient.toExponential(1)} of the largest value`,
    );
    if (!(forward < 1e-5 && gradient < 1e-5)) throw new Error("folded and unfolded paths disagree beyond Float32 rounding");
    const rounds = quick ? 3 : 9;
    const times = { folded: [] as number[], unfolded: [] as number[] };
    for (let r = 0; r < rounds; r++) {
      for (const [kind, outputs] of [
        ["folded", folded],
        ["unfolded", unfolded],
      ] as const) {
        const t0 = performance.now();
        step(outputs);
        times[kind].push(performance.now() - t0);
      }
    }
    const [f, u] = [median(times.folded), median(times.unfolded)];
    printTable(
      ["path", "ms (median)", "tape values (M)"],
      [
        ["unfolded", u.toFixed(1), (countValues(net, unfolded) / 1e6).toFixed(2)],
        ["folded", f.toFixed(1), (countValues(net, folded) / 1e6).toFixed(2)],
      ],
    );
    console.log(`folded / unfolded: ${(f / u).toFixed(2)} (${rounds} alternating rounds, 1 thread)`);
  });
}

/** Values of the activations a forward to `outputs` allocates, as the memory estimate counts them. */
function countValues(net: CaffeNet, outputs: string[]): number {
  return net
    .plannedShapes(outputs, [1, 3, 224, 224])
    .filter((r) => r.foldedInto === undefined && r.type !== "Split")
    .reduce((n, r) => n + r.shape.reduce((a, d) => a * d, 1), 0);
}

/** max |a − b| / max |b|. */
function relativeToLargest(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let diff = 0,
    largest = 0;
  for (let i = 0; i < b.length; i++) {
    diff = Math.max(diff, Math.abs(a[i]! - b[i]!));
    largest = Math.max(largest, Math.abs(b[i]!));
  }
  return diff / largest;
}
