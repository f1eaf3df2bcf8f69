// Writing a NetDef back as a binary `caffe.NetParameter`, in either dialect — the inverse of
// ./decode.ts. It is public: a model edited as a NetDef (layers cut, weights changed, a net
// built from scratch) is saved as a .caffemodel, and a file converts between the two dialects.
// The tests use it too, to build small models and training-style files.
//
//   "modern"  `layer` (field 100) with string types; blobs with a BlobShape; inputs that no layer
//             produces go to `input` + `input_shape` (or `input` alone when no shape is known);
//             "Input" layers stay layers.
//   "v1"      `layers` (field 2) with V1 enum types (a type without an enum is an error); blobs
//             with num/channels/height/width, shapes of fewer than 4 axes padded with leading 1s
//             as Caffe did ([64] → [1, 1, 1, 64]); V1 has no "Input" layer, so its tops join the
//             inputs that no layer produces in `input` + `input_dim` (4-D shapes) or
//             `input_shape` (other shapes), or `input` alone when no shape is known.
//
// For a NetDef as the decoder makes them, decode(encode(def, "modern")) equals def, and
// decode(encode(def, "v1")) equals def but for those two V1 normalizations: blob shapes come back
// 4-D, and Input layers come back as plain inputs.
//
// Every parameter is written explicitly, defaults included, with the `_h`/`_w` geometry fields
// (readable by any Caffe since 2014); V1 writes a concat or slice axis as the V1-era `concat_dim`
// or `slice_dim`. BatchNorm's use_global_stats is written only when set: unset has a meaning.

import { ModelError } from "../../errors.js";
import type { BlobDef, InputDef, LayerDef, NetDef, Phase } from "./net-def.js";
import { V1_LAYER_TYPES, caffeRoot } from "./schema.js";

/** A .caffemodel's layout: legacy V1 (`layers`, enum types, 2014 files such as BVLC GoogLeNet) or modern (`layer`, string types). */
export type CaffeFormat = "v1" | "modern";

const netParameterType = caffeRoot.lookupType("caffe.NetParameter");

const V1_TYPE_IDS: ReadonlyMap<string, number> = new Map(Object.values(V1_LAYER_TYPES).map(([id, type]) => [type, id]));

const PHASE_IDS: Record<Phase, number> = { train: 0, test: 1 };
const POOL_IDS = { max: 0, ave: 1, stochastic: 2 } as const;
const NORM_REGION_IDS = { across: 0, within: 1 } as const;
const ELTWISE_IDS = { prod: 0, sum: 1, max: 2 } as const;

/** A message as protobufjs encodes it: field names of caffe.proto, enums as numbers. */
type Message = Record<string, unknown>;

/**
 * Encodes a network as the bytes of a `.caffemodel` (a binary `caffe.NetParameter`), in the
 * legacy V1 or the modern format: to save a model built or edited as a `NetDef` (from
 * `decodeCaffeModel`), or to convert a file from one format to the other. `decodeCaffeModel`,
 * `loadCaffeModel` and Caffe itself read the result back.
 *
 * ```ts
 * const def = decodeCaffeModel(await readFile("bvlc_googlenet.caffemodel")); // V1
 * await writeFile("googlenet-modern.caffemodel", encodeCaffeModel(def, "modern"));
 * ```
 * @throws {ModelError} if the network cannot be expressed in that format.
 */
export function encodeCaffeModel(def: NetDef, format: CaffeFormat): Uint8Array {
  // V1 lifts Input layers out into NetParameter inputs.
  const layers = format === "v1" ? def.layers.filter((l) => l.type !== "Input") : def.layers;
  const net: Message = {
    name: def.name,
    [format === "v1" ? "layers" : "layer"]: layers.map((l) => layerMessage(l, format)),
    ...inputFields(netLevelInputs(def, layers), format),
  };
  // In Node, protobufjs hands back a Buffer, small ones cut from a shared pool: copy it out into
  // a Uint8Array of its own.
  return new Uint8Array(netParameterType.encode(net).finish());
}

function layerMessage(layer: LayerDef, format: CaffeFormat): Message {
  const where = `layer "${layer.name}"`;
  return {
    name: layer.name,
    type: format === "v1" ? v1TypeId(layer.type, where) : layer.type,
    bottom: layer.bottoms,
    top: layer.tops,
    blobs: layer.blobs.map((b, i) => blobMessage(b, format, `${where} blob ${i}`)),
    include: layer.phase === null ? [] : [{ phase: PHASE_IDS[layer.phase] }],
    ...paramMessages(layer, format),
  };
}

function v1TypeId(type: string, where: string): number {
  const id = V1_TYPE_IDS.get(type);
  if (id === undefined) throw new ModelError(`${where}: type "${type}" has no V1 layer type; use the modern format`);
  return id;
}

function blobMessage(blob: BlobDef, format: CaffeFormat, where: string): Message {
  if (format === "modern") return { shape: { dim: blob.shape }, data: blob.data };
  if (blob.shape.length > 4) throw new ModelError(`${where}: dims [${blob.shape.join(",")}] have more than the 4 axes of a V1 blob`);
  const [num, channels, height, width] = [...Array<number>(4 - blob.shape.length).fill(1), ...blob.shape];
  return { num, channels, height, width, data: blob.data };
}

// Each parameter object present on the LayerDef, as its caffe.proto message.
function paramMessages(layer: LayerDef, format: CaffeFormat): Message {
  const out: Message = {};
  const { convolution: c, pooling: p, lrn, innerProduct: ip, concat, eltwise, relu, softmax, dropout, input } = layer;
  if (c) {
    out.convolution_param = {
      num_output: c.numOutput,
      bias_term: c.biasTerm,
      kernel_h: c.kernel[0],
      kernel_w: c.kernel[1],
      stride_h: c.stride[0],
      stride_w: c.stride[1],
      pad_h: c.pad[0],
      pad_w: c.pad[1],
      dilation: c.dilation,
      group: c.group,
    };
  }
  if (p) {
    out.pooling_param = {
      pool: POOL_IDS[p.method],
      // A global window takes its size from the input; Caffe forbids a kernel size with it.
      ...(p.globalPooling ? {} : { kernel_h: p.kernel[0], kernel_w: p.kernel[1] }),
      stride_h: p.stride[0],
      stride_w: p.stride[1],
      pad_h: p.pad[0],
      pad_w: p.pad[1],
      global_pooling: p.globalPooling,
    };
  }
  if (lrn) {
    out.lrn_param = {
      local_size: lrn.localSize,
      alpha: lrn.alpha,
      beta: lrn.beta,
      norm_region: NORM_REGION_IDS[lrn.normRegion],
      k: lrn.k,
    };
  }
  if (ip) out.inner_product_param = { num_output: ip.numOutput, bias_term: ip.biasTerm, axis: ip.axis, transpose: ip.transpose };
  if (concat) out.concat_param = format === "v1" && concat.axis >= 0 ? { concat_dim: concat.axis } : { axis: concat.axis };
  if (eltwise) out.eltwise_param = { operation: ELTWISE_IDS[eltwise.operation], coeff: eltwise.coeff };
  if (relu) out.relu_param = { negative_slope: relu.negativeSlope };
  if (softmax) out.softmax_param = { axis: softmax.axis };
  if (dropout) out.dropout_param = { dropout_ratio: dropout.ratio };
  if (input && format === "modern") out.input_param = { shape: input.shapes.map((dim) => ({ dim })) };
  Object.assign(out, zooParamMessages(layer, format));
  return out;
}

// The parameters of the Model Zoo's later layer types. Of these, V1 knows only power_param and
// slice_param (and the types AbsVal, Sigmoid, TanH, which have none we use).
function zooParamMessages(layer: LayerDef, format: CaffeFormat): Message {
  const out: Message = {};
  const { batchNorm: bn, scale, bias, prelu, elu, power, flatten, reshape, slice, crop } = layer;
  if (bn) {
    out.batch_norm_param = {
      ...(bn.useGlobalStats === null ? {} : { use_global_stats: bn.useGlobalStats }),
      moving_average_fraction: bn.movingAverageFraction,
      eps: bn.eps,
    };
  }
  if (scale) out.scale_param = { axis: scale.axis, num_axes: scale.numAxes, bias_term: scale.biasTerm };
  if (bias) out.bias_param = { axis: bias.axis, num_axes: bias.numAxes };
  if (prelu) out.prelu_param = { channel_shared: prelu.channelShared };
  if (elu) out.elu_param = { alpha: elu.alpha };
  if (power) out.power_param = { power: power.power, scale: power.scale, shift: power.shift };
  if (flatten && format === "modern") out.flatten_param = { axis: flatten.axis, end_axis: flatten.endAxis };
  // A V1 Flatten has no flatten_param: it always flattens axes 1 … −1.
  if (flatten && format === "v1" && (flatten.axis !== 1 || flatten.endAxis !== -1)) {
    throw new ModelError(`layer "${layer.name}": a V1 Flatten cannot say axis ${flatten.axis} … ${flatten.endAxis}; use the modern format`);
  }
  if (reshape) out.reshape_param = { shape: { dim: reshape.shape }, axis: reshape.axis, num_axes: reshape.numAxes };
  if (slice) {
    // V1 writes the axis as the V1-era slice_dim, which cannot be negative.
    const axis = format === "v1" && slice.axis >= 0 ? { slice_dim: slice.axis } : { axis: slice.axis };
    out.slice_param = { ...axis, slice_point: slice.slicePoints };
  }
  if (crop) out.crop_param = { axis: crop.axis, offset: crop.offset };
  return out;
}

// The inputs that no written layer produces (an in-place top like ReLU's does not count), in the
// order of def.inputs; in V1 those include the tops of the lifted Input layers, with their shapes.
function netLevelInputs(def: NetDef, written: LayerDef[]): InputDef[] {
  const produced = new Set(written.flatMap((l) => l.tops.filter((top) => !l.bottoms.includes(top))));
  const lifted = new Map<string, number[] | null>();
  for (const layer of def.layers) {
    if (layer.type === "Input" && !written.includes(layer)) {
      layer.tops.forEach((top, i) => {
        lifted.set(top, layer.input?.shapes[i] ?? null);
      });
    }
  }
  const inputs: InputDef[] = [];
  for (const { name, shape } of [...def.inputs, ...[...lifted].map(([name, shape]) => ({ name, shape }))]) {
    if (produced.has(name) || inputs.some((i) => i.name === name)) continue;
    inputs.push({ name, shape: lifted.get(name) ?? shape });
  }
  return inputs;
}

function inputFields(inputs: InputDef[], format: CaffeFormat): Message {
  if (inputs.length === 0) return {};
  const names = inputs.map((i) => i.name);
  const shapes = inputs.map((i) => i.shape);
  if (shapes.every((s) => s === null)) return { input: names };
  if (shapes.some((s) => s === null)) {
    throw new ModelError(
      `inputs ${names.map((n) => `"${n}"`).join(", ")}: give every input a shape or none (Caffe's input fields cannot mix)`,
    );
  }
  const known = shapes.filter((s): s is number[] => s !== null);
  if (format === "v1" && known.every((s) => s.length === 4)) return { input: names, input_dim: known.flat() };
  return { input: names, input_shape: known.map((dim) => ({ dim })) };
}
