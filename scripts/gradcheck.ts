// `npm run gradcheck`: every op's Float64 central-difference check, as a table of
// op → worst relative error; exits non-zero if any exceeds the tolerance.
import { gradcheck } from "../src/autograd/gradcheck.js";
import { allCases } from "../test/gradcheck/all.js";
import { GRADCHECK_TOLERANCE } from "../test/gradcheck/cases.js";
import { printTable } from "../bench/util.js";

const worst = new Map<string, { error: number; cases: number; failed: string[] }>();
for (const c of allCases) {
  const { maxRelativeError } = gradcheck(c.f, c.inputs());
  const row = worst.get(c.op) ?? { error: 0, cases: 0, failed: [] };
  row.error = Math.max(row.error, maxRelativeError);
  row.cases++;
  if (!(maxRelativeError <= GRADCHECK_TOLERANCE)) row.failed.push(`${c.name} (${maxRelativeError.toExponential(2)})`);
  worst.set(c.op, row);
}

console.log(`Float64 gradient checks, central differences (h = 1e-6), tolerance ${GRADCHECK_TOLERANCE} relative L2\n`);
printTable(
  ["op", "cases", "max relative error", "result"],
  [...worst].map(([op, r]) => [op, r.cases, r.error.toExponential(2), r.failed.length === 0 ? "ok" : "FAIL"]),
);
const failures = [...worst].flatMap(([op, r]) => r.failed.map((f) => `${op}: ${f}`));
if (failures.length > 0) {
  console.error(`\n${failures.length} check(s) failed:\n  ${failures.join("\n  ")}`);
  process.exitCode = 1;
}
