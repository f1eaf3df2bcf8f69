// A Caffe network on our engine: layers in file order, blobs by name, run to any named output.
//
// Caffe runs layers in order over named blobs, and many layers work in place (top == bottom:
// every ReLU in GoogLeNet). So a blob *name* has several values over time. We give each value
// an address — the layer that wrote it and which of its tops — and resolve every bottom to the
// value current when its layer runs. A requested name means what Caffe's `forward(end=name)`
// leaves behind: the top of the layer of that name, right after it ran. So in GoogLeNet
// `inception_4c/3x3` (a convolution) is pre-ReLU and `inception_4c/relu_3x3` post-ReLU. A name
// that is only a blob name means its last value.
//
// Only the layers the requested outputs depend on run: auxiliary classifiers and loss layers in
// a training-net file are never touched.

import { InceptionismError, ModelError, OptionError, UnknownLayerError } from "../errors.js";
import { Tensor, formatShape, type DType } from "../tensor/tensor.js";
import { allocKept, isShared } from "../tensor/buffers.js";
import { threadCount } from "../threads/pool.js";
import { closestNames } from "./closest-names.js";
import { LAYER_RULES, SKIPPED_TYPES, isLayerType, type LayerType } from "./layer-table.js";
import { DATA_LAYER_TYPES, type LayerDef, type NetDef } from "../io/caffe/net-def.js";

/** The address of one blob value: the layer that wrote it (-1 for the net input) and its top. */
interface ValueRef {
  layer: number;
  top: number;
}

interface NetLayer {
  def: LayerDef;
  /** Null for a type we do not support; an error only if an output needs this layer. */
  type: LayerType | null;
  bottoms: ValueRef[];
  /** The layer's parameters as tensors, reshaped to what the op expects (Float32). */
  weights: Tensor[];
}

/** One row of `CaffeNet.describe()`: a layer, its type, the blob it writes and that blob's shape. */
export interface BlobInfo {
  name: string;
  type: string;
  top: string;
  shape: number[];
}

/** One row of `CaffeNet.plannedShapes()`: a blob, and the scratch values its layer's kernel needs. */
export interface PlannedBlob extends BlobInfo {
  scratch: number;
}

/** Caffe's ImageNet mean pixel in BGR order, used by BVLC GoogLeNet and SqueezeNet. */
export const IMAGENET_MEAN_BGR: readonly [number, number, number] = [104, 117, 123];

const INPUT: ValueRef = { layer: -1, top: 0 };

export class CaffeNet {
  readonly name: string;
  /** The input blob's name ("data" in BVLC's files). */
  readonly inputName: string;
  /** The declared input shape [N, C, H, W], if the file gives one. */
  readonly declaredInputShape: readonly number[] | null;
  /** Input channels the first layers expect (3 for BGR images). */
  readonly inputChannels: number;
  /** Mean pixel subtracted from BGR 0–255 inputs (Caffe files do not record it). */
  readonly meanBgr: readonly [number, number, number] = IMAGENET_MEAN_BGR;

  private readonly layers: NetLayer[] = [];
  private readonly byLayerName = new Map<string, ValueRef>();
  private readonly byBlobName = new Map<string, ValueRef>();
  private readonly weightCopies = new Map<string, Map<Tensor, Tensor>>(); // see weightsFor

  constructor(def: NetDef) {
    this.name = def.name;
    const dataLayer = def.layers.find((l) => DATA_LAYER_TYPES.has(l.type) && l.tops.length > 0);
    const declared = def.inputs[0] ?? (dataLayer ? { name: dataLayer.tops[0]!, shape: null } : undefined);
    if (declared === undefined) throw new ModelError(`model "${def.name}" declares no input blob (no input, Input layer or data layer)`);
    this.inputName = declared.name;
    this.declaredInputShape = declared.shape;
    this.inputChannels = declared.shape?.[1] ?? 3;

    const current = new Map<string, ValueRef>([[this.inputName, INPUT]]);
    this.byBlobName.set(this.inputName, INPUT);
    // Channel counts of each value, where they are known: see checkChannels.
    const channels = new Map<number, (Channels | null)[]>([[-1, [{ count: this.inputChannels, flat: false }]]]);
    const innerProductInputs = new Map<number, Channels | null>(); // for convolutionalInnerProducts
    for (const def_ of def.layers) {
      if (SKIPPED_TYPES.has(def_.type) || def_.phase === "train") continue;
      const index = this.layers.length;
      const bottoms = def_.bottoms.map((b) => {
        const ref = current.get(b);
        if (ref === undefined) throw new ModelError(`layer "${def_.name}" reads blob "${b}", which no earlier layer writes`);
        return ref;
      });
      const type = isLayerType(def_.type) ? def_.type : null;
      if (type !== null) checkArity(def_, type);
      const layer: NetLayer = { def: def_, type, bottoms, weights: type ? prepareWeights(def_, type) : [] };
      this.layers.push(layer);
      const inputChannels = bottoms.map((b) => channels.get(b.layer)?.[b.top] ?? null);
      channels.set(index, checkChannels(layer, inputChannels));
      if (type === "InnerProduct") innerProductInputs.set(index, inputChannels[0] ?? null);
      def_.tops.forEach((top, k) => {
        current.set(top, { layer: index, top: k });
        this.byBlobName.set(top, { layer: index, top: k });
      });
      if (def_.tops.length > 0 && !this.byLayerName.has(def_.name)) this.byLayerName.set(def_.name, { layer: index, top: 0 });
    }
    if (this.layers.length === 0) throw new ModelError(`model "${def.name}" has no layers to run`);
    this.convolutionalInnerProducts(innerProductInputs);
  }

  /**
   * Gives each InnerProduct on axis 1 its weights as a convolution [numOutput, C, kh, kw], so
   * that on a picture larger than the net's input it runs at every window (see
   * `innerProductGrid` in ./layer-table.ts). (kh, kw) is the grid its input has at the declared
   * input size: 1×1 for GoogLeNet's loss3/classifier after pool5's 7×7 average pooling, 6×6 for
   * an AlexNet-style fc6, 1×1 after another InnerProduct. Without a declared size, an input of
   * C channels with K = C·s² is taken to be s×s. Done once, here: the data is the file's own
   * [numOutput, K] matrix (copied only to undo `transpose`). An InnerProduct none of this
   * applies to keeps its matrix and runs at one size only.
   */
  private convolutionalInnerProducts(inputs: ReadonlyMap<number, Channels | null>): void {
    const declared = this.declaredInputShape;
    const shapes = declared?.length === 4
      ? this.inferShapes([1, ...declared.slice(1)], this.layers.map((_, i) => i), false)
      : new Map<number, number[][]>();
    for (const [i, channels] of inputs) {
      const layer = this.layers[i]!;
      const p = layer.def.innerProduct!;
      if (p.axis !== 1) continue;
      const [w] = layer.weights;
      const [numOutput, k] = p.transpose ? [w!.shape[1]!, w!.shape[0]!] : [w!.shape[0]!, w!.shape[1]!];
      const x = shapes.get(layer.bottoms[0]!.layer)?.[layer.bottoms[0]!.top];
      let window: [number, number, number] | null = null; // C, kh, kw
      if (x?.length === 4 && x[1]! * x[2]! * x[3]! === k) window = [x[1]!, x[2]!, x[3]!];
      else if (x?.length === 2 && x[1] === k) window = [k, 1, 1];
      else if (x === undefined && channels !== null && k % channels.count === 0) {
        const side = Math.round(Math.sqrt(k / channels.count));
        if (side * side * channels.count === k) window = [channels.count, side, side];
      }
      if (window === null) continue;
      let data = w!.data;
      if (p.transpose) {
        data = new Float32Array(k * numOutput);
        for (let r = 0; r < k; r++) for (let n = 0; n < numOutput; n++) data[n * k + r] = w!.data[r * numOutput + n]!;
      }
      layer.weights[0] = new Tensor(data, [numOutput, ...window]);
    }
  }

  /** Every name `forward` accepts: the input, then layer names and blob names in file order. */
  get outputNames(): string[] {
    const names = new Set<string>([this.inputName]);
    for (const l of this.layers) {
      names.add(l.def.name);
      for (const t of l.def.tops) names.add(t);
    }
    return [...names];
  }

  /** Bytes of the net's weights as Float32: what holding the model costs. */
  get weightBytes(): number {
    return this.layers.reduce((n, l) => n + l.weights.reduce((m, w) => m + 4 * w.size, 0), 0);
  }

  /**
   * Runs the net on `x` ([N, C, H, W]: BGR, mean subtracted) up to the named outputs and returns
   * them in the same order. Records the tape when `x.requiresGrad`. Float64 inputs run the whole
   * net in Float64.
   */
  forward(x: Tensor, outputs: readonly string[]): Tensor[] {
    this.checkInput(x.shape);
    const targets = outputs.map((n) => this.resolve(n));
    const plan = this.plan(targets); // first, so an unsupported layer is reported as such
    for (const name of outputs) this.checkFits(name, x.shape);
    const values = new Map<number, Tensor[]>([[-1, [x]]]);
    // Without a tape, drop each value after its last reader so memory stays at the working set.
    const readersLeft = new Map<number, number>();
    if (!x.requiresGrad) {
      for (const i of plan) for (const b of this.layers[i]!.bottoms) readersLeft.set(b.layer, (readersLeft.get(b.layer) ?? 0) + 1);
      for (const t of targets) readersLeft.set(t.layer, Infinity);
    }
    const fused = this.fusedRelus(plan, targets);
    const fusedInto = new Map([...fused].map(([conv, relu]) => [relu, conv]));
    for (const i of plan) {
      const layer = this.layers[i]!;
      const conv = fusedInto.get(i);
      if (conv !== undefined) {
        values.set(i, values.get(conv)!); // this ReLU already ran, inside the convolution
      } else {
        const inputs = layer.bottoms.map((b) => values.get(b.layer)![b.top]!);
        const weights = layer.weights.map((w) => this.weightsFor(w, x.dtype));
        const relu = fused.get(i);
        const slope = relu === undefined ? undefined : (this.layers[relu]!.def.relu?.negativeSlope ?? 0);
        values.set(i, LAYER_RULES[layer.type!].forward(layer.def, inputs, weights, slope));
      }
      if (!x.requiresGrad) {
        for (const b of layer.bottoms) {
          const left = readersLeft.get(b.layer)! - 1;
          readersLeft.set(b.layer, left);
          if (left === 0) values.delete(b.layer);
        }
      }
    }
    return targets.map((t) => values.get(t.layer)![t.top]!);
  }

  /**
   * The ReLUs to fuse into the convolution before them, as convolution index → ReLU index: a
   * ReLU (slope ≥ 0) that is the only reader of a convolution's output, when that pre-ReLU
   * output is not itself asked for. In Caffe files such a ReLU is in place (top = bottom), so
   * nothing else could read the pre-ReLU values anyway, unless asked for by the layer's name.
   */
  private fusedRelus(plan: readonly number[], targets: readonly ValueRef[]): Map<number, number> {
    const readers = new Map<number, number[]>(); // conv index → plan layers reading its output
    for (const i of plan) {
      for (const b of this.layers[i]!.bottoms) {
        if (b.layer >= 0 && this.layers[b.layer]!.type === "Convolution") readers.set(b.layer, [...(readers.get(b.layer) ?? []), i]);
      }
    }
    const fused = new Map<number, number>();
    for (const [conv, by] of readers) {
      const relu = this.layers[by[0]!]!;
      const slope = relu.def.relu?.negativeSlope ?? 0;
      if (by.length === 1 && relu.type === "ReLU" && slope >= 0 && !targets.some((t) => t.layer === conv)) fused.set(conv, by[0]!);
    }
    return fused;
  }

  /** Output shapes of every runnable layer for an input of `inputShape` ([N, C, H, W]). */
  describe(inputShape: readonly number[]): BlobInfo[] {
    this.checkInput(inputShape);
    const shapes = this.inferShapes(inputShape, this.layers.map((_, i) => i), false);
    const rows: BlobInfo[] = [{ name: this.inputName, type: "Input", top: this.inputName, shape: [...inputShape] }];
    this.layers.forEach((l, i) => {
      const s = shapes.get(i);
      if (s === undefined) return;
      l.def.tops.forEach((top, k) => rows.push({ name: l.def.name, type: l.def.type, top, shape: s[k]! }));
    });
    return rows;
  }

  /**
   * The layers a forward to `outputs` runs, in order, with the shape of each top, for an input
   * of `inputShape` — without running anything. What the memory estimate counts.
   */
  plannedShapes(outputs: readonly string[], inputShape: readonly number[]): PlannedBlob[] {
    this.checkInput(inputShape);
    const plan = this.plan(outputs.map((n) => this.resolve(n)));
    const shapes = this.inferShapes(inputShape, plan, true);
    return plan.flatMap((i) => {
      const l = this.layers[i]!;
      const out = shapes.get(i)!;
      // A convolution's im2col columns: C/group·R·S rows of OH·OW (see layers/conv.ts).
      // So are those of a fully convolutional InnerProduct ([numOutput, C, kh, kw] weights) on a grid.
      const convolves = l.type === "Convolution" || (l.type === "InnerProduct" && out[0]!.length === 4);
      const [, cPerGroup = 0, r = 0, s = 0] = convolves ? l.weights[0]!.shape : [];
      const scratch = cPerGroup * r * s * (out[0]![2] ?? 0) * (out[0]![3] ?? 0);
      return l.def.tops.map((top, k) => ({ name: l.def.name, type: l.def.type, top, shape: out[k]!, scratch }));
    });
  }

  /** The shape of a named output for a given input shape, without running the net. */
  outputShape(name: string, inputShape: readonly number[]): number[] {
    this.checkInput(inputShape);
    const ref = this.resolve(name);
    if (ref.layer < 0) return [...inputShape];
    return this.inferShapes(inputShape, this.plan([ref]), true).get(ref.layer)![ref.top]!;
  }

  /**
   * The smallest square input side for which `name` is non-empty (its layers' windows fit).
   * Height and width are independent in convolutions and pooling, so this bounds each side.
   * For GoogLeNet's `prob` it is 223: conv1 (7×7, stride 2, pad 3) gives 112×112 from 223 as
   * from 224, and everything after it is the same.
   */
  minimumInputSize(name: string): number {
    const fits = (side: number): boolean => {
      try {
        return this.outputShape(name, [1, this.inputChannels, side, side]).every((d) => d > 0);
      } catch {
        return false;
      }
    };
    // Layers only grow with the input, so the sides that fit are all those from the minimum on:
    // find one that fits and bisect below it. The declared input side first — it fits a layer
    // made for that size alone (an InnerProduct that cannot run as a convolution) — then powers
    // of two.
    const [, , dh = 0, dw = 0] = this.declaredInputShape ?? [];
    let hi = Math.min(dh, dw);
    let lo = 0; // fits(lo) is false, or lo = 0
    if (!(hi > 0 && fits(hi))) {
      hi = 1;
      while (!fits(hi)) {
        if (hi >= 1 << 16) throw new ModelError(`no square input of side up to ${hi} reaches "${name}"`);
        hi *= 2;
      }
      lo = Math.floor(hi / 2);
    }
    while (hi - lo > 1) {
      const mid = (lo + hi) >> 1;
      if (fits(mid)) hi = mid;
      else lo = mid;
    }
    return hi;
  }

  /** Throws an OptionError naming the minimum size if `name` is empty for this input. */
  private checkFits(name: string, inputShape: readonly number[]): void {
    let fits: boolean;
    let problem: unknown = null;
    try {
      fits = this.outputShape(name, inputShape).every((d) => d > 0);
    } catch (e) {
      fits = false;
      problem = e;
    }
    if (fits) return;
    const [h, w] = [inputShape[2]!, inputShape[3]!];
    const min = this.minimumInputSize(name);
    if (problem !== null && Math.min(h, w) >= min) throw problem; // not a matter of size
    throw new OptionError(`the input is ${w}×${h} pixels but "${name}" needs at least ${min}×${min}; use a larger image or a lower layer`);
  }

  /**
   * The layer whose output the net's last Softmax turns into probabilities: the class scores
   * before the softmax, whose gradient does not vanish once a class wins. "loss3/classifier" in
   * GoogLeNet, "pool10" in SqueezeNet.
   * @throws {OptionError} if the net has no Softmax layer.
   */
  classifierLayer(): string {
    const softmax = [...this.layers].reverse().find((l) => l.type === "Softmax");
    if (softmax === undefined) {
      throw new OptionError(`model "${this.name}" has no Softmax layer, so no classifier to dream toward; choose a layer instead`);
    }
    const ref = softmax.bottoms[0]!;
    if (ref.layer < 0) return this.inputName;
    // A layer's name means its top right after it ran, the value the softmax reads (unless an
    // in-place layer changed it in between: then the blob's name, its last value).
    const writer = this.layers[ref.layer]!.def.name;
    const named = this.byLayerName.get(writer);
    return named !== undefined && named.layer === ref.layer && named.top === ref.top ? writer : softmax.def.bottoms[0]!;
  }

  /** Throws an UnknownLayerError, with the nearest names, if `name` is not an output of this net. */
  resolve(name: string): ValueRef {
    const ref = this.byLayerName.get(name) ?? this.byBlobName.get(name);
    if (ref === undefined) {
      const names = this.outputNames;
      throw new UnknownLayerError(name, closestNames(name, names, 5), names.length);
    }
    return ref;
  }

  private checkInput(shape: readonly number[]): void {
    if (shape.length !== 4 || shape[1] !== this.inputChannels) {
      throw new OptionError(
        `the input must be [N, ${this.inputChannels}, H, W] (BGR planes), got ${formatShape(shape)}`,
      );
    }
  }

  /** Indices of the layers the targets depend on, in execution order. */
  private plan(targets: readonly ValueRef[]): number[] {
    const needed = new Set<number>();
    const stack = targets.map((t) => t.layer).filter((i) => i >= 0);
    while (stack.length > 0) {
      const i = stack.pop()!;
      if (needed.has(i)) continue;
      needed.add(i);
      const layer = this.layers[i]!;
      if (layer.type === null) {
        throw new ModelError(
          `layer "${layer.def.name}" has type "${layer.def.type}", which inceptionism does not support`,
        );
      }
      for (const b of layer.bottoms) if (b.layer >= 0) stack.push(b.layer);
    }
    return [...needed].sort((a, b) => a - b);
  }

  /**
   * Output shapes of the layers in `order` (a plan when `needOnly`, else every layer). With
   * `needOnly`, a layer too small for its input throws; otherwise it is left out.
   */
  private inferShapes(inputShape: readonly number[], order: readonly number[], needOnly: boolean): Map<number, number[][]> {
    const shapes = new Map<number, number[][]>([[-1, [[...inputShape]]]]);
    for (const i of order) {
      const layer = this.layers[i]!;
      if (layer.type === null) {
        if (needOnly) this.plan([{ layer: i, top: 0 }]); // throws the unsupported-type error
        continue;
      }
      const inputs = layer.bottoms.map((b) => shapes.get(b.layer)?.[b.top]);
      if (inputs.some((s) => s === undefined)) continue;
      try {
        if (layer.type === "InnerProduct") checkInnerProductInput(layer, inputs[0]!);
        if (layer.type === "Concat" || layer.type === "Eltwise") checkBranchesAlign(layer, inputs as number[][]);
        shapes.set(i, LAYER_RULES[layer.type].shapes(layer.def, inputs as number[][], layer.weights));
      } catch (e) {
        if (!needOnly) continue; // describe(): list what can be computed
        if (e instanceof InceptionismError) throw e;
        throw new ModelError(`layer "${layer.def.name}" (${layer.def.type}): ${(e as Error).message}`);
      }
    }
    return shapes;
  }

  /**
   * The weights as a layer gets them: Float64 copies for a Float64 input, and copies in shared
   * memory while threads are in use, so that every thread can read them. Each copy is made once
   * and kept (never from a step's recycled buffers: weights outlive the step).
   */
  private weightsFor(w: Tensor, dtype: DType): Tensor {
    const shared = threadCount() > 1;
    if (dtype === "float32" && isShared(w.data) === shared) return w;
    const key = `${dtype} ${shared ? "shared" : "local"}`;
    let copies = this.weightCopies.get(key);
    if (copies === undefined) this.weightCopies.set(key, (copies = new Map()));
    let copy = copies.get(w);
    if (copy === undefined) {
      const data = allocKept(dtype, w.size);
      data.set(w.data);
      copies.set(w, (copy = new Tensor(data, w.shape)));
    }
    return copy;
  }
}

/**
 * Bottoms and tops each type takes. Caffe lets a convolution map several bottoms to as many
 * tops with shared weights; no model we know does, and we run one, so more is refused at load.
 */
function checkArity(def: LayerDef, type: LayerType): void {
  const many = type === "Concat" || type === "Eltwise";
  const [bottoms, tops] = [def.bottoms.length, def.tops.length];
  const wantBottoms = many ? "at least 1 bottom" : "exactly 1 bottom";
  const wantTops = type === "Split" ? "at least 1 top" : "exactly 1 top";
  if ((many ? bottoms < 1 : bottoms !== 1) || (type === "Split" ? tops < 1 : tops !== 1)) {
    throw new ModelError(`layer "${def.name}" (${def.type}) has ${bottoms} bottom(s) and ${tops} top(s); it needs ${wantBottoms} and ${wantTops}`);
  }
}

/** What is known of a blob value's channels: axis 1, and whether the blob is 2-D [N, count]. */
interface Channels {
  count: number;
  flat: boolean;
}

/**
 * Channel counts do not depend on the picture's size, so they can be followed through the net
 * at load time: a weight blob that disagrees with the channels reaching its layer (a conv whose
 * weights are not out × in/group × kh × kw) is a broken file, refused here with the layer named
 * rather than found as a wrong result or a kernel error later. Returns the channels of the
 * layer's tops; null where they are unknown (after an unsupported layer, whose refusal waits
 * until some output needs it, or after an InnerProduct on an axis other than 1).
 */
function checkChannels(layer: NetLayer, inputs: readonly (Channels | null)[]): (Channels | null)[] {
  const { def, type, weights } = layer;
  const tops = (c: Channels | null): (Channels | null)[] => def.tops.map(() => c);
  const fail = (what: string): never => {
    throw new ModelError(`layer "${def.name}" (${def.type}): ${what}`);
  };
  const [x] = inputs;
  switch (type) {
    case null:
      return tops(null);
    case "Convolution": {
      const p = def.convolution!;
      const w = weights[0]!;
      if (x) {
        if (x.flat) fail(`its input is a 2-D blob [N, ${x.count}], but a convolution needs [N, C, H, W]`);
        if (x.count % p.group !== 0) fail(`${x.count} input channels cannot be split into ${p.group} groups`);
        if (w.shape[1] !== x.count / p.group) {
          fail(
            `weights are ${formatShape(w.shape)} (out × in/group × kh × kw) but ${x.count} channels reach the layer` +
              `${p.group > 1 ? ` in ${p.group} groups` : ""}, so they should be ` +
              `${formatShape([p.numOutput, x.count / p.group, ...p.kernel])}; the file is broken or mismatched`,
          );
        }
      }
      if (p.numOutput % p.group !== 0) fail(`num_output ${p.numOutput} cannot be split into ${p.group} groups`);
      return tops({ count: p.numOutput, flat: false });
    }
    case "InnerProduct": {
      const p = def.innerProduct!;
      const k = weights[0]!.shape[p.transpose ? 0 : 1]!;
      // On a 4-D blob the input size is C·H·W, which depends on the picture: checked when run.
      if (x?.flat && p.axis === 1 && k !== x.count) {
        fail(`weights take ${k} inputs but the ${x.count} outputs of the layer before reach it; the file is broken or mismatched`);
      }
      return tops(p.axis === 1 ? { count: p.numOutput, flat: true } : null);
    }
    case "Concat": {
      const axis = def.concat?.axis ?? 1;
      if (inputs.some((c) => c === null)) return tops(null);
      const known = inputs as Channels[];
      if (axis === 1) return tops({ count: known.reduce((n, c) => n + c.count, 0), flat: known[0]!.flat });
      if (known.some((c) => c.count !== known[0]!.count)) {
        fail(`its inputs have ${known.map((c) => c.count).join(", ")} channels; concatenating on axis ${axis} needs equal ones`);
      }
      return tops(known[0]!);
    }
    case "Eltwise": {
      const counts = inputs.filter((c): c is Channels => c !== null).map((c) => c.count);
      if (counts.some((c) => c !== counts[0])) fail(`its inputs have ${counts.join(", ")} channels; they must be equal`);
      return tops(x ?? null);
    }
    case "Pooling":
    case "LRN":
    case "ReLU":
    case "Softmax":
    case "Dropout":
    case "Split":
      return tops(x ?? null);
  }
}

/**
 * An InnerProduct takes exactly K values per image, so on a 4-D blob it fixes the picture size,
 * unless the net could make it a convolution (`convolutionalInnerProducts`): GoogLeNet's can.
 * Another size is the caller's choice, not a broken file.
 */
function checkInnerProductInput(layer: NetLayer, x: readonly number[]): void {
  if (layer.weights[0]!.shape.length === 4) return; // fully convolutional: the table's shape rule checks
  const p = layer.def.innerProduct!;
  const axis = p.axis < 0 ? p.axis + x.length : p.axis;
  const k = layer.weights[0]!.shape[p.transpose ? 0 : 1]!;
  const got = x.slice(axis).reduce((a, d) => a * d, 1);
  if (axis >= 0 && axis < x.length && got !== k) {
    throw new OptionError(
      `layer "${layer.def.name}" (InnerProduct) takes ${k} values per image but gets ${formatShape(x.slice(axis))} = ${got} ` +
        `at this input size; fully connected layers only run at the size the net was made for — choose an earlier layer`,
    );
  }
}

/**
 * Concat joins blobs along one axis and Eltwise combines them value by value, so their inputs
 * must agree on every other axis (on all of them for Eltwise). Branches with different strides
 * or pads can line up at some input sizes and not at others: said here, before anything runs.
 */
function checkBranchesAlign(layer: NetLayer, inputs: readonly (readonly number[])[]): void {
  const rank = inputs[0]!.length;
  const raw = layer.type === "Concat" ? (layer.def.concat?.axis ?? 1) : null;
  const axis = raw === null ? -1 : raw < 0 ? raw + rank : raw;
  const differs = inputs.find((s) => s.length !== rank || s.some((d, i) => i !== axis && d !== inputs[0]![i]));
  if (differs !== undefined) {
    const what = layer.type === "Concat" ? `every axis but ${raw}` : "every axis";
    throw new ModelError(
      `layer "${layer.def.name}" (${layer.def.type}): its inputs ${inputs.map(formatShape).join(" and ")} must agree on ${what} ` +
        `for this input size; the branches before it do not line up — try another picture size or an earlier layer`,
    );
  }
}

/**
 * The layer's blobs as tensors in the shapes our ops take, checked against its parameters so
 * that a file whose weights disagree with its layers fails here, naming the layer.
 */
function prepareWeights(layer: LayerDef, type: LayerType): Tensor[] {
  const blobs = layer.blobs;
  const fail = (what: string): never => {
    throw new ModelError(`layer "${layer.name}" (${layer.type}): ${what}`);
  };
  const tensor = (k: number, shape: number[]): Tensor => {
    const b = blobs[k];
    if (b === undefined) return fail(`blob ${k} is missing`);
    const need = shape.reduce((a, d) => a * d, 1);
    if (b.data.length !== need) {
      fail(`blob ${k} has ${b.data.length} values (dims ${formatShape(b.shape)}) but the layer needs ${formatShape(shape)}`);
    }
    return new Tensor(b.data, shape);
  };
  switch (type) {
    case "Convolution": {
      const p = layer.convolution ?? fail("no convolution parameters");
      const w = blobs[0] ?? fail("has no weights (blob 0)");
      const [kh, kw] = p.kernel;
      const perOutput = p.numOutput * kh * kw;
      if (perOutput <= 0 || w.data.length % perOutput !== 0) {
        fail(`weights have ${w.data.length} values, not a multiple of num_output × kernel = ${p.numOutput}×${kh}×${kw}`);
      }
      const weights = [tensor(0, [p.numOutput, w.data.length / perOutput, kh, kw])];
      if (p.biasTerm) weights.push(tensor(1, [p.numOutput]));
      return weights;
    }
    case "InnerProduct": {
      const p = layer.innerProduct ?? fail("no inner_product parameters");
      const w = blobs[0] ?? fail("has no weights (blob 0)");
      if (p.numOutput <= 0 || w.data.length % p.numOutput !== 0) {
        fail(`weights have ${w.data.length} values, not a multiple of num_output ${p.numOutput}`);
      }
      const k = w.data.length / p.numOutput;
      const weights = [tensor(0, p.transpose ? [k, p.numOutput] : [p.numOutput, k])];
      if (p.biasTerm) weights.push(tensor(1, [p.numOutput]));
      return weights;
    }
    default:
      return [];
  }
}
