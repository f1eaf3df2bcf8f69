// A net against the naive Float64 evaluator (./naive-net.ts) of the same NetDef, at named blobs,
// in Float32 and in Float64: shapes equal, and values within each dtype's tolerance of the
// blob's scale (the largest |value|), each failure naming the blob and the dtype.
import { expect } from "vitest";
import type { NetDef } from "../../src/io/caffe/net-def.js";
import type { CaffeNet } from "../../src/models/net.js";
import { Tensor } from "../../src/tensor/tensor.js";
import { naiveForward, type NaiveBlob } from "./naive-net.js";

/** The largest |ours − reference| over the values, as a fraction of the reference's largest |value|. */
export function relativeError(ours: ArrayLike<number>, reference: ArrayLike<number>): number {
  let [err, scale] = [0, 0];
  for (let i = 0; i < reference.length; i++) {
    err = Math.max(err, Math.abs(ours[i]! - reference[i]!));
    scale = Math.max(scale, Math.abs(reference[i]!));
  }
  return err / scale;
}

/** Runs `net` and the naive evaluation of `def` on `input` to `blobs` and compares them; returns the naive blobs. */
export function expectNetMatchesNaive(
  net: CaffeNet,
  def: NetDef,
  input: NaiveBlob,
  blobs: readonly string[],
  tolerance: { float32: number; float64: number },
): NaiveBlob[] {
  const naive = naiveForward(def, input, blobs);
  for (const dtype of ["float32", "float64"] as const) {
    const data = dtype === "float32" ? Float32Array.from(input.data) : input.data.slice();
    const ours = net.forward(new Tensor(data, input.shape), blobs);
    blobs.forEach((name, i) => {
      expect({ name, dtype, shape: ours[i]!.shape }).toEqual({ name, dtype, shape: naive[i]!.shape });
      expect({ name, dtype, error: relativeError(ours[i]!.data, naive[i]!.data) }).toEqual({
        name,
        dtype,
        error: expect.toSatisfy((e: number) => e <= tolerance[dtype]),
      });
    });
  }
  return naive;
}
