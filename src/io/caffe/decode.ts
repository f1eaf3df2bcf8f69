// Reading a .caffemodel: binary protobuf `caffe.NetParameter` → the normalized `NetDef`.
//
// Both dialects (see ./schema.ts) come out the same:
//   layers    modern `layer` (field 100) if non-empty, else legacy `layers` (field 2); V1 enum
//             types become the modern strings (CONVOLUTION → "Convolution", SOFTMAX_LOSS →
//             "SoftmaxWithLoss", …) through Caffe's own upgrade table; an enum value outside it
//             becomes "unknown V1 type N", left for the net builder to refuse if it is needed.
//   blobs     each BlobProto read by hand into a Float32Array and checked against its dims
//             (./blob.ts: legacy num/channels/height/width or BlobShape; float or double data).
//   inputs    NetParameter `input` + `input_shape` or `input_dim` (4 per input), then, in layer
//             order, the tops of "Input" layers (with their shapes) and the first top of data
//             layers ("Data", "ImageData", …; shape null). One entry per name.
//   phase     from the `include` rules (or, failing that, `exclude` rules) → "train" | "test" |
//             null for both.
//   params    only the parameter message the layer's type uses, with Caffe's defaults filled in
//             and per-axis values resolved into [h, w] pairs (see below); float parameters are
//             given as the shortest decimal with the same float32 value (alpha 1e-4, not
//             9.99999974e-5), which is what the prototxt said. Legacy names become the modern
//             ones (concat_dim, slice_dim → axis; a file may not set both).
//
// Robustness: any bytes in, a NetDef or a ModelError out, with one line naming the layer and
// blob. protobufjs checks every length against the bytes present before it reads, so nothing is
// allocated from a declared size; blob dims are checked against the values actually read.
//
// Speed: the layers' `blobs` are declared as bytes (`createCaffeRoot({ blobsAsBytes: true })`), so
// protobufjs leaves the weights, nearly all of a model's bytes, to ./blob.ts.

import type protobuf from "protobufjs/light.js";
import { ModelError } from "../../errors.js";
import type { Pair } from "../../layers/conv-geometry.js";
import { checkDims, int64ToNumber, readBlobProto, toBlobDef, type RawBlob } from "./blob.js";
import type {
  BatchNormParam,
  ConcatParam,
  ConvolutionParam,
  EltwiseParam,
  InputDef,
  InnerProductParam,
  LayerDef,
  LrnParam,
  NetDef,
  Phase,
  PoolingParam,
  PowerParam,
  ReshapeParam,
  SliceParam,
} from "./net-def.js";
import { DATA_LAYER_TYPES } from "./net-def.js";
import {
  V1_LAYER_TYPES,
  createCaffeRoot,
  has,
  type ConvolutionParameterMessage,
  type LayerMessage,
  type LayerParamMessages,
  type NetParameterMessage,
  type PoolingParameterMessage,
  type ReshapeParameterMessage,
} from "./schema.js";

const V1_TYPE_NAMES: ReadonlyMap<number, string> = new Map(Object.values(V1_LAYER_TYPES));
const MAX_INT32 = 2 ** 31 - 1; // Caffe holds dims in an int

const root = createCaffeRoot({ blobsAsBytes: true });
const netParameterType = root.lookupType("caffe.NetParameter");
const layerParameterType = root.lookupType("caffe.LayerParameter");

/**
 * Decodes a binary Caffe model (a `.caffemodel`, either the legacy V1 or the modern format).
 * @throws {ModelError} if the bytes are not a readable Caffe network.
 */
export function decodeCaffeModel(bytes: Uint8Array): NetDef {
  if (bytes.length === 0) throw new ModelError("empty model file (0 bytes): expected a binary Caffe .caffemodel");
  const net = readNetParameter(bytes);
  const v1 = net.layer.length === 0;
  const messages = v1 ? net.layers : net.layer;
  if (messages.length === 0) {
    throw new ModelError("no layers in the model file (neither `layer` nor legacy `layers`): not a Caffe .caffemodel");
  }
  checkName(net.name, "the model");
  for (const name of net.input) checkName(name, "an input");
  const layers = messages.map((m, i) => toLayerDef(m, i, v1));
  return { name: net.name, inputs: collectInputs(net, layers), layers };
}

// Names end up in messages and on the terminal. Real Caffe names are printable; a control
// character (a newline, a NUL) means damaged bytes, and quoting it would break the one-line
// message, so the file is refused here with the name escaped.
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point
const CONTROL = /[\u0000-\u001f\u007f]/;

function checkName(name: string, what: string): void {
  if (CONTROL.test(name)) {
    throw new ModelError(`${what} has a name with control characters, ${JSON.stringify(name.slice(0, 40))}: the file is damaged`);
  }
}

function readNetParameter(bytes: Uint8Array): NetParameterMessage {
  try {
    // The shape the schema describes: protobufjs's reflection API returns untyped messages.
    return netParameterType.decode(bytes) as unknown as NetParameterMessage;
  } catch (e) {
    throw new ModelError(`not a Caffe model file, or truncated: ${errorText(e)}`);
  }
}

// ------------------------------------------------------------------------------------------
// Layers

function toLayerDef(m: LayerMessage, index: number, v1: boolean): LayerDef {
  checkName(m.name, `layer #${index}`);
  const where = m.name ? `layer "${m.name}"` : `layer #${index}`;
  for (const blob of [...m.bottom, ...m.top]) checkName(blob, `${where}: a blob it reads or writes`);
  const type = layerType(m, v1, where);
  const blobs = m.blobs.map((bytes, i) => {
    let raw: RawBlob;
    try {
      raw = readBlobProto(bytes);
    } catch (e) {
      throw new ModelError(`${where} blob ${i}: not a valid BlobProto, or truncated: ${errorText(e)}`);
    }
    return toBlobDef(raw, `${where} blob ${i}`);
  });
  return {
    name: m.name,
    type,
    bottoms: [...m.bottom],
    tops: [...m.top],
    blobs,
    phase: layerPhase(m, where),
    ...layerParams(type, m, where),
  };
}

function layerType(m: LayerMessage, v1: boolean, where: string): string {
  if (!v1) {
    if (typeof m.type !== "string" || m.type === "") throw new ModelError(`${where} has no type`);
    checkName(m.type, `${where}: its type`);
    return m.type;
  }
  if (m.type === 0) throw new ModelError(`${where} has no type (V1 type NONE)`);
  // An enum value from a Caffe fork we do not know stays a layer: the net builder complains only
  // if that layer is needed.
  return V1_TYPE_NAMES.get(Number(m.type)) ?? `unknown V1 type ${m.type}`;
}

// Caffe keeps a layer if its state meets ANY `include` rule (a rule without a phase meets both
// phases) and NO `exclude` rule. Rules may also name levels and stages, which we ignore.
function layerPhase(m: LayerMessage, where: string): Phase | null {
  const rulePhases = (rule: { phase: number }): Phase[] => (has(rule, "phase") ? [rule.phase === 0 ? "train" : "test"] : ["train", "test"]);
  const phases = m.include.length === 0 ? new Set<Phase>(["train", "test"]) : new Set(m.include.flatMap(rulePhases));
  for (const rule of m.exclude) if (has(rule, "phase")) phases.delete(rule.phase === 0 ? "train" : "test");
  if (phases.size === 0) throw new ModelError(`${where}: its include/exclude rules leave no phase to run in`);
  return phases.size === 2 ? null : [...phases][0]!;
}

/** Every LayerDef field but the common ones: the per-type parameters. */
type LayerParams = Omit<LayerDef, "name" | "type" | "bottoms" | "tops" | "blobs" | "phase">;

function layerParams(type: string, m: LayerMessage, where: string): LayerParams {
  switch (type) {
    case "Convolution":
    case "Deconvolution":
      return { convolution: convolutionParam(params(m, "convolution_param"), where) };
    case "Pooling":
      return { pooling: poolingParam(params(m, "pooling_param"), where) };
    case "LRN": {
      const p = params(m, "lrn_param");
      const lrn: LrnParam = {
        localSize: p.local_size,
        alpha: float32(p.alpha),
        beta: float32(p.beta),
        k: float32(p.k),
        normRegion: p.norm_region === 1 ? "within" : "across",
      };
      // Caffe's own LRN refuses an even window (it is centred on the channel): so do we, here,
      // rather than when the layer first runs.
      if (!(lrn.localSize > 0 && lrn.localSize % 2 === 1)) {
        throw new ModelError(`${where}: LRN local_size must be a positive odd number, got ${lrn.localSize}`);
      }
      return { lrn };
    }
    case "InnerProduct": {
      const p = params(m, "inner_product_param");
      const innerProduct: InnerProductParam = {
        numOutput: p.num_output,
        biasTerm: p.bias_term,
        axis: p.axis,
        transpose: p.transpose,
      };
      return { innerProduct };
    }
    case "Concat": {
      const p = params(m, "concat_param");
      if (has(p, "axis") && has(p, "concat_dim")) throw new ModelError(`${where}: concat sets both axis and concat_dim`);
      const concat: ConcatParam = { axis: has(p, "concat_dim") ? p.concat_dim : p.axis };
      return { concat };
    }
    case "Eltwise":
      return { eltwise: eltwiseParam(m, where) };
    case "ReLU":
      return { relu: { negativeSlope: float32(params(m, "relu_param").negative_slope) } };
    case "Softmax":
    case "SoftmaxWithLoss":
      return { softmax: { axis: params(m, "softmax_param").axis } };
    case "Dropout":
      return { dropout: { ratio: float32(params(m, "dropout_param").dropout_ratio) } };
    case "Input":
      return { input: { shapes: inputShapes(m, where) } };
    case "BatchNorm": {
      const p = params(m, "batch_norm_param");
      const batchNorm: BatchNormParam = {
        useGlobalStats: has(p, "use_global_stats") ? p.use_global_stats : null,
        movingAverageFraction: float32(p.moving_average_fraction),
        eps: float32(p.eps),
      };
      return { batchNorm };
    }
    case "Scale": {
      const p = params(m, "scale_param");
      return { scale: { axis: p.axis, numAxes: broadcastAxes(p.num_axes, m, where, "scale"), biasTerm: p.bias_term } };
    }
    case "Bias": {
      const p = params(m, "bias_param");
      return { bias: { axis: p.axis, numAxes: broadcastAxes(p.num_axes, m, where, "bias") } };
    }
    case "PReLU":
      return { prelu: { channelShared: params(m, "prelu_param").channel_shared } };
    case "ELU":
      return { elu: { alpha: float32(params(m, "elu_param").alpha) } };
    case "Power": {
      const p = params(m, "power_param");
      const power: PowerParam = { power: float32(p.power), scale: float32(p.scale), shift: float32(p.shift) };
      return { power };
    }
    case "Flatten": {
      const p = params(m, "flatten_param");
      return { flatten: { axis: p.axis, endAxis: p.end_axis } };
    }
    case "Reshape":
      return { reshape: reshapeParam(params(m, "reshape_param"), where) };
    case "Slice":
      return { slice: sliceParam(m, where) };
    case "Crop": {
      const p = params(m, "crop_param");
      return { crop: { axis: p.axis, offset: [...p.offset] } };
    }
    default:
      return {}; // Sigmoid, TanH, AbsVal, Split, …: no parameters we use
  }
}

/** The layer's parameter message, or an empty one (all defaults) when the file has none. */
function params<K extends keyof LayerParamMessages>(m: LayerMessage, key: K): NonNullable<LayerParamMessages[K]> {
  const empty = () => (layerParameterType.fields[key]!.resolvedType as protobuf.Type).create();
  return (m[key] ?? empty()) as NonNullable<LayerParamMessages[K]>;
}

// Convolution geometry, Caffe's rule for each of kernel/stride/pad: the `_h`/`_w` pair if either
// is set (the repeated field must then be empty), else the repeated field — one value for both
// axes, or [h, w] — else the default. Dilation has only the repeated form.
function convolutionParam(p: ConvolutionParameterMessage, where: string): ConvolutionParam {
  type HW = ["kernel_h", "kernel_w"] | ["stride_h", "stride_w"] | ["pad_h", "pad_w"];
  const pair = (name: string, values: number[], hw: HW | null, fallback: number | null): Pair => {
    if (hw !== null && (has(p, hw[0]) || has(p, hw[1]))) {
      if (values.length > 0) throw new ModelError(`${where}: convolution sets both ${name} and ${hw.join("/")}`);
      return [p[hw[0]], p[hw[1]]];
    }
    if (values.length > 2) {
      throw new ModelError(`${where}: ${name} has ${values.length} values, but only 2-D convolution is supported`);
    }
    if (values.length === 0) {
      if (fallback === null) throw new ModelError(`${where}: convolution needs kernel_size, or kernel_h and kernel_w`);
      return [fallback, fallback];
    }
    return [values[0]!, values[values.length - 1]!];
  };
  const conv: ConvolutionParam = {
    numOutput: p.num_output,
    biasTerm: p.bias_term,
    kernel: pair("kernel_size", p.kernel_size, ["kernel_h", "kernel_w"], null),
    stride: pair("stride", p.stride, ["stride_h", "stride_w"], 1),
    pad: pair("pad", p.pad, ["pad_h", "pad_w"], 0),
    dilation: pair("dilation", p.dilation, null, 1),
    group: p.group,
  };
  requirePositive(where, "convolution", {
    num_output: [conv.numOutput],
    kernel: conv.kernel,
    stride: conv.stride,
    dilation: conv.dilation,
    group: [conv.group],
  });
  return conv;
}

// Pooling geometry: kernel_size, or kernel_h and kernel_w (none with global_pooling, whose window
// is the whole input: kernel [0, 0] here, the net builder knows the size); stride and pad as
// single values or `_h`/`_w` pairs.
function poolingParam(p: PoolingParameterMessage, where: string): PoolingParam {
  const hasKernel = has(p, "kernel_size") || has(p, "kernel_h") || has(p, "kernel_w");
  let kernel: Pair;
  if (p.global_pooling) {
    if (hasKernel) throw new ModelError(`${where}: global pooling takes no kernel size`);
    kernel = [0, 0];
  } else if (has(p, "kernel_size")) {
    if (has(p, "kernel_h") || has(p, "kernel_w")) throw new ModelError(`${where}: pooling sets both kernel_size and kernel_h/kernel_w`);
    kernel = [p.kernel_size, p.kernel_size];
  } else if (has(p, "kernel_h") && has(p, "kernel_w")) {
    kernel = [p.kernel_h, p.kernel_w];
  } else {
    throw new ModelError(`${where}: pooling needs kernel_size, or kernel_h and kernel_w, or global_pooling`);
  }
  const pooling: PoolingParam = {
    method: (["max", "ave", "stochastic"] as const)[p.pool] ?? unknownEnum(where, "pooling method", p.pool),
    kernel,
    stride: has(p, "stride_h") || has(p, "stride_w") ? [p.stride_h, p.stride_w] : [p.stride, p.stride],
    pad: has(p, "pad_h") || has(p, "pad_w") ? [p.pad_h, p.pad_w] : [p.pad, p.pad],
    globalPooling: p.global_pooling,
  };
  requirePositive(where, "pooling", { stride: pooling.stride, ...(p.global_pooling ? {} : { kernel }) });
  if (p.global_pooling && (pooling.stride.some((s) => s !== 1) || pooling.pad.some((q) => q !== 0))) {
    throw new ModelError(`${where}: global pooling needs stride 1 and pad 0`);
  }
  if (!p.global_pooling && (pooling.pad[0] >= kernel[0] || pooling.pad[1] >= kernel[1])) {
    throw new ModelError(`${where}: pooling pad [${pooling.pad.join(",")}] must be smaller than the kernel [${kernel.join(",")}]`);
  }
  if (p.round_mode !== 0) {
    throw new ModelError(`${where}: pooling round_mode FLOOR is not supported (only Caffe's default, CEIL)`);
  }
  return pooling;
}

function eltwiseParam(m: LayerMessage, where: string): EltwiseParam {
  const p = params(m, "eltwise_param");
  const operation = (["prod", "sum", "max"] as const)[p.operation] ?? unknownEnum(where, "eltwise operation", p.operation);
  if (p.coeff.length > 0 && operation !== "sum") throw new ModelError(`${where}: eltwise coefficients need operation SUM`);
  if (p.coeff.length > 0 && p.coeff.length !== m.bottom.length) {
    throw new ModelError(`${where}: ${p.coeff.length} eltwise coefficients for ${m.bottom.length} bottoms`);
  }
  return { operation, coeff: p.coeff.map(float32) };
}

// Scale and Bias with one bottom learn their parameter blob: num_axes says how many of the input's
// axes it spans, −1 for all from `axis` on. With a second bottom, that bottom's shape decides and Caffe
// ignores num_axes, so a stray value there is no error.
function broadcastAxes(numAxes: number, m: LayerMessage, where: string, what: string): number {
  if (m.bottom.length < 2 && numAxes < -1) {
    throw new ModelError(`${where}: ${what} num_axes must be ≥ 0, or −1 for all axes from axis on, got ${numAxes}`);
  }
  return numAxes;
}

// Reshape's new shape: 0 copies the input's dimension, −1 is inferred from the element count, and
// only one −1 can be inferred; num_axes is −1 (the rest) or a count. What the input makes of it
// (axes out of range, a count that does not divide) the net checks when it sees the input.
function reshapeParam(p: ReshapeParameterMessage, where: string): ReshapeParam {
  const shape = (p.shape?.dim ?? []).map(int64ToNumber);
  const bad = shape.find((d) => !(d >= -1 && d <= MAX_INT32));
  if (bad !== undefined) {
    throw new ModelError(
      `${where}: reshape dim ${bad} in [${shape.join(",")}]: each dim must be −1 (inferred), 0 (copied) or positive, below 2^31`,
    );
  }
  if (shape.filter((d) => d === -1).length > 1) {
    throw new ModelError(`${where}: reshape shape [${shape.join(",")}] has more than one −1; only one dim can be inferred`);
  }
  if (p.num_axes < -1) throw new ModelError(`${where}: reshape num_axes must be ≥ 0, or −1 for all, got ${p.num_axes}`);
  return { shape, axis: p.axis, numAxes: p.num_axes };
}

// Slice: `axis`, or the legacy `slice_dim` (never both, as Caffe checks); the cut points strictly
// ascending from above 0 (each top gets at least one slice), one fewer than the tops. No points:
// equal parts, which the net checks against the input.
function sliceParam(m: LayerMessage, where: string): SliceParam {
  const p = params(m, "slice_param");
  if (has(p, "axis") && has(p, "slice_dim")) throw new ModelError(`${where}: slice sets both axis and slice_dim`);
  const points = [...p.slice_point];
  if (points.some((x, i) => x <= (i === 0 ? 0 : points[i - 1]!))) {
    throw new ModelError(`${where}: slice points [${points.join(",")}] must be positive and strictly ascending`);
  }
  if (points.length > 0 && points.length !== m.top.length - 1) {
    throw new ModelError(`${where}: ${points.length} slice points for ${m.top.length} tops; give one fewer than the tops, or none`);
  }
  return { axis: has(p, "slice_dim") ? p.slice_dim : p.axis, slicePoints: points };
}

// An Input layer gives one shape per top, or one shape for all tops, or none (shapes unknown).
function inputShapes(m: LayerMessage, where: string): number[][] {
  const shapes = params(m, "input_param").shape.map((s) => checkDims(s.dim.map(int64ToNumber), where));
  if (shapes.length === 0) return [];
  if (shapes.length === 1) return m.top.map(() => [...shapes[0]!]);
  if (shapes.length !== m.top.length) {
    throw new ModelError(`${where}: ${shapes.length} input shapes for ${m.top.length} tops; give one, or one per top`);
  }
  return shapes;
}

function requirePositive(where: string, what: string, values: Record<string, readonly number[]>): void {
  for (const [name, v] of Object.entries(values)) {
    if (v.some((x) => x <= 0)) throw new ModelError(`${where}: ${what} ${name} must be positive, got [${v.join(",")}]`);
  }
}

function unknownEnum(where: string, what: string, value: number): never {
  throw new ModelError(`${where}: unknown ${what} ${value}`);
}

/** The shortest decimal that rounds to the same float32: 1e-4 rather than 9.99999974e-5. */
function float32(x: number): number {
  for (let digits = 1; digits < 9; digits++) {
    const shorter = Number(x.toPrecision(digits));
    if (Math.fround(shorter) === x) return shorter;
  }
  return x;
}

// ------------------------------------------------------------------------------------------
// Inputs

function collectInputs(net: NetParameterMessage, layers: LayerDef[]): InputDef[] {
  const found: InputDef[] = [...netInputs(net)];
  for (const layer of layers) {
    if (layer.type === "Input") {
      layer.tops.forEach((name, i) => {
        found.push({ name, shape: layer.input!.shapes[i] ?? null });
      });
    } else if (DATA_LAYER_TYPES.has(layer.type) && layer.tops.length > 0) {
      found.push({ name: layer.tops[0]!, shape: null });
    }
  }
  // One entry per name (train and test data layers often share a top): the first declared
  // shape wins over none.
  const byName = new Map<string, InputDef>();
  for (const input of found) {
    const seen = byName.get(input.name);
    if (seen === undefined) byName.set(input.name, { name: input.name, shape: input.shape && [...input.shape] });
    else if (seen.shape === null && input.shape !== null) seen.shape = [...input.shape];
  }
  return [...byName.values()];
}

// The deprecated NetParameter fields: names in `input`, shapes in `input_shape` (one BlobShape per
// input) or `input_dim` (4 numbers per input), or no shapes at all (old weight-only files).
function netInputs(net: NetParameterMessage): InputDef[] {
  const names = net.input;
  if (net.input_shape.length > 0) {
    if (net.input_shape.length !== names.length) {
      throw new ModelError(`${names.length} inputs but ${net.input_shape.length} input_shape entries; need one per input`);
    }
    return names.map((name, i) => ({ name, shape: checkDims(net.input_shape[i]!.dim.map(int64ToNumber), `input "${name}"`) }));
  }
  if (net.input_dim.length > 0) {
    if (net.input_dim.length !== 4 * names.length) {
      throw new ModelError(
        `input_dim has ${net.input_dim.length} values but ${names.length} inputs need ${4 * names.length} (num, channels, height, width each)`,
      );
    }
    const dims = net.input_dim.map(int64ToNumber);
    return names.map((name, i) => ({ name, shape: checkDims(dims.slice(4 * i, 4 * i + 4), `input "${name}"`) }));
  }
  return names.map((name) => ({ name, shape: null }));
}

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
