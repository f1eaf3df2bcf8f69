// .ci/run runs the correctness tests once per path, forced by environment variables read at the
// first GEMM or convolution. This file is first in its run to ask, so it sees what the run was
// forced to: each forced run must really take the path it names.
import { describe, expect, it } from "vitest";
import { gemmBackend, gemmKernels } from "../../src/layers/gemm.js";
import { convAlgorithm } from "../../src/layers/winograd.js";

const { INCEPTIONISM_GEMM: gemm, INCEPTIONISM_CONV: conv } = process.env;

describe.runIf(gemm)("a run forced by INCEPTIONISM_GEMM", () => {
  it("uses the GEMM kernel it names", () => {
    if (gemm === "wasm" || gemm === "auto") expect(gemmBackend()).toBe(gemmKernels().at(-1));
    else expect(gemmBackend()).toBe(gemm);
  });
});

describe.runIf(conv)("a run forced by INCEPTIONISM_CONV", () => {
  it("uses the convolution algorithm it names", () => {
    expect(convAlgorithm()).toBe(conv);
  });
});
