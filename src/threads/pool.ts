// Splitting one kernel call across threads that share memory.
//
// JavaScript has one thread per realm, but workers (Node's worker_threads, a browser's Web
// Workers) are more realms with threads of their own, and a SharedArrayBuffer is memory that
// several realms see at once. So a kernel whose arrays live in shared memory can be cut into
// parts: the calling thread runs part 0 itself and posts parts 1 … T−1 to T−1 workers, each of
// which runs the same function on the same arrays and writes its own, disjoint slice of the
// output. The caller then blocks until every worker has raised its flag:
//
//     caller                                  worker t
//     flags[t] = PENDING; post {job, args, t}   ─►  run job(args, t, T)
//     run job(args, 0, T)                            flags[t] = DONE; notify(flags[t])
//     wait until flags[t] ≠ PENDING  ◄──────────────┘
//
// Posting a typed array whose buffer is shared sends a view of the same memory, not a copy;
// an array in ordinary memory would arrive as a copy, and writes to it would be lost, so a job
// whose arrays are not all shared simply runs every part on the calling thread.
//
// Results must not depend on the number of threads. Each job therefore cuts its work into
// pieces whose results do not depend on where the cuts fall (columns of a matrix product, planes
// of an image, fixed blocks of channels) and gives each thread a run of whole pieces: the same
// arithmetic in the same order, whichever thread does it.
//
// This file is the core half: it knows nothing of how a worker is started. A host — the Node
// side's ./node-host.ts, which starts worker_threads running ./worker.ts — hands it workers by
// `installThreadHost`. Without a host, or with `setThreads(1)`, every job runs inline.

/** What the pool needs of a worker: a way to post it a message, and to stop it. */
export interface WorkerHandle {
  postMessage(message: unknown): void;
  terminate(): void;
}

/** Starts workers that run ./worker.ts's loop; provided by the platform (./node-host.ts). */
export interface ThreadHost {
  /** The number of threads to use when none is asked for: usually the number of cores. */
  defaultThreads(): number;
  /** A new worker; it must be told `WorkerInit` before any job. */
  spawn(): WorkerHandle;
}

/** The first message a worker gets (again when the pool grows): where to raise its flag and write a failure. */
export interface WorkerInit {
  type: "init";
  index: number; // this worker's slot in `flags` and `errors`
  flags: Int32Array; // shared: PENDING, DONE or FAILED per worker
  errors: Uint8Array; // shared: ERROR_BYTES per worker, a UTF-8 message when FAILED
}

/** Every later message: run part `part` of `parts` of the job named `job`. */
export interface JobMessage {
  type: "job";
  job: string;
  args: unknown;
  part: number;
  parts: number;
}

export const PENDING = 0, DONE = 1, FAILED = 2;
export const ERROR_BYTES = 1024;

/** One part of a job: must only write what part `part` of `parts` owns. */
export type JobPart<A> = (args: A, part: number, parts: number) => void;

/** A kernel that can be run in parts: `run(args)` splits it over the pool's threads. */
export interface ParallelJob<A> {
  readonly name: string;
  readonly part: JobPart<A>;
  /** Runs every part, `parts` of them at most (default: the thread count). */
  run(args: A, maxParts?: number): void;
}

const defined = new Map<string, JobPart<never>>();

/**
 * Declares a job under a unique name; workers find its `part` by that name in ./jobs.ts, which
 * must list it (a test checks that every job is listed).
 */
export function defineJob<A extends object>(name: string, part: JobPart<A>): ParallelJob<A> {
  if (defined.has(name)) throw new Error(`defineJob: "${name}" is defined twice`);
  defined.set(name, part as JobPart<never>);
  return { name, part, run: (args, maxParts) => runJob(name, part, args, maxParts ?? threads) };
}

/** The names of every job defined so far. */
export function definedJobs(): string[] {
  return [...defined.keys()];
}

let host: ThreadHost | null = null;
let threads = 1;
let workers: WorkerHandle[] = [];
let flags: Int32Array = new Int32Array(0);
let errors: Uint8Array = new Uint8Array(0);

/** Makes `setThreads` able to start workers; done by the Node entry (./node-host.ts). */
export function installThreadHost(h: ThreadHost): void {
  host = h;
}

/** Whether a host can start workers here. */
export function threadsAvailable(): boolean {
  return host !== null && typeof SharedArrayBuffer === "function" && typeof Atomics.wait === "function";
}

/** The host's suggestion for `setThreads`: its core count, or 1 without a host. */
export function defaultThreads(): number {
  return threadsAvailable() ? Math.max(1, host!.defaultThreads()) : 1;
}

/**
 * Uses `n` threads (the caller and n − 1 workers) for every job from now on; 1 runs all inline.
 * Workers are started when first needed and kept when the count goes down again, so switching
 * is cheap. Results are the same for every n.
 */
export function setThreads(n: number): void {
  if (!Number.isInteger(n) || n < 1 || n > MAX_THREADS) {
    throw new RangeError(`setThreads: expected a whole number from 1 to ${MAX_THREADS}, got ${n}`);
  }
  if (n > 1 && !threadsAvailable()) {
    throw new Error(`setThreads(${n}): this runtime cannot start worker threads over shared memory; use 1`);
  }
  if (n - 1 > workers.length) {
    // New flags and error slots for the larger pool; the old workers are told where they are.
    flags = new Int32Array(new SharedArrayBuffer(4 * (n - 1)));
    errors = new Uint8Array(new SharedArrayBuffer(ERROR_BYTES * (n - 1)));
    while (workers.length < n - 1) workers.push(host!.spawn());
    workers.forEach((w, index) => w.postMessage({ type: "init", index, flags, errors } satisfies WorkerInit));
  }
  threads = n;
}

/** Runs `fn` with `n` threads, then goes back to the previous count. */
export function withThreads<T>(n: number, fn: () => T): T {
  const previous = threads;
  setThreads(n);
  try {
    return fn();
  } finally {
    threads = previous;
  }
}

/** The most threads `setThreads` accepts. */
export const MAX_THREADS = 64;

/** The number of threads jobs are split over now. */
export function threadCount(): number {
  return threads;
}

/** Stops every worker; jobs then run inline until `setThreads` asks for more. */
export function shutdownThreads(): void {
  for (const w of workers) w.terminate();
  workers = [];
  threads = 1;
}

/** True if every typed array among `args`' values lives in shared memory. */
function allShared(args: object): boolean {
  for (const v of Object.values(args)) {
    if (ArrayBuffer.isView(v) && !(v.buffer instanceof SharedArrayBuffer)) return false;
    if (Array.isArray(v) && !v.every((e) => !ArrayBuffer.isView(e) || e.buffer instanceof SharedArrayBuffer)) return false;
  }
  return true;
}

function runJob<A extends object>(name: string, part: JobPart<A>, args: A, parts: number): void {
  parts = Math.max(1, Math.min(parts, threads));
  if (parts === 1 || !allShared(args)) {
    part(args, 0, 1);
    return;
  }
  for (let t = 1; t < parts; t++) {
    Atomics.store(flags, t - 1, PENDING);
    workers[t - 1]!.postMessage({ type: "job", job: name, args, part: t, parts } satisfies JobMessage);
  }
  let failure: unknown = null;
  try {
    part(args, 0, parts);
  } catch (e) {
    failure = e;
  }
  for (let t = 1; t < parts; t++) {
    while (Atomics.load(flags, t - 1) === PENDING) Atomics.wait(flags, t - 1, PENDING);
    if (failure === null && Atomics.load(flags, t - 1) === FAILED) {
      const bytes = errors.slice((t - 1) * ERROR_BYTES, t * ERROR_BYTES);
      const text = new TextDecoder().decode(bytes.subarray(0, Math.max(0, bytes.indexOf(0)) || ERROR_BYTES));
      failure = new Error(`job "${name}" failed in worker ${t}: ${text}`);
    }
  }
  if (failure !== null) throw failure;
}

/**
 * How many parts a job touching `values` array elements is worth: below PARALLEL_MIN_VALUES
 * (about 20 µs of memory-bound work) waking a worker costs more than it saves.
 */
export function partsFor(values: number): number {
  return values >= PARALLEL_MIN_VALUES ? threads : 1;
}

const PARALLEL_MIN_VALUES = 1 << 16;

/**
 * [start, end) of part `part` when `count` pieces are dealt out in `parts` runs as even as
 * possible (the first runs get one more). With `count` pieces of fixed size, the cuts fall
 * between pieces whatever `parts` is.
 */
export function partRange(count: number, part: number, parts: number): [number, number] {
  const base = Math.floor(count / parts), extra = count % parts;
  const start = part * base + Math.min(part, extra);
  return [start, start + base + (part < extra ? 1 : 0)];
}
