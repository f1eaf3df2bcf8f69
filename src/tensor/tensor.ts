// A Tensor is a contiguous, row-major block of numbers plus a shape — nothing more.
//
// Images are NCHW (batch, channels, height, width), Caffe's layout. Strides are implied by the
// shape: the last axis is contiguous. A layout change (HWC → CHW, say) is an explicit copy, see
// `./ndarray-interop.ts`.
//
// The working type is Float32; every kernel also runs on Float64 so that gradient checks by
// finite differences can be trusted (Float32 differences drown in rounding). The dtype of a
// tensor is simply the type of its typed array.

import type { Node } from "../autograd/tape.js";
import { allocFloats } from "./buffers.js";

// Every new array comes from ./buffers.ts, which decides whether it is shared or recycled.
export { allocFloats, allocLike, copyOf } from "./buffers.js";

/** The two storage types every kernel accepts. */
export type Floats = Float32Array | Float64Array;

/** A tensor's element type: Float32 for running nets, Float64 for gradient checks. */
export type DType = "float32" | "float64";

/** A dense, contiguous, row-major tensor (NCHW for images). */
export class Tensor {
  /** The values, row-major; `data.length` equals the product of `shape`. */
  readonly data: Floats;
  /** Sizes of each axis, outermost first. */
  readonly shape: readonly number[];
  /** Whether `backward()` should compute a gradient for this tensor. */
  requiresGrad: boolean;
  /** The gradient after `backward()`, for tensors that require one. */
  grad: Floats | null = null;
  /** How this tensor was computed: set by `record()` for op outputs on the tape. */
  node: Node | null = null;

  constructor(data: Floats, shape: readonly number[], requiresGrad = false) {
    const size = shapeSize(shape);
    if (data.length !== size) {
      throw new RangeError(`Tensor data has ${data.length} values but shape [${shape.join(", ")}] needs ${size}`);
    }
    this.data = data;
    this.shape = Object.freeze([...shape]);
    this.requiresGrad = requiresGrad;
  }

  /** The number of elements, the product of the shape. */
  get size(): number {
    return this.data.length;
  }

  /** "float64" for Float64Array data, else "float32". */
  get dtype(): DType {
    return this.data instanceof Float64Array ? "float64" : "float32";
  }

  /** A new zero tensor with this tensor's dtype. */
  static zeros(shape: readonly number[], dtype: DType = "float32"): Tensor {
    return new Tensor(allocFloats(dtype, shapeSize(shape)), shape);
  }

  /** The same numbers in another dtype (a copy, off the tape). */
  to(dtype: DType): Tensor {
    const out = allocFloats(dtype, this.size);
    out.set(this.data);
    return new Tensor(out, this.shape);
  }
}

/** Product of the axis sizes; checks that each is a non-negative integer. */
export function shapeSize(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 0) throw new RangeError(`Bad tensor shape [${shape.join(", ")}]`);
    n *= d;
  }
  return n;
}

export function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

export function formatShape(shape: readonly number[]): string {
  return `[${shape.join(", ")}]`;
}

/**
 * Throws a TypeError naming `op` unless all `tensors` have one dtype: ops never mix Float32 and
 * Float64 (convert with `Tensor.to`).
 */
export function checkSameDtype(op: string, tensors: readonly Tensor[]): void {
  if (tensors.some((t) => t.dtype !== tensors[0]!.dtype)) {
    throw new TypeError(`${op}: inputs must share a dtype, got ${tensors.map((t) => t.dtype).join(", ")}`);
  }
}

/**
 * Caffe's axis convention, for an op on a tensor of `shape`: an axis from −rank to rank − 1,
 * negative counting from the end. Returns it in 0 … rank − 1; throws a RangeError naming `op`.
 */
export function normalizeAxis(axis: number, shape: readonly number[], op: string): number {
  const rank = shape.length;
  if (!Number.isInteger(axis) || axis < -rank || axis >= rank) {
    throw new RangeError(`${op}: axis ${axis} is out of range for ${rank}-D input ${formatShape(shape)}`);
  }
  return axis < 0 ? axis + rank : axis;
}
