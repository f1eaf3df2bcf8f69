// The page's side: one dedicated worker runs the engine (a window may not block, which threads
// need); each request gets its answer by id. `dreamWithDreamer` does the same with the package's
// own client, `createDreamer`, whose worker the package ships, and `dreamInWindow` runs the package
// on the window's own thread.
import { createDreamer } from "inceptionism";

const engine = new Worker(new URL("./engine.js", import.meta.url), { type: "module" });
const waiting = new Map();
let next = 0;
engine.onmessage = (event) => {
  waiting.get(event.data.id)?.(event.data);
  waiting.delete(event.data.id);
};
engine.onerror = (event) => {
  for (const answer of waiting.values()) answer({ error: event.message || "the engine worker failed to load" });
  waiting.clear();
};
window.dreamInWorker = (request) =>
  new Promise((answer) => {
    const id = next++;
    waiting.set(id, answer);
    engine.postMessage({ ...request, id });
  });

window.dreamWithDreamer = async ({ width, height, pixels, options, threads }) => {
  const dreamer = createDreamer({ threads });
  try {
    const info = await dreamer.ready;
    const steps = [];
    const out = await dreamer.dream(
      { width, height, data: new Float32Array(pixels) },
      { ...options, onProgress: (p) => steps.push(p.iteration) },
    );
    return { info, steps, width: out.width, height: out.height, pixels: Array.from(out.data) };
  } catch (e) {
    return { error: `${e.name}: ${e.message}` };
  } finally {
    dreamer.close();
  }
};

// The same package on the window's own thread, loaded only when the test asks: it must refuse
// threads there, saying why, and dream on one thread with a note saying so.
window.dreamInWindow = async ({ width, height, pixels, options }) => {
  const { dream, setThreads } = await import("inceptionism");
  let refusal = null;
  try {
    setThreads(2);
  } catch (e) {
    refusal = `${e.name}: ${e.message}`;
  }
  const notes = [];
  const out = await dream({ width, height, data: new Float32Array(pixels) }, { ...options, onNote: (m) => notes.push(m) });
  return { refusal, notes, cores: navigator.hardwareConcurrency, pixels: Array.from(out.data) };
};
