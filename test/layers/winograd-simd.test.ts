// F(4, 3)'s transforms on WebAssembly SIMD (src/layers/wasm/winograd-simd.ts) against the JS
// kernels of winograd.ts (./winograd.test.ts checks those against the direct convolution): the
// same V and the same outputs, bit for bit, on awkward geometries — an odd number of tiles a row
// (the tile pairs' spare lane), sizes that are not whole tiles, padding 0, 1, 2 and a negative one
// (the input gradient of a convolution padded by 3), two images, more planes than one chunk
// moves through WebAssembly memory at once — every epilogue, and a ReLU's backward folded into
// the input transform: bias, the
// fused ReLU (−0 becomes 0, NaN stays), and accumulating onto what the output held.
import { describe, expect, it } from "vitest";
import { convGeometry } from "../../src/layers/conv.js";
import { backwardGeometry, forwardGeometry, winogradInput, winogradOutput, type WinogradGeometry } from "../../src/layers/winograd.js";
import { winogradInputSimd, winogradOutputSimd, winogradSimdAvailable } from "../../src/layers/wasm/winograd-simd.js";
import { reluMask } from "../../src/layers/relu.js";
import { random } from "../random.js";
import { sameBits } from "../same-bits.js";

const cases: Array<[string, number[], number]> = [
  ["8×8, pad 1", [1, 2, 8, 8], 1],
  ["7×9, pad 1: 2×3 tiles, the last ones partly outside", [1, 3, 7, 9], 1],
  ["13×5, pad 0", [2, 2, 13, 5], 0],
  ["28×28, pad 1: inception_4c's 7×7 tiles", [1, 2, 28, 28], 1],
  ["6×21, pad 3", [1, 2, 6, 21], 3],
  ["1×1, pad 1: one tile", [1, 1, 1, 1], 1],
  ["200 planes of 28×28: more than one chunk of planes", [1, 200, 28, 28], 1],
];

/** Values with −0s, zeros and a NaN among them. */
function awkward(n: number, seed: number): Float32Array {
  const x = random(n, seed, Float32Array, [-2, 2]);
  for (let i = 1; i < n; i += 7) x[i] = -0;
  for (let i = 4; i < n; i += 11) x[i] = 0;
  if (n > 20) x[17] = NaN;
  return x;
}

const geometries = (): Array<[string, WinogradGeometry]> =>
  cases.flatMap(([name, xShape, pad]) => {
    const g = convGeometry(xShape, [3, xShape[1]!, 3, 3], { pad: [pad, pad] });
    return [
      [`${name}, forward`, forwardGeometry(g)],
      [`${name}, input gradient (padding ${2 - pad})`, backwardGeometry(g)],
    ] as Array<[string, WinogradGeometry]>;
  });

it("the module validates here (Node has SIMD): the tests below cannot skip for a broken module", () => {
  expect(winogradSimdAvailable()).toBe(true);
});

describe.runIf(winogradSimdAvailable())("F(4, 3)'s transforms on WebAssembly SIMD", () => {
  for (const [name, wg] of geometries()) {
    const planesIn = wg.N * wg.C,
      planesOut = wg.N * wg.K,
      vSize = 36 * wg.C * wg.T,
      mSize = 36 * wg.K * wg.T;

    it(`input: the JS kernel's V, ${name}`, () => {
      const x = awkward(planesIn * wg.H * wg.W, 1);
      const js = random(vSize, 2, Float32Array),
        simd = random(vSize, 3, Float32Array); // stale values must be overwritten
      winogradInput(js, x, wg, 0, planesIn);
      winogradInputSimd(simd, x, wg, 0, planesIn);
      expect(sameBits(simd, js)).toBe(true);
      // A range of planes writes only theirs (how threads split the work).
      const part = random(vSize, 3, Float32Array);
      winogradInputSimd(part, x, wg, 0, planesIn);
      const again = part.slice();
      winogradInputSimd(again, x, wg, planesIn - 1, planesIn);
      expect(sameBits(again, part)).toBe(true);
    });

    for (const [accumulate, relu, bias] of [
      [false, false, true],
      [false, true, true],
      [false, false, false],
      [true, false, false],
      [true, true, false],
    ] as const) {
      it(`output: the JS kernel's bits, ${name}, ${accumulate ? "accumulating" : bias ? "with bias" : "no bias"}${relu ? ", ReLU" : ""}`, () => {
        const M = awkward(mSize, 4);
        const b = bias ? random(wg.K, 5, Float32Array) : null;
        const start = awkward(planesOut * wg.OH * wg.OW, 6);
        const js = start.slice(),
          simd = start.slice();
        winogradOutput(js, M, b, wg, accumulate, relu, 0, planesOut);
        winogradOutputSimd(simd, M, b, wg, accumulate, relu, 0, planesOut);
        expect(sameBits(simd, js)).toBe(true);
        if (relu) expect(Array.from(simd).some((v) => Object.is(v, -0))).toBe(false);
      });
    }
  }

  it("input with a ReLU's backward folded in: the V of the masked input, the input untouched", () => {
    for (const [, wg] of geometries().slice(0, 6)) {
      const planes = wg.N * wg.C;
      const x = awkward(planes * wg.H * wg.W, 9),
        by = awkward(x.length, 10);
      for (const slope of [0, 0.25]) {
        const masked = x.slice();
        reluMask(masked, by, slope, 0, masked.length);
        const js = new Float32Array(36 * wg.C * wg.T),
          simd = random(js.length, 11, Float32Array);
        winogradInput(js, masked, wg, 0, planes);
        const before = x.slice();
        winogradInputSimd(simd, x, wg, 0, planes, { by, slope });
        expect(sameBits(simd, js)).toBe(true);
        expect(sameBits(x, before)).toBe(true);
      }
    }
  });

  it("an input after an output transform (the memory is shared) still reads a zero border", () => {
    const [, wg] = geometries()[1]!;
    const x = awkward(wg.N * wg.C * wg.H * wg.W, 7);
    const first = new Float32Array(36 * wg.C * wg.T),
      second = new Float32Array(first.length);
    winogradInputSimd(first, x, wg, 0, wg.N * wg.C);
    winogradOutputSimd(new Float32Array(wg.N * wg.K * wg.OH * wg.OW), awkward(36 * wg.K * wg.T, 8), null, wg, false, false, 0, wg.N * wg.K);
    winogradInputSimd(second, x, wg, 0, wg.N * wg.C);
    expect(sameBits(second, first)).toBe(true);
  });
});
