// The dedicated worker that `createDreamer` (./browser/dreamer.ts) starts: the engine of a page.
// It serves the messages of ./browser/dream-protocol.ts with the browser entry's `dream()`, so a
// dream here is the same code on the same values as `dream()` called anywhere else. Like
// ./web-worker.ts it is an entry of its own, beside the browser entry it imports.
//
// On "start" it fixes the dreamer's thread count for good — the one asked for, or the
// browser's default: every core where the page is cross-origin isolated (this worker may block,
// a window may not), else 1, with the reason among the ready notes — starts the helpers and
// waits until they run (a nested worker starts only while this thread's event loop turns, see
// ./threads/web-host.ts), then loads the model: the bundled GoogLeNet, fetched from
// `googlenetUrl`, unless a URL or bytes were given.

import { dream, gemmBackend, loadCaffeModel, loadGoogLeNet, setThreads, threadCount, threadsStarted, type CaffeNet } from "./browser.js";
import { OptionError } from "./errors.js";
import type { GemmKernel } from "./layers/gemm.js";
import type { SimdFlavour } from "./layers/wasm/gemm-simd-module.js";
import { MAX_THREADS, threadsFallback } from "./threads/pool.js";
import { serveDreams, type DreamEngine, type WorkerPort } from "./browser/dream-protocol.js";

/** The SIMD flavour each GEMM kernel runs, as the dreamer reports it. */
const SIMD_OF_KERNEL: Record<GemmKernel, SimdFlavour | null> = { js: null, "wasm-plain": "mul-add", "wasm-relaxed": "relaxed-madd" };

// The dedicated worker's global scope, as far as it is used here (the project's TypeScript libs
// have no DOM types).
declare const self: WorkerPort & { crossOriginIsolated?: boolean };

const engine: DreamEngine<CaffeNet> = {
  async start({ threads, model }) {
    const notes: string[] = [];
    if (threads !== undefined) {
      if (!Number.isInteger(threads) || threads < 1 || threads > MAX_THREADS) {
        throw new OptionError(`threads must be a whole number from 1 to ${MAX_THREADS}, got ${threads}`);
      }
      setThreads(threads); // more than 1 where the page cannot: an OptionError naming the fix
    } else {
      const fallback = threadsFallback();
      if (fallback !== null) notes.push(fallback);
      setThreads(threadCount());
    }
    await threadsStarted();
    const net = model === undefined ? await loadGoogLeNet() : await loadCaffeModel(model);
    return {
      model: net,
      info: {
        threads: threadCount(),
        simd: SIMD_OF_KERNEL[gemmBackend()],
        crossOriginIsolated: self.crossOriginIsolated === true,
        notes,
      },
    };
  },
  dream: (image, options) => dream(image, options),
};

serveDreams(self, engine);
