import ndarray from "ndarray";
import { describe, expect, it } from "vitest";
import { tensorFromNdarray, tensorToNdarray } from "../../src/tensor/ndarray-interop.js";
import { Tensor } from "../../src/tensor/tensor.js";

describe("ndarray interop", () => {
  it("views a tensor without copying", () => {
    const t = new Tensor(Float32Array.from([0, 1, 2, 3, 4, 5]), [2, 3]);
    const v = tensorToNdarray(t);
    expect(v.get(1, 2)).toBe(5);
    v.set(0, 1, 42);
    expect(t.data[1]).toBe(42);
  });

  it("copies a transposed, offset view into row-major order (HWC → CHW)", () => {
    // A 2×3 RGB image as H×W×C, viewed as C×H×W through its strides.
    const hwc = ndarray(
      Float64Array.from({ length: 18 }, (_, i) => i),
      [2, 3, 3],
    );
    const chw = tensorFromNdarray(hwc.transpose(2, 0, 1));
    expect(chw.shape).toEqual([3, 2, 3]);
    expect(chw.dtype).toBe("float64");
    expect(Array.from(chw.data.subarray(0, 6))).toEqual([0, 3, 6, 9, 12, 15]); // the R plane
    const crop = tensorFromNdarray(hwc.lo(1, 1).hi(1, 2).pick(null, null, 2));
    expect(crop.shape).toEqual([1, 2]);
    expect(Array.from(crop.data)).toEqual([14, 17]);
    expect(crop.dtype).toBe("float64");
    expect(tensorFromNdarray(ndarray(new Uint8Array([1, 2]), [2])).dtype).toBe("float32");
  });
});
