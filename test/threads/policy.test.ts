// One thread policy for every entry point: the process-wide count (default: one per core)
// applies to every call, a call's `threads` option overrides it for that call, and async entry
// points await their workers' start-up themselves.
//
// The host here is a fake with a browser's timing, in this very thread: a worker "starts" — gets
// its init message — only when the event loop turns (as Chromium starts a nested worker only
// from its creator's event loop), and serves a job synchronously inside postMessage, so that a
// job posted to it completes although this thread then blocks in Atomics.wait. Counting the jobs
// posted shows which calls split their work. (Its own file: the pool's host is module state.)
import { beforeAll, describe, expect, it } from "vitest";
import { inputGradient } from "../../src/dream/objective.js";
import { dream } from "../../src/dream/dream.js";
import type { RgbImage } from "../../src/io/image/image.js";
import { loadGoogLeNet } from "../../src/models/load.js";
import type { CaffeNet } from "../../src/models/net.js";
import { imageToInput } from "../../src/models/preprocess.js";
import { fillUniform } from "../../src/tensor/random.js";
import { serveJobs } from "../../src/worker-jobs.js";
import type { JobMessage, WorkerInit } from "../../src/threads/pool.js";
import { defaultThreads, installThreadHost, setThreads, threadCount, threadsReady } from "../../src/threads/pool.js";

let jobsPosted = 0;
let spawned = 0;
/** Typed arrays over shared memory found in posted jobs: the pool must post their buffers instead (src/threads/posted-arrays.ts). */
let sharedViewsPosted = 0;

function countSharedViews(value: unknown): number {
  if (ArrayBuffer.isView(value)) return value.buffer instanceof SharedArrayBuffer ? 1 : 0;
  if (value !== null && typeof value === "object") return Object.values(value).reduce((n: number, v) => n + countSharedViews(v), 0);
  return 0;
}
installThreadHost({
  defaultThreads: () => 2,
  spawn() {
    spawned++;
    const serve = serveJobs();
    return {
      postMessage(message: unknown) {
        const m = message as WorkerInit | JobMessage;
        if (m.type === "init") setTimeout(() => serve(m), 0);
        else {
          jobsPosted++;
          sharedViewsPosted += countSharedViews(m.args);
          serve(m);
        }
      },
      terminate() {},
    };
  },
  startTimeoutMs: 60_000, // longer than the test's own timeout: a wait for a start would hang
});

let net: CaffeNet;
const image: RgbImage = { width: 48, height: 40, data: fillUniform(new Float32Array(48 * 40 * 3), 1, 0, 255) };
const quick = { layer: "conv2/3x3", octaves: 1, iterations: 2 } as const;
beforeAll(async () => {
  net = await loadGoogLeNet();
});

describe("one thread policy", () => {
  it("dream awaits its helpers' start-up itself, then splits every step", async () => {
    expect(spawned).toBe(0);
    const out = await dream(image, { model: net, ...quick }); // would wait forever for a helper that has not started
    expect([out.width, out.height]).toEqual([48, 40]);
    expect(spawned).toBe(1);
    expect(jobsPosted).toBeGreaterThan(0);
    expect(sharedViewsPosted).toBe(0); // each went as its buffer, offset and length
  });

  it("defaults to one thread per core, in synchronous entry points too", async () => {
    expect(threadCount()).toBe(defaultThreads());
    expect(threadCount()).toBe(2);
    await threadsReady();
    jobsPosted = 0;
    inputGradient(net, imageToInput(image, net.meanBgr), { layer: "conv2/3x3" });
    expect(jobsPosted).toBeGreaterThan(0);
  });

  it("dream follows setThreads, and its threads option overrides it for that dream only", async () => {
    setThreads(1);
    jobsPosted = 0;
    await dream(image, { model: net, ...quick });
    expect(jobsPosted).toBe(0);
    await dream(image, { model: net, ...quick, threads: 2 });
    expect(jobsPosted).toBeGreaterThan(0);
    expect(threadCount()).toBe(1);
  });
});
