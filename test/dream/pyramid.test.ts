// The octave pyramid as the Caffe notebook builds it, and the jitter-0 dream's invariances.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import "../../src/threads/node-host.js";
import { shutdownThreads } from "../../src/threads/pool.js";
import { dream, type DreamOptions } from "../../src/dream/dream.js";
import type { RgbImage } from "../../src/io/image/image.js";
import { resizeImage } from "../../src/io/image/resize.js";
import { zoomPlanes, zoomSize } from "../../src/io/image/zoom-planes.js";
import { loadGoogLeNet } from "../../src/models/load.js";
import { fishBike } from "./photos.js";
import type { CaffeNet } from "../../src/models/net.js";
import { imageToInput, inputToImage } from "../../src/models/preprocess.js";
import { Tensor } from "../../src/tensor/tensor.js";

let net: CaffeNet;
let photo: RgbImage; // fish-bike.jpg at 320×214
let small: RgbImage; // the same at 112×75, for the quicker checks

beforeAll(async () => {
  net = await loadGoogLeNet();
  ({ photo, small } = await fishBike());
});

afterAll(() => shutdownThreads());

/**
 * The notebook's deepdream() with jitter 0 at the "data" blob, where ½Σa² has the gradient x
 * itself, so each step is x += step · x / mean|x| and the whole dream can be written out here:
 *   octaves = [base]; octaves.append(zoom(octaves[-1], 1/scale)) …
 *   from the smallest: detail = zoom(detail, (h/h1, w/w1)); x = base + detail; steps; detail = x − base
 */
function notebookDataDream(img: RgbImage, octaves: number, scale: number, iterations: number, step: number): RgbImage {
  const mean = net.meanBgr;
  const pyramid: { data: Float32Array; h: number; w: number }[] = [];
  pyramid.push({ data: imageToInput(img, mean).data as Float32Array, h: img.height, w: img.width });
  for (let k = 1; k < octaves; k++) {
    const { data, h, w } = pyramid[k - 1]!;
    const nh = zoomSize(h, 1 / scale),
      nw = zoomSize(w, 1 / scale);
    pyramid.push({ data: zoomPlanes(data, 3, h, w, nh, nw), h: nh, w: nw });
  }
  let detail: Float32Array = new Float32Array(pyramid[octaves - 1]!.data.length);
  let dh = pyramid[octaves - 1]!.h,
    dw = pyramid[octaves - 1]!.w;
  let x: Float32Array = new Float32Array(0);
  for (const { data: base, h, w } of pyramid.reverse()) {
    detail = zoomPlanes(detail, 3, dh, dw, h, w);
    x = base.map((v, i) => v + detail[i]!);
    for (let it = 0; it < iterations; it++) {
      const g = x.slice();
      const meanAbs = g.reduce((s, v) => s + Math.abs(v), 0) / g.length;
      for (let i = 0; i < x.length; i++) x[i]! += (step / meanAbs) * g[i]!;
      for (let c = 0; c < 3; c++) {
        for (let i = c * h * w; i < (c + 1) * h * w; i++) x[i] = Math.min(255 - mean[c]!, Math.max(-mean[c]!, x[i]!));
      }
    }
    detail = x.map((v, i) => v - base[i]!);
    dh = h;
    dw = w;
  }
  return inputToImage(new Tensor(x, [1, 3, img.height, img.width]), mean);
}

describe("the octave pyramid", () => {
  it("is the notebook's: scipy zoom(order=1) down each octave and up for the detail (3 octaves)", async () => {
    const octaves = 3,
      octaveScale = 1.4,
      iterations = 2,
      stepSize = 1.5;
    const ours = await dream(small, { model: net, layer: "data", octaves, octaveScale, iterations, stepSize, jitter: 0 });
    const want = notebookDataDream(small, octaves, octaveScale, iterations, stepSize);
    expect(ours.data).toBeAllClose(want.data, { rtol: 0, atol: 1e-3 });
    let change = 0;
    for (let i = 0; i < want.data.length; i++) change = Math.max(change, Math.abs(want.data[i]! - small.data[i]!));
    expect(change).toBeGreaterThan(5); // the comparison is of a real change, not of the photo with itself
  });

  it("sizes the octaves with Python's round, halves to even, as the notebook", async () => {
    // Scale 2 on 13×11: widths 13 → 6 (6.5 rounds to even) → 3, heights 11 → 6 (5.5) → 3, where
    // rounding halves up would make the widths 13 → 7 → 4.
    const img = resizeImage(small, 13, 11);
    const octaves = 3,
      octaveScale = 2,
      iterations = 1,
      stepSize = 0.2;
    const ours = await dream(img, { model: net, layer: "data", octaves, octaveScale, iterations, stepSize, jitter: 0 });
    expect(ours.data).toBeAllClose(notebookDataDream(img, octaves, octaveScale, iterations, stepSize).data, { rtol: 0, atol: 1e-3 });
  });
});

describe("a jitter-0 dream", () => {
  const opts = (extra: Partial<DreamOptions>): DreamOptions => ({
    model: net,
    layer: "inception_3a/output",
    octaves: 3,
    iterations: 2,
    jitter: 0,
    ...extra,
  });

  it("is bit-identical on 1 and 2 threads", async () => {
    const one = await dream(small, opts({ threads: 1 }));
    const two = await dream(small, opts({ threads: 2 }));
    expect(Buffer.from(two.data.buffer).equals(Buffer.from(one.data.buffer))).toBe(true);
  });

  it("tiled gives a result close to the untiled one, at every octave", async () => {
    const whole = await dream(photo, opts({ octaves: 2 }));
    const tiled = await dream(photo, opts({ octaves: 2, tile: 160 }));
    let diff = 0,
      change = 0;
    for (let i = 0; i < whole.data.length; i++) {
      diff += Math.abs(whole.data[i]! - tiled.data[i]!);
      change += Math.abs(whole.data[i]! - photo.data[i]!);
    }
    expect(diff / change).toBeLessThan(0.02); // as untiled single octaves (dream.test.ts)
  });
});
