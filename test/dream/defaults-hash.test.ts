// New dream options must leave the default dream as it was: the same bytes as before they came.
// The hashes are of dream()'s Float32 output, recorded on main at e0c388a (before `mask`,
// `originalColors` and channel strategies), once per kernel path the CI forces (.ci/run), since
// the GEMM's SIMD flavour and Winograd change the last bits. A change that is meant to alter the
// default dream updates them, and says why in its commit.
import { createHash } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import "../../src/threads/node-host.js";
import { dream } from "../../src/dream/dream.js";
import type { RgbImage } from "../../src/io/image/image.js";
import { gemmBackend } from "../../src/layers/gemm.js";
import { convAlgorithm } from "../../src/layers/winograd.js";
import { loadGoogLeNet } from "../../src/models/load.js";
import type { CaffeNet } from "../../src/models/net.js";
import { shutdownThreads } from "../../src/threads/pool.js";
import { fishBike } from "./photos.js";

/** [plain, with channels 3, 17, 101] per "GEMM kernel/convolution algorithm". */
const RECORDED: Record<string, [string, string]> = {
  "wasm-plain/auto": [
    "5e1ab252288471a00886cfa912131e4e58d066bc80428f1da30030552234429d",
    "3ec9cfe619b5fe7bfacfb8c3d02516fc324862177af13391d1ef889eefc2d341",
  ],
  "wasm-relaxed/auto": [
    "8762bbd974eeb8969644935945ea041cfc0abcc7a037c658d550e150e484b53f",
    "fc9a3921954cd9f3d6193a7ff8b6a411da6c43a081708037a2263ad2cbed5132",
  ],
  "js/auto": [
    "15c01f22a9a28460c99ef1cdd234b7ec52aeea4c157d67366dc9db497bbf3122",
    "8b9f27bb3ff967c8a9f8bd7e7ca8e0668d62ea6dbb01c704dd0ac9bf39047bfa",
  ],
  "wasm-plain/im2col": [
    "3542e004977423a8a6dde566907f0ded26fb931915ea6013c20a6636519d9f1e",
    "c5a1d75cd569cf152e56f66044d45bc60ce5e80c72a73d61b938ecfd314c904c",
  ],
};

const sha = (img: RgbImage): string =>
  createHash("sha256")
    .update(Buffer.from(img.data.buffer, img.data.byteOffset, img.data.byteLength))
    .digest("hex");

let net: CaffeNet;
let small: RgbImage;
beforeAll(async () => {
  net = await loadGoogLeNet();
  ({ small } = await fishBike());
});
afterAll(() => shutdownThreads());

describe("the default dream", () => {
  it("is byte for byte what it was before the mask, original colours and channel strategies", async () => {
    const base = { model: net, layer: "inception_3a/output", octaves: 2, seed: 5 } as const;
    const plain = await dream(small, { ...base, iterations: 3 });
    const channels = await dream(small, { ...base, iterations: 2, channels: [3, 17, 101] });
    // The new options at their "off" values take the same path.
    const off = await dream(small, { ...base, iterations: 3, originalColors: false, mask: undefined });
    const path = `${gemmBackend()}/${convAlgorithm()}`;
    const recorded = RECORDED[path];
    expect(recorded, `no hashes recorded for ${path}: the plain dream here is ${sha(plain)}, with channels ${sha(channels)}`).toBeDefined();
    expect([sha(plain), sha(channels), sha(off)]).toEqual([recorded![0], recorded![1], recorded![0]]);
  });
});
