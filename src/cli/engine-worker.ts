// The engine thread of the command line (see ./engine.ts): it loads the model once, dreams each
// picture it is sent with the package entry's `dream()` (so with the Node defaults, such as the
// machine's memory budget, and the Node thread host) or visualizes with its `visualize()`, and
// posts back progress, notes and the result — or the error, by name and message.
import { parentPort } from "node:worker_threads";
import { dream, visualize } from "../index.js";
import { loadCaffeModel, loadGoogLeNet } from "../models/load.js";
import type { DreamProgress } from "../dream/dream.js";
import type { RgbImage } from "../io/image/image.js";
import type { CaffeNet } from "../models/net.js";
import { frameStart } from "../video/dream-video.js";
import { serializeError, type DreamRequest, type EngineMessage, type VisualizeRequest } from "./engine.js";

if (parentPort === null) throw new Error("engine-worker.ts runs only as a worker thread");
const port = parentPort;
const models = new Map<string | undefined, Promise<CaffeNet>>();
const post = (m: EngineMessage, transfer: ArrayBuffer[] = []): void => port.postMessage(m, transfer);

port.on("message", async (request: DreamRequest | VisualizeRequest) => {
  try {
    let model = models.get(request.model);
    if (model === undefined) {
      model = request.model === undefined ? loadGoogLeNet() : loadCaffeModel(request.model);
      models.set(request.model, model);
    }
    const callbacks = {
      model: await model,
      onProgress: (progress: DreamProgress) => post({ type: "progress", progress }),
      onNote: (message: string) => post({ type: "note", message }),
    };
    let image: RgbImage;
    if (request.type === "dream") {
      // A video frame starts from its input plus the previous frame's detail, moved along the flow.
      const { carry } = request;
      const start = carry === undefined ? request.image : frameStart(request.image, carry.previous, carry.blend, carry.flow);
      image = await dream(start, { ...request.options, ...callbacks });
    } else {
      image = await visualize({ ...request.options, ...callbacks });
    }
    post({ type: "done", image }, [image.data.buffer as ArrayBuffer]);
  } catch (e) {
    post({ type: "failed", error: serializeError(e) });
  }
});
