// Convolution, Caffe's "Convolution" layer (really a cross-correlation, as in every framework):
//
//     out[n, k, oh, ow] = bias[k] + Σ_{c, r, s} w[k, c, r, s] ·
//                         x[n, g·C/G + c, oh·strideH − padH + r·dilationH, ow·strideW − padW + s·dilationW]
//
// where g = floor(k / (K/G)) is the group of output channel k, c runs over that group's C/G input
// channels, and x is zero outside the image (the padding).
//
// Legend: N batch, C input channels, H W input size; K output channels, R S kernel size;
// OH OW output size (see `convGeometry` in ./conv-geometry.ts); G groups; P = OH·OW.
// Shapes: x [N, C, H, W], w [K, C/G, R, S], bias [K], out [N, K, OH, OW].
//
// Caffe's convolution_param maps onto `conv2d`'s options as: kernel_size/kernel_h/kernel_w →
// the weight shape, stride → stride, pad → pad, dilation → dilation, group → group, bias_term →
// whether a bias is passed.
//
// The fast kernels go through im2col + GEMM, per image and group (./im2col.ts explains why):
//     out_g[K/G × P] = w_g[K/G × C/G·R·S] · col[C/G·R·S × P]
// On the WebAssembly GEMM the forward never builds col: the GEMM gathers each block of it from
// the image as it packs it (GemmOptions.imageB in ./gemm.ts).
// A 1×1, stride-1, unpadded convolution (37 of GoogLeNet's 57) needs no im2col at all: the
// input x_g [C/G × H·W] already is the column matrix. A 3×3 stride-1 one runs by Winograd's
// algorithm instead (./winograd.ts), forward and dx, unless `setConvAlgorithm("im2col")`; so
// does a depthwise one (group = C) by its direct kernels (./depthwise.ts).

import { allocOutput, scratchFor, zeroInThreads } from "../tensor/buffers.js";
import { allocLike, checkSameDtype, formatShape, Tensor, type Floats } from "../tensor/tensor.js";
import { record } from "../autograd/tape.js";
import { gemm, gemmBackend, GEMM_DEPTH_BLOCK } from "./gemm.js";
import { reluForwardInThreads, reluMaskInThreads } from "./relu.js";
import { convGeometry, type Conv2dOptions, type ConvGeometry } from "./conv-geometry.js";
import { col2imInThreads, im2colInThreads } from "./im2col.js";
import { depthwiseBackwardDataInThreads, depthwiseForwardInThreads, usesDepthwise } from "./depthwise.js";
import { usesWinograd, winogradBackwardData, winogradForward, winogradScratchValues, WINOGRAD_M } from "./winograd.js";

// The geometry has its own file, which im2col reads too; re-exported so a conv is one import.
export { convGeometry, type Conv2dOptions, type ConvGeometry, type Pair } from "./conv-geometry.js";
export { convAlgorithm, setConvAlgorithm, type ConvAlgorithm } from "./winograd.js";

/**
 * out = conv(x, w) + bias, overwriting `out` — or max(that, 0) with `relu`, a ReLU done by the
 * GEMM's epilogue. `scratch`, if given, is the column buffer (at least C/G·R·S·OH·OW values of
 * x's type), and makes even a 3×3 stride-1 convolution run on im2col; by default the module
 * reuses its own.
 */
export function conv2dForward(
  out: Floats,
  x: Floats,
  w: Floats,
  bias: Floats | null,
  g: ConvGeometry,
  scratch?: Floats,
  relu = false,
): void {
  checkBuffers("conv2dForward", g, { out, x, w, bias });
  // 3×3 stride 1 by ./winograd.ts, unless the caller hands in a column buffer for im2col.
  // It shares the column buffer, which the memory estimate counts once (../models/layer-rules/convolution.ts).
  if (scratch === undefined && usesWinograd(g)) {
    winogradForward(out, x, w, bias, g, relu, WINOGRAD_M, columnBuffer(x, winogradScratchValues(g), undefined));
    return;
  }
  if (scratch === undefined && usesDepthwise(g)) {
    depthwiseForwardInThreads(out, x, w, bias, g, relu); // one input channel per group: no columns (./depthwise.ts)
    return;
  }
  const { N, C, H, W, K, groups, OH, OW } = g;
  const Cg = C / groups,
    Kg = K / groups,
    CRS = Cg * g.R * g.S,
    P = OH * OW;
  const pointwise = isPointwise(g);
  // On the WebAssembly GEMM the columns are gathered from the image block by block as B is packed
  // (GemmOptions.imageB), never built: for conv1 at 448² that is 7.4 M values not written and read
  // back. A caller's column buffer, and the plain-JS kernel, keep the im2col pass.
  const fromImage = !pointwise && scratch === undefined && x instanceof Float32Array && gemmBackend() !== "js";
  const col = pointwise || fromImage ? null : columnBuffer(x, CRS * P, scratch);
  for (let n = 0; n < N; n++) {
    for (let grp = 0; grp < groups; grp++) {
      const xg = x.subarray((n * C + grp * Cg) * H * W, (n * C + (grp + 1) * Cg) * H * W); // [C/G, H, W]
      const wg = w.subarray(grp * Kg * CRS, (grp + 1) * Kg * CRS); // [K/G, C/G·R·S]
      const og = out.subarray((n * K + grp * Kg) * P, (n * K + (grp + 1) * Kg) * P); // [K/G, P]
      if (col !== null) im2colInThreads(col, xg, g);
      // The GEMM starts each output row at its bias and adds the product on top.
      const rowBias = bias?.subarray(grp * Kg, (grp + 1) * Kg);
      gemm(og, wg, col ?? xg, Kg, P, CRS, fromImage ? { relu, rowBias, imageB: g } : { relu, rowBias });
    }
  }
}

/**
 * Gradients of `conv2dForward`, each accumulated (+=) into its buffer; pass null to skip one.
 * DeepDream only needs dx, and then never pays for dw.
 *
 * With out_g = w_g · col_g per image and group, the chain rule for a product gives
 *     dcol_g = w_gᵀ · dout_g      → dx_g += col2im(dcol_g)   (col2im is im2col's transpose)
 *     dw_g  += dout_g · col_gᵀ    (summed over the images)
 *     db[k] += Σ_{n, oh, ow} dout[n, k, oh, ow]
 * col_g is recomputed here from x rather than kept from the forward pass: the backward runs
 * later, after other convolutions have reused the scratch buffer, and storing every layer's
 * columns would cost R·S times the activations' memory.
 *
 * `doutRelu` says that dout is the gradient of relu(out), whose output is `by`: the ReLU's
 * backward, dout·relu'(by), is then done as the dx GEMM copies dout (GemmOptions.maskB), not in
 * a pass of its own, and dout is left as it was — the Winograd path does it in its input
 * transform on WebAssembly, and masks dout in place first otherwise, as the depthwise path does.
 * Only for dx alone (dw and db null).
 */
export function conv2dBackward(
  dx: Floats | null,
  dw: Floats | null,
  db: Floats | null,
  dout: Floats,
  x: Floats,
  w: Floats,
  g: ConvGeometry,
  scratch?: Floats,
  doutRelu?: { by: Floats; slope: number },
  overwriteDx = false,
): void {
  checkBuffers("conv2dBackward", g, { out: dout, x, w, bias: db, dx, dw });
  if (doutRelu !== undefined && (dw !== null || db !== null)) throw new RangeError("conv2dBackward: doutRelu is only for dx alone");
  const { N, C, H, W, K, groups, OH, OW } = g;
  const Cg = C / groups,
    Kg = K / groups,
    CRS = Cg * g.R * g.S,
    P = OH * OW;
  if (db !== null) {
    for (let n = 0; n < N; n++) {
      for (let k = 0; k < K; k++) {
        let acc = 0;
        for (let i = (n * K + k) * P, end = i + P; i < end; i++) acc += dout[i]!;
        db[k]! += acc;
      }
    }
  }
  if (dx !== null && scratch === undefined && usesWinograd(g)) {
    // ./winograd.ts; it folds the ReLU's backward into its input transform, or masks dout first
    winogradBackwardData(dx, dout, w, g, WINOGRAD_M, columnBuffer(x, winogradScratchValues(g), undefined), doutRelu, overwriteDx);
    dx = null;
  }
  // Only the Winograd path and the pointwise GEMMs write every value of dx once; the others add into it.
  if (dx !== null && overwriteDx && !(isPointwise(g) && scratch === undefined && !usesDepthwise(g))) {
    zeroInThreads(dx);
    overwriteDx = false;
  }
  if (dx !== null && scratch === undefined && usesDepthwise(g)) {
    if (doutRelu !== undefined) reluMaskInThreads(dout, doutRelu.by, doutRelu.slope);
    depthwiseBackwardDataInThreads(dx, dout, w, g); // ./depthwise.ts; dw, if asked, by the grouped path below
    dx = null;
  }
  if (dx === null && dw === null) return;
  const pointwise = isPointwise(g);
  const col = pointwise ? null : columnBuffer(x, CRS * P, scratch);
  for (let n = 0; n < N; n++) {
    for (let grp = 0; grp < groups; grp++) {
      const xOffset = (n * C + grp * Cg) * H * W,
        xEnd = xOffset + Cg * H * W; // x_g, dx_g [C/G, H, W]
      const wg = w.subarray(grp * Kg * CRS, (grp + 1) * Kg * CRS); // [K/G, C/G·R·S]
      const dg = dout.subarray((n * K + grp * Kg) * P, (n * K + (grp + 1) * Kg) * P); // [K/G, P]
      const maskB = doutRelu && { by: doutRelu.by.subarray((n * K + grp * Kg) * P, (n * K + (grp + 1) * Kg) * P), slope: doutRelu.slope };
      if (dw !== null) {
        const xg = x.subarray(xOffset, xEnd);
        if (col !== null) im2colInThreads(col, xg, g);
        const dwg = dw.subarray(grp * Kg * CRS, (grp + 1) * Kg * CRS);
        gemm(dwg, dg, col ?? xg, Kg, CRS, P, { transB: true, accumulate: true });
      }
      if (dx !== null) {
        const dxg = dx.subarray(xOffset, xEnd);
        if (col === null) {
          gemm(dxg, wg, dg, CRS, P, Kg, { transA: true, accumulate: !overwriteDx, maskB });
        } else {
          gemm(col, wg, dg, CRS, P, Kg, { transA: true, maskB }); // col now holds dcol_g
          col2imInThreads(dxg, col, g, gemmBackend() !== "js"); // on WebAssembly SIMD too, unless every kernel is forced to JS
        }
      }
    }
  }
}

/**
 * Differentiable 2-D convolution (Caffe "Convolution"). x [N, C, H, W], w [K, C/group, R, S],
 * bias [K] or null; options default to stride 1, pad 0, dilation 1, group 1.
 * Returns [N, K, OH, OW] with OH = floor((H + 2·padH − dilationH·(R − 1) − 1) / strideH) + 1.
 */
export function conv2d(x: Tensor, w: Tensor, bias: Tensor | null, p: Conv2dOptions = {}): Tensor {
  const g = convGeometry(x.shape, w.shape, p);
  if (bias !== null && (bias.shape.length !== 1 || bias.shape[0] !== g.K)) {
    throw new RangeError(`conv2d: bias must be [${g.K}] for weights ${formatShape(w.shape)}, got ${formatShape(bias.shape)}`);
  }
  const inputs = bias === null ? [x, w] : [x, w, bias];
  checkSameDtype("conv2d", inputs);
  const slope = p.relu;
  if (slope !== undefined && !(slope >= 0)) throw new RangeError(`conv2d: relu's negative slope must be ≥ 0, got ${slope}`);
  const y = new Tensor(allocOutput(x.data, g.N * g.K * g.OH * g.OW), [g.N, g.K, g.OH, g.OW]);
  // y = relu(z): a plain ReLU in the GEMM's epilogue, a leaky one in place afterwards. Its
  // backward needs the sign of z, which y keeps (slope ≥ 0).
  conv2dForward(y.data, x.data, w.data, bias?.data ?? null, g, undefined, slope === 0);
  if (slope !== undefined && slope !== 0) reluForwardInThreads(y.data, y.data, slope);
  return record(y, slope === undefined ? "conv2d" : "conv2d+relu", inputs, (dy, into) => {
    // dL/dz = dL/dy · relu'(z): folded into the dx GEMM when only dx is wanted (DeepDream),
    // otherwise computed in dy's own array (the tape never reads dy again).
    // dx: added into what x's gradient has gathered where that is the same sum (`addsExactly`),
    // else a fresh array that the backward sets (no zeroing).
    const gathered = x.requiresGrad && addsExactly(g, x.data) ? into[0] : undefined;
    const dx = x.requiresGrad ? (gathered ?? allocOutput(x.data)) : null;
    const dw = w.requiresGrad ? allocLike(w.data) : null;
    const db = bias?.requiresGrad ? allocLike(bias.data) : null;
    const fold = slope !== undefined && dx !== null && dw === null && db === null;
    if (slope !== undefined && !fold) reluMaskInThreads(dy, y.data, slope);
    conv2dBackward(dx, dw, db, dy, x.data, w.data, g, undefined, fold ? { by: y.data, slope } : undefined, gathered === undefined);
    return bias === null ? [dx, dw] : [dx, dw, db];
  });
}

/**
 * Whether this convolution's dx can be added straight into a gradient gathered elsewhere with
 * the bits of adding it afterwards: its dx is one WebAssembly GEMM per image and group whose
 * depth (K/G) fits one of the GEMM's blocks, so each value is start + one partial sum either
 * way — and the sum from zeros is never −0, so 0 + S = S exactly. (The plain-JS GEMM adds Float64
 * sums into C, which would round once where adding afterwards rounds twice; Winograd's epilogue
 * likewise; col2im sums many entries.)
 */
function addsExactly(g: ConvGeometry, x: Floats): boolean {
  return isPointwise(g) && x instanceof Float32Array && gemmBackend() !== "js" && g.K / g.groups <= GEMM_DEPTH_BLOCK && !usesDepthwise(g);
}

/** 1×1 kernel, stride 1, no padding: the input is its own column matrix. */
function isPointwise(g: ConvGeometry): boolean {
  return g.R === 1 && g.S === 1 && g.strideH === 1 && g.strideW === 1 && g.padH === 0 && g.padW === 0;
}

// The column buffers, one per dtype, grown on demand and used by every convolution (in shared
// memory while threads are in use, see ../tensor/buffers.ts).
let columns32 = new Float32Array(0);
let columns64 = new Float64Array(0);

/** `n` values of x's type to hold a column matrix: the caller's `scratch` or a shared buffer. */
function columnBuffer(x: Floats, n: number, scratch: Floats | undefined): Floats {
  if (scratch !== undefined) {
    if (scratch.constructor !== x.constructor || scratch.length < n) {
      throw new RangeError(
        `conv2d: scratch must be a ${x.constructor.name} of at least ${n} values, got a ` +
          `${scratch.constructor.name} of ${scratch.length}`,
      );
    }
    return scratch.subarray(0, n);
  }
  if (x instanceof Float64Array) {
    columns64 = scratchFor(columns64, n);
    return columns64.subarray(0, n);
  }
  columns32 = scratchFor(columns32, n);
  return columns32.subarray(0, n);
}

/** Checks every buffer's length against the geometry, naming the kernel and the buffer. */
function checkBuffers(
  kernel: string,
  g: ConvGeometry,
  b: { out: Floats; x: Floats; w: Floats; bias: Floats | null; dx?: Floats | null; dw?: Floats | null },
): void {
  const outName = kernel === "conv2dBackward" ? "dout" : "out";
  const biasName = kernel === "conv2dBackward" ? "db" : "bias";
  const xShape = [g.N, g.C, g.H, g.W],
    wShape = [g.K, g.C / g.groups, g.R, g.S];
  const expected: Array<[string, Floats | null | undefined, number[]]> = [
    [outName, b.out, [g.N, g.K, g.OH, g.OW]],
    ["x", b.x, xShape],
    ["w", b.w, wShape],
    [biasName, b.bias, [g.K]],
    ["dx", b.dx, xShape],
    ["dw", b.dw, wShape],
  ];
  for (const [name, buf, shape] of expected) {
    if (buf === null || buf === undefined) continue;
    const size = shape.reduce((a, d) => a * d, 1);
    if (buf.length !== size) {
      throw new RangeError(`${kernel}: ${name} has ${buf.length} values, expected ${formatShape(shape)} = ${size}`);
    }
    if (buf.constructor !== b.x.constructor) {
      throw new TypeError(`${kernel}: ${name} is a ${buf.constructor.name} but x is a ${b.x.constructor.name}`);
    }
  }
}

/** Reference forward: the defining 7-loop sum, one bounds check per term. Overwrites `out`. */
export function conv2dForwardNaive(out: Floats, x: Floats, w: Floats, bias: Floats | null, g: ConvGeometry): void {
  const { N, C, H, W, K, R, S, OH, OW } = g;
  const Cg = C / g.groups,
    Kg = K / g.groups;
  for (let n = 0; n < N; n++) {
    for (let k = 0; k < K; k++) {
      const c0 = Math.floor(k / Kg) * Cg; // first input channel of k's group
      for (let oh = 0; oh < OH; oh++) {
        for (let ow = 0; ow < OW; ow++) {
          let acc = bias === null ? 0 : bias[k]!;
          for (let c = 0; c < Cg; c++) {
            for (let r = 0; r < R; r++) {
              for (let s = 0; s < S; s++) {
                const ih = oh * g.strideH - g.padH + r * g.dilationH;
                const iw = ow * g.strideW - g.padW + s * g.dilationW;
                if (ih < 0 || ih >= H || iw < 0 || iw >= W) continue;
                acc += w[((k * Cg + c) * R + r) * S + s]! * x[((n * C + c0 + c) * H + ih) * W + iw]!;
              }
            }
          }
          out[((n * K + k) * OH + oh) * OW + ow] = acc;
        }
      }
    }
  }
}

/**
 * Reference backward: the same loops, each term w·x of the forward sum sending dout·x to dw,
 * dout·w to dx, and dout to db. Accumulates; null skips.
 */
export function conv2dBackwardNaive(
  dx: Floats | null,
  dw: Floats | null,
  db: Floats | null,
  dout: Floats,
  x: Floats,
  w: Floats,
  g: ConvGeometry,
): void {
  const { N, C, H, W, K, R, S, OH, OW } = g;
  const Cg = C / g.groups,
    Kg = K / g.groups;
  for (let n = 0; n < N; n++) {
    for (let k = 0; k < K; k++) {
      const c0 = Math.floor(k / Kg) * Cg;
      for (let oh = 0; oh < OH; oh++) {
        for (let ow = 0; ow < OW; ow++) {
          const d = dout[((n * K + k) * OH + oh) * OW + ow]!;
          if (db !== null) db[k]! += d;
          for (let c = 0; c < Cg; c++) {
            for (let r = 0; r < R; r++) {
              for (let s = 0; s < S; s++) {
                const ih = oh * g.strideH - g.padH + r * g.dilationH;
                const iw = ow * g.strideW - g.padW + s * g.dilationW;
                if (ih < 0 || ih >= H || iw < 0 || iw >= W) continue;
                const wi = ((k * Cg + c) * R + r) * S + s,
                  xi = ((n * C + c0 + c) * H + ih) * W + iw;
                if (dx !== null) dx[xi]! += d * w[wi]!;
                if (dw !== null) dw[wi]! += d * x[xi]!;
              }
            }
          }
        }
      }
    }
  }
}
