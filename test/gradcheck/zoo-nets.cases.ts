// Whole Caffe nets checked end to end through the tape: CaffeNet.forward in Float64 from a
// .caffemodel's bytes, input gradient against central differences. Per-op checks prove each
// backward rule; this proves the net wires them right (in-place layers, a fused ReLU, the
// shortcut's fan-out summed into conv1's gradient, the Eltwise joining the branches).
import { randomTensor } from "../../src/autograd/gradcheck.js";
import { caffeNetFromBytes } from "../../src/models/sources.js";
import type { Tensor } from "../../src/tensor/tensor.js";
import { BOTTLENECK_RANGE, bottleneck, everyType, type ZooNet } from "../models/zoo-nets.js";
import type { GradcheckCase } from "./cases.js";

function netCase(name: string, zoo: () => ZooNet, output: string, side = 9): GradcheckCase {
  let net: ReturnType<typeof caffeNetFromBytes> | null = null; // built on first use, not at import
  return {
    op: "composed net",
    name,
    f: (x: Tensor) => {
      net ??= caffeNetFromBytes(zoo().bytes, name);
      return net.forward(x, [output])[0]!;
    },
    inputs: () => [randomTensor([1, 3, side, side], 61, ...BOTTLENECK_RANGE, true)],
  };
}

export const zooNetCases: GradcheckCase[] = [
  netCase(
    "a ResNet bottleneck block from a file (conv, ReLU, projection shortcut, Eltwise)",
    () => bottleneck({ batchNorm: false }),
    "res2a_relu",
  ),
  netCase("the same to prob (global average pool, inner product, softmax)", () => bottleneck({ batchNorm: false }), "prob"),
  netCase("the block with BatchNorm + Scale after every convolution, to its output", () => bottleneck(), "res2a_relu"),
  netCase("the block with BatchNorm + Scale, to a BatchNorm's own output (the unfolded path)", () => bottleneck(), "bn2a_branch2b"),
  netCase("a net of every other Model Zoo layer type, to prob", () => everyType(), "prob", 24),
];
