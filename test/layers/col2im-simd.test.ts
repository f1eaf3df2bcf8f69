// col2im on WebAssembly SIMD (src/layers/wasm/col2im-simd.ts) against the JS kernel of im2col.ts
// (./im2col.test.ts checks that one against its naive twin and the adjoint identity): the same
// bits on conv1's 7×7/2 and a 5×5 branch's shape, horizontal strides 1 and 2, vertical strides
// and dilations, rows shorter than a quad, groups, and bands of rows (how threads split it), with
// −0 and NaN among the values (the stride-2 kernel rewrites the pixels in between by adding −0).
import { describe, expect, it } from "vitest";
import { convGeometry, type Conv2dOptions } from "../../src/layers/conv.js";
import { col2im } from "../../src/layers/im2col.js";
import { col2imSimd, col2imSimdAvailable } from "../../src/layers/wasm/col2im-simd.js";
import { random } from "../random.js";
import { sameBits } from "../same-bits.js";

const cases: Array<[string, number[], number[], Conv2dOptions]> = [
  ["conv1's 7×7/2, pad 3", [1, 3, 30, 34], [4, 3, 7, 7], { stride: [2, 2], pad: [3, 3] }],
  ["a 5×5 branch, pad 2", [1, 4, 14, 14], [2, 4, 5, 5], { pad: [2, 2] }],
  ["3×3, stride 1 × 2, pad 1", [1, 2, 9, 17], [3, 2, 3, 3], { stride: [1, 2], pad: [1, 1] }],
  ["3×3, stride 3 × 1, dilation 2", [1, 2, 19, 11], [3, 2, 3, 3], { stride: [3, 1], dilation: [2, 2], pad: [2, 1] }],
  ["rows of 3: shorter than a quad", [1, 2, 5, 3], [2, 2, 3, 3], { pad: [1, 1] }],
  ["two groups", [1, 4, 8, 8], [4, 2, 3, 3], { stride: [2, 2], group: 2 }],
  ["1×1, stride 2", [1, 3, 9, 9], [2, 3, 1, 1], { stride: [2, 2] }],
];

function awkward(n: number, seed: number): Float32Array {
  const v = random(n, seed, Float32Array, [-2, 2]);
  for (let i = 2; i < n; i += 9) v[i] = -0;
  if (n > 40) v[37] = NaN;
  return v;
}

it("the module validates here (Node has SIMD): the tests below cannot skip for a broken module", () => {
  expect(col2imSimdAvailable()).toBe(true);
});

describe.runIf(col2imSimdAvailable())("col2im on WebAssembly SIMD", () => {
  for (const [name, xShape, wShape, options] of cases) {
    it(`gives the JS kernel's bits: ${name}`, () => {
      const g = convGeometry(xShape, wShape, options);
      const Cg = g.C / g.groups;
      const col = awkward(Cg * g.R * g.S * g.OH * g.OW, 1);
      const start = awkward(Cg * g.H * g.W, 2);
      for (const bands of [1, 2, 3]) {
        const js = start.slice(),
          simd = start.slice();
        for (let b = 0; b < bands; b++) {
          const h0 = Math.floor((b * g.H) / bands),
            h1 = Math.floor(((b + 1) * g.H) / bands);
          col2im(js, col, g, h0, h1);
          col2imSimd(simd, col, g, h0, h1);
        }
        expect(sameBits(simd, js), `${bands} band(s)`).toBe(true);
      }
    });
  }
});
