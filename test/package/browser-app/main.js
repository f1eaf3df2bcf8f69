// The page's side: one dedicated worker runs the engine (a window may not block, which threads
// need); each request gets its answer by id.
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
