// Splitting one kernel call across threads that share memory.
//
// JavaScript has one thread per realm, but workers (Node's worker_threads, a browser's Web
// Workers) are more realms with threads of their own, and a SharedArrayBuffer is memory that
// several realms see at once. So a kernel whose arrays live in shared memory can be cut into
// pieces — columns of a matrix product, planes of an image — that write disjoint parts of the
// output, and the pieces can run on different threads at once:
//
//     caller                                        worker t
//     next = 0; flags[t] = PENDING
//     post {job, args, pieces}             ──►      loop: i = next++ (atomically)
//     loop: i = next++; run piece i                       until i ≥ pieces: run piece i
//       until i ≥ pieces                                flags[t] = DONE; notify
//     wait until flags[t] ≠ PENDING        ◄──────────┘
//
// Pieces are claimed, not assigned: whichever thread is free takes the next one, so a worker
// that wakes late, or a core that is busy with something else, costs only its own share.
//
// Posting a typed array whose buffer is shared sends a view of the same memory, not a copy;
// an array in ordinary memory would arrive as a copy, and writes to it would be lost, so a job
// whose arrays are not all shared simply runs every piece on the calling thread.
//
// Results must not depend on the number of threads. Every job is cut only where a cut cannot
// change any value — a column of C is the same sum whichever columns are computed beside it, a
// plane is pooled the same whoever pools its neighbour — so each value is the same arithmetic in
// the same order however many pieces there are and whichever thread runs them. The number of
// pieces is therefore free to follow the thread count (a few per thread: enough for a free
// thread to claim, few enough that per-piece costs stay small), and one thread runs one piece.
//
// One thread policy for every entry point: the process-wide count is one thread per core
// (the host's `defaultThreads`) unless `setThreads` says otherwise, and a call that takes a
// `threads` option runs that call under `withThreads`. Workers are started lazily, when a job
// first wants them, and a job hands pieces only to workers that have already started: one that
// is still loading is simply not waited for (the caller claims its pieces), so a synchronous
// call never blocks on a worker start, and the results are the same whoever computes them.
// Async entry points (`dream`) `await threadsReady()` first, so that every step has every core.
// In a browser this matters more than speed: a nested worker there is only started, and handed
// its messages, while its creator's event loop turns — awaiting is what lets it turn.
//
// This file is the core half: it knows nothing of how a worker is started. A host — the Node
// side's ./node-host.ts, which starts worker_threads running ../node-worker.ts, or ./web-host.ts
// with Web Workers — hands it workers by `installThreadHost`. Without a host, or with
// `setThreads(1)`, every job runs inline.
//
// `setProfiler` installs a listener that hears of every job (its time on the calling thread, and
// how much of it was spent at the barrier) and, through ../autograd/tape.ts, of every op: the
// seam bench/profile.bench.ts builds its table on. Off by default, a null check per job.

import { OptionError } from "../errors.js";
import { packArrays } from "./posted-arrays.js";

/** What the pool needs of a worker: a way to post it a message, and to stop it. */
export interface WorkerHandle {
  postMessage(message: unknown): void;
  terminate(): void;
}

/** Starts workers that run ../worker-jobs.ts's `serveJobs`; provided by the platform (./node-host.ts, ./web-host.ts). */
export interface ThreadHost {
  /** The number of threads to use when none is asked for: usually the number of cores. */
  defaultThreads(): number;
  /** A new worker; it must be told `WorkerInit` before any job. */
  spawn(): WorkerHandle;
  /** How long a job waits for a worker that has not yet started before failing (default 30 s). */
  startTimeoutMs?: number;
  /** Why `worker` failed to start (its script did not load …), once it is known, or null. */
  startFailure?(worker: WorkerHandle): string | null;
  /**
   * Why workers cannot run here although the platform has them, as "problem: fix" (a page that
   * is not cross-origin isolated, a window's main thread), or null when they can.
   */
  unavailable?(): string | null;
}

/** The first message a worker gets (again when the pool grows): where to claim and report. */
export interface WorkerInit {
  type: "init";
  index: number; // this worker's slot in `flags` and `errors`
  next: Int32Array; // shared, one value: the next unclaimed piece of the current job
  started: Int32Array; // shared: set to 1 by each worker when it gets this message
  flags: Int32Array; // shared: PENDING, DONE or FAILED per worker
  errors: Uint8Array; // shared: ERROR_BYTES per worker, a UTF-8 message when FAILED
}

/** Every later message: help with the job named `job`, claiming pieces until none are left. */
export interface JobMessage {
  type: "job";
  job: string;
  args: unknown; // packed by ./posted-arrays.ts's `packArrays`
  pieces: number;
}

export const PENDING = 0,
  DONE = 1,
  FAILED = 2;
export const ERROR_BYTES = 1024;

/** One piece of a job: must only write what piece `piece` of `pieces` owns. */
export type JobPiece<A> = (args: A, piece: number, pieces: number) => void;

/** A kernel that can be run in pieces: `run(args, pieces)` spreads them over the pool's threads. */
export interface ParallelJob<A> {
  readonly name: string;
  readonly piece: JobPiece<A>;
  /** Runs pieces 0 … pieces − 1 of the job, each once, on whichever threads are free. */
  run(args: A, pieces: number): void;
}

const defined = new Map<string, JobPiece<never>>();

/**
 * Declares a job under a unique name; workers find its `piece` by that name in ../worker-jobs.ts, which
 * must list it (a test checks that every job is listed).
 */
export function defineJob<A extends object>(name: string, piece: JobPiece<A>): ParallelJob<A> {
  if (defined.has(name)) throw new Error(`defineJob: "${name}" is defined twice`);
  defined.set(name, piece as JobPiece<never>);
  return { name, piece, run: (args, pieces) => runJob(name, piece, args, pieces) };
}

/** The names of every job defined so far. */
export function definedJobs(): string[] {
  return [...defined.keys()];
}

let host: ThreadHost | null = null;
/** The host's core count, asked once (it is read on every allocation, through threadCount). */
let hostThreads = 1;
/** What `setThreads` asked for; null: the default, one per core. */
let setting: number | null = null;
let workers: WorkerHandle[] = [];
/** When each worker was spawned (Date.now()), to give up on one that never starts. */
let spawnedAt: number[] = [];
let next: Int32Array = new Int32Array(0);
let started: Int32Array = new Int32Array(0);
let flags: Int32Array = new Int32Array(0);
let errors: Uint8Array = new Uint8Array(0);

/** Makes the pool able to start workers; done by the Node entry (./node-host.ts) or ./web-host.ts. */
export function installThreadHost(h: ThreadHost): void {
  host = h;
  hostThreads = Math.min(MAX_THREADS, Math.max(1, Math.floor(h.defaultThreads())));
}

/** Whether a host can start workers here. */
export function threadsAvailable(): boolean {
  return threadsRefusal("") === null;
}

/**
 * Why no worker can start here — the host's "problem: fix" where it has one — or null when
 * they can. `asking` ("setThreads(2)", "threads 2") starts the sentence.
 */
export function threadsRefusal(asking: string): string | null {
  const why = host?.unavailable?.() ?? null;
  if (why !== null) return `${asking}: ${why}; or use 1`;
  if (host === null || typeof SharedArrayBuffer !== "function" || typeof Atomics.wait !== "function") {
    return `${asking}: this runtime cannot start worker threads over shared memory; use 1`;
  }
  return null;
}

/**
 * Why the default count is 1 although the host has more cores (its `unavailable` reason), for a
 * note; null when threads work, when `setThreads` chose the count, or when there is one core.
 */
export function threadsFallback(): string | null {
  const why = host?.unavailable?.() ?? null;
  return setting !== null || hostThreads <= 1 || why === null ? null : `using 1 thread, not ${hostThreads}: ${why}`;
}

/** The default thread count: the host's core count (at most MAX_THREADS), or 1 where no worker can start. */
export function defaultThreads(): number {
  return threadsAvailable() ? hostThreads : 1;
}

/**
 * Uses `n` threads (the caller and n − 1 workers) for every job from now on, in every entry
 * point; 1 runs all inline. Workers start when a job first wants them (await `threadsReady()`
 * to have them all from the first job), and are kept when the count goes down again, so
 * switching is cheap. Results are the same for every n.
 */
export function setThreads(n: number): void {
  checkThreadCount(n, "setThreads");
  setting = n;
}

function checkThreadCount(n: number, caller: string): void {
  if (!Number.isInteger(n) || n < 1 || n > MAX_THREADS) {
    throw new RangeError(`${caller}: expected a whole number from 1 to ${MAX_THREADS}, got ${n}`);
  }
  const refusal = n > 1 ? threadsRefusal(`${caller}(${n})`) : null;
  if (refusal !== null) throw new OptionError(refusal);
}

/** Runs `fn` with `n` threads, then goes back to the previous setting. */
export function withThreads<T>(n: number, fn: () => T): T {
  checkThreadCount(n, "withThreads");
  const previous = setting;
  setting = n;
  try {
    return fn();
  } finally {
    setting = previous;
  }
}

/** The most threads `setThreads` accepts. */
export const MAX_THREADS = 64;

/** The number of threads jobs are split over now: the `setThreads` count, or the default. */
export function threadCount(): number {
  return setting ?? defaultThreads();
}

/** Stops every worker; jobs then run inline until `setThreads` asks for more. */
export function shutdownThreads(): void {
  for (const w of workers) w.terminate();
  workers = [];
  spawnedAt = [];
  setting = 1;
}

/** Starts workers until there are `helpers`, telling every one (old and new) where to report. */
function ensureWorkers(helpers: number): void {
  if (helpers <= workers.length) return;
  // New flags and error slots for the larger pool. Old workers are told where they are now: until
  // that message reaches one, it does not count as started, so no job is posted to it meanwhile.
  next = new Int32Array(new SharedArrayBuffer(4));
  started = new Int32Array(new SharedArrayBuffer(4 * helpers));
  flags = new Int32Array(new SharedArrayBuffer(4 * helpers));
  errors = new Uint8Array(new SharedArrayBuffer(ERROR_BYTES * helpers));
  const now = Date.now();
  spawnedAt = spawnedAt.map(() => now); // each must answer the new init in time
  while (workers.length < helpers) {
    workers.push(host!.spawn());
    spawnedAt.push(now);
  }
  workers.forEach((w, index) => {
    w.postMessage({ type: "init", index, next, started, flags, errors } satisfies WorkerInit);
  });
}

/**
 * Resolves once the workers for `n` threads (default: the current count) have all started, so
 * that every job from then on is split over all of them. Rejects, and turns threads off, if
 * one has not started within the host's start timeout. Awaiting lets this thread's event loop
 * turn, which a browser needs to start a nested worker at all.
 */
export async function threadsReady(n: number = threadCount()): Promise<void> {
  checkThreadCount(n, "threadsReady");
  if (n <= 1) return;
  ensureWorkers(n - 1);
  for (let t = 0; t < n - 1; t++) {
    while (Atomics.load(started, t) === 0) {
      checkStart(t);
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }
}

/**
 * Throws, turning threads off, if worker t failed to start (as its host can tell) or has been
 * starting for longer than the host allows.
 */
function checkStart(t: number): void {
  const failure = host?.startFailure?.(workers[t]!) ?? null;
  if (failure !== null) {
    shutdownThreads();
    throw new Error(`worker thread ${t + 1} failed to start (${failure}), so threads were turned off; use 1 thread (threads: 1)`);
  }
  const timeout = host?.startTimeoutMs ?? 30_000;
  if (Date.now() - spawnedAt[t]! > timeout) {
    shutdownThreads();
    throw new Error(
      `worker thread ${t + 1} did not start within ${timeout / 1000} s, so threads were turned off; use 1 thread (threads: 1, --threads 1)`,
    );
  }
}

/**
 * True if every typed array among `args`' values (or in an array among them) lives in shared
 * memory. Arrays nested deeper, such as `gemm`'s `opts.rowBias`, must be ones the job only
 * reads: posted to a worker, an unshared one arrives as a copy, which reads the same.
 */
function allShared(args: object): boolean {
  for (const v of Object.values(args)) {
    if (ArrayBuffer.isView(v) && !(v.buffer instanceof SharedArrayBuffer)) return false;
    if (Array.isArray(v) && !v.every((e) => !ArrayBuffer.isView(e) || e.buffer instanceof SharedArrayBuffer)) return false;
  }
  return true;
}

/**
 * Told about every job and every recorded op while installed (`setProfiler`): the seam that
 * bench/profile.bench.ts builds its table on. Off by default; then each job pays one null check.
 */
export interface Profiler {
  /**
   * Job `name` ran in `pieces` pieces with `helpers` workers, taking `ms` on the calling thread
   * from its start to the last worker's flag, `waitMs` of it after the caller's own pieces, at the
   * barrier (0 when the job ran inline).
   */
  job(name: string, pieces: number, helpers: number, ms: number, waitMs: number): void;
  /** The tape recorded op `op`'s output (its forward has just run): ../autograd/tape.ts's `record`. */
  forward(op: string): void;
  /** The backward of op `op` took `ms` (the jobs it ran included): ../autograd/tape.ts's `backward`. */
  backward(op: string, ms: number): void;
}

let profiler: Profiler | null = null;

/** Installs a profiler (null: none, the default); returns the one it replaces. */
export function setProfiler(p: Profiler | null): Profiler | null {
  const previous = profiler;
  profiler = p;
  return previous;
}

/** The profiler installed now, or null. */
export function activeProfiler(): Profiler | null {
  return profiler;
}

function runJob<A extends object>(name: string, piece: JobPiece<A>, args: A, pieces: number): void {
  if (profiler === null) {
    runPieces(name, piece, args, pieces, null);
    return;
  }
  const p = profiler,
    t0 = performance.now();
  const timing = { helpers: 0, waitFrom: 0 };
  try {
    runPieces(name, piece, args, pieces, timing);
  } finally {
    const t1 = performance.now();
    p.job(name, pieces, timing.helpers, t1 - t0, timing.helpers === 0 ? 0 : t1 - timing.waitFrom);
  }
}

/** Runs a job's pieces, inline or with the started workers; `timing`, if given, learns how. */
function runPieces<A extends object>(
  name: string,
  piece: JobPiece<A>,
  args: A,
  pieces: number,
  timing: { helpers: number; waitFrom: number } | null,
): void {
  const wanted = Math.min(threadCount(), pieces) - 1;
  if (wanted <= 0 || !allShared(args)) {
    for (let i = 0; i < pieces; i++) piece(args, i, pieces);
    return;
  }
  ensureWorkers(wanted);
  // Only workers that have started take part; the others are not waited for.
  const helpers: number[] = [];
  for (let t = 0; t < wanted; t++) {
    if (Atomics.load(started, t) === 1) helpers.push(t);
    else checkStart(t);
  }
  Atomics.store(next, 0, 0);
  const posted = helpers.length > 0 ? packArrays(args) : null; // see ./posted-arrays.ts
  for (const t of helpers) {
    Atomics.store(flags, t, PENDING);
    workers[t]!.postMessage({ type: "job", job: name, args: posted, pieces } satisfies JobMessage);
  }
  let failure: unknown = null;
  try {
    claimPieces(next, piece, args, pieces);
  } catch (e) {
    failure = e;
    Atomics.store(next, 0, pieces); // let the workers stop early
  }
  if (timing !== null) {
    timing.helpers = helpers.length;
    timing.waitFrom = performance.now();
  }
  const spinUntil = performance.now() + SPIN_MS;
  for (const t of helpers) {
    while (Atomics.load(flags, t) === PENDING && performance.now() < spinUntil); // see SPIN_MS
    while (Atomics.load(flags, t) === PENDING) Atomics.wait(flags, t, PENDING);
    if (failure === null && Atomics.load(flags, t) === FAILED) {
      const bytes = errors.subarray(t * ERROR_BYTES, (t + 1) * ERROR_BYTES);
      const end = bytes.indexOf(0);
      const text = new TextDecoder().decode(bytes.slice(0, end < 0 ? ERROR_BYTES : end));
      failure = new Error(`job "${name}" failed in worker ${t + 1}: ${text}`);
    }
  }
  if (failure !== null) throw failure;
}

/**
 * How long the caller, its own pieces done, watches the workers' flags before it sleeps in
 * Atomics.wait, in ms. Waking from Atomics.wait took about 45 µs here (Node 20, 2026-12-02); a
 * step ends some 125 jobs at this barrier, and a worker usually finishes its last piece within
 * a piece's time of the caller. Workers on Node poll for their next job likewise
 * (../worker-jobs.ts); measured together against sleeping at once, alternating in one process
 * (medians of paired ratios, 2026-12-02), the 2-thread step took 0.92× (224²) and 0.965× (448²)
 * on Node 20, 0.93–0.97× (396²) on Node 24.
 */
const SPIN_MS = 1;

/** Runs the pieces of a job that this thread claims from the shared counter `next`. */
export function claimPieces<A>(next: Int32Array, piece: JobPiece<A>, args: A, pieces: number): void {
  for (let i = Atomics.add(next, 0, 1); i < pieces; i = Atomics.add(next, 0, 1)) piece(args, i, pieces);
}

/**
 * How many pieces to cut a job into, given the array elements it touches and the most pieces
 * it can be cut into (its planes, channels, column blocks …): one while a single thread is in
 * use, or when the job is below PARALLEL_MIN_VALUES (about 20 µs of memory-bound work, less
 * than waking a worker costs); otherwise PIECES_PER_THREAD per thread, at most `units`.
 */
export function piecesFor(values: number, units: number): number {
  return values < PARALLEL_MIN_VALUES ? 1 : splitInto(units);
}

/** PIECES_PER_THREAD per thread, at most `units`: for a job already known to be worth splitting. */
export function splitInto(units: number): number {
  const threads = threadCount();
  return threads === 1 ? 1 : Math.max(1, Math.min(units, threads * PIECES_PER_THREAD));
}

const PIECES_PER_THREAD = 4;
const PARALLEL_MIN_VALUES = 1 << 16;

/**
 * [start, end) of piece `piece` when `count` units are cut into `pieces` runs as even as
 * possible (the first runs get one more).
 */
export function pieceRange(count: number, piece: number, pieces: number): [number, number] {
  const base = Math.floor(count / pieces),
    extra = count % pieces;
  const start = piece * base + Math.min(piece, extra);
  return [start, start + base + (piece < extra ? 1 : 0)];
}
