import { fillUniform } from "../src/tensor/random.js";

// Timing helpers for the microbenchmarks. The machines are shared and noisy, so every number
// is a median of several runs, and comparisons are made side by side within one run.

/** Median wall time in milliseconds of `reps` calls of `fn`, after `warmup` untimed calls. */
export function medianMs(fn: () => void, reps: number, warmup = 1): number {
  for (let i = 0; i < warmup; i++) fn();
  const times: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    fn();
    times.push(performance.now() - t0);
  }
  return median(times);
}

/** The median of some numbers. */
export function median(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b),
    mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** Largest |a − b| / max(|b|, 1) over two arrays: the validation before timing. */
export function maxRelDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!) / Math.max(Math.abs(b[i]!), 1));
  return worst;
}

/** Fills an array with uniform values in [-1, 1) from a fixed seed. */
export function fillRandom<T extends Float32Array | Float64Array>(a: T, seed = 1): T {
  return fillUniform(a, seed);
}

/** Prints rows as an aligned text table. */
export function printTable(header: string[], rows: (string | number)[][]): void {
  const cells = [header, ...rows.map((r) => r.map(String))];
  const widths = header.map((_, c) => Math.max(...cells.map((r) => r[c]!.length)));
  for (const [i, r] of cells.entries()) {
    console.log(r.map((v, c) => v.padStart(widths[c]!)).join("  "));
    if (i === 0) console.log(widths.map((w) => "-".repeat(w)).join("  "));
  }
}

export interface BenchOptions {
  quick: boolean;
}
