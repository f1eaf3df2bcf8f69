// Where threads cannot run, asking for them says what is missing, at once: a page without the
// COOP/COEP headers, a window's main thread (./web-host.ts says which), or a "Node entry"
// bundled for a page, whose node:worker_threads is an empty stub. And a dream left to the
// default there runs on one thread with a note saying why.
//
// Each test imports the hosts afresh (vi.resetModules), with the globals a browser would have.
import { afterEach, describe, expect, it, vi } from "vitest";

afterEach(() => {
  vi.resetModules();
  vi.unstubAllGlobals();
  vi.doUnmock("node:worker_threads");
});

/** The pool and errors as a fresh import sees them, after importing `host`. */
async function poolAfter(host: string) {
  await import(host);
  const pool = await import("../../src/threads/pool.js");
  const { OptionError } = await import("../../src/errors.js");
  return { ...pool, OptionError };
}

const refusal = (f: () => unknown): Error => {
  try {
    f();
  } catch (e) {
    return e as Error;
  }
  throw new Error("did not throw");
};

describe("threads in a browser's window (web-host.ts)", () => {
  it("refuses setThreads(2) naming both the headers and the dedicated worker on a page without COOP/COEP", async () => {
    vi.stubGlobal("document", {});
    vi.stubGlobal("crossOriginIsolated", false);
    const pool = await poolAfter("../../src/threads/web-host.js");
    const e = refusal(() => pool.setThreads(2));
    expect(e).toBeInstanceOf(pool.OptionError);
    expect(e.message).toBe(
      "setThreads(2): this page is not cross-origin isolated, so it has no shared memory, and a window's main thread may not block: " +
        "serve it with the headers Cross-Origin-Opener-Policy: same-origin and Cross-Origin-Embedder-Policy: require-corp, " +
        "and run the engine in a dedicated worker (createDreamer does); or use 1",
    );
    expect(pool.threadsAvailable()).toBe(false);
    expect(pool.defaultThreads()).toBe(1);
  });

  it("names only the dedicated worker on an isolated page", async () => {
    vi.stubGlobal("document", {});
    vi.stubGlobal("crossOriginIsolated", true);
    const pool = await poolAfter("../../src/threads/web-host.js");
    expect(refusal(() => pool.setThreads(3)).message).toBe(
      "setThreads(3): a window's main thread may not block: run the engine in a dedicated worker (createDreamer does); or use 1",
    );
    expect(pool.setThreads(1)).toBeUndefined(); // one thread is always fine
  });

  it("tells a default dream once that it runs on 1 thread, and refuses threads: 2 with the same reason", async () => {
    vi.stubGlobal("document", {});
    vi.stubGlobal("crossOriginIsolated", false);
    vi.stubGlobal("navigator", { hardwareConcurrency: 8 });
    await import("../../src/threads/web-host.js");
    const { dream } = await import("../../src/dream/dream.js");
    const { loadGoogLeNet } = await import("../../src/models/load.js");
    const { createImage } = await import("../../src/io/image/image.js");
    const { OptionError } = await import("../../src/errors.js");
    const net = await loadGoogLeNet();
    const notes: string[] = [];
    const image = createImage(48, 48);
    const options = { model: net, layer: "conv1/7x7_s2", octaves: 2, iterations: 2, onNote: (m: string) => notes.push(m) };
    await dream(image, options);
    expect(notes).toEqual([
      "using 1 thread, not 8: this page is not cross-origin isolated, so it has no shared memory, and a window's main thread may not block: " +
        "serve it with the headers Cross-Origin-Opener-Policy: same-origin and Cross-Origin-Embedder-Policy: require-corp, " +
        "and run the engine in a dedicated worker (createDreamer does)",
    ]);
    notes.length = 0;
    await dream(image, { ...options, threads: 1 }); // asked for: nothing to say
    expect(notes).toEqual([]);
    const asked = await dream(image, { ...options, threads: 2 }).catch((e: unknown) => e as Error);
    expect(asked).toBeInstanceOf(OptionError);
    expect((asked as Error).message).toMatch(/^threads 2: this page is not cross-origin isolated, .*\(createDreamer does\); or use 1$/);
  });
});

describe("a helper worker that fails to load (a bundler that did not emit its script)", () => {
  it("ends a dream that asked for threads, and lets a default dream go on alone with a note", async () => {
    const pool = await import("../../src/threads/pool.js");
    const lost = { postMessage: () => {}, terminate: () => {} };
    pool.installThreadHost({ defaultThreads: () => 2, spawn: () => lost, startFailure: () => "its script /web-worker.js did not load" });
    const { dream } = await import("../../src/dream/dream.js");
    const { loadGoogLeNet } = await import("../../src/models/load.js");
    const { createImage } = await import("../../src/io/image/image.js");
    const image = createImage(40, 40);
    image.data.forEach((_, i) => {
      image.data[i] = (i * 37) % 256;
    });
    const notes: string[] = [];
    const options = { model: await loadGoogLeNet(), layer: "conv2/3x3", octaves: 1, iterations: 2, onNote: (m: string) => notes.push(m) };
    await expect(dream(image, { ...options, threads: 2 })).rejects.toThrow(
      "worker thread 1 failed to start (its script /web-worker.js did not load), so threads were turned off; use 1 thread (threads: 1)",
    );
    pool.setThreads(2); // the refusal turned threads off; a default count of 2 again
    const alone = await dream(image, options);
    expect(notes).toEqual([
      "dreaming on 1 thread: worker thread 1 failed to start (its script /web-worker.js did not load), so threads were turned off; use 1 thread (threads: 1)",
    ]);
    expect(alone.data).toEqual((await dream(image, { ...options, threads: 1 })).data);
  });
});

describe("the Node host where node:worker_threads is a bundler's empty stub", () => {
  it("installs no host, so setThreads(2) refuses at once instead of failing in the first job", async () => {
    vi.doMock("node:worker_threads", () => ({ Worker: undefined }));
    const pool = await poolAfter("../../src/threads/node-host.js");
    expect(refusal(() => pool.setThreads(2)).message).toBe(
      "setThreads(2): this runtime cannot start worker threads over shared memory; use 1",
    );
  });

  it("installs the host where worker_threads is real", async () => {
    const pool = await poolAfter("../../src/threads/node-host.js");
    expect(pool.threadsAvailable()).toBe(true);
  });
});
