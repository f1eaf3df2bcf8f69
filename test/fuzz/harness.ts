// What every fuzz case must do: return, or throw one of our typed errors with a one-line
// message — within a time bound and without allocating beyond a fixed budget.
//
// Memory: decoding is synchronous, so the peak inside a call cannot be sampled; what can be
// seen is what the call left allocated. A full GC runs before each case (through V8's gc, made
// reachable with --expose-gc set at runtime), then heapUsed + arrayBuffers is compared before
// and right after the call, with no GC in between: everything the call allocated and that V8
// has not yet collected counts, which includes every large typed array (those are freed only by
// a GC). The budget is `perInputByte × input size + fixed`. A decoder that allocated from a
// declared size (the bug this hunts) shows up as hundreds of MB against a budget of tens.

import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { InceptionismError } from "../../src/errors.js";

setFlagsFromString("--expose-gc");
const gc = runInNewContext("gc") as () => void;

export interface Budget {
  /** Milliseconds one case may take. */
  ms: number;
  /** Bytes the case may leave allocated: perInputByte × input length + fixed. */
  perInputByte: number;
  fixed: number;
}

/** What happened in one case, with its cost, for the long-run summary. */
export type Outcome = ({ ok: true } | { ok: false; error: string }) & { ms: number; bytes: number };

const used = (): number => {
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
};

/**
 * Runs `call` and throws (failing the property) if it throws anything but an InceptionismError
 * with a non-empty one-line message, takes longer than the budget, or allocates more.
 */
export async function graceful(inputBytes: number, budget: Budget, call: () => unknown): Promise<Outcome> {
  gc();
  const before = used();
  const start = performance.now();
  let outcome: { ok: true } | { ok: false; error: string };
  try {
    await call();
    outcome = { ok: true };
  } catch (e) {
    if (!(e instanceof InceptionismError)) {
      throw new Error(`untyped error: ${e instanceof Error ? `${e.name}: ${e.message}\n${e.stack}` : String(e)}`);
    }
    if (e.message.trim() === "" || e.message.includes("\n")) throw new Error(`bad message: ${JSON.stringify(e.message)}`);
    outcome = { ok: false, error: `${e.name}: ${e.message}` };
  }
  const ms = performance.now() - start;
  const grown = used() - before;
  if (ms > budget.ms) throw new Error(`took ${ms.toFixed(0)} ms, more than ${budget.ms} ms (${describe(outcome)})`);
  const limit = budget.perInputByte * inputBytes + budget.fixed;
  if (grown > limit) throw new Error(`allocated ${mb(grown)}, more than the budget ${mb(limit)} (${describe(outcome)})`);
  return { ...outcome, ms, bytes: grown };
}

const describe = (o: { ok: true } | { ok: false; error: string }): string => (o.ok ? "succeeded" : o.error);
const mb = (b: number): string => `${(b / 2 ** 20).toFixed(1)} MB`;
