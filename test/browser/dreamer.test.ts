// The dreamer's message protocol in Node (src/browser/dreamer.ts ⇄ src/browser/dream-protocol.ts):
// the client and the worker's half joined by a MessageChannel, which moves and clones values
// as a browser's worker boundary does, with the Node entry's `dream()` as the engine. The same
// in a real browser, with a real dedicated worker and its helper threads, is
// ./dreamer-chromium.test.ts.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectDreamer, createDreamer, type Dreamer, type DreamerWorker } from "../../src/browser/dreamer.js";
import { serveDreams, type DreamEngine, type WorkerPort } from "../../src/browser/dream-protocol.js";
import { ImageError, InceptionismError, ModelError, OptionError, UnknownLayerError } from "../../src/errors.js";
import { dream } from "../../src/index.js";
import type { RgbImage } from "../../src/io/image/image.js";
import { loadCaffeModel, loadGoogLeNet } from "../../src/models/load.js";
import type { CaffeNet } from "../../src/models/net.js";
import { shutdownThreads } from "../../src/threads/pool.js";
import { fishBike } from "../dream/photos.js";

let small: RgbImage; // fish-bike.jpg at 112×75

/** What the engine saw: each dream's outcome, and the most dreams it ever ran at once. */
interface EngineLog {
  outcomes: string[];
  /** The last picture the engine returned, as the worker's half holds it after posting it. */
  last?: RgbImage;
  steps: number[];
  mostAtOnce: number;
}

/** The Node entry's dream() behind the protocol, logging what it ran. */
function testEngine(log: EngineLog): DreamEngine<CaffeNet> {
  let running = 0;
  return {
    async start({ model, threads }) {
      const net = model === undefined ? await loadGoogLeNet() : await loadCaffeModel(model);
      return { model: net, info: { threads: threads ?? 1, simd: null, crossOriginIsolated: false, notes: [] } };
    },
    async dream(image, options) {
      log.mostAtOnce = Math.max(log.mostAtOnce, ++running);
      let steps = 0;
      try {
        const out = await dream(image, {
          ...options,
          onProgress: (p) => {
            steps++;
            options.onProgress(p);
          },
        });
        log.outcomes.push("done");
        log.last = out;
        return out;
      } catch (e) {
        log.outcomes.push((e as Error).name);
        throw e;
      } finally {
        log.steps.push(steps);
        running--;
      }
    },
  };
}

/** A dreamer whose worker is the other end of a MessageChannel, served in this thread. */
function channelDreamer(log: EngineLog, model?: Uint8Array): { dreamer: Dreamer; worker: DreamerWorker } {
  const { port1, port2 } = new MessageChannel();
  // Node's ports deliver by "message" events; the worker scope and the Worker by `onmessage`.
  const scope: WorkerPort = {
    set onmessage(handler: WorkerPort["onmessage"]) {
      port2.on("message", (data) => handler?.({ data }));
    },
    get onmessage() {
      return null;
    },
    postMessage: (m, transfer) => port2.postMessage(m, transfer),
  };
  serveDreams(scope, testEngine(log));
  const worker: DreamerWorker = {
    set onmessage(handler: DreamerWorker["onmessage"]) {
      port1.on("message", (data) => handler?.({ data }));
    },
    get onmessage() {
      return null;
    },
    onerror: null,
    postMessage: (m, transfer) => port1.postMessage(m, transfer),
    terminate: () => {
      port1.close();
      port2.close();
    },
  };
  return { dreamer: connectDreamer(worker, model === undefined ? {} : { model }), worker };
}

const newLog = (): EngineLog => ({ outcomes: [], steps: [], mostAtOnce: 0 });
const bits = (img: RgbImage): Buffer => Buffer.from(img.data.buffer, img.data.byteOffset, img.data.byteLength);
// The long-dream note depends on how fast the first steps ran, so a busy machine may give it to
// one of two dreams compared and not the other: every other note must be the same.
const timeless = (ns: string[]): string[] => ns.filter((n) => !n.startsWith("this dream will take about"));
const quick = { layer: "inception_3a/output", octaves: 2, iterations: 2, seed: 4 } as const;

let log: EngineLog;
let dreamer: Dreamer;
let reference: RgbImage;
beforeAll(async () => {
  ({ small } = await fishBike());
  reference = await dream(small, quick);
  log = newLog();
  ({ dreamer } = channelDreamer(log));
});
afterAll(() => {
  dreamer.close();
  shutdownThreads();
});

describe("a dreamer over a message channel", () => {
  it("dreams the same picture as dream(), bit for bit, with its progress and notes", async () => {
    const steps: string[] = [];
    const notes: string[] = [];
    // More octaves than fit the 112×75 picture, so that the dream drops some and says so.
    const options = { ...quick, octaves: 12 };
    const out = await dreamer.dream(small, {
      ...options,
      onProgress: (p) => steps.push(`${p.octave}.${p.iteration}`),
      onNote: (n) => notes.push(n),
    });
    const stepsHere: string[] = [];
    const notesHere: string[] = [];
    const expected = await dream(small, {
      ...options,
      onProgress: (p) => stepsHere.push(`${p.octave}.${p.iteration}`),
      onNote: (n) => notesHere.push(n),
    });
    expect(bits(out).equals(bits(expected))).toBe(true);
    expect(steps).toEqual(stepsHere);
    expect(steps.slice(0, 3)).toEqual(["1.1", "1.2", "2.1"]);
    expect(timeless(notes)).toEqual(timeless(notesHere));
    expect(notes[0]).toMatch(/^dropped \d+ octave\(s\) smaller than/);
    await expect(dreamer.ready).resolves.toEqual({ threads: 1, simd: null, crossOriginIsolated: false, notes: [] });
  });

  it("takes scale and rotate across the boundary: dream()'s picture, bit for bit, and its errors", async () => {
    const options = { ...quick, scale: [0.95, 1.05] as const, rotate: 5 };
    const out = await dreamer.dream(small, options);
    expect(bits(out).equals(bits(await dream(small, options)))).toBe(true);
    expect(bits(out).equals(bits(reference))).toBe(false);
    await expect(dreamer.dream(small, { ...quick, rotate: 200 })).rejects.toThrow(OptionError);
  });

  it("carries a mask, originalColors and a channel strategy across, dreaming as dream() does", async () => {
    const mask: RgbImage = {
      width: 56,
      height: 38,
      data: new Float32Array(56 * 38 * 3).map((_, i) => (Math.floor(i / 3) % 56 < 28 ? 0 : 255)),
    };
    const options = { ...quick, mask, originalColors: true, channels: { strongest: 4 } } as const;
    const notes: string[] = [];
    const out = await dreamer.dream(small, { ...options, onNote: (n) => notes.push(n) });
    const notesHere: string[] = [];
    const expected = await dream(small, { ...options, onNote: (n) => notesHere.push(n) });
    expect(bits(out).equals(bits(expected))).toBe(true);
    expect(bits(out).equals(bits(reference))).toBe(false);
    expect(timeless(notes)).toEqual(timeless(notesHere));
    expect(timeless(notes).map((n) => n.replace(/: .*/, ""))).toEqual([
      'strongest 4 channels of "inception_3a/output"',
      "the mask is 56×38; resized to the picture's 112×75",
    ]);
    expect(mask.data.length).toBe(56 * 38 * 3); // cloned, as the guide is: the caller keeps it
  });

  it("leaves the caller's picture as it was, unless told to transfer it", async () => {
    const mine: RgbImage = { ...small, data: small.data.slice() };
    const out = await dreamer.dream(mine, quick);
    expect(bits(mine).equals(bits(small))).toBe(true);
    expect(bits(out).equals(bits(reference))).toBe(true);
    expect(out.data.buffer).not.toBe(mine.data.buffer);
    expect(log.last!.data.byteLength).toBe(0); // the result's buffer was moved out of the worker, not cloned

    const given = await dreamer.dream(mine, { ...quick, transfer: true });
    expect(bits(given).equals(bits(reference))).toBe(true);
    expect(mine.data.byteLength).toBe(0); // moved to the worker, not copied
    const again = await dreamer.dream(mine, quick).catch((e: unknown) => e);
    expect(again).toBeInstanceOf(ImageError);
    expect((again as Error).message).toMatch(/handed to an earlier dream \(transfer: true/);
  });

  it("brings the library's errors back as their own classes, with their fields", async () => {
    await expect(dreamer.dream(small, { octaves: 0 })).rejects.toBeInstanceOf(OptionError);
    const unknown = await dreamer.dream(small, { layer: "inception_3a/ouput" }).catch((e: unknown) => e);
    expect(unknown).toBeInstanceOf(UnknownLayerError);
    expect((unknown as UnknownLayerError).problem).toMatch(/^unknown layer "inception_3a\/ouput"; did you mean "inception_3a\/output"/);
    expect((unknown as UnknownLayerError).suggestions).toContain("inception_3a/output");
  });

  it("takes the gradient-shaping options across, and their refusals back as OptionErrors", async () => {
    const shaped = { ...quick, laplacian: 3, smooth: 0.5, tv: 0.5, pixelL2: 0.1 };
    const out = await dreamer.dream(small, shaped);
    expect(bits(out).equals(bits(await dream(small, shaped)))).toBe(true);
    expect(bits(out).equals(bits(reference))).toBe(false);
    const refused = await dreamer.dream(small, { ...quick, laplacian: 0 }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(OptionError);
    expect((refused as Error).message).toMatch(/^laplacian must be a whole number of levels from 1 to 8/);
  });

  it("refuses options the worker cannot take, saying which, and dreams on", async () => {
    const model = await dreamer.dream(small, { ...quick, model: {} } as never).catch((e: unknown) => e);
    expect(model).toBeInstanceOf(OptionError);
    expect((model as Error).message).toBe("a dreamer dreams with its own model; give it to createDreamer({ model }) instead");
    const clone = await dreamer.dream(small, { ...quick, seed: (() => 1) as never }).catch((e: unknown) => e);
    expect(clone).toBeInstanceOf(OptionError);
    expect((clone as Error).message).toMatch(/^the dream's options cannot be sent to its worker \(.*\); give plain values only$/);
    expect(bits(await dreamer.dream(small, quick)).equals(bits(reference))).toBe(true);
  });

  it("runs dreams one at a time, in the order they were asked for", async () => {
    const own = newLog();
    const { dreamer: d } = channelDreamer(own);
    const order: number[] = [];
    const seeds = [4, 5, 6];
    const outs = await Promise.all(
      seeds.map((seed, k) =>
        d.dream(small, { ...quick, seed }).then((img) => {
          order.push(k);
          return img;
        }),
      ),
    );
    expect(order).toEqual([0, 1, 2]);
    expect(own.mostAtOnce).toBe(1);
    expect(bits(outs[0]!).equals(bits(reference))).toBe(true);
    expect(bits(outs[1]!).equals(bits(outs[2]!))).toBe(false);
    d.close();
  });

  it("rejects an aborted dream at once, stops it in the worker, and dreams the next", async () => {
    const own = newLog();
    const { dreamer: d } = channelDreamer(own);
    const controller = new AbortController();
    const long = d.dream(small, { ...quick, iterations: 50, signal: controller.signal, onProgress: () => controller.abort() });
    const next = d.dream(small, quick); // queued behind it
    const error = await long.catch((e: unknown) => e);
    expect((error as Error).name).toBe("AbortError");
    expect(bits(await next).equals(bits(reference))).toBe(true);
    expect(own.outcomes).toEqual(["AbortError", "done"]);
    expect(own.steps[0]).toBeLessThan(5); // stopped within a step or two of the abort, not after 100
    // Aborted before it was sent: rejected with the caller's own reason, and never run.
    const reason = new Error("not now");
    await expect(d.dream(small, { ...quick, signal: AbortSignal.abort(reason) })).rejects.toBe(reason);
    expect(own.outcomes).toHaveLength(2);
    d.close();
  });

  it("rejects pending dreams when closed, and every dream after", async () => {
    const { dreamer: d } = channelDreamer(newLog());
    const pending = [d.dream(small, quick), d.dream(small, quick)];
    d.close();
    for (const p of pending) {
      const e = await p.catch((e: unknown) => e);
      expect((e as Error).name).toBe("AbortError");
      expect((e as Error).message).toBe("the dreamer was closed before this dream finished");
    }
    const later = await d.dream(small, quick).catch((e: unknown) => e);
    expect(later).toBeInstanceOf(InceptionismError);
    expect((later as Error).message).toMatch(/^this dreamer was closed; create another/);
  });

  it("says why when the model cannot be loaded: ready and every dream reject with the ModelError", async () => {
    const { dreamer: d } = channelDreamer(newLog(), new Uint8Array([1, 2, 3, 4]));
    await expect(d.ready).rejects.toBeInstanceOf(ModelError);
    await expect(d.dream(small, quick)).rejects.toBeInstanceOf(ModelError);
    d.close();
  });

  it("fails every pending dream when the worker itself fails", async () => {
    const { dreamer: d, worker } = channelDreamer(newLog());
    const pending = d.dream(small, quick);
    worker.onerror!({ message: "SyntaxError: Unexpected token" });
    const e = await pending.catch((e: unknown) => e);
    expect(e).toBeInstanceOf(InceptionismError);
    expect((e as Error).message).toMatch(
      /^the dream worker failed: SyntaxError: Unexpected token; check that the page serves dream-worker\.js/,
    );
    await expect(d.ready).rejects.toBe(e);
    await expect(d.dream(small, quick)).rejects.toBe(e);
  });
});

describe("createDreamer and its model option", () => {
  /** A worker that only records what it is sent. */
  const recorder = (): DreamerWorker & { sent: unknown[] } => {
    const sent: unknown[] = [];
    return { sent, onmessage: null, onerror: null, postMessage: (m) => sent.push(m), terminate: () => {} };
  };

  it("says where it works when there is no Worker", () => {
    expect(() => createDreamer()).toThrow(InceptionismError);
    expect(() => createDreamer()).toThrow(/^createDreamer needs Web Workers, which this runtime does not have; call it in a browser page/);
  });

  it("sends a URL made absolute against the page, since the worker would resolve it against itself", () => {
    const g = globalThis as { document?: { baseURI: string } };
    g.document = { baseURI: "https://example.test/app/index.html" };
    try {
      const w = recorder();
      connectDreamer(w, { model: "models/squeeze.caffemodel", threads: 2 });
      expect(w.sent).toEqual([{ type: "start", threads: 2, model: "https://example.test/app/models/squeeze.caffemodel" }]);
      const v = recorder();
      connectDreamer(v, { model: new URL("https://cdn.example.test/g.caffemodel") });
      expect(v.sent).toEqual([{ type: "start", threads: undefined, model: "https://cdn.example.test/g.caffemodel" }]);
    } finally {
      delete g.document;
    }
    expect(() => connectDreamer(recorder(), { model: "models/x.caffemodel" })).toThrow(OptionError);
  });
});
