// Long fuzz runs: `npm run fuzz -- --runs 20000 [--seed S] [--only image]`.
//
// Runs each property of test/fuzz/properties.ts with a fresh seed (printed, so a failure can be
// replayed with --seed), then prints how many cases succeeded, how many were refused and the
// most common refusals. A failure — an untyped error, a multi-line message, a case over its time
// or memory budget — prints fast-check's shrunk counterexample and exits 1.

import { ALL_PROPERTIES } from "../test/fuzz/properties.js";

function option(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i < 0 ? undefined : process.argv[i + 1];
}

const runs = Number(option("runs") ?? 1000);
const seed = option("seed") === undefined ? Date.now() % 2 ** 31 : Number(option("seed"));
const only = option("only");
if (!Number.isInteger(runs) || runs < 1 || !Number.isInteger(seed)) {
  console.error("usage: npm run fuzz -- [--runs N] [--seed S] [--only NAME-PART]");
  process.exit(2);
}

let failed = false;
for (const property of ALL_PROPERTIES.filter((p) => only === undefined || p.name.includes(only))) {
  const start = performance.now();
  console.log(`\n${property.name}\n  ${runs} cases, seed ${seed}`);
  try {
    const outcomes = await property.check(runs, seed);
    const refusals = new Map<string, number>();
    for (const o of outcomes) {
      if (o.ok) continue;
      // Group refusals by their wording without numbers and quoted names.
      const key = o.error
        .replace(/"[^"]*"/g, '"…"')
        .replace(/\d+(\.\d+)?/g, "N")
        .slice(0, 110);
      refusals.set(key, (refusals.get(key) ?? 0) + 1);
    }
    const ok = outcomes.filter((o) => o.ok).length;
    console.log(
      `  ${ok} succeeded, ${outcomes.length - ok} refused with a typed error, in ${((performance.now() - start) / 1000).toFixed(1)} s`,
    );
    const slowest = Math.max(...outcomes.map((o) => o.ms)),
      most = Math.max(...outcomes.map((o) => o.bytes));
    console.log(`  slowest case ${slowest.toFixed(0)} ms, most memory left allocated by a case ${(most / 2 ** 20).toFixed(1)} MB`);
    for (const [key, n] of [...refusals].sort((a, b) => b[1] - a[1]).slice(0, 8)) console.log(`    ${String(n).padStart(6)}  ${key}`);
  } catch (e) {
    failed = true;
    console.log(`  FAILED: ${(e as Error).message}`);
    if ((e as Error).cause !== undefined) console.log(`  cause: ${String(((e as Error).cause as Error).message ?? (e as Error).cause)}`);
  }
}
process.exit(failed ? 1 : 0);
