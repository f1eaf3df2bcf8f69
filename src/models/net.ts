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
//
// A Convolution → BatchNorm → Scale chain runs as one convolution when nothing asks for its
// inner values (./fold-batch-norm.ts).

import { InceptionismError, ModelError, OptionError, UnknownLayerError } from "../errors.js";
import { Tensor, formatShape, type DType } from "../tensor/tensor.js";
import { allocKept, isShared } from "../tensor/buffers.js";
import { threadCount } from "../threads/pool.js";
import { closestNames } from "./closest-names.js";
import { chainsToFold, foldableChains, foldedWeightsIn, type FoldedChain } from "./fold-batch-norm.js";
import { LAYER_RULES, SKIPPED_TYPES, isLayerType } from "./layer-table.js";
import { checkArity, type Channels, type LayerRule } from "./layer-rules/rule.js";
import { DATA_LAYER_TYPES, type LayerDef, type NetDef } from "../io/caffe/net-def.js";

/** The address of one blob value: the layer that wrote it (-1 for the net input) and its top. */
export interface ValueRef {
  /** The layer's index in the file's order, or -1 for the net's input. */
  layer: number;
  /** The index of the top among the layer's tops. */
  top: number;
}

interface NetLayer {
  def: LayerDef;
  /** Its type's rule (./layer-table.ts); null for a type we do not support, an error only if an output needs it. */
  rule: LayerRule | null;
  bottoms: ValueRef[];
  /** The layer's parameters as tensors, reshaped to what the op expects (Float32). */
  weights: Tensor[];
}

/** One row of `CaffeNet.describe()`: a layer, its type, the blob it writes and that blob's shape. */
export interface BlobInfo {
  /** The layer's name. */
  name: string;
  /** The layer's Caffe type, e.g. "Convolution". */
  type: string;
  /** The name of the blob it writes. */
  top: string;
  /** That blob's shape, [N, C, H, W] for an image layer. */
  shape: number[];
}

/** One row of `CaffeNet.plannedShapes()`: a blob, and the scratch values its layer's kernel needs. */
export interface PlannedBlob extends BlobInfo {
  /** Values of scratch memory the layer's kernel needs at that size (e.g. a convolution's columns). */
  scratch: number;
  /**
   * Set for a BatchNorm or Scale folded into the convolution before it (./fold-batch-norm.ts):
   * that convolution's name. Its top is then the convolution's output, which allocates nothing more.
   */
  foldedInto?: string;
}

/** Caffe's ImageNet mean pixel in BGR order, used by BVLC GoogLeNet and SqueezeNet. */
export const IMAGENET_MEAN_BGR: readonly [number, number, number] = [104, 117, 123];

const INPUT: ValueRef = { layer: -1, top: 0 };

/**
 * A Caffe network ready to run: its layers in file order, each mapped onto the ops by its type,
 * with its weights; forward to any blob by name, and the input's gradient by the tape.
 */
export class CaffeNet {
  /** The net's name in the file. */
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
  private readonly folds: FoldedChain[]; // conv → BatchNorm → Scale chains, see ./fold-batch-norm.ts

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
    // Channels of each value where known (not after an unsupported layer, refused only if an output
    // needs it): they do not depend on the picture, so each rule checks its weights against them now.
    const channels = new Map<number, (Channels | null)[]>([[-1, [{ count: this.inputChannels, flat: false }]]]);
    const reshapeInputs = new Map<number, Channels | null>(); // for reshapeAtDeclaredSize
    for (const def_ of def.layers) {
      if (SKIPPED_TYPES.has(def_.type) || def_.phase === "train") continue;
      const index = this.layers.length;
      const bottoms = def_.bottoms.map((b) => {
        const ref = current.get(b);
        if (ref === undefined) throw new ModelError(`layer "${def_.name}" reads blob "${b}", which no earlier layer writes`);
        return ref;
      });
      const rule = isLayerType(def_.type) ? LAYER_RULES[def_.type] : null;
      if (rule !== null) checkArity(def_, rule);
      const layer: NetLayer = { def: def_, rule, bottoms, weights: rule ? rule.weights(def_) : [] };
      this.layers.push(layer);
      const inputChannels = bottoms.map((b) => channels.get(b.layer)?.[b.top] ?? null);
      const topChannels = rule ? rule.channels(def_, inputChannels, layer.weights) : null;
      channels.set(index, Array.isArray(topChannels) ? [...topChannels] : def_.tops.map(() => topChannels));
      if (rule?.atDeclaredSize) reshapeInputs.set(index, inputChannels[0] ?? null);
      def_.tops.forEach((top, k) => {
        current.set(top, { layer: index, top: k });
        this.byBlobName.set(top, { layer: index, top: k });
      });
      if (def_.tops.length > 0 && !this.byLayerName.has(def_.name)) this.byLayerName.set(def_.name, { layer: index, top: 0 });
    }
    if (this.layers.length === 0) throw new ModelError(`model "${def.name}" has no layers to run`);
    this.reshapeAtDeclaredSize(reshapeInputs);
    this.folds = foldableChains(this.layers);
  }

  /**
   * Hands each rule with `atDeclaredSize` its input's shape at the declared input size and keeps
   * the weights it returns: an InnerProduct becomes a convolution (./layer-rules/inner-product.ts).
   */
  private reshapeAtDeclaredSize(inputs: ReadonlyMap<number, Channels | null>): void {
    const declared = this.declaredInputShape;
    const shapes =
      declared?.length === 4
        ? this.inferShapes(
            [1, ...declared.slice(1)],
            this.layers.map((_, i) => i),
            false,
          )
        : new Map<number, number[][]>();
    for (const [i, channels] of inputs) {
      const layer = this.layers[i]!;
      const x = shapes.get(layer.bottoms[0]!.layer)?.[layer.bottoms[0]!.top];
      layer.weights = layer.rule!.atDeclaredSize!(layer.def, layer.weights, x, channels);
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

  /** Bytes of the net's weights as Float32, the folded convolutions' among them (./fold-batch-norm.ts): what holding the model costs. */
  get weightBytes(): number {
    const folded = this.folds.flatMap((f) => f.weights);
    return [...this.layers.flatMap((l) => l.weights), ...folded].reduce((n, w) => n + 4 * w.size, 0);
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
    const folded = chainsToFold(this.folds, plan, targets);
    const fused = this.fusedRelus(plan, targets, folded);
    const fusedInto = new Map([...fused].map(([conv, relu]) => [relu.layer, conv]));
    for (const [conv, f] of folded) for (const i of [f.batchNorm, f.scale]) fusedInto.set(i, conv);
    for (const i of plan) {
      const layer = this.layers[i]!;
      const conv = fusedInto.get(i);
      if (conv !== undefined) {
        values.set(i, values.get(layer.bottoms[0]!.layer)!); // this layer already ran, inside the convolution
      } else {
        const inputs = layer.bottoms.map((b) => values.get(b.layer)![b.top]!);
        const own = folded.has(i) ? foldedWeightsIn(folded.get(i)!, this.layers, x.dtype) : layer.weights;
        const weights = own.map((w) => this.weightsFor(w, x.dtype));
        const slope = fused.get(i)?.slope;
        values.set(i, layer.rule!.forward(layer.def, inputs, weights, slope));
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
   * The ReLUs to fuse into the convolution before them, as convolution → ReLU index and slope: a
   * layer with a `fusedSlope` (a ReLU, slope ≥ 0) that alone reads the output of one that
   * `fusesRelu` (a convolution), when that output is not itself asked for. In Caffe files such a
   * ReLU is in place (top = bottom), so nothing else could read the pre-ReLU values anyway. After
   * a `folded` chain, the convolution's output is its Scale's: the ReLU reading that is fused.
   */
  private fusedRelus(
    plan: readonly number[],
    targets: readonly ValueRef[],
    folded: ReadonlyMap<number, FoldedChain>,
  ): Map<number, { layer: number; slope: number }> {
    const output = new Map([...folded].map(([conv, f]) => [f.scale, conv])); // a folded Scale's output is its convolution's
    const inside = new Set([...folded.values()].flatMap((f) => [f.batchNorm, f.scale])); // they run inside it
    const readers = new Map<number, number[]>(); // conv index → plan layers reading its output
    for (const i of plan) {
      if (inside.has(i)) continue;
      for (const b of this.layers[i]!.bottoms) {
        const conv = output.get(b.layer) ?? b.layer;
        if (conv >= 0 && this.layers[conv]!.rule?.fusesRelu) readers.set(conv, [...(readers.get(conv) ?? []), i]);
      }
    }
    const fused = new Map<number, { layer: number; slope: number }>();
    for (const [conv, by] of readers) {
      const relu = this.layers[by[0]!]!;
      const slope = relu.rule?.fusedSlope?.(relu.def) ?? null;
      const last = folded.get(conv)?.scale ?? conv; // the layer whose output the ReLU reads
      if (by.length === 1 && slope !== null && !targets.some((t) => t.layer === last)) fused.set(conv, { layer: by[0]!, slope });
    }
    return fused;
  }

  /** Output shapes of every runnable layer for an input of `inputShape` ([N, C, H, W]). */
  describe(inputShape: readonly number[]): BlobInfo[] {
    this.checkInput(inputShape);
    const shapes = this.inferShapes(
      inputShape,
      this.layers.map((_, i) => i),
      false,
    );
    const rows: BlobInfo[] = [{ name: this.inputName, type: "Input", top: this.inputName, shape: [...inputShape] }];
    this.layers.forEach((l, i) => {
      const s = shapes.get(i);
      if (s === undefined) return;
      l.def.tops.forEach((top, k) => {
        rows.push({ name: l.def.name, type: l.def.type, top, shape: s[k]! });
      });
    });
    return rows;
  }

  /**
   * The layers a forward to `outputs` runs, in order, with the shape of each top, for an input
   * of `inputShape` — without running anything. What the memory estimate counts.
   */
  plannedShapes(outputs: readonly string[], inputShape: readonly number[]): PlannedBlob[] {
    this.checkInput(inputShape);
    const targets = outputs.map((n) => this.resolve(n));
    const plan = this.plan(targets);
    const shapes = this.inferShapes(inputShape, plan, true);
    const inside = new Map(
      [...chainsToFold(this.folds, plan, targets)].flatMap(([conv, f]) => [f.batchNorm, f.scale].map((i) => [i, conv])),
    );
    return plan.flatMap((i) => {
      const l = this.layers[i]!;
      const out = shapes.get(i)!;
      const inputs = l.bottoms.map((b) => shapes.get(b.layer)![b.top]!);
      const scratch = l.rule!.scratch?.(l.weights, out, inputs) ?? 0;
      const conv = inside.get(i);
      const folded = conv === undefined ? {} : { foldedInto: this.layers[conv]!.def.name };
      return l.def.tops.map((top, k) => ({ name: l.def.name, type: l.def.type, top, shape: out[k]!, scratch, ...folded }));
    });
  }

  /** Values the kernels of the layers up to `outputs` keep from pass to pass beside the weights (see LayerRule.kept). */
  keptValues(outputs: readonly string[]): number {
    const plan = this.plan(outputs.map((n) => this.resolve(n)));
    return plan.reduce((n, i) => n + (this.layers[i]!.rule!.kept?.(this.layers[i]!.def, this.layers[i]!.weights) ?? 0), 0);
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
    this.checkSupported([name]); // an unsupported layer on the way is no matter of size: said as itself
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

  /** Throws the ModelError of the first layer of a type we do not run that a forward to `outputs` needs. */
  checkSupported(outputs: readonly string[]): void {
    this.plan(outputs.map((n) => this.resolve(n)));
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
    let min: number;
    try {
      min = this.minimumInputSize(name);
    } catch (e) {
      throw problem ?? e; // no size fits: the layer's own reason says what to change
    }
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
    const softmax = [...this.layers].reverse().find((l) => l.def.type === "Softmax");
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
      throw new OptionError(`the input must be [N, ${this.inputChannels}, H, W] (BGR planes), got ${formatShape(shape)}`);
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
      if (layer.rule === null) {
        throw new ModelError(`layer "${layer.def.name}" has type "${layer.def.type}", which inceptionism does not support`);
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
      if (layer.rule === null) {
        if (needOnly) this.plan([{ layer: i, top: 0 }]); // throws the unsupported-type error
        continue;
      }
      const inputs = layer.bottoms.map((b) => shapes.get(b.layer)?.[b.top]);
      if (inputs.some((s) => s === undefined)) continue;
      try {
        shapes.set(i, layer.rule.shapes(layer.def, inputs as number[][], layer.weights));
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
    if (copies === undefined) {
      copies = new Map();
      this.weightCopies.set(key, copies);
    }
    let copy = copies.get(w);
    if (copy === undefined) {
      const data = allocKept(dtype, w.size);
      data.set(w.data);
      copy = new Tensor(data, w.shape);
      copies.set(w, copy);
    }
    return copy;
  }
}
