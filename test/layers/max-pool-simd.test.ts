// The WebAssembly SIMD max pooling (src/layers/wasm/max-pool-simd.ts, driven by pooling.ts's
// maxPoolForwardSimd) against the naive twin: the same values and the same argmax, bit for bit,
// on awkward sizes (rows shorter than a quad, ragged tails, clipped edges), both strides, ties
// (ReLU zeros, −0 against +0) and NaNs, which never win but stay when they come first.
import { afterEach, describe, expect, it } from "vitest";
import { gemmBackend, setGemmBackend } from "../../src/layers/gemm.js";
import {
  fitsMaxPoolSimd,
  maxPoolBackward,
  maxPoolBackwardInThreads,
  maxPoolForwardInThreads,
  maxPoolForwardNaive,
  maxPoolForwardSimd,
  poolGeometry,
  type PoolParams,
} from "../../src/layers/pooling.js";
import { maxPoolBackwardSimd, maxPoolSimdAvailable } from "../../src/layers/wasm/max-pool-simd.js";
import { random } from "../random.js";

const pool = (stride: [number, number], pad: [number, number]): PoolParams => ({ method: "max", kernel: [3, 3], stride, pad });

const cases: Array<[number[], PoolParams]> = [
  [[1, 3, 7, 9], pool([1, 1], [1, 1])], // inception's 3×3/1 pad 1, a row of 9: one quad and edges
  [[1, 2, 28, 28], pool([1, 1], [1, 1])],
  [[2, 3, 13, 17], pool([2, 2], [0, 0])], // pool1's 3×3/2 with a window hanging over the edge
  [[1, 2, 57, 43], pool([2, 2], [0, 0])],
  [[1, 1, 5, 5], pool([2, 2], [1, 1])],
  [[1, 1, 3, 3], pool([1, 1], [0, 0])], // one window: no whole quad
  [[1, 2, 4, 11], pool([2, 2], [1, 1])],
  [[1, 1, 9, 63], pool([3, 1], [2, 0])], // vertical stride 3, pad 2: rows of clipped windows
  [[1, 1, 8, 65], pool([1, 2], [0, 2])],
  [[1, 1, 1, 1], pool([1, 1], [1, 1])],
];

/** Values with many ties (small integers, zeros as after a ReLU, −0) and a few NaNs. */
function awkwardValues(n: number, seed: number): Float32Array {
  const x = random(n, seed, Float32Array, [-3, 3]).map((v, i) => (i % 5 === 0 ? 0 : Math.round(v)));
  for (let i = 3; i < n; i += 41) x[i] = NaN;
  for (let i = 7; i < n; i += 13) x[i] = -0;
  return x;
}

afterEach(() => setGemmBackend("auto"));

it("the module validates here (Node has SIMD): the tests below cannot skip for a broken module", () => {
  expect(maxPoolSimdAvailable()).toBe(true);
});

describe.skipIf(!maxPoolSimdAvailable())("max pooling on WebAssembly SIMD", () => {
  it.each(cases)("matches the naive twin bit for bit: %j %j", (shape, p) => {
    const g = poolGeometry(shape, p);
    const x = awkwardValues(
      shape.reduce((a, b) => a * b, 1),
      shape[3]!,
    );
    const n = g.N * g.C * g.OH * g.OW;
    const y = new Float32Array(n).fill(7),
      argmax = new Int32Array(n).fill(7);
    const yRef = new Float32Array(n),
      argRef = new Int32Array(n);
    maxPoolForwardSimd(y, argmax, x, g, 0, g.N * g.C);
    maxPoolForwardNaive(yRef, argRef, x, g);
    expect(Array.from(argmax)).toEqual(Array.from(argRef));
    expect(y.every((v, i) => Object.is(v, yRef[i]))).toBe(true); // NaN for NaN, −0 for −0
  });

  it("pools only the planes of its range", () => {
    const g = poolGeometry([1, 4, 11, 11], pool([2, 2], [0, 0]));
    const x = random(4 * 121, 3, Float32Array);
    const y = new Float32Array(4 * 25),
      argmax = new Int32Array(4 * 25);
    maxPoolForwardSimd(y, argmax, x, g, 1, 3);
    const yRef = new Float32Array(4 * 25),
      argRef = new Int32Array(4 * 25);
    maxPoolForwardNaive(yRef, argRef, x, g);
    expect(Array.from(y.subarray(25, 75))).toEqual(Array.from(yRef.subarray(25, 75)));
    expect(Array.from(argmax.subarray(25, 75))).toEqual(Array.from(argRef.subarray(25, 75)));
    expect(y.subarray(0, 25).every((v) => v === 0) && y.subarray(75).every((v) => v === 0)).toBe(true);
  });

  it("is what Float32 3×3 pooling runs on by default, and the plain-JS backend turns it off", () => {
    const g = poolGeometry([1, 1, 9, 9], pool([2, 2], [0, 0]));
    setGemmBackend("wasm"); // what "auto" picks here, whatever INCEPTIONISM_GEMM says for the run
    expect(gemmBackend()).not.toBe("js");
    expect(fitsMaxPoolSimd(g)).toBe(true);
    expect(fitsMaxPoolSimd(poolGeometry([1, 1, 9, 9], pool([3, 3], [0, 0])))).toBe(false); // stride 3
    expect(fitsMaxPoolSimd(poolGeometry([1, 1, 9, 9], { method: "max", kernel: [2, 2], stride: [2, 2], pad: [0, 0] }))).toBe(false);
    setGemmBackend("js");
    expect(fitsMaxPoolSimd(g)).toBe(false);
  });

  it("gives the JS kernel's bits through maxPoolForwardInThreads on either backend", () => {
    const g = poolGeometry([1, 8, 30, 31], pool([1, 1], [1, 1]));
    const x = awkwardValues(8 * 30 * 31, 4);
    const run = (): [number[], number[]] => {
      const y = new Float32Array(8 * g.OH * g.OW),
        argmax = new Int32Array(y.length);
      maxPoolForwardInThreads(y, argmax, x, g);
      return [Array.from(y), Array.from(argmax)];
    };
    setGemmBackend("wasm");
    const simd = run();
    setGemmBackend("js");
    expect(run()).toEqual(simd);
  });
});

describe.skipIf(!maxPoolSimdAvailable())("max pooling backward on WebAssembly", () => {
  it.each(cases)("adds what the JS kernel adds, bit for bit, onto what dx held: %j %j", (shape, p) => {
    const g = poolGeometry(shape, p);
    const x = awkwardValues(
      shape.reduce((a, b) => a * b, 1),
      shape[2]!,
    );
    const y = new Float32Array(g.N * g.C * g.OH * g.OW),
      argmax = new Int32Array(y.length);
    maxPoolForwardNaive(y, argmax, x, g); // with argmax −1 for windows outside the image
    const dy = awkwardValues(y.length, 11);
    const start = awkwardValues(x.length, 12);
    const js = start.slice(),
      simd = start.slice();
    maxPoolBackward(js, dy, argmax, g, 0, g.N * g.C);
    maxPoolBackwardSimd(simd, dy, argmax, g.H, g.W, g.OH * g.OW, 0, g.N * g.C, false);
    // NaN for NaN (which NaN an addition gives is the engine's choice), −0 for −0, else the same bits
    expect(simd.every((v, i) => Object.is(v, js[i]))).toBe(true);
    const fresh = random(x.length, 13, Float32Array); // overwrite: set, whatever dx held
    maxPoolBackwardSimd(fresh, dy, argmax, g.H, g.W, g.OH * g.OW, 0, g.N * g.C, true);
    const zeros = new Float32Array(x.length);
    maxPoolBackward(zeros, dy, argmax, g, 0, g.N * g.C);
    expect(fresh.every((v, i) => Object.is(v, zeros[i]))).toBe(true);
  });
});

describe("max pooling backward with overwrite", () => {
  it("sets dx to what accumulating into zeros gives, whatever dx held", () => {
    const g = poolGeometry([2, 3, 13, 17], pool([2, 2], [0, 0]));
    const x = awkwardValues(2 * 3 * 13 * 17, 8);
    const y = new Float32Array(6 * g.OH * g.OW),
      argmax = new Int32Array(y.length);
    maxPoolForwardInThreads(y, argmax, x, g);
    const dy = random(y.length, 9, Float32Array);
    const added = new Float32Array(x.length),
      set = random(x.length, 10, Float32Array);
    maxPoolBackwardInThreads(added, dy, argmax, g);
    maxPoolBackwardInThreads(set, dy, argmax, g, true);
    expect(Array.from(set)).toEqual(Array.from(added));
  });
});
