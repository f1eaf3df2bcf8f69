// The browser half of ../browser.bench.ts: the DeepDream step of ../step.bench.ts (forward to
// the layer, then the input gradient of ½Σa²), in a dedicated worker, on the threads asked for.
// It answers one command at a time:
//   { type: "load", model, golden, threads }  → { loss, grad, flavour, threads, isolated }
//       fetches the model and the golden cat input, starts the helpers for `threads`, and
//       returns the 1-thread loss and gradient on the cat (the bench checks them against the
//       golden loss and Node's gradient) after checking that `threads` give the same bits;
//   { type: "time", side, threads, reps }     → { ms }
//       the median of `reps` steps on a seeded random side×side input, after one untimed;
//   { type: "job", threads }                  → { us }
//       one parallel job's time, as ./job-latency.ts measures it.
import { inputGradient } from "../../src/dream/objective.js";
import { decodeCaffeModel } from "../../src/io/caffe/decode.js";
import { simdFlavour } from "../../src/layers/wasm/gemm-simd.js";
import { CaffeNet } from "../../src/models/net.js";
import { fillUniform } from "../../src/tensor/random.js";
import { Tensor } from "../../src/tensor/tensor.js";
import { setThreads, withThreads } from "../../src/threads/pool.js";
import { threadsStarted } from "../../src/threads/web-host.js";
import { jobMicroseconds } from "./job-latency.js";

export type StepCommand =
  | { type: "load"; model: string; golden: string; threads: number; layer: string }
  | { type: "time"; side: number; threads: number; reps: number }
  | { type: "job"; threads: number };

export type StepAnswer =
  | { loss: number; grad: Float32Array; flavour: string | null; threads: number; isolated: boolean }
  | { ms: number }
  | { us: number }
  | { error: string };

declare const self: {
  onmessage: ((event: { data: StepCommand }) => void) | null;
  postMessage(message: StepAnswer): void;
  crossOriginIsolated: boolean;
};

let net: CaffeNet | null = null;
let layer = "";

async function bytesAt(url: string): Promise<Uint8Array> {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
  return new Uint8Array(await response.arrayBuffer());
}

function median(times: number[]): number {
  const s = [...times].sort((a, b) => a - b),
    mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

async function answer(c: StepCommand): Promise<StepAnswer> {
  if (c.type === "load") {
    net = new CaffeNet(decodeCaffeModel(await bytesAt(c.model)));
    layer = c.layer;
    const golden = await bytesAt(c.golden);
    const x = new Tensor(new Float32Array(golden.buffer, golden.byteOffset, golden.byteLength / 4), [1, 3, 224, 224]);
    setThreads(c.threads);
    await threadsStarted(); // the helpers must have started before the first job (web-host.ts)
    const one = withThreads(1, () => inputGradient(net!, x, { layer }));
    const many = withThreads(c.threads, () => inputGradient(net!, x, { layer }));
    if (many.loss !== one.loss || many.grad.some((v, i) => v !== one.grad[i]))
      throw new Error(`${c.threads} threads do not reproduce the 1-thread step`);
    return {
      loss: one.loss,
      grad: new Float32Array(one.grad),
      flavour: simdFlavour(),
      threads: c.threads,
      isolated: self.crossOriginIsolated,
    };
  }
  if (c.type === "job") return { us: jobMicroseconds(c.threads) };
  if (net === null) throw new Error("time before load");
  const input = new Tensor(
    fillUniform(new Float32Array(3 * c.side * c.side), c.side).map((v) => v * 100),
    [1, 3, c.side, c.side],
  );
  const times: number[] = [];
  withThreads(c.threads, () => {
    inputGradient(net!, input, { layer });
    for (let i = 0; i < c.reps; i++) {
      const t0 = performance.now();
      inputGradient(net!, input, { layer });
      times.push(performance.now() - t0);
    }
  });
  return { ms: median(times) };
}

self.onmessage = ({ data }) => {
  answer(data).then(
    (a) => self.postMessage(a),
    (e: unknown) => self.postMessage({ error: String((e as Error)?.stack ?? e) }),
  );
};
