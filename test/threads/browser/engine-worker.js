// The engine of ../browser.test.ts, in a dedicated worker as a real page's engine must be (the
// window may not block in Atomics.wait). It imports the built core, served beside it, runs
// kernels on 1 and on 2 threads, and posts back what the test checks. Plain JavaScript: the
// browser runs it as it is, next to the JavaScript that tsc built.
import { threadsStarted } from "./threads/web-host.js";
import { defineJob, setThreads, threadCount, threadsAvailable, withThreads } from "./threads/pool.js";
import { gemm, setGemmBackend } from "./layers/gemm.js";
import { reluForwardInThreads } from "./layers/relu.js";
import { allocFloats, isShared } from "./tensor/buffers.js";
import { fillUniform } from "./tensor/random.js";

/** How many values of `a` and `b` (Float32Arrays of one length) differ in any bit: 0 means bit-identical. */
function differingValues(a, b) {
  const bitsA = new Uint32Array(a.buffer, a.byteOffset, a.length);
  const bitsB = new Uint32Array(b.buffer, b.byteOffset, b.length);
  let count = 0;
  for (let i = 0; i < a.length; i++) if (bitsA[i] !== bitsB[i]) count++;
  return count;
}

try {
  const report = { crossOriginIsolated, threadsAvailable: threadsAvailable() };

  // Starts the one helper, a nested worker running ./web-worker.js, and lets this
  // thread's event loop turn until the helper has its init message: Chromium neither starts it
  // nor hands it messages while this thread is blocked, so the first job would wait forever. Every array below is made while 2 threads are set,
  // so all are shared: the 2-thread runs really split (an unshared array would make the pool
  // run the whole job here), and the 1-thread runs read the very same inputs.
  setThreads(2);
  // A job straight away, before the helper can have started: the pool must not post it to a
  // helper that is still loading (it would wait forever), so this thread runs it alone.
  const early = fillUniform(allocFloats("float32", 100_003), 4),
    earlyOut = allocFloats("float32", early.length);
  reluForwardInThreads(earlyOut, early, 0);
  report.earlyJob = earlyOut.every((v, i) => v === Math.max(early[i], 0)) ? "ran" : "wrong";
  await threadsStarted();
  report.threadCount = threadCount();

  // C has M·N = 67 201 values, above the pool's 2¹⁶ for splitting at all, and M·N·K ≈ 2.4·2²⁰
  // is above gemm's own threshold: N = 1003 columns cut into 4 pieces, the last one ragged.
  // 100 003 ReLU values cut into 8.
  const [M, N, K] = [67, 1003, 37];
  const A = fillUniform(allocFloats("float32", M * K), 1);
  const B = fillUniform(allocFloats("float32", K * N), 2);
  const x = fillUniform(allocFloats("float32", 100_003), 3);
  const C1 = allocFloats("float32", M * N),
    C2 = allocFloats("float32", M * N);
  const y1 = allocFloats("float32", x.length),
    y2 = allocFloats("float32", x.length);
  report.shared = [A, B, x, C1, C2, y1, y2].every(isShared);

  // A value that a 2-thread run fails to write stays NaN and shows as a difference.
  report.gemm = {};
  for (const backend of ["js", "wasm"]) {
    setGemmBackend(backend);
    C2.fill(NaN);
    withThreads(1, () => gemm(C1, A, B, M, N, K));
    withThreads(2, () => gemm(C2, A, B, M, N, K));
    report.gemm[backend] = differingValues(C1, C2);
  }
  y2.fill(NaN);
  withThreads(1, () => reluForwardInThreads(y1, x, 0.1));
  withThreads(2, () => reluForwardInThreads(y2, x, 0.1));
  report.relu = differingValues(y1, y2);

  // A job defined only here, so the helper does not know it: the pool hands it piece work, and
  // the helper answers through shared memory with its own error. Only a worker that started,
  // received the job and wrote back its flag and message can make this text.
  const ghost = defineJob("browser-test-ghost", () => {});
  try {
    withThreads(2, () => ghost.run({ a: allocFloats("float32", 4) }, 2));
    report.ghost = "no error";
  } catch (e) {
    report.ghost = e.message;
  }

  postMessage(report);
} catch (e) {
  postMessage({ error: String(e?.stack ?? e) });
}
