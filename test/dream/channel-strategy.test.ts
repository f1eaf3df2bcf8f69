// Channels chosen per picture (src/dream/channel-strategy.ts): the N strongest or weakest by
// mean activation, checked against means computed here from the net's own forward pass.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import "../../src/threads/node-host.js";
import { channelMeans, rankChannels } from "../../src/dream/channel-strategy.js";
import { dream, type DreamOptions } from "../../src/dream/dream.js";
import { OptionError } from "../../src/errors.js";
import type { RgbImage } from "../../src/io/image/image.js";
import { resizePlanes } from "../../src/io/image/resize.js";
import { zoomPlanes, zoomSize } from "../../src/io/image/zoom-planes.js";
import { loadGoogLeNet } from "../../src/models/load.js";
import type { CaffeNet } from "../../src/models/net.js";
import { imageToInput } from "../../src/models/preprocess.js";
import { Tensor } from "../../src/tensor/tensor.js";
import { shutdownThreads } from "../../src/threads/pool.js";
import { fishBike } from "./photos.js";

describe("rankChannels", () => {
  it("ranks a crafted activation by channel mean, ties to the lower index", () => {
    // [2, 4, 1, 2]: channel means over both batch items and both positions: 1, 3, 1, −2.
    const a = new Tensor(new Float32Array([0, 2, 3, 3, 1, 1, -2, -2, 2, 0, 3, 3, 1, 1, -2, -2]), [2, 4, 1, 2]);
    const means = channelMeans(a);
    expect(Array.from(means)).toEqual([1, 3, 1, -2]);
    expect(rankChannels(means, 3, true)).toEqual([1, 0, 2]);
    expect(rankChannels(means, 3, false)).toEqual([3, 0, 2]);
    expect(Array.from(channelMeans(new Tensor(new Float32Array([1, 5, 3, 7]), [2, 2])))).toEqual([2, 6]); // [N, C]
  });
});

describe("dream with channels { strongest | weakest: N }", () => {
  let net: CaffeNet;
  let small: RgbImage; // fish-bike.jpg at 112×75
  beforeAll(async () => {
    net = await loadGoogLeNet();
    ({ small } = await fishBike());
  });
  afterAll(() => shutdownThreads());
  const layer = "inception_3a/output";
  const opts = (extra: Partial<DreamOptions>): DreamOptions => ({ model: net, layer, octaves: 2, iterations: 2, seed: 1, ...extra });

  /** The test's own ranking: the first octave made here, its means summed here, sorted here. */
  function expected(count: number, strongest: boolean, shrinkTo?: [number, number]): number[] {
    const base = imageToInput(small, net.meanBgr);
    const [h, w] = [75, 112];
    const [nh, nw] = [zoomSize(h, 1 / 1.4), zoomSize(w, 1 / 1.4)]; // the octave below, as the notebook's pyramid
    let first = new Tensor(zoomPlanes(base.data as Float32Array, 3, h, w, nh, nw), [1, 3, nh, nw]);
    if (shrinkTo !== undefined) first = new Tensor(resizePlanes(first.data as Float32Array, 3, nh, nw, ...shrinkTo), [1, 3, ...shrinkTo]);
    const [a] = net.forward(first, [layer]);
    const [, c] = a!.shape as [number, number];
    const plane = a!.size / c;
    const means = Array.from({ length: c }, (_, ch) => {
      let s = 0;
      for (let i = 0; i < plane; i++) s += a!.data[ch * plane + i]!;
      return { ch, mean: s / plane };
    });
    means.sort((x, y) => (strongest ? y.mean - x.mean : x.mean - y.mean) || x.ch - y.ch);
    return means.slice(0, count).map((m) => m.ch);
  }

  for (const [key, strongest] of [
    ["strongest", true],
    ["weakest", false],
  ] as const) {
    it(`${key}: picks the ${key} channels of the first octave, says which, and dreams exactly as with them by number`, async () => {
      const notes: string[] = [];
      const out = await dream(small, opts({ channels: { [key]: 5 } as DreamOptions["channels"], onNote: (n) => notes.push(n) }));
      const picks = expected(5, strongest);
      expect(notes).toHaveLength(1);
      expect(notes[0]).toMatch(new RegExp(`^${key} 5 channels of "${layer}": ${picks.join(", ")}(;|$)`));
      const byNumber = await dream(small, opts({ channels: picks }));
      expect(Buffer.from(out.data.buffer).equals(Buffer.from(byNumber.data.buffer))).toBe(true);
    });
  }

  it("when tiled, ranks on the first octave shrunk to fit one tile", async () => {
    const notes: string[] = [];
    await dream(small, opts({ tile: 40, iterations: 1, channels: { strongest: 6 }, onNote: (n) => notes.push(n) }));
    // The first octave is 80×54; a 40-pixel tile holds it at half size, 40×27.
    expect(notes).toContain(`strongest 6 channels of "${layer}": ${expected(6, true, [27, 40]).join(", ")}`);
    expect(expected(6, true, [27, 40])).not.toEqual(expected(6, true)); // the shrink shows in the test
  });

  it("says when the weakest channels are silent on the picture", async () => {
    const notes: string[] = [];
    await dream(
      small,
      opts({ layer: "inception_4c/output", octaves: 1, iterations: 1, channels: { weakest: 4 }, onNote: (n) => notes.push(n) }),
    );
    expect(notes[0]).toMatch(
      /^weakest 4 channels of "inception_4c\/output": [\d, ]+; 4 of them are silent \(mean 0\) on the first octave$/,
    );
  });

  it("picks per layer when there are several", async () => {
    const notes: string[] = [];
    await dream(
      small,
      opts({ layer: [layer, "inception_3b/output"], iterations: 1, channels: { strongest: 2 }, onNote: (n) => notes.push(n) }),
    );
    expect(notes.map((n) => n.replace(/: .*/, ""))).toEqual([
      `strongest 2 channels of "${layer}"`,
      'strongest 2 channels of "inception_3b/output"',
    ]);
  });

  it("refuses more channels than the layer has, naming the count, and counts that are not whole numbers ≥ 1", async () => {
    await expect(dream(small, opts({ channels: { strongest: 257 } }))).rejects.toThrow(
      new OptionError(`channels strongest: 257 is more than the 256 channels of "${layer}"; ask for at most 256`),
    );
    await expect(dream(small, opts({ channels: { weakest: 0 } }))).rejects.toThrow(
      new OptionError("channels weakest must be a whole number ≥ 1, got 0"),
    );
    await expect(dream(small, opts({ channels: { strongest: 2.5 } }))).rejects.toThrow(/strongest must be a whole number ≥ 1, got 2.5/);
    for (const bad of [{ strongly: 3 }, { strongest: 1, weakest: 1 }, {}, null, "strongest:3"]) {
      await expect(dream(small, opts({ channels: bad as unknown as DreamOptions["channels"] }))).rejects.toThrow(
        /^channels must be a list of channel numbers, \{ strongest: N \} or \{ weakest: N \}/,
      );
    }
  });
});
