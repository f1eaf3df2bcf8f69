// The dream's robustness transforms (random scale and rotate per step, issue 14), end to end on
// the bundled GoogLeNet at small sizes.
import { createHash } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dream, type DreamOptions } from "../../src/dream/dream.js";
import type { RgbImage } from "../../src/io/image/image.js";
import { gemmBackend, setGemmBackend } from "../../src/layers/gemm.js";
import { convAlgorithm, setConvAlgorithm } from "../../src/layers/winograd.js";
import { loadGoogLeNet } from "../../src/models/load.js";
import type { CaffeNet } from "../../src/models/net.js";
import { fishBike } from "./photos.js";

let net: CaffeNet;
let small: RgbImage; // fish-bike.jpg at 112×75

beforeAll(async () => {
  net = await loadGoogLeNet();
  ({ small } = await fishBike());
});

const sha = (img: RgbImage): string => createHash("sha256").update(new Uint8Array(img.data.buffer, img.data.byteOffset, img.data.byteLength)).digest("hex");

describe("dream without scale or rotate", () => {
  // The plain-JS GEMM and im2col convolutions: IEEE arithmetic in a fixed order, so the hash is
  // the same on every machine and Node (the SIMD kernels may fuse multiply-adds, and do on
  // Node 24). Restored afterwards, whatever the run had chosen.
  const gemm = gemmBackend(), conv = convAlgorithm();
  beforeAll(() => {
    setGemmBackend("js");
    setConvAlgorithm("im2col");
  });
  afterAll(() => {
    setGemmBackend(gemm);
    setConvAlgorithm(conv);
  });

  it("is byte for byte the dream it was before the transforms existed", async () => {
    const options: DreamOptions = { model: net, layer: "inception_3a/output", octaves: 2, iterations: 2, seed: 5, threads: 1 };
    // Recorded on the code before scale and rotate were added (commit 6eb3991).
    expect(sha(await dream(small, options))).toBe("75b62d74b331d2dc8133c2c155bd99af7188eb5f80b5809d1f5f83d3f78af0be");
  });
});
