// Deconvolution, Caffe's "Deconvolution" layer: the transposed convolution. Each input value
// scatters a weighted copy of its filter into the output, where a convolution gathers one:
//
//     out[n, k, h·strideH − padH + r·dilationH, w·strideW − padW + s·dilationW]
//         += x[n, c, h, w] · wt[c, k − g·K/G, r, s]            (then + bias[k])
//
// for every input channel c of group g = floor(c / (C/G)) and every output channel k of that
// group; terms that land outside the output (the padding) are dropped.
//
// Legend: N batch, C input channels, H W input size; K output channels (num_output), R S kernel
// size; OH OW output size; G groups. Shapes: x [N, C, H, W], wt [C, K/G, R, S] (Caffe's blob:
// its first axis is the *input* channels), bias [K], out [N, K, OH, OW], where (Caffe's
// deconv_layer.cpp, compute_output_shape)
//
//     OH = strideH·(H − 1) + dilationH·(R − 1) + 1 − 2·padH,  likewise OW.
//
// That sum is exactly the input gradient of a convolution (./conv.ts) run the other way: the
// convolution from [N, K, OH, OW] to [N, C, H, W] with weights wt [C, K/G, R, S] and the same
// stride, pad, dilation and group — the convolution whose output size formula, fed OH, gives back
// H. So, as Caffe does (its Forward_cpu calls the convolution's backward_cpu_gemm, and its
// Backward_cpu the forward_cpu_gemm), with conv that convolution and conv* its adjoint:
//
//     out      = conv*(x) + bias          → conv2dBackward's dx, with x in dout's place
//     dx      += conv(dout)               → conv2dForward, no bias
//     dwt     += conv's dw for input dout and output gradient x
//     dbias[k]+= Σ_{n, oh, ow} dout[n, k, oh, ow]
//
// and every fast path of the convolution (1×1 without im2col, Winograd's 3×3 stride 1, threads)
// serves the deconvolution too. `deconvGeometry` returns that convolution's geometry: in it the
// roles are swapped — its C, H, W are the deconvolution's output, its K, OH, OW its input.
//
// Caffe's convolution_param maps onto `deconv2d`'s options as for a convolution: num_output → K,
// kernel → R×S, stride, pad, dilation, group, bias_term → whether a bias is passed.

import { record } from "../autograd/tape.js";
import { allocOutput } from "../tensor/buffers.js";
import { allocLike, checkSameDtype, formatShape, Tensor, type Floats } from "../tensor/tensor.js";
import { conv2dBackward, conv2dForward, convGeometry, type Conv2dOptions, type ConvGeometry } from "./conv.js";

/**
 * The geometry of the convolution whose adjoint a deconvolution of x [N, C, H, W] by wt
 * [C, K/G, R, S] is: input [N, K, OH, OW], output [N, C, H, W]. Throws when the output would be
 * empty (a padding larger than the output it trims) or the shapes disagree.
 */
export function deconvGeometry(xShape: readonly number[], wShape: readonly number[], options: Conv2dOptions = {}): ConvGeometry {
  if (xShape.length !== 4) throw new RangeError(`deconv2d: input must be 4-D [N, C, H, W], got ${formatShape(xShape)}`);
  if (wShape.length !== 4) throw new RangeError(`deconv2d: weights must be 4-D [C, K/group, R, S], got ${formatShape(wShape)}`);
  const [N, C, H, W] = xShape as [number, number, number, number];
  const [Cw, Kg, R, S] = wShape as [number, number, number, number];
  const group = options.group ?? 1;
  if (Number.isInteger(group) && group >= 1 && C % group !== 0) {
    throw new RangeError(`deconv2d: input has ${C} channels, not divisible by group ${group}`);
  }
  if (Cw !== C) {
    throw new RangeError(
      `deconv2d: weights ${formatShape(wShape)} are for ${Cw} input channels, but the input ${formatShape(xShape)} has ${C}`,
    );
  }
  const [strideH, strideW] = options.stride ?? [1, 1],
    [padH, padW] = options.pad ?? [0, 0],
    [dilationH, dilationW] = options.dilation ?? [1, 1];
  const OH = strideH * (H - 1) + dilationH * (R - 1) + 1 - 2 * padH;
  const OW = strideW * (W - 1) + dilationW * (S - 1) + 1 - 2 * padW;
  if (OH < 1 || OW < 1) {
    throw new RangeError(
      `deconv2d: output would be empty (${OH}×${OW}): pad ${padH}×${padW} trims more than the ${H}×${W} input spreads to`,
    );
  }
  // convGeometry checks the hyper-parameters and the groups, and its output size is H×W again.
  return convGeometry([N, Kg * group, OH, OW], wShape, options);
}

/**
 * out = deconv(x, wt) + bias, overwriting `out` [N, K, OH, OW]; x [N, C, H, W], wt [C, K/G, R, S].
 * `g` is `deconvGeometry`'s; `scratch` is as for `conv2dBackward` (the column buffer).
 */
export function deconv2dForward(out: Floats, x: Floats, wt: Floats, bias: Floats | null, g: ConvGeometry, scratch?: Floats): void {
  if (bias !== null && bias.length !== g.C) throw new RangeError(`deconv2dForward: bias has ${bias.length} values, expected ${g.C}`);
  out.fill(0); // conv2dBackward accumulates into its dx
  // The convolution's input, its 4th argument, is read only for dw, which is not asked for here:
  // `out` (of that input's size and type) stands in for it.
  conv2dBackward(out, null, null, x, out, wt, g, scratch);
  if (bias !== null) addBias(out, bias, g);
}

/**
 * Gradients of `deconv2dForward`, each accumulated (+=) into its buffer; null skips one. dx is
 * the convolution of dout by wt, through a temporary, because conv2dForward overwrites.
 */
export function deconv2dBackward(
  dx: Floats | null,
  dw: Floats | null,
  db: Floats | null,
  dout: Floats,
  x: Floats,
  wt: Floats,
  g: ConvGeometry,
  scratch?: Floats,
): void {
  if (db !== null) {
    const P = g.H * g.W; // the deconvolution's output plane
    for (let n = 0; n < g.N; n++) {
      for (let k = 0; k < g.C; k++) {
        let acc = 0;
        for (let i = (n * g.C + k) * P, end = i + P; i < end; i++) acc += dout[i]!;
        db[k]! += acc;
      }
    }
  }
  if (dw !== null) conv2dBackward(null, dw, null, x, dout, wt, g, scratch);
  if (dx !== null) {
    const t = allocOutput(dx);
    conv2dForward(t, dout, wt, null, g, scratch);
    for (let i = 0; i < dx.length; i++) dx[i]! += t[i]!;
  }
}

/** out[n, k, ·, ·] += bias[k] over the deconvolution's output planes. */
function addBias(out: Floats, bias: Floats, g: ConvGeometry): void {
  const P = g.H * g.W;
  for (let n = 0; n < g.N; n++) {
    for (let k = 0; k < g.C; k++) {
      const b = bias[k]!;
      for (let i = (n * g.C + k) * P, end = i + P; i < end; i++) out[i]! += b;
    }
  }
}

/**
 * Differentiable transposed convolution (Caffe "Deconvolution"). x [N, C, H, W], wt [C, K/group,
 * R, S], bias [K] or null; options default to stride 1, pad 0, dilation 1, group 1. Returns
 * [N, K, OH, OW] with OH = strideH·(H − 1) + dilationH·(R − 1) + 1 − 2·padH.
 */
export function deconv2d(x: Tensor, wt: Tensor, bias: Tensor | null, p: Conv2dOptions = {}): Tensor {
  const g = deconvGeometry(x.shape, wt.shape, p);
  if (bias !== null && (bias.shape.length !== 1 || bias.shape[0] !== g.C)) {
    throw new RangeError(`deconv2d: bias must be [${g.C}] for weights ${formatShape(wt.shape)}, got ${formatShape(bias.shape)}`);
  }
  const inputs = bias === null ? [x, wt] : [x, wt, bias];
  checkSameDtype("deconv2d", inputs);
  const y = new Tensor(allocOutput(x.data, g.N * g.C * g.H * g.W), [g.N, g.C, g.H, g.W]);
  deconv2dForward(y.data, x.data, wt.data, bias?.data ?? null, g);
  return record(y, "deconv2d", inputs, (dy) => {
    const dx = x.requiresGrad ? allocLike(x.data) : null;
    const dw = wt.requiresGrad ? allocLike(wt.data) : null;
    const db = bias?.requiresGrad ? allocLike(bias.data) : null;
    deconv2dBackward(dx, dw, db, dy, x.data, wt.data, g);
    return bias === null ? [dx, dw] : [dx, dw, db];
  });
}

// ---- Naive twins: the scatter loops of the header, one bounds check per term ----

/** Reference forward: every input value sends x·wt to each output it reaches. Overwrites `out`. */
export function deconv2dForwardNaive(out: Floats, x: Floats, wt: Floats, bias: Floats | null, g: ConvGeometry): void {
  out.fill(0);
  scatter(g, (xi, wi, oi) => {
    out[oi]! += x[xi]! * wt[wi]!;
  });
  if (bias !== null) addBias(out, bias, g);
}

/** Reference backward: each term x·wt of the forward sends dout·wt to dx, dout·x to dwt, dout to db. Accumulates; null skips. */
export function deconv2dBackwardNaive(
  dx: Floats | null,
  dw: Floats | null,
  db: Floats | null,
  dout: Floats,
  x: Floats,
  wt: Floats,
  g: ConvGeometry,
): void {
  scatter(g, (xi, wi, oi) => {
    if (dx !== null) dx[xi]! += dout[oi]! * wt[wi]!;
    if (dw !== null) dw[wi]! += dout[oi]! * x[xi]!;
  });
  if (db !== null) {
    const P = g.H * g.W;
    for (let i = 0; i < dout.length; i++) db[Math.floor(i / P) % g.C]! += dout[i]!;
  }
}

/** Calls `term(x index, wt index, out index)` for every product of the deconvolution's sum that lands inside the output. */
function scatter(g: ConvGeometry, term: (xi: number, wi: number, oi: number) => void): void {
  // In the adjoint convolution's names: the deconvolution's input is [N, K, OH, OW], its output [N, C, H, W].
  const { N, C: Kout, H: OH, W: OW, K: Cin, R, S, OH: H, OW: W, groups } = g;
  const Cg = Cin / groups,
    Kg = Kout / groups;
  for (let n = 0; n < N; n++) {
    for (let c = 0; c < Cin; c++) {
      const k0 = Math.floor(c / Cg) * Kg; // first output channel of c's group
      for (let h = 0; h < H; h++) {
        for (let w = 0; w < W; w++) {
          const xi = ((n * Cin + c) * H + h) * W + w;
          for (let kk = 0; kk < Kg; kk++) {
            for (let r = 0; r < R; r++) {
              for (let s = 0; s < S; s++) {
                const oh = h * g.strideH - g.padH + r * g.dilationH;
                const ow = w * g.strideW - g.padW + s * g.dilationW;
                if (oh < 0 || oh >= OH || ow < 0 || ow >= OW) continue;
                term(xi, ((c * Kg + kk) * R + r) * S + s, ((n * Kout + k0 + kk) * OH + oh) * OW + ow);
              }
            }
          }
        }
      }
    }
  }
}
