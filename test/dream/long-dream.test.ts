// A dream that will take long says so after its second step (the first carries one-time costs):
// the time it expects, and how to make it quicker.
import { beforeAll, describe, expect, it } from "vitest";
import { dream, longDreamNote } from "../../src/dream/dream.js";
import { loadGoogLeNet } from "../../src/models/load.js";
import type { CaffeNet } from "../../src/models/net.js";
import { fillUniform } from "../../src/tensor/random.js";

let net: CaffeNet;
beforeAll(async () => {
  net = await loadGoogLeNet();
});

describe("a long dream", () => {
  it("is announced after its second step, with its expected time and --max-size", async () => {
    // 100 000 steps: hours, foretold from the second one; the dream is then aborted.
    const image = { width: 64, height: 48, data: fillUniform(new Float32Array(64 * 48 * 3), 2, 0, 255) };
    const controller = new AbortController();
    const notes: string[] = [];
    let steps = 0;
    let notesAfterFirst = -1;
    const run = dream(image, {
      model: net,
      layer: "conv2/3x3",
      octaves: 1,
      iterations: 100_000,
      threads: 1,
      signal: controller.signal,
      onNote: (n) => notes.push(n),
      onProgress: () => {
        steps++;
        if (steps === 1) notesAfterFirst = notes.length;
        if (steps === 2) controller.abort(new DOMException("enough", "AbortError"));
      },
    });
    await expect(run).rejects.toThrow("enough");
    expect(steps).toBe(2);
    expect(notesAfterFirst).toBe(0); // the first step is not the one timed
    expect(notes).toHaveLength(1);
    expect(notes[0]).toMatch(
      /^this dream will take about (\d+m\d\ds|\d+h\d\dm) on 1 thread \(timed on one step\); at most 32 px a side \(--max-size 32\) would make it about 4× quicker$/,
    );
  });

  it("is not announced when short", async () => {
    const image = { width: 64, height: 48, data: fillUniform(new Float32Array(64 * 48 * 3), 3, 0, 255) };
    const notes: string[] = [];
    await dream(image, { model: net, layer: "conv2/3x3", octaves: 2, iterations: 2, onNote: (n) => notes.push(n) });
    expect(notes).toEqual([]);
  });

  it("words its note in minutes or hours, and drops --max-size where halving is too small", () => {
    expect(longDreamNote(150, 2, 4000, 3000, 224)).toBe(
      "this dream will take about 2m30s on 2 threads (timed on one step); at most 2000 px a side (--max-size 2000) would make it about 4× quicker",
    );
    expect(longDreamNote(7260, 1, 400, 300, 224)).toBe("this dream will take about 2h01m on 1 thread (timed on one step)");
  });
});
