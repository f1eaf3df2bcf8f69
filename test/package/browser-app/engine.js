// The engine, in a dedicated worker: `dream()` from the package's browser entry, on the threads
// asked for, with the bundled GoogLeNet (fetched from `googlenetUrl`, which a bundler such as
// Vite emitted) or, given `modelUrl`, the model fetched from there (for a bundler that does not
// emit files, such as esbuild).
import { dream, googlenetUrl, loadCaffeModel, threadCount } from "inceptionism";

self.onmessage = async ({ data: { id, width, height, pixels, options, modelUrl } }) => {
  try {
    const notes = [];
    const image = { width, height, data: new Float32Array(pixels) };
    const model = modelUrl === undefined ? undefined : await loadCaffeModel(modelUrl);
    const out = await dream(image, { ...options, model, onNote: (m) => notes.push(m) });
    self.postMessage({
      id,
      crossOriginIsolated,
      cores: navigator.hardwareConcurrency,
      threadCount: threadCount(),
      notes,
      googlenetUrl: String(googlenetUrl),
      width: out.width,
      height: out.height,
      pixels: Array.from(out.data),
    });
  } catch (e) {
    self.postMessage({ id, error: `${e.name}: ${e.message}` });
  }
};
