// The layers that move values without computing with them: Flatten and Reshape give the same
// values another shape (a view, ../../layers/reshape.ts), Slice cuts a blob into parts along an
// axis (../../layers/slice.ts), Crop cuts a window out of it (../../layers/crop.ts). Their shape
// rules are Caffe's own (flatten_layer.cpp, reshape_layer.cpp, slice_layer.cpp, crop_layer.cpp):
//
// - Flatten [axis, end_axis]: axes axis … end_axis (both inclusive, negative from the end) become
//   one, of their product: [N, C, H, W] with the defaults (1, −1) gives [N, C·H·W].
// - Reshape {shape, axis, num_axes}: the input's axes axis … axis + num_axes − 1 (num_axes −1:
//   all from axis on; a negative axis counts from the end, −1 being *after* the last) are
//   replaced by `shape`, where a 0 copies the input's size on that axis and a single −1 is
//   inferred so that the count is unchanged: [N, C, H, W] with shape (0, −1) gives [N, C·H·W].
// - Slice {axis, slice_point}: the points a_1 < a_2 < … cut the axis into parts
//   [0, a_1), [a_1, a_2), …, [a_last, A), one per top (so tops = points + 1); without points,
//   the axis is cut into equal parts, which the number of tops must divide.
// - Crop {axis, offset}, two bottoms: bottom 0 is cut to bottom 1's size on every axis from
//   `axis` (default 2: height and width) on, starting at the offset there: none means 0, one is
//   used on every cropped axis, or there is one per cropped axis. o + bottom 1's size must fit
//   in bottom 0 on each. Bottom 1 only gives a shape: it gets no gradient.
//
// A problem with a layer's own parameters is the file's (ModelError); so is one that depends on
// the blobs' ranks or channels, which no picture changes. A count, a point or a window that does
// not fit the blob at the size asked for is the picture's (OptionError, when shapes are asked
// for), since another size may fit: a Reshape with fixed dims runs only at the size it was made for.

import { OptionError } from "../../errors.js";
import { crop as cropOp } from "../../layers/crop.js";
import { reshape as reshapeOp } from "../../layers/reshape.js";
import { slice as sliceOp } from "../../layers/slice.js";
import { formatShape, shapeSize } from "../../tensor/tensor.js";
import type { CropParam, LayerDef, ReshapeParam, SliceParam } from "../../io/caffe/net-def.js";
import { fail, layerAxis, noWeights, type Channels, type LayerRule } from "./rule.js";

const view = { sharesInput: true, bottoms: "exactly 1", tops: "exactly 1", weights: noWeights } as const;

export const flatten: LayerRule = {
  ...view,
  // Axis 1 to the end of a 2-D blob is no change; of a 4-D one, [N, C·H·W], whose count depends on
  // the picture. Flattening after the channels keeps them.
  channels(layer, [x = null]) {
    const { axis, endAxis } = layer.flatten ?? { axis: 1, endAxis: -1 };
    if (x === null || axis <= 0) return null;
    if (axis >= 2) return { count: x.count, flat: false };
    return endAxis === 1 || (x.flat && endAxis === -1) ? x : null;
  },
  shapes: (layer, [x]) => [flattenShape(layer, x!)],
  forward: (layer, [x]) => [reshapeOp(x!, flattenShape(layer, x!.shape))],
};

export const reshape: LayerRule = {
  ...view,
  channels(layer, [x = null]) {
    const p = reshapeParam(layer);
    if (p.shape.filter((d) => d === -1).length > 1)
      fail(layer, `its shape ${formatShape(p.shape)} has more than one −1; at most one dim is inferred`);
    if (p.shape.some((d) => !Number.isInteger(d) || d < -1)) fail(layer, `its shape ${formatShape(p.shape)} has a dim below −1`);
    if (!Number.isInteger(p.numAxes) || p.numAxes < -1) fail(layer, `num_axes ${p.numAxes} must be ≥ 0, or −1 for all`);
    return reshapeChannels(p, x);
  },
  shapes: (layer, [x]) => [reshapeShape(layer, x!)],
  forward: (layer, [x]) => [reshapeOp(x!, reshapeShape(layer, x!.shape))],
};

export const slice: LayerRule = {
  bottoms: "exactly 1",
  tops: "at least 1",
  weights: noWeights,
  // On the channels, each top gets its part of them; cut elsewhere, every top keeps them all.
  channels(layer, [x = null]) {
    const p = sliceParam(layer);
    const points = p.slicePoints;
    if (points.length > 0 && points.length !== layer.tops.length - 1) {
      fail(layer, `${points.length} slice point(s) cut ${points.length + 1} parts, but it has ${layer.tops.length} top(s)`);
    }
    points.forEach((a, k) => {
      if (!Number.isInteger(a) || a <= (points[k - 1] ?? 0)) {
        fail(layer, `slice points ${formatShape(points)} must be positive and ascending`);
      }
    });
    if (x === null) return layer.tops.map(() => null);
    if (p.axis === 1 || (x.flat && p.axis === -1)) {
      const sizes = sliceSizes(layer, x.count, (what) => fail(layer, `${what} of the ${x.count} channels reaching it`));
      return sizes.map((count) => ({ count, flat: x.flat }));
    }
    return layer.tops.map(() => (p.axis >= 0 ? x : null));
  },
  shapes(layer, [x]) {
    const axis = layerAxis(sliceParam(layer).axis, x!, layer);
    const sizes = sliceSizes(layer, x![axis]!, (what) => {
      throw new OptionError(
        `layer "${layer.name}" (Slice): ${what} of axis ${axis} of its input ${formatShape(x!)} at this input size; try another picture size`,
      );
    });
    return sizes.map((s) => x!.map((d, i) => (i === axis ? s : d)));
  },
  forward(layer, [x]) {
    const axis = layerAxis(sliceParam(layer).axis, x!.shape, layer);
    return sliceOp(
      x!,
      sliceSizes(layer, x!.shape[axis]!, (what) => fail(layer, what)),
      axis,
    );
  },
};

export const crop: LayerRule = {
  bottoms: "exactly 2",
  tops: "exactly 1",
  weights: noWeights,
  // Cropped from axis 2 on, the channels are bottom 0's; from axis 0 or 1, bottom 1's.
  channels(layer, [x = null, reference = null]) {
    const p = cropParam(layer);
    if (p.offset.some((o) => !Number.isInteger(o) || o < 0)) fail(layer, `offsets ${formatShape(p.offset)} must be whole numbers ≥ 0`);
    if (p.axis >= 2) return x;
    if (p.axis < 0 || x === null || reference === null) return null;
    const o = p.offset.length === 0 ? 0 : (p.offset[p.offset.length === 1 ? 0 : 1 - p.axis] ?? 0);
    if (o + reference.count > x.count) {
      fail(layer, `it cuts ${reference.count} channels at offset ${o} out of the ${x.count} reaching it; the file is broken or mismatched`);
    }
    return { count: reference.count, flat: x.flat };
  },
  shapes: (layer, [x, reference]) => [cropWindow(layer, x!, reference!).shape],
  forward(layer, [x, reference]) {
    const w = cropWindow(layer, x!.shape, reference!.shape);
    return [cropOp(x!, w.shape, w.offsets)];
  },
};

/** Caffe Flatten's output shape for an input of shape `x`. */
function flattenShape(layer: LayerDef, x: readonly number[]): number[] {
  const p = layer.flatten ?? { axis: 1, endAxis: -1 };
  const start = layerAxis(p.axis, x, layer),
    end = layerAxis(p.endAxis, x, layer);
  // end = start − 1 flattens no axes into one of size 1, as in Caffe (count(start, start) = 1).
  if (end < start - 1) fail(layer, `end_axis ${p.endAxis} comes before axis ${p.axis} on its ${x.length}-D input ${formatShape(x)}`);
  return [...x.slice(0, start), shapeSize(x.slice(start, end + 1)), ...x.slice(end + 1)];
}

function reshapeParam(layer: LayerDef): ReshapeParam {
  return layer.reshape ?? fail(layer, "has no reshape parameters");
}

/**
 * Caffe Reshape's output shape for an input of shape `x`: the replaced axes, the copied (0) and
 * inferred (−1) dims, and the count, which must not change.
 */
function reshapeShape(layer: LayerDef, x: readonly number[]): number[] {
  const p = reshapeParam(layer);
  const rank = x.length;
  const start = p.axis >= 0 ? p.axis : rank + p.axis + 1; // −1: after the last axis
  const end = p.numAxes === -1 ? rank : start + p.numAxes;
  if (start < 0 || start > rank) fail(layer, `axis ${p.axis} is out of range for its ${rank}-D input ${formatShape(x)}`);
  if (end > rank) fail(layer, `axis ${p.axis} + num_axes ${p.numAxes} goes past the last axis of its ${rank}-D input ${formatShape(x)}`);
  const dims = p.shape.map((d, i) => {
    if (d !== 0) return d;
    if (start + i >= rank)
      fail(layer, `dim ${i} of its shape is 0, which copies axis ${start + i}, but its input ${formatShape(x)} has none`);
    return x[start + i]!;
  });
  const out = [...x.slice(0, start), ...dims, ...x.slice(end)];
  const count = shapeSize(x);
  const inferred = p.shape.indexOf(-1);
  if (inferred >= 0) {
    const known = out.reduce((n, d, i) => (i === start + inferred ? n : n * d), 1);
    if (known === 0 ? count !== 0 : count % known !== 0) {
      throw new OptionError(
        `layer "${layer.name}" (Reshape): its input ${formatShape(x)} has ${count} values, which the other dims of ` +
          `[${out.map((d, i) => (i === start + inferred ? "?" : d)).join(", ")}] (${known}) do not divide at this input size; ` +
          `it only runs at sizes it was made for — choose an earlier layer`,
      );
    }
    out[start + inferred] = known === 0 ? 0 : count / known;
  } else if (shapeSize(out) !== count) {
    throw new OptionError(
      `layer "${layer.name}" (Reshape) makes ${formatShape(out)} = ${shapeSize(out)} values but its input is ` +
        `${formatShape(x)} = ${count} at this input size; fixed dims only fit the size the net was made for — choose an earlier layer`,
    );
  }
  return out;
}

/**
 * The channels after a Reshape, where the file alone fixes them: the output's axis 1 must be a
 * fixed or copied dim of `shape` (replacing from axis 0 or 1, to the end), or the input's axis 1
 * itself (replacing from axis 2 on). Null where it is inferred or the ranks are not known.
 */
function reshapeChannels(p: ReshapeParam, x: Channels | null): Channels | null {
  if (x === null || p.axis < 0) return null;
  if (p.axis >= 2) return x.flat ? null : { count: x.count, flat: false };
  if (p.numAxes !== -1) return null;
  const dim = p.shape[1 - p.axis]; // the output's axis 1
  if (dim === undefined || dim === -1) return null;
  return { count: dim === 0 ? x.count : dim, flat: p.axis + p.shape.length === 2 };
}

function sliceParam(layer: LayerDef): SliceParam {
  return layer.slice ?? { axis: 1, slicePoints: [] };
}

/**
 * The size of each part when a Slice cuts an axis of size `size`: between its points, or equal
 * parts, one per top. `misfit` is told what does not fit (and throws).
 */
function sliceSizes(layer: LayerDef, size: number, misfit: (what: string) => never): number[] {
  const points = sliceParam(layer).slicePoints;
  const tops = layer.tops.length;
  if (points.length === 0) {
    if (size % tops !== 0) misfit(`${tops} tops cannot take equal parts`);
    return layer.tops.map(() => size / tops);
  }
  if (points.at(-1)! >= size) misfit(`slice point ${points.at(-1)} is not inside the ${size}`);
  return [...points, size].map((a, k) => a - (points[k - 1] ?? 0));
}

function cropParam(layer: LayerDef): CropParam {
  return layer.crop ?? { axis: 2, offset: [] };
}

/** Caffe Crop's output shape and the offset on every axis, for bottom 0 of shape `x` and bottom 1 of `reference`. */
function cropWindow(layer: LayerDef, x: readonly number[], reference: readonly number[]): { shape: number[]; offsets: number[] } {
  const p = cropParam(layer);
  const axis = layerAxis(p.axis, x, layer);
  const cropped = x.length - axis;
  if (reference.length < x.length) {
    fail(layer, `its second bottom ${formatShape(reference)} has fewer axes than the blob it crops, ${formatShape(x)}`);
  }
  if (p.offset.length > 1 && p.offset.length !== cropped) {
    fail(layer, `it has ${p.offset.length} offsets for the ${cropped} axes it crops from axis ${p.axis}; give one, or one per axis`);
  }
  const offsets = x.map((_, d) => (d < axis || p.offset.length === 0 ? 0 : p.offset[p.offset.length === 1 ? 0 : d - axis]!));
  const shape = x.map((n, d) => (d < axis ? n : reference[d]!));
  const d = shape.findIndex((n, d) => offsets[d]! + n > x[d]!);
  if (d >= 0) {
    throw new OptionError(
      `layer "${layer.name}" (Crop): cutting ${formatShape(shape.slice(axis))} at offset ${offsets[d]} on axis ${d} needs ` +
        `${offsets[d]! + shape[d]!} there, but its input ${formatShape(x)} has ${x[d]} at this input size; try another picture size`,
    );
  }
  return { shape, offsets };
}
