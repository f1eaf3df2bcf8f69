// A Vitest matcher for arrays of floats: |a − e| ≤ atol + rtol·|e| elementwise, reporting the
// worst element (index, both values) rather than dumping whole arrays.
import { expect } from "vitest";
// INCEPTIONISM_GEMM=wasm-relaxed forces the relaxed-SIMD GEMM for a whole run (.ci/run does);
// on Node 20 that needs V8's flag, which the package entry and the CLI set, but kernel tests
// import the kernels directly.
import "../src/node-relaxed-simd.js";

type NumericArray = ArrayLike<number>;

interface AllCloseOptions {
  rtol?: number;
  atol?: number;
}

expect.extend({
  toBeAllClose(actual: NumericArray, expected: NumericArray, { rtol = 1e-5, atol = 1e-6 }: AllCloseOptions = {}) {
    if (actual.length !== expected.length) {
      return { pass: false, message: () => `length ${actual.length} ≠ expected length ${expected.length}` };
    }
    let worst = -1;
    let worstExcess = 0;
    for (let i = 0; i < actual.length; i++) {
      const a = actual[i]!,
        e = expected[i]!;
      const excess = Math.abs(a - e) - (atol + rtol * Math.abs(e));
      if (!(excess <= 0) && (worst < 0 || !(excess <= worstExcess))) {
        worst = i;
        worstExcess = excess;
        if (Number.isNaN(excess)) break;
      }
    }
    const pass = worst < 0;
    return {
      pass,
      message: () =>
        pass
          ? `expected arrays to differ beyond rtol=${rtol}, atol=${atol}`
          : `element ${worst}: ${actual[worst]} vs expected ${expected[worst]} (rtol=${rtol}, atol=${atol})`,
    };
  },
});

declare module "vitest" {
  interface Assertion<T> {
    toBeAllClose(expected: NumericArray, options?: AllCloseOptions): T;
  }
}
