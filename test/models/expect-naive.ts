// A net against the naive Float64 evaluator (./naive-net.ts) of the same NetDef, at named blobs,
// in Float32 and in Float64: shapes equal, and values within each dtype's tolerance of the
// blob's scale (the largest |value|), each failure naming the blob and the dtype.
import { expect } from "vitest";
import type { NetDef } from "../../src/io/caffe/net-def.js";
import type { CaffeNet } from "../../src/models/net.js";
import { Tensor } from "../../src/tensor/tensor.js";
import { naiveForward, type NaiveBlob } from "./naive-net.js";

/** The largest |ours − naive| over the blob, as a fraction of the blob's largest |value|. */
export function relativeError(ours: Tensor, naive: NaiveBlob): number {
  let [err, scale] = [0, 0];
  for (let i = 0; i < naive.data.length; i++) {
    err = Math.max(err, Math.abs(ours.data[i]! - naive.data[i]!));
    scale = Math.max(scale, Math.abs(naive.data[i]!));
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
      expect({ name, dtype, error: relativeError(ours[i]!, naive[i]!) }).toEqual({
        name,
        dtype,
        error: expect.toSatisfy((e: number) => e <= tolerance[dtype]),
      });
    });
  }
  return naive;
}
