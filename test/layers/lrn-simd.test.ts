// LRN across channels on WebAssembly SIMD (src/layers/wasm/lrn-simd.ts) against the naive twin
// (every window summed from scratch, Math.pow): forward values and scale, and the accumulated
// backward, on awkward sizes — one channel, fewer channels than the window, planes narrower than
// a vector and ragged against the 128-pixel block, two images, sub-ranges of pixels — and window
// sizes 1, 3, 5. A NaN spoils exactly the windows that hold it, as in the naive twin.
import { afterEach, describe, expect, it } from "vitest";
import { gemmBackend, setGemmBackend } from "../../src/layers/gemm.js";
import { lrnBackward, lrnBackwardNaive, lrnForward, lrnForwardNaive, lrnGeometry, type LrnParams } from "../../src/layers/lrn.js";
import { fitsLrnSimd, lrnAcrossBackwardSimd, lrnAcrossForwardSimd, lrnSimdAvailable } from "../../src/layers/wasm/lrn-simd.js";
import { random } from "../random.js";

const across = (localSize: number): LrnParams => ({ localSize, alpha: 1e-4, beta: 0.75, k: 1, region: "across" });
const shapes = [
  [1, 1, 3, 3],
  [1, 2, 1, 7],
  [2, 7, 5, 9],
  [1, 3, 1, 130],
  [1, 16, 13, 21],
  [2, 5, 16, 16],
  [1, 6, 33, 71], // 2343 pixels: two whole blocks of 1024 and a last one of 295
  [2, 3, 1, 1030],
];

afterEach(() => setGemmBackend("auto"));

describe.skipIf(!lrnSimdAvailable())("LRN across channels on WebAssembly SIMD", () => {
  for (const n of [1, 3, 5]) {
    it.each(shapes)(`matches the naive twin, n = ${n}: [%i, %i, %i, %i]`, (...shape) => {
      const g = lrnGeometry(shape, across(n));
      const size = shape.reduce((a, b) => a * b, 1),
        P = g.H * g.W;
      const x = random(size, size, Float32Array, [-150, 150]); // activations large enough to be normalized
      const dy = random(size, size + 1, Float32Array);
      const y = new Float32Array(size),
        scale = new Float32Array(size),
        yRef = new Float32Array(size),
        scaleRef = new Float32Array(size);
      lrnAcrossForwardSimd(y, scale, x, g, 0, P);
      lrnForwardNaive(yRef, scaleRef, x, g);
      expect(y).toBeAllClose(yRef, { rtol: 1e-6, atol: 1e-6 });
      expect(scale).toBeAllClose(scaleRef, { rtol: 1e-6, atol: 0 });
      const dx = random(size, 3, Float32Array),
        dxRef = dx.slice(); // the backward accumulates
      lrnAcrossBackwardSimd(dx, dy, x, y, scale, g, 0, P);
      lrnBackwardNaive(dxRef, dy, x, g);
      expect(dx).toBeAllClose(dxRef, { rtol: 1e-5, atol: 1e-6 });
    });
  }

  it("computes only the pixels of its range, in every channel and image", () => {
    const g = lrnGeometry([2, 6, 15, 20], across(5));
    const size = 2 * 6 * 300,
      x = random(size, 4, Float32Array, [-100, 100]);
    const y = new Float32Array(size),
      scale = new Float32Array(size),
      yRef = new Float32Array(size),
      scaleRef = new Float32Array(size);
    lrnAcrossForwardSimd(y, scale, x, g, 131, 277);
    lrnForwardNaive(yRef, scaleRef, x, g);
    for (let i = 0; i < size; i++) {
      const p = i % 300;
      if (p >= 131 && p < 277) expect(Math.abs(y[i]! - yRef[i]!)).toBeLessThanOrEqual(1e-6 * Math.abs(yRef[i]!) + 1e-6);
      else expect(y[i]).toBe(0);
    }
  });

  it("spoils exactly the windows that hold a NaN, as the naive twin does", () => {
    const g = lrnGeometry([1, 9, 3, 5], across(5));
    const x = random(135, 5, Float32Array, [-50, 50]);
    x[4 * 15 + 7] = NaN; // channel 4, pixel 7: channels 2–6 of pixel 7 see it
    const y = new Float32Array(135),
      scale = new Float32Array(135),
      yRef = new Float32Array(135),
      scaleRef = new Float32Array(135);
    lrnAcrossForwardSimd(y, scale, x, g, 0, 15);
    lrnForwardNaive(yRef, scaleRef, x, g);
    expect(Array.from(y, Number.isNaN)).toEqual(Array.from(yRef, Number.isNaN));
    expect(Array.from(y, Number.isNaN).filter(Boolean)).toHaveLength(5);
  });

  it("is what Float32 GoogLeNet LRN runs on by default, and the plain-JS backend turns it off", () => {
    const g = lrnGeometry([1, 8, 4, 4], across(5));
    setGemmBackend("wasm"); // what "auto" picks here, whatever INCEPTIONISM_GEMM says for the run
    expect(gemmBackend()).not.toBe("js");
    expect(fitsLrnSimd(g)).toBe(true);
    expect(fitsLrnSimd(lrnGeometry([1, 8, 4, 4], { ...across(5), beta: 0.5 }))).toBe(false); // no exp/log in SIMD
    expect(fitsLrnSimd(lrnGeometry([1, 8, 4, 4], { ...across(5), region: "within" }))).toBe(false);
    const x = random(128, 6, Float32Array, [-100, 100]),
      dy = random(128, 7, Float32Array);
    const run = (): Float32Array[] => {
      const y = new Float32Array(128),
        scale = new Float32Array(128),
        dx = new Float32Array(128);
      lrnForward(y, scale, x, g);
      lrnBackward(dx, dy, x, y, scale, g);
      return [y, scale, dx];
    };
    const simd = run();
    setGemmBackend("js");
    const js = run();
    js.forEach((a, k) => {
      expect(a).toBeAllClose(simd[k]!, { rtol: 1e-5, atol: 1e-6 });
    });
    expect(js[0]!.some((v, i) => v !== simd[0]![i])).toBe(true); // Float64 sliding sums: other rounding, another kernel
  });
});

describe("LRN backward with overwrite", () => {
  it("sets dx to what adding into zeros gives, whatever dx held, on both kernels", () => {
    for (const [backend, p] of [
      ["wasm", across(5)],
      ["js", across(5)],
      ["wasm", { ...across(3), region: "within" }],
    ] as const) {
      setGemmBackend(backend);
      const g = lrnGeometry([1, 6, 5, 7], p as LrnParams);
      const x = random(210, 8, Float32Array, [-50, 50]),
        dy = random(210, 9, Float32Array);
      const y = new Float32Array(210),
        scale = new Float32Array(210);
      lrnForward(y, scale, x, g);
      const added = new Float32Array(210),
        set = random(210, 10, Float32Array, [-9, 9]);
      lrnBackward(added, dy, x, y, scale, g);
      lrnBackward(set, dy, x, y, scale, g, true);
      expect(Array.from(set), `${backend} ${g.region}`).toEqual(Array.from(added));
    }
  });
});
