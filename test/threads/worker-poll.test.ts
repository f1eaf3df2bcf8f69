// A worker that can take messages without its event loop (Node's receiveMessageOnPort) serves the
// jobs it polls after each one exactly as those its event loop hands it (src/worker-jobs.ts).
import { describe, expect, it } from "vitest";
import { DONE, ERROR_BYTES, FAILED, PENDING, type JobMessage, type WorkerInit } from "../../src/threads/pool.js";
import { packArrays } from "../../src/threads/posted-arrays.js";
import { serveJobs } from "../../src/worker-jobs.js";

function sharedFloats(values: number[]): Float32Array {
  const a = new Float32Array(new SharedArrayBuffer(4 * values.length));
  a.set(values);
  return a;
}

function setup(): { init: WorkerInit; next: Int32Array; flags: Int32Array } {
  const next = new Int32Array(new SharedArrayBuffer(4));
  const flags = new Int32Array(new SharedArrayBuffer(4));
  const init: WorkerInit = {
    type: "init",
    index: 0,
    next,
    started: new Int32Array(new SharedArrayBuffer(4)),
    flags,
    errors: new Uint8Array(new SharedArrayBuffer(ERROR_BYTES)),
  };
  return { init, next, flags };
}

const zeroJob = (a: Float32Array, pieces: number): JobMessage => ({ type: "job", job: "zero", args: packArrays({ a }), pieces });

describe("a worker that polls for its next job", () => {
  it("serves every message it polls, in order, then returns once none comes", () => {
    const { init, next, flags } = setup();
    const arrays = [sharedFloats([1, 2, 3]), sharedFloats([4, 5]), sharedFloats([6, 7, 8, 9])];
    const queue: Array<WorkerInit | JobMessage> = arrays.map((a) => zeroJob(a, 2));
    let polls = 0;
    const flagsSeen: number[] = [];
    const serve = serveJobs(() => {
      polls++;
      const m = queue.shift();
      if (m !== undefined) {
        flagsSeen.push(Atomics.load(flags, 0)); // the job before it has raised its flag
        Atomics.store(next, 0, 0); // as the pool does before posting a job
        Atomics.store(flags, 0, PENDING);
      }
      return m;
    });
    serve(init); // the init arrives by event; the three jobs are polled after it
    expect(queue).toHaveLength(0);
    expect(arrays.map((a) => [...a])).toEqual([
      [0, 0, 0],
      [0, 0],
      [0, 0, 0, 0],
    ]);
    expect(flagsSeen).toEqual([0, DONE, DONE]); // init raises no flag; each job raises DONE
    expect(Atomics.load(flags, 0)).toBe(DONE);
    expect(polls).toBeGreaterThan(3); // it kept asking after the last one, until its window passed
  });

  it("reports a polled job that fails, and goes on with the next", () => {
    const { init, next, flags } = setup();
    const after = sharedFloats([1, 2]);
    const queue: Array<WorkerInit | JobMessage> = [{ type: "job", job: "no such job", args: null, pieces: 1 }, zeroJob(after, 1)];
    const outcomes: number[] = [];
    const serve = serveJobs(() => {
      const m = queue.shift();
      if (m !== undefined) {
        outcomes.push(Atomics.load(flags, 0));
        Atomics.store(next, 0, 0);
        Atomics.store(flags, 0, PENDING);
      }
      return m;
    });
    serve(init);
    outcomes.push(Atomics.load(flags, 0));
    expect(outcomes).toEqual([0, FAILED, DONE]);
    expect([...after]).toEqual([0, 0]);
    const text = new TextDecoder().decode(init.errors.slice(0, init.errors.indexOf(0)));
    expect(text).toContain('unknown job "no such job"');
  });

  it("stops polling for good when the poll throws, and goes on serving what it is handed", () => {
    const { init, next, flags } = setup();
    let polls = 0;
    const serve = serveJobs(() => {
      polls++;
      throw new TypeError('The "port" argument must be a MessagePort instance'); // Deno's parentPort
    });
    expect(() => serve(init)).not.toThrow();
    const a = sharedFloats([3, 4]);
    Atomics.store(next, 0, 0);
    Atomics.store(flags, 0, PENDING);
    expect(() => serve(zeroJob(a, 1))).not.toThrow();
    expect([...a]).toEqual([0, 0]);
    expect(Atomics.load(flags, 0)).toBe(DONE);
    expect(polls).toBe(1);
  });

  it("without a poll, serves only the message it is handed", () => {
    const { init } = setup();
    const serve = serveJobs();
    serve(init);
    expect(Atomics.load(init.started, 0)).toBe(1);
  });
});
