// The page script of ./dreamer-chromium.test.ts, bundled with the browser entry: what a web app
// does with `createDreamer`, as functions on the window that the test calls through Playwright.
// Results leave the page as plain arrays of numbers (a Float32 value is a double exactly, so
// nothing is rounded) and errors as their name, message and classes.
import { createDreamer, InceptionismError, OptionError, type Dreamer, type DreamerDreamOptions, type RgbImage } from "../../src/browser.js";

export interface ErrorReport {
  name: string;
  message: string;
  optionError: boolean;
  inceptionismError: boolean;
}

export interface DreamReport {
  data?: number[];
  progress: string[];
  error?: ErrorReport;
  /** The caller's picture after the dream: still all there? */
  inputIntact: boolean;
}

const describeError = (e: unknown): ErrorReport => ({
  name: (e as Error).name,
  message: (e as Error).message,
  optionError: e instanceof OptionError,
  inceptionismError: e instanceof InceptionismError,
});

const dreamers = new Map<string, Dreamer>();

async function picture(url: string, width: number, height: number): Promise<RgbImage> {
  const data = new Float32Array(await (await fetch(url)).arrayBuffer());
  return { width, height, data };
}

async function dreamReport(name: string, image: RgbImage, options: DreamerDreamOptions, onStep?: () => void): Promise<DreamReport> {
  const before = image.data.slice();
  const progress: string[] = [];
  const intact = (): boolean => image.data.length === before.length && image.data.every((v, i) => v === before[i]);
  try {
    const out = await dreamers.get(name)!.dream(image, {
      ...options,
      onProgress: (p) => {
        progress.push(`${p.octave}.${p.iteration}`);
        onStep?.();
      },
    });
    return { data: Array.from(out.data), progress, inputIntact: intact() };
  } catch (e) {
    return { error: describeError(e), progress, inputIntact: intact() };
  }
}

const api = {
  hardwareConcurrency: () => (globalThis as unknown as { navigator: { hardwareConcurrency: number } }).navigator.hardwareConcurrency,

  async start(name: string, options: { threads?: number }) {
    const dreamer = createDreamer(options);
    dreamers.set(name, dreamer);
    try {
      return { info: await dreamer.ready };
    } catch (e) {
      return { error: describeError(e) };
    }
  },

  async dream(name: string, url: string, width: number, height: number, options: DreamerDreamOptions) {
    return dreamReport(name, await picture(url, width, height), options);
  },

  /** A long dream aborted at its first step, and a dream queued behind it. */
  async abortThenDream(name: string, url: string, width: number, height: number, options: DreamerDreamOptions) {
    const image = await picture(url, width, height);
    const controller = new AbortController();
    const aborted = dreamReport(name, image, { ...options, iterations: 40, signal: controller.signal }, () => controller.abort());
    const next = dreamReport(name, image, options);
    return { aborted: await aborted, next: await next };
  },

  /** Two dreams pending when the dreamer is closed, and one asked for after. */
  async closeWithPending(name: string, url: string, width: number, height: number, options: DreamerDreamOptions) {
    const image = await picture(url, width, height);
    const dreamer = dreamers.get(name)!;
    const pending = [dreamReport(name, image, options), dreamReport(name, image, options)];
    dreamer.close();
    return { pending: await Promise.all(pending), after: await dreamReport(name, image, options) };
  },
};

export type PageApi = typeof api;
Object.assign(globalThis, { dreamerTest: api });
