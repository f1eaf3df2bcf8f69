// Folding a BatchNorm and its Scale into the convolution before them, once, at load.
//
// A ResNet follows nearly every convolution with a BatchNorm (stored statistics μ, σ² and eps)
// and a per-channel Scale (γ, β). At inference all three are affine in the convolution's output
// z, channel by channel:
//
//     y = γ · (z − μ) / σ + β,   σ = sqrt(σ² + eps),   z = w ∗ x + b
//       = (w · γ/σ) ∗ x + ((b − μ) · γ/σ + β)
//
// so one convolution with weights w'[k] = w[k] · γ[k]/σ[k] and bias b'[k] = (b[k] − μ[k]) · γ[k]/σ[k]
// + β[k] computes the Scale's output directly (b = 0 for a convolution without bias_term, β = 0
// for a Scale without one). The BatchNorm's and the Scale's passes over the activations vanish,
// and so do their two output tensors: a ResNet then pays nothing for its normalization. The
// factors are computed in Float64 and w', b' rounded once, to Float32 — or kept in Float64 for a
// Float64 forward (a gradient check, an oracle), made the first time one runs.
//
// It is exact only where nothing else sees the intermediate values: the chain is folded when the
// convolution's output goes to the BatchNorm alone, whose output goes to the Scale alone, the
// BatchNorm uses the stored statistics, and the Scale is per channel (axis 1, num_axes 1, its
// scale a learned blob). And, per forward, when neither the convolution's nor the BatchNorm's own
// output is asked for: in Caffe files the three are in place on one blob name, but a *layer*
// name still means that layer's output right after it ran (./net.ts), so asking for "conv1" in
// a ResNet gives the pre-BatchNorm values, by the unfolded path. That path stays, as the oracle
// (test/models/fold-batch-norm.test.ts compares the two).

import { allocKept } from "../tensor/buffers.js";
import { Tensor, type DType, type Floats } from "../tensor/tensor.js";
import type { LayerDef } from "../io/caffe/net-def.js";
import { usesStoredStatistics } from "./layer-rules/normalization.js";

/** What folding needs of a net's layer: its definition, the values it reads, its weights. */
export interface FoldableLayer {
  def: LayerDef;
  bottoms: readonly { layer: number; top: number }[];
  weights: readonly Tensor[];
}

/** A Convolution → BatchNorm → Scale chain that can run as one convolution. Indices are the net's. */
export interface FoldedChain {
  conv: number;
  batchNorm: number;
  scale: number;
  /** The convolution's folded [weights, bias], in Float32. */
  weights: Tensor[];
  /** The same in Float64, made on first use. */
  weights64: Tensor[] | null;
}

/** Every chain of the net that folding would keep exact when none of its inner values is asked for. */
export function foldableChains(layers: readonly FoldableLayer[]): FoldedChain[] {
  const readers = new Map<number, number[]>(); // layer → the layers reading its first top
  layers.forEach((l, i) => {
    for (const b of l.bottoms) if (b.layer >= 0 && b.top === 0) readers.set(b.layer, [...(readers.get(b.layer) ?? []), i]);
  });
  const onlyReader = (i: number): number | null => {
    const r = readers.get(i);
    return r?.length === 1 && layers[r[0]!]!.bottoms.length === 1 ? r[0]! : null;
  };
  const chains: FoldedChain[] = [];
  layers.forEach((conv, c) => {
    if (conv.def.type !== "Convolution" || conv.def.tops.length !== 1) return;
    const bn = onlyReader(c);
    if (bn === null || layers[bn]!.def.type !== "BatchNorm" || !usesStoredStatistics(layers[bn]!.def)) return;
    const sc = onlyReader(bn);
    if (sc === null || !isPerChannelScale(layers[sc]!.def) || layers[sc]!.weights[0]?.size !== conv.weights[0]!.shape[0]) return;
    chains.push({ conv: c, batchNorm: bn, scale: sc, weights: foldedWeights(conv, layers[bn]!, layers[sc]!, "float32"), weights64: null });
  });
  return chains;
}

/** A Scale by one learned factor per channel of a 4-D blob (a convolution's output), with or without a bias. */
function isPerChannelScale(def: LayerDef): boolean {
  const p = def.scale ?? { axis: 1, numAxes: 1 };
  return def.type === "Scale" && def.bottoms.length === 1 && (p.axis === 1 || p.axis === -3) && p.numAxes === 1;
}

/**
 * The chains to fold in a forward that runs `plan` for `targets`: those whose Scale runs, and
 * whose convolution's and BatchNorm's outputs are not asked for. By the convolution's index.
 */
export function chainsToFold(
  chains: readonly FoldedChain[],
  plan: readonly number[],
  targets: readonly { layer: number }[],
): Map<number, FoldedChain> {
  const running = new Set(plan);
  const asked = new Set(targets.map((t) => t.layer));
  return new Map(chains.filter((f) => running.has(f.scale) && !asked.has(f.conv) && !asked.has(f.batchNorm)).map((f) => [f.conv, f]));
}

/** The folded weights for a forward in `dtype`. */
export function foldedWeightsIn(chain: FoldedChain, layers: readonly FoldableLayer[], dtype: DType): Tensor[] {
  if (dtype === "float32") return chain.weights;
  chain.weights64 ??= foldedWeights(layers[chain.conv]!, layers[chain.batchNorm]!, layers[chain.scale]!, "float64");
  return chain.weights64;
}

/** w' = w · γ/σ and b' = (b − μ) · γ/σ + β, per output channel k, the factors in Float64. */
function foldedWeights(conv: FoldableLayer, bn: FoldableLayer, sc: FoldableLayer, dtype: DType): Tensor[] {
  const [w, b] = conv.weights as [Tensor, Tensor?];
  const [mean, variance] = bn.weights as [Tensor, Tensor];
  const [gamma, beta] = sc.weights as [Tensor, Tensor?];
  const eps = bn.def.batchNorm?.eps ?? 1e-5;
  const K = w.shape[0]!,
    perK = w.size / K;
  const wOut: Floats = allocKept(dtype, w.size),
    bOut: Floats = allocKept(dtype, K);
  for (let k = 0; k < K; k++) {
    const factor = gamma.data[k]! / Math.sqrt(variance.data[k]! + eps);
    for (let i = k * perK; i < (k + 1) * perK; i++) wOut[i] = w.data[i]! * factor;
    bOut[k] = ((b?.data[k] ?? 0) - mean.data[k]!) * factor + (beta?.data[k] ?? 0);
  }
  return [new Tensor(wOut, w.shape), new Tensor(bOut, [K])];
}
