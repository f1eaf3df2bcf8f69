// The engine, in a dedicated worker: `dream()` from the package's browser entry, with the bundled
// GoogLeNet (fetched from `googlenetUrl`, which the bundler emitted), on the threads asked for.
import { dream, googlenetUrl, threadCount } from "inceptionism";

self.onmessage = async ({ data: { id, width, height, pixels, options } }) => {
  try {
    const notes = [];
    const image = { width, height, data: new Float32Array(pixels) };
    const out = await dream(image, { ...options, onNote: (m) => notes.push(m) });
    self.postMessage({
      id, crossOriginIsolated, threadCount: threadCount(), notes, googlenetUrl: String(googlenetUrl),
      width: out.width, height: out.height, pixels: Array.from(out.data),
    });
  } catch (e) {
    self.postMessage({ id, error: `${e.name}: ${e.message}` });
  }
};
