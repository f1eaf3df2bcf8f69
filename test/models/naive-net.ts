// An independent, naive Float64 evaluator of a decoded Caffe net (a NetDef): the oracle for the
// whole-net tests. Plain loops per layer type, written from Caffe's layer sources
// (BVLC/caffe src/caffe/layers/*.cpp), sharing no code with src/layers or src/models: if both
// agree, the fast kernels, the rules and the net's wiring are right, or wrong the same way twice
// from two readings of Caffe.
//
// Blobs are row-major Float64 arrays with a shape. Layers run in file order over named blobs,
// in place where top == bottom; a requested name means what it means to CaffeNet: a layer's
// name is its first top right after it ran, any other blob name its last value.
//
// The formulas (x the bottom, y the top; N C H W, K output channels, R×S window, G groups):
//   Convolution    y[n,k,i,j] = b[k] + Σ_{c∈group(k), r, s} w[k,c,r,s] · x[n,c, i·sh − ph + r·dh, j·sw − pw + s·dw]
//                  OH = ⌊(H + 2ph − (dh(R−1)+1)) / sh⌋ + 1
//   Deconvolution  the adjoint: y[n,k, i·sh − ph + r·dh, j·sw − pw + s·dw] += w[c,k,r,s] · x[n,c,i,j],
//                  w [C, K/G, R, S]; OH = sh(H − 1) + dh(R − 1) + 1 − 2ph
//   Pooling        OH = ⌈(H + 2ph − R) / sh⌉ + 1, less one if ph > 0 and (OH−1)·sh ≥ H + ph; MAX over
//                  the window clipped to the image; AVE: sum over the image cells divided by the
//                  window clipped to the padded image; global: R×S = H×W
//   LRN across     y = x · (k + α/n · Σ_{c' = c−⌊(n−1)/2⌋ … c+n−1−⌊(n−1)/2⌋} x²)^−β
//   LRN within     y = x · (1 + α · AVE-pool_{n×n, pad ⌊(n−1)/2⌋}(x²))^−β
//   InnerProduct   y[m, o] = b[o] + Σ_k W[o, k] x[m, k], x flattened from `axis` (W [K, O] when transposed)
//   BatchNorm      s = blob2[0], f = s = 0 ? 0 : 1/s; μ = f·blob0, σ² = f·blob1 (global stats, each a
//                  float as Caffe holds them), or
//                  the batch's mean and biased variance over N, H, W when use_global_stats is false;
//                  y = (x − μ_c) / √(σ²_c + eps)
//   Scale / Bias   y = x · γ (+ β) / y = x + β, γ and β spanning the axes axis … axis+num_axes−1
//                  (num_axes −1: to the end), from the second bottom when there is one
//   PReLU          y = max(0, x) + a_c · min(0, x); ELU y = x > 0 ? x : α(eˣ − 1); Power y = (shift + scale·x)^power
//   Flatten/Reshape/Slice/Crop/Concat/Split: the same values re-cut (see each case)
import type { LayerDef, NetDef } from "../../src/io/caffe/net-def.js";

/** A Float64 blob: row-major values and their shape. */
export interface NaiveBlob {
  shape: number[];
  data: Float64Array;
}

// Types that only feed or score training; like Caffe's deploy nets, they are left out.
const SKIP = new Set([
  "Input",
  "Data",
  "ImageData",
  "HDF5Data",
  "MemoryData",
  "WindowData",
  "DummyData",
  "AnnotatedData",
  "SoftmaxWithLoss",
  "EuclideanLoss",
  "Accuracy",
  "Silence",
]);

const size = (shape: readonly number[]): number => shape.reduce((a, d) => a * d, 1);
const blob = (shape: number[]): NaiveBlob => ({ shape, data: new Float64Array(size(shape)) });
const axisOf = (axis: number, rank: number): number => (axis < 0 ? axis + rank : axis);

/**
 * Runs every layer of `def` on `input` (the net's input blob, Float64) and returns the named
 * outputs, by CaffeNet's naming rule.
 */
export function naiveForward(def: NetDef, input: NaiveBlob, outputs: readonly string[]): NaiveBlob[] {
  const inputName = def.inputs[0]?.name ?? "data";
  const current = new Map<string, NaiveBlob>([[inputName, input]]);
  const byLayer = new Map<string, NaiveBlob>();
  for (const layer of def.layers) {
    if (SKIP.has(layer.type) || layer.phase === "train") continue;
    const tops = naiveLayer(
      layer,
      layer.bottoms.map((b) => current.get(b) ?? missing(layer, b)),
    );
    if (!byLayer.has(layer.name) && tops.length > 0) byLayer.set(layer.name, tops[0]!);
    layer.tops.forEach((t, k) => {
      current.set(t, tops[k]!);
    });
  }
  return outputs.map((name) => byLayer.get(name) ?? current.get(name) ?? missing(null, name));
}

function missing(layer: LayerDef | null, name: string): never {
  throw new Error(layer ? `naive: layer "${layer.name}" reads "${name}", which nothing wrote` : `naive: no blob "${name}"`);
}

/** One layer on its bottoms: its tops, as new blobs. */
export function naiveLayer(layer: LayerDef, x: NaiveBlob[]): NaiveBlob[] {
  const w = layer.blobs.map((b) => Float64Array.from(b.data));
  const x0 = x[0]!;
  switch (layer.type) {
    case "Convolution":
      return [convolution(layer, x0, w)];
    case "Deconvolution":
      return [deconvolution(layer, x0, w)];
    case "Pooling":
      return [pooling(layer, x0)];
    case "LRN":
      return [lrn(layer, x0)];
    case "InnerProduct":
      return [innerProduct(layer, x0, w)];
    case "Softmax":
      return [softmax(x0, axisOf(layer.softmax?.axis ?? 1, x0.shape.length))];
    case "ReLU": {
      const slope = layer.relu?.negativeSlope ?? 0;
      return [map(x0, (v) => (v > 0 ? v : slope * v))];
    }
    case "Dropout":
      return [map(x0, (v) => v)];
    case "Split":
      return layer.tops.map(() => map(x0, (v) => v));
    case "Concat":
      return [concat(x, axisOf(layer.concat?.axis ?? 1, x0.shape.length))];
    case "Eltwise":
      return [eltwise(layer, x)];
    case "BatchNorm":
      return [batchNorm(layer, x0, w)];
    case "Scale":
      return [scaleOrBias(layer, x, w, "scale")];
    case "Bias":
      return [scaleOrBias(layer, x, w, "bias")];
    case "PReLU":
      return [prelu(layer, x0, w[0]!)];
    case "Sigmoid":
      return [map(x0, (v) => 1 / (1 + Math.exp(-v)))];
    case "TanH":
      return [map(x0, Math.tanh)];
    case "AbsVal":
      return [map(x0, Math.abs)];
    case "ELU": {
      const alpha = layer.elu?.alpha ?? 1;
      return [map(x0, (v) => (v > 0 ? v : alpha * (Math.exp(v) - 1)))];
    }
    case "Power": {
      const { power = 1, scale = 1, shift = 0 } = layer.power ?? {};
      return [map(x0, (v) => (shift + scale * v) ** power)];
    }
    case "Flatten": {
      const rank = x0.shape.length;
      const a = axisOf(layer.flatten?.axis ?? 1, rank);
      const e = axisOf(layer.flatten?.endAxis ?? -1, rank);
      return [{ shape: [...x0.shape.slice(0, a), size(x0.shape.slice(a, e + 1)), ...x0.shape.slice(e + 1)], data: x0.data.slice() }];
    }
    case "Reshape":
      return [{ shape: reshaped(layer, x0.shape), data: x0.data.slice() }];
    case "Slice":
      return slice(layer, x0);
    case "Crop":
      return [crop(layer, x0, x[1]!)];
    default:
      throw new Error(`naive: no evaluator for layer "${layer.name}" of type "${layer.type}"`);
  }
}

function map(x: NaiveBlob, f: (v: number) => number): NaiveBlob {
  return { shape: [...x.shape], data: x.data.map(f) };
}

function convolution(layer: LayerDef, x: NaiveBlob, [w, b]: Float64Array[]): NaiveBlob {
  const p = layer.convolution!;
  const [N, C, H, W] = x.shape as [number, number, number, number];
  const [R, S] = p.kernel;
  const K = p.numOutput;
  const G = p.group;
  const Cg = C / G;
  const OH = Math.floor((H + 2 * p.pad[0] - (p.dilation[0] * (R - 1) + 1)) / p.stride[0]) + 1;
  const OW = Math.floor((W + 2 * p.pad[1] - (p.dilation[1] * (S - 1) + 1)) / p.stride[1]) + 1;
  const y = blob([N, K, OH, OW]);
  for (let n = 0; n < N; n++) {
    for (let k = 0; k < K; k++) {
      const g = Math.floor(k / (K / G));
      const out = (n * K + k) * OH * OW;
      if (p.biasTerm) for (let i = 0; i < OH * OW; i++) y.data[out + i] = b![k]!;
      for (let c = 0; c < Cg; c++) {
        for (let r = 0; r < R; r++) {
          for (let s = 0; s < S; s++) {
            const wv = w![((k * Cg + c) * R + r) * S + s]!;
            const plane = (n * C + g * Cg + c) * H * W;
            for (let i = 0; i < OH; i++) {
              const ih = i * p.stride[0] - p.pad[0] + r * p.dilation[0];
              if (ih < 0 || ih >= H) continue;
              for (let j = 0; j < OW; j++) {
                const iw = j * p.stride[1] - p.pad[1] + s * p.dilation[1];
                if (iw >= 0 && iw < W) y.data[out + i * OW + j] = y.data[out + i * OW + j]! + wv * x.data[plane + ih * W + iw]!;
              }
            }
          }
        }
      }
    }
  }
  return y;
}

function deconvolution(layer: LayerDef, x: NaiveBlob, [w, b]: Float64Array[]): NaiveBlob {
  const p = layer.convolution!;
  const [N, C, H, W] = x.shape as [number, number, number, number];
  const [R, S] = p.kernel;
  const K = p.numOutput;
  const G = p.group;
  const [Cg, Kg] = [C / G, K / G];
  const OH = p.stride[0] * (H - 1) + p.dilation[0] * (R - 1) + 1 - 2 * p.pad[0];
  const OW = p.stride[1] * (W - 1) + p.dilation[1] * (S - 1) + 1 - 2 * p.pad[1];
  const y = blob([N, K, OH, OW]);
  for (let n = 0; n < N; n++) {
    for (let c = 0; c < C; c++) {
      const g = Math.floor(c / Cg);
      for (let i = 0; i < H; i++) {
        for (let j = 0; j < W; j++) {
          const xv = x.data[((n * C + c) * H + i) * W + j]!;
          for (let kk = 0; kk < Kg; kk++) {
            const k = g * Kg + kk;
            for (let r = 0; r < R; r++) {
              const oh = i * p.stride[0] - p.pad[0] + r * p.dilation[0];
              if (oh < 0 || oh >= OH) continue;
              for (let s = 0; s < S; s++) {
                const ow = j * p.stride[1] - p.pad[1] + s * p.dilation[1];
                if (ow < 0 || ow >= OW) continue;
                const at = ((n * K + k) * OH + oh) * OW + ow;
                y.data[at] = y.data[at]! + xv * w![((c * Kg + kk) * R + r) * S + s]!;
              }
            }
          }
        }
      }
    }
  }
  if (p.biasTerm) for (let i = 0; i < y.data.length; i++) y.data[i] = y.data[i]! + b![Math.floor(i / (OH * OW)) % K]!;
  return y;
}

function pooling(layer: LayerDef, x: NaiveBlob): NaiveBlob {
  const p = layer.pooling!;
  const [N, C, H, W] = x.shape as [number, number, number, number];
  const [R, S] = p.globalPooling ? [H, W] : p.kernel;
  const [sh, sw] = p.globalPooling ? [1, 1] : p.stride;
  const [ph, pw] = p.globalPooling ? [0, 0] : p.pad;
  let OH = Math.ceil((H + 2 * ph - R) / sh) + 1;
  let OW = Math.ceil((W + 2 * pw - S) / sw) + 1;
  if (ph > 0 && (OH - 1) * sh >= H + ph) OH--;
  if (pw > 0 && (OW - 1) * sw >= W + pw) OW--;
  const y = blob([N, C, OH, OW]);
  for (let nc = 0; nc < N * C; nc++) {
    for (let i = 0; i < OH; i++) {
      for (let j = 0; j < OW; j++) {
        const [h0, w0] = [i * sh - ph, j * sw - pw];
        const [h1, w1] = [Math.min(h0 + R, H + ph), Math.min(w0 + S, W + pw)];
        const divisor = (h1 - h0) * (w1 - w0);
        let acc = p.method === "max" ? -Infinity : 0;
        for (let h = Math.max(h0, 0); h < Math.min(h1, H); h++) {
          for (let v = Math.max(w0, 0); v < Math.min(w1, W); v++) {
            const xv = x.data[(nc * H + h) * W + v]!;
            acc = p.method === "max" ? Math.max(acc, xv) : acc + xv;
          }
        }
        y.data[(nc * OH + i) * OW + j] = p.method === "max" ? acc : acc / divisor;
      }
    }
  }
  return y;
}

function lrn(layer: LayerDef, x: NaiveBlob): NaiveBlob {
  const { localSize: n, alpha, beta, k, normRegion } = layer.lrn!;
  const [N, C, H, W] = x.shape as [number, number, number, number];
  const at = (b: number, c: number, h: number, v: number): number => x.data[((b * C + c) * H + h) * W + v]!;
  const pre = Math.floor((n - 1) / 2);
  const y = blob([...x.shape]);
  for (let b = 0; b < N; b++) {
    for (let c = 0; c < C; c++) {
      for (let h = 0; h < H; h++) {
        for (let v = 0; v < W; v++) {
          let scale: number;
          if (normRegion === "across") {
            let sum = 0;
            for (let cc = Math.max(0, c - pre); cc <= Math.min(C - 1, c + n - 1 - pre); cc++) sum += at(b, cc, h, v) ** 2;
            scale = k + (alpha / n) * sum;
          } else {
            const [h0, w0] = [h - pre, v - pre];
            const divisor = (Math.min(h0 + n, H + pre) - h0) * (Math.min(w0 + n, W + pre) - w0);
            let sum = 0;
            for (let hh = Math.max(h0, 0); hh < Math.min(h0 + n, H); hh++) {
              for (let vv = Math.max(w0, 0); vv < Math.min(w0 + n, W); vv++) sum += at(b, c, hh, vv) ** 2;
            }
            scale = 1 + alpha * (sum / divisor);
          }
          y.data[((b * C + c) * H + h) * W + v] = at(b, c, h, v) * scale ** -beta;
        }
      }
    }
  }
  return y;
}

function innerProduct(layer: LayerDef, x: NaiveBlob, [w, b]: Float64Array[]): NaiveBlob {
  const p = layer.innerProduct!;
  const axis = axisOf(p.axis, x.shape.length);
  const M = size(x.shape.slice(0, axis));
  const K = size(x.shape.slice(axis));
  const O = p.numOutput;
  const y = blob([...x.shape.slice(0, axis), O]);
  for (let m = 0; m < M; m++) {
    for (let o = 0; o < O; o++) {
      let acc = p.biasTerm ? b![o]! : 0;
      for (let q = 0; q < K; q++) acc += (p.transpose ? w![q * O + o]! : w![o * K + q]!) * x.data[m * K + q]!;
      y.data[m * O + o] = acc;
    }
  }
  return y;
}

// [outer, D, inner] views of a blob cut at `axis`: the loops of softmax, concat and slice.
function around(shape: readonly number[], axis: number): [number, number, number] {
  return [size(shape.slice(0, axis)), shape[axis]!, size(shape.slice(axis + 1))];
}

function softmax(x: NaiveBlob, axis: number): NaiveBlob {
  const [outer, D, inner] = around(x.shape, axis);
  const y = blob([...x.shape]);
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const at = (d: number): number => (o * D + d) * inner + i;
      let max = -Infinity;
      for (let d = 0; d < D; d++) max = Math.max(max, x.data[at(d)]!);
      let sum = 0;
      for (let d = 0; d < D; d++) sum += Math.exp(x.data[at(d)]! - max);
      for (let d = 0; d < D; d++) y.data[at(d)] = Math.exp(x.data[at(d)]! - max) / sum;
    }
  }
  return y;
}

function concat(xs: NaiveBlob[], axis: number): NaiveBlob {
  const shape = [...xs[0]!.shape];
  shape[axis] = xs.reduce((n, x) => n + x.shape[axis]!, 0);
  const y = blob(shape);
  const [outer, , inner] = around(shape, axis);
  let at = 0;
  for (let o = 0; o < outer; o++) {
    for (const x of xs) {
      const run = x.shape[axis]! * inner;
      y.data.set(x.data.subarray(o * run, (o + 1) * run), at);
      at += run;
    }
  }
  return y;
}

function eltwise(layer: LayerDef, xs: NaiveBlob[]): NaiveBlob {
  const { operation, coeff } = layer.eltwise ?? { operation: "sum", coeff: [] };
  const y = map(xs[0]!, (v) => (operation === "sum" ? (coeff[0] ?? 1) * v : v));
  xs.slice(1).forEach((x, k) => {
    for (let i = 0; i < y.data.length; i++) {
      const v = x.data[i]!;
      const a = y.data[i]!;
      y.data[i] = operation === "sum" ? a + (coeff[k + 1] ?? 1) * v : operation === "prod" ? a * v : Math.max(a, v);
    }
  });
  return y;
}

function batchNorm(layer: LayerDef, x: NaiveBlob, [mean, variance, factor]: Float64Array[]): NaiveBlob {
  const eps = layer.batchNorm?.eps ?? 1e-5;
  const [N, C] = [x.shape[0]!, x.shape[1]!];
  const spatial = size(x.shape.slice(2));
  const mu = new Float64Array(C);
  const sigma2 = new Float64Array(C);
  if (layer.batchNorm?.useGlobalStats === false) {
    for (let c = 0; c < C; c++) {
      let [s, s2] = [0, 0];
      for (let n = 0; n < N; n++) for (let i = 0; i < spatial; i++) s += x.data[(n * C + c) * spatial + i]!;
      mu[c] = s / (N * spatial);
      for (let n = 0; n < N; n++) for (let i = 0; i < spatial; i++) s2 += (x.data[(n * C + c) * spatial + i]! - mu[c]!) ** 2;
      sigma2[c] = s2 / (N * spatial);
    }
  } else {
    // Caffe holds the statistics as its Dtype, float: 1/s and each product rounded to Float32.
    const f = factor![0] === 0 ? 0 : Math.fround(1 / factor![0]!);
    for (let c = 0; c < C; c++) [mu[c], sigma2[c]] = [Math.fround(f * mean![c]!), Math.fround(f * variance![c]!)];
  }
  const y = blob([...x.shape]);
  for (let i = 0; i < y.data.length; i++) {
    const c = Math.floor(i / spatial) % C;
    y.data[i] = (x.data[i]! - mu[c]!) / Math.sqrt(sigma2[c]! + eps);
  }
  return y;
}

// Scale (y = x·γ, then + β with bias_term) and Bias (y = x + β): the parameter spans axes
// axis … axis + num_axes − 1 of x and repeats over the axes before (outer) and after (inner).
function scaleOrBias(layer: LayerDef, xs: NaiveBlob[], w: Float64Array[], kind: "scale" | "bias"): NaiveBlob {
  const x = xs[0]!;
  const p = kind === "scale" ? (layer.scale ?? { axis: 1, numAxes: 1, biasTerm: false }) : (layer.bias ?? { axis: 1, numAxes: 1 });
  const axis = axisOf(p.axis, x.shape.length);
  const second = xs[1];
  const spanAxes = second !== undefined ? second.shape.length : p.numAxes < 0 ? x.shape.length - axis : p.numAxes;
  const span = size(x.shape.slice(axis, axis + spanAxes));
  const inner = size(x.shape.slice(axis + spanAxes));
  const params = second !== undefined ? [second.data, ...w] : w;
  const [gamma, beta] = kind === "scale" ? [params[0]!, "biasTerm" in p && p.biasTerm ? params[1]! : null] : [null, params[0]!];
  const y = blob([...x.shape]);
  for (let i = 0; i < y.data.length; i++) {
    const d = Math.floor(i / inner) % span;
    y.data[i] = x.data[i]! * (gamma ? gamma[d]! : 1) + (beta ? beta[d]! : 0);
  }
  return y;
}

function prelu(layer: LayerDef, x: NaiveBlob, a: Float64Array): NaiveBlob {
  const C = x.shape[1] ?? 1;
  const inner = size(x.shape.slice(2));
  const y = blob([...x.shape]);
  for (let i = 0; i < y.data.length; i++) {
    const slope = layer.prelu?.channelShared ? a[0]! : a[Math.floor(i / inner) % C]!;
    const v = x.data[i]!;
    y.data[i] = Math.max(0, v) + slope * Math.min(0, v);
  }
  return y;
}

function reshaped(layer: LayerDef, shape: readonly number[]): number[] {
  const p = layer.reshape!;
  const start = p.axis >= 0 ? p.axis : shape.length + p.axis + 1;
  const end = p.numAxes === -1 ? shape.length : start + p.numAxes;
  const middle = p.shape.map((d, i) => (d === 0 ? shape[start + i]! : d));
  const out = [...shape.slice(0, start), ...middle, ...shape.slice(end)];
  const inferred = out.indexOf(-1);
  if (inferred >= 0) out[inferred] = size(shape) / -size(out);
  return out;
}

function slice(layer: LayerDef, x: NaiveBlob): NaiveBlob[] {
  const axis = axisOf(layer.slice?.axis ?? 1, x.shape.length);
  const [outer, D, inner] = around(x.shape, axis);
  const points = layer.slice?.slicePoints ?? [];
  const cuts = points.length > 0 ? [0, ...points, D] : layer.tops.map((_, k) => (k * D) / layer.tops.length).concat(D);
  return layer.tops.map((_, k) => {
    const [from, to] = [cuts[k]!, cuts[k + 1]!];
    const shape = [...x.shape];
    shape[axis] = to - from;
    const y = blob(shape);
    for (let o = 0; o < outer; o++) y.data.set(x.data.subarray((o * D + from) * inner, (o * D + to) * inner), o * (to - from) * inner);
    return y;
  });
}

function crop(layer: LayerDef, x: NaiveBlob, like: NaiveBlob): NaiveBlob {
  const rank = x.shape.length;
  const axis = axisOf(layer.crop?.axis ?? 2, rank);
  const offsets = layer.crop?.offset ?? [];
  const offset = (i: number): number => (i < axis ? 0 : offsets.length === 0 ? 0 : offsets.length === 1 ? offsets[0]! : offsets[i - axis]!);
  const shape = x.shape.map((d, i) => (i < axis ? d : like.shape[i]!));
  const y = blob(shape);
  const index = new Array<number>(rank).fill(0);
  for (let flat = 0; flat < y.data.length; flat++) {
    let rest = flat;
    for (let i = rank - 1; i >= 0; i--) {
      index[i] = rest % shape[i]!;
      rest = Math.floor(rest / shape[i]!);
    }
    let from = 0;
    for (let i = 0; i < rank; i++) from = from * x.shape[i]! + index[i]! + offset(i);
    y.data[flat] = x.data[from]!;
  }
  return y;
}
