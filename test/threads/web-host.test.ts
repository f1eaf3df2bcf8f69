// The browser's thread host (src/threads/web-host.ts) in a dedicated worker's scope, played in
// Node: a fake `Worker` class stands in for the browser's, either failing to load as a browser
// reports it (an error event, a little later) or marking its init message received as the real
// helper (src/web-worker.ts) does. The real thing runs in Chromium in test/threads/browser.test.ts
// and test/package/browser-bundle.test.ts.
import { afterEach, expect, it, vi } from "vitest";
import type { WorkerInit } from "../../src/threads/pool.js";

afterEach(() => {
  vi.resetModules();
  vi.unstubAllGlobals();
});

it("creates helpers from ../web-worker.js as module workers, and recovers after one failed to load", async () => {
  let loads = false;
  const created: { url: string; type: string }[] = [];
  class FakeWorker {
    onerror: ((event: { message?: string }) => void) | null = null;
    constructor(url: URL, options: { type: string }) {
      created.push({ url: url.href, type: options.type });
      if (!loads) setTimeout(() => this.onerror?.({ message: "" }), 20); // what Chromium says for a 404: nothing
    }
    postMessage(message: WorkerInit | { type: "job" }): void {
      if (loads && message.type === "init") Atomics.store(message.started, message.index, 1);
    }
    terminate(): void {}
  }
  vi.stubGlobal("DedicatedWorkerGlobalScope", function DedicatedWorkerGlobalScope() {});
  vi.stubGlobal("crossOriginIsolated", true);
  vi.stubGlobal("navigator", { hardwareConcurrency: 2 });
  vi.stubGlobal("Worker", FakeWorker);
  const { threadsStarted } = await import("../../src/threads/web-host.js");
  const pool = await import("../../src/threads/pool.js");

  expect(pool.defaultThreads()).toBe(2);
  const script = new URL("../../src/web-worker.js", import.meta.url).href;
  await expect(threadsStarted()).rejects.toThrow(
    `worker thread 1 failed to start (its script ${script} did not load), so threads were turned off; use 1 thread (threads: 1)`,
  );
  expect(created).toEqual([{ url: script, type: "module" }]);

  loads = true; // the page is fixed (say, the script is served now): threads work again
  pool.setThreads(2);
  await threadsStarted();
  expect(created.length).toBe(2);
  expect(pool.threadCount()).toBe(2);
});
