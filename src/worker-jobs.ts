// The worker's side of ./threads/pool.ts: every job a worker can be asked to run, and the loop
// that runs them. A worker finds a job's code by its name in `JOBS`; the caller runs the same
// function for the pieces it claims, so both sides execute one definition.
//
// It lists every kernel, so it sits above them all, beside the worker entries that use it
// (./node-worker.ts, ./web-worker.ts): the pool itself, which the kernels import, is the bottom
// floor and imports none of them.
//
// A job reaches an idle worker as a message, and an idle worker sleeps in its event loop: waking
// it and handing it the message took a median 97 µs there and back on Node 20 here (2026-12-02,
// 2 vCPUs; the caller blocking in Atomics.wait too). A step runs about 125 jobs, back to back, so
// where the platform can take a message without returning to the event loop (Node's
// receiveMessageOnPort), the worker keeps asking for the next job for POLL_MS after each one
// before it goes back to sleep; with the caller spinning as well (../threads/pool.ts) the round
// trip was 6 µs.

import { addIntoJob } from "./autograd/tape.js";
import { batchNormBackwardJob, batchNormForwardJob } from "./layers/batch-norm.js";
import { gemmJob } from "./layers/gemm.js";
import { col2imJob, im2colJob } from "./layers/im2col.js";
import { depthwiseBackwardDataJob, depthwiseForwardJob } from "./layers/depthwise.js";
import { lrnAcrossBackwardJob, lrnAcrossForwardJob } from "./layers/lrn.js";
import { maxPoolBackwardJob, maxPoolForwardJob } from "./layers/pooling.js";
import { pointwiseBackwardJob, pointwiseForwardJob } from "./layers/pointwise.js";
import { preluBackwardDataJob, preluBackwardSlopesJob, preluForwardJob } from "./layers/prelu.js";
import { reluBackwardJob, reluForwardJob, reluMaskJob } from "./layers/relu.js";
import { scaleBackwardJob, scaleForwardJob, scaleParamBackwardJob } from "./layers/scale.js";
import { winogradInputJob, winogradOutputJob, winogradProductJob } from "./layers/winograd.js";
import { zeroJob } from "./tensor/buffers.js";
import { unpackArrays } from "./threads/posted-arrays.js";
import {
  claimPieces,
  DONE,
  ERROR_BYTES,
  FAILED,
  type JobMessage,
  type JobPiece,
  type ParallelJob,
  type WorkerInit,
} from "./threads/pool.js";
import { flowColumnsJob, flowMatrixJob, flowResidualJob, flowStepJob } from "./video/flow.js";

/** Every job, by name. A job missing here fails in the worker with "unknown job". */
export const JOBS: ReadonlyArray<ParallelJob<never>> = [
  gemmJob,
  im2colJob,
  col2imJob,
  depthwiseForwardJob,
  depthwiseBackwardDataJob,
  reluForwardJob,
  reluBackwardJob,
  maxPoolForwardJob,
  maxPoolBackwardJob,
  lrnAcrossForwardJob,
  lrnAcrossBackwardJob,
  addIntoJob,
  zeroJob,
  reluMaskJob,
  pointwiseForwardJob,
  pointwiseBackwardJob,
  preluForwardJob,
  preluBackwardDataJob,
  preluBackwardSlopesJob,
  winogradInputJob,
  winogradProductJob,
  winogradOutputJob,
  flowMatrixJob,
  flowColumnsJob,
  flowResidualJob,
  flowStepJob,
  batchNormForwardJob,
  batchNormBackwardJob,
  scaleForwardJob,
  scaleBackwardJob,
  scaleParamBackwardJob,
];

/**
 * A message handler for a worker: the first message is `WorkerInit`, then `JobMessage`s, each
 * served by claiming pieces until none are left, then raising this worker's flag (DONE, or
 * FAILED with the error's message). With `poll` (the next message if one is waiting, taken
 * without the event loop), the handler goes on serving the messages it polls until none has
 * come for POLL_MS (see above).
 */
export function serveJobs(poll?: () => WorkerInit | JobMessage | undefined): (message: WorkerInit | JobMessage) => void {
  const serveOne = serveMessages();
  let polling = poll !== undefined;
  return (message) => {
    serveOne(message);
    for (let until = performance.now() + POLL_MS; polling && performance.now() < until; ) {
      let next: WorkerInit | JobMessage | undefined;
      try {
        next = poll!();
      } catch {
        polling = false; // a runtime whose port cannot be polled after all: events alone, as without a poll
        break;
      }
      if (next === undefined) continue;
      serveOne(next);
      until = performance.now() + POLL_MS;
    }
  };
}

/**
 * How long a worker that can poll keeps asking for the next job after one, in ms: longer than
 * the caller's work between two jobs of a step, short enough that an idle worker soon sleeps.
 */
const POLL_MS = 2;

function serveMessages(): (message: WorkerInit | JobMessage) => void {
  const pieces = new Map(JOBS.map((j) => [j.name, j.piece]));
  let init: WorkerInit | null = null;
  return (message) => {
    if (message.type === "init") {
      init = message;
      Atomics.store(message.started, message.index, 1);
      return;
    }
    if (init === null) throw new Error("worker: a job arrived before its init message");
    const { index, next, flags, errors } = init;
    try {
      const piece = pieces.get(message.job);
      if (piece === undefined) throw new Error(`unknown job "${message.job}"`);
      claimPieces(next, piece as JobPiece<unknown>, unpackArrays(message.args), message.pieces);
      Atomics.store(flags, index, DONE);
    } catch (e) {
      Atomics.store(next, 0, message.pieces); // nothing more for anyone: the job has failed
      const text = new TextEncoder().encode(String(e instanceof Error ? e.message : e)).subarray(0, ERROR_BYTES - 1);
      errors.fill(0, index * ERROR_BYTES, (index + 1) * ERROR_BYTES);
      errors.set(text, index * ERROR_BYTES);
      Atomics.store(flags, index, FAILED);
    }
    Atomics.notify(flags, index);
  };
}
