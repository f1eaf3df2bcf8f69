// Winograd convolution: the transforms against the direct 1-D correlation, the naive twin against
// the defining convolution, the fast kernels against both (forward and input gradient, awkward
// sizes, every padding), the weight cache against in-place edits, the algorithm switch, and the
// same bits on 1, 2 and 3 threads.
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import "../../src/threads/node-host.js";
import {
  conv2d,
  conv2dBackward,
  conv2dBackwardNaive,
  conv2dForward,
  conv2dForwardNaive,
  convAlgorithm,
  convGeometry,
  setConvAlgorithm,
  type Conv2dOptions,
} from "../../src/layers/conv.js";
import {
  transformedWeights,
  usesWinograd,
  winogradBackwardData,
  winogradConvNaive,
  winogradEligible,
  winogradForward,
} from "../../src/layers/winograd.js";
import { inputColumns43 } from "../../src/layers/winograd-f43.js";
import { winogradTransforms } from "../../src/layers/winograd-transforms.js";
import { allocFloats } from "../../src/tensor/buffers.js";
import { Tensor } from "../../src/tensor/tensor.js";
import { shutdownThreads, threadsReady, withThreads } from "../../src/threads/pool.js";
import { random } from "../random.js";

const size = (s: number[]): number => s.reduce((a, d) => a * d, 1);

describe("winogradTransforms", () => {
  for (const [m, r] of [
    [2, 3],
    [4, 3],
    [6, 3],
    [2, 5],
    [1, 1],
    [3, 2],
  ] as const) {
    it(`F(${m}, ${r}): Aᵀ[(G g) ⊙ (Bᵀ d)] is the correlation of d with g`, () => {
      const { alpha, AT, G, BT } = winogradTransforms(m, r);
      const g = random(r, 1, Float64Array),
        d = random(alpha, 2, Float64Array);
      const Gg = Array.from({ length: alpha }, (_, j) => g.reduce((s, gk, k) => s + G[j * r + k]! * gk, 0));
      const Bd = Array.from({ length: alpha }, (_, j) => d.reduce((s, dn, n) => s + BT[j * alpha + n]! * dn, 0));
      const y = Array.from({ length: m }, (_, i) => Gg.reduce((s, v, j) => s + AT[i * alpha + j]! * v * Bd[j]!, 0));
      const direct = Array.from({ length: m }, (_, i) => g.reduce((s, gk, k) => s + gk * d[i + k]!, 0));
      expect(y).toBeAllClose(direct, { rtol: 1e-12, atol: 1e-12 });
    });
  }

  it("F(4, 3) has the integer Bᵀ of Lavin & Gray", () => {
    expect(Array.from(winogradTransforms(4, 3).BT, (v) => v + 0)).toEqual([
      // + 0: −0 is 0 here
      4, 0, -5, 0, 1, 0, 0, -4, -4, 1, 1, 0, 0, 4, -4, -1, 1, 0, 0, -2, -1, 2, 1, 0, 0, 2, -1, -2, 1, 0, 0, 4, 0, -5, 0, 1,
    ]);
  });

  it("refuses tile sizes it has no points for", () => {
    expect(() => winogradTransforms(12, 3)).toThrow("winogradTransforms: F(12, 3) needs 1 ≤ m, 1 ≤ r, m + r − 2 ≤ 11");
  });
});

// x [N, C, H, W], 3×3 weights [K, C, 3, 3], pad: odd sizes, sizes that no tile size divides,
// a 1×1 image, every padding the forward and the gradient meet (pad 3 makes the gradient crop).
const cases: Array<{ name: string; x: number[]; K: number; pad: [number, number] }> = [
  { name: "7×5, pad 1", x: [1, 3, 7, 5], K: 4, pad: [1, 1] },
  { name: "9×11, pad 0, batch 2", x: [2, 2, 9, 11], K: 3, pad: [0, 0] },
  { name: "6×13, pad 2", x: [1, 2, 6, 13], K: 5, pad: [2, 2] },
  { name: "1×1 image, pad 1", x: [1, 3, 1, 1], K: 2, pad: [1, 1] },
  { name: "3×3 image, pad 0: one output", x: [1, 2, 3, 3], K: 2, pad: [0, 0] },
  { name: "5×8, pad [0, 2]", x: [1, 2, 5, 8], K: 3, pad: [0, 2] },
  { name: "4×4, pad 3 (the gradient's padding is −1)", x: [1, 2, 4, 4], K: 3, pad: [3, 3] },
  { name: "many channels, 70 → 65 on 6×7", x: [1, 70, 6, 7], K: 65, pad: [1, 1] },
];

describe("Winograd convolution against the direct one", () => {
  for (const m of [2, 4, 6]) {
    for (const { name, x: xShape, K, pad } of cases) {
      it(`F(${m}, 3), ${name}`, () => {
        const g = convGeometry(xShape, [K, xShape[1]!, 3, 3], { pad });
        const outSize = g.N * K * g.OH * g.OW;
        const x64 = random(size(xShape), 1, Float64Array),
          w64 = random(K * g.C * 9, 2, Float64Array);
        const b64 = random(K, 3, Float64Array),
          dout64 = random(outSize, 4, Float64Array);
        const direct = new Float64Array(outSize),
          dxDirect = random(x64.length, 5, Float64Array);
        conv2dForwardNaive(direct, x64, w64, b64, g);
        conv2dBackwardNaive(dxDirect, null, null, dout64, x64, w64, g);

        // The twin: the formula tile by tile, Float64.
        const twin = new Float64Array(outSize);
        winogradConvNaive(twin, x64, w64, b64, g, m);
        expect(twin).toBeAllClose(direct, { rtol: 1e-12, atol: 1e-12 });

        // The fast kernels in Float64, then in Float32; garbage in `out` must be overwritten, and
        // the gradient accumulates onto what dx held.
        // Float32 tolerances follow the rounding that bench/winograd-error.ts measures: F(6, 3)'s
        // larger interpolation points cost it about two more digits on 630-term sums.
        for (const [Type, tol] of [
          [Float64Array, 1e-12],
          [Float32Array, m === 6 ? 2e-3 : 2e-5],
        ] as const) {
          const x = Type.from(x64),
            w = Type.from(w64),
            b = Type.from(b64),
            dout = Type.from(dout64);
          const out = random(outSize, 6, Type);
          winogradForward(out, x, w, b, g, false, m);
          expect(out).toBeAllClose(twin, { rtol: tol, atol: tol * 10 });
          const dx = random(x.length, 5, Type);
          winogradBackwardData(dx, dout, w, g, m);
          expect(dx).toBeAllClose(dxDirect, { rtol: tol, atol: tol * 10 });
        }
      });
    }
  }

  it("the fused ReLU: max(conv, 0), as the GEMM's epilogue gives it", () => {
    const g = convGeometry([1, 4, 9, 7], [6, 4, 3, 3], { pad: [1, 1] });
    const x = random(4 * 9 * 7, 1, Float32Array),
      w = random(6 * 4 * 9, 2, Float32Array),
      b = random(6, 3, Float32Array);
    const out = new Float32Array(6 * 9 * 7),
      ref = new Float64Array(out.length);
    winogradForward(out, x, w, b, g, true);
    conv2dForwardNaive(ref, Float64Array.from(x), Float64Array.from(w), Float64Array.from(b), g);
    expect(out).toBeAllClose(
      ref.map((v) => Math.max(v, 0)),
      { rtol: 2e-5, atol: 2e-5 },
    );
    expect(out.some((v) => v === 0) && out.some((v) => v > 0)).toBe(true);
  });
});

describe("which convolutions run as Winograd's", () => {
  it("3×3, stride 1, no dilation, one group only", () => {
    const eligible = (w: number[], p: Conv2dOptions) => winogradEligible(convGeometry([1, 4, 9, 9], w, p));
    expect(eligible([4, 4, 3, 3], { pad: [1, 1] })).toBe(true);
    expect(eligible([4, 4, 3, 3], { stride: [2, 2] })).toBe(false);
    expect(eligible([4, 4, 3, 3], { dilation: [2, 2] })).toBe(false);
    expect(eligible([4, 2, 3, 3], { group: 2 })).toBe(false);
    expect(eligible([4, 4, 5, 5], {})).toBe(false);
    expect(eligible([4, 4, 3, 1], {})).toBe(false);
  });
});

describe("the transformed weights", () => {
  it("are computed once for unchanged weights, again after an in-place edit", () => {
    const w = random(5 * 3 * 9, 1, Float32Array),
      t = winogradTransforms(4, 3);
    const U = transformedWeights(w, 5, 3, t, false);
    expect(transformedWeights(w, 5, 3, t, false)).toBe(U); // the same array: not transformed again
    const before = U.slice();
    w[7] = 3;
    const edited = transformedWeights(w, 5, 3, t, false);
    expect(Array.from(edited)).not.toEqual(Array.from(before));
  });

  it("never give a stale result through conv2d when a user edits a weight array in place", () => {
    const x = new Tensor(random(3 * 8 * 8, 1, Float32Array), [1, 3, 8, 8]);
    const w = new Tensor(random(4 * 3 * 9, 2, Float32Array), [4, 3, 3, 3]);
    const g = convGeometry(x.shape, w.shape, { pad: [1, 1] });
    conv2d(x, w, null, { pad: [1, 1] }); // transforms and caches w
    w.data.fill(0.5, 0, 9); // a user edits filter 0, channel 0, in place
    w.data[100] = -2;
    const got = conv2d(x, w, null, { pad: [1, 1] });
    const ref = new Float64Array(got.size);
    conv2dForwardNaive(ref, Float64Array.from(x.data), Float64Array.from(w.data), null, g);
    expect(got.data).toBeAllClose(ref, { rtol: 2e-5, atol: 2e-5 });
  });
});

describe("setConvAlgorithm and INCEPTIONISM_CONV", () => {
  afterEach(() => {
    vi.unstubAllEnvs();
    setConvAlgorithm("auto");
  });

  it("conv2dForward and conv2dBackward take Winograd by default, im2col when forced; both agree", () => {
    const g = convGeometry([1, 6, 12, 10], [7, 6, 3, 3], { pad: [1, 1] });
    const x = random(6 * 12 * 10, 1, Float32Array),
      w = random(7 * 6 * 9, 2, Float32Array),
      b = random(7, 3, Float32Array);
    const dout = random(7 * 12 * 10, 4, Float32Array);
    const run = (): [Float32Array, Float32Array] => {
      const out = new Float32Array(dout.length),
        dx = new Float32Array(x.length);
      conv2dForward(out, x, w, b, g);
      conv2dBackward(dx, null, null, dout, x, w, g);
      return [out, dx];
    };
    setConvAlgorithm("auto"); // the default, whatever INCEPTIONISM_CONV this run was given
    expect(usesWinograd(g)).toBe(true);
    const [out1, dx1] = run();
    setConvAlgorithm("im2col");
    expect(usesWinograd(g)).toBe(false);
    const [out2, dx2] = run();
    expect(Array.from(out1)).not.toEqual(Array.from(out2)); // another summation: the switch took effect
    expect(out1).toBeAllClose(out2, { rtol: 1e-5, atol: 1e-5 });
    expect(dx1).toBeAllClose(dx2, { rtol: 1e-5, atol: 1e-5 });
  });

  it("reads the environment at the first convolution, and names a bad value", async () => {
    vi.resetModules();
    vi.stubEnv("INCEPTIONISM_CONV", "im2col");
    const fresh = await import("../../src/layers/winograd.js");
    expect(fresh.convAlgorithm()).toBe("im2col");
    vi.resetModules();
    vi.stubEnv("INCEPTIONISM_CONV", "fft");
    const bad = await import("../../src/layers/winograd.js");
    expect(() => bad.convAlgorithm()).toThrow('INCEPTIONISM_CONV="fft": expected one of auto, winograd, im2col');
    expect(() => setConvAlgorithm("fft" as "auto")).toThrow(
      'setConvAlgorithm: unknown algorithm "fft"; choose from auto, winograd, im2col',
    );
    expect(convAlgorithm()).toBe("auto");
  });
});

describe("Winograd on threads", () => {
  beforeAll(() => threadsReady(3));
  afterAll(() => shutdownThreads());

  it("gives the same bits on 1, 2 and 3 threads, forward and input gradient", () => {
    // Big enough for every stage to be split: 36 products of 40×(2·7·7)×48 values.
    const g = convGeometry([2, 48, 27, 26], [40, 48, 3, 3], { pad: [1, 1] });
    const float32s = (n: number): Float32Array => allocFloats("float32", n) as Float32Array;
    const compute = (): Float32Array[] => {
      const x = random(size([2, 48, 27, 26]), 1, float32s),
        w = random(40 * 48 * 9, 2, float32s),
        b = random(40, 3, float32s);
      const out = float32s(2 * 40 * 27 * 26),
        dx = random(x.length, 5, float32s);
      winogradForward(out, x, w, b, g, true);
      winogradBackwardData(dx, random(out.length, 4, float32s), w, g);
      return [out, dx];
    };
    const one = withThreads(1, compute).map((a) => Array.from(a));
    for (const n of [2, 3]) {
      withThreads(n, compute).forEach((a, k) => {
        expect(Array.from(a), `output ${k} at ${n} threads`).toEqual(one[k]);
      });
    }
  });
});

describe("F(4, 3)'s column transform read in place", () => {
  it("gives the bits of gathering the six rows (zero-padded) and transforming them", () => {
    const W = 23,
      width = 26; // a row of 6 tiles over 23 columns, padding 1 on the left and 2 on the right
    for (const Type of [Float32Array, Float64Array]) {
      const x = random(9 * W, 7, Type);
      x[2 * W + 5] = -0;
      for (const [lo, hi] of [
        [1, 24],
        [0, 23],
        [3, 20],
      ] as const) {
        const src = W - lo; // the six rows start at image row 1; column j of the row is x column j − lo
        const d = new Float64Array(6 * width),
          expected = new Float64Array(6 * width);
        for (let i = 0; i < 6; i++) for (let j = lo; j < hi; j++) d[i * width + j] = x[src + i * W + j]!;
        inputColumns43(expected, d, 0, width, width, 0, width); // the gathered copy
        const t = random(6 * width, 8, Float64Array); // stale values must be overwritten
        inputColumns43(t, x, src, W, width, lo, hi); // in place
        expect(Array.from(t, (v) => (Object.is(v, -0) ? "-0" : v))).toEqual(Array.from(expected, (v) => (Object.is(v, -0) ? "-0" : v)));
      }
    }
  });
});
