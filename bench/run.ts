// `npm run bench [-- --quick] [-- NAME…]`: the microbenchmarks, each validating its fast kernel
// against the naive twin before timing it. Numbers are medians; compare within one run.
import * as activations from "./activations.bench.js";
import * as browser from "./browser.bench.js";
import * as conv from "./conv.bench.js";
import * as dream from "./dream.bench.js";
import * as depthwise from "./depthwise.bench.js";
import * as flow from "./flow.bench.js";
import * as foldBatchNorm from "./fold-batch-norm.bench.js";
import * as gemm from "./gemm.bench.js";
import * as lrnPool from "./lrn-pool.bench.js";
import * as profile from "./profile.bench.js";
import * as pytorch from "./pytorch.bench.js";
import * as relaxed from "./relaxed.bench.js";
import * as reshaping from "./reshaping.bench.js";
import * as step from "./step.bench.js";
import * as winograd from "./winograd.bench.js";
import type { BenchOptions } from "./util.js";

const benches: Record<string, (o: BenchOptions) => Promise<void>> = {
  gemm: gemm.run,
  conv: conv.run,
  depthwise: depthwise.run,
  winograd: winograd.run,
  "lrn-pool": lrnPool.run,
  step: step.run,
  pytorch: pytorch.run,
  browser: browser.run,
  dream: dream.run,
  profile: profile.run,
  relaxed: relaxed.run,
  flow: flow.run,
  activations: activations.run,
  "fold-batch-norm": foldBatchNorm.run,
  reshaping: reshaping.run,
};

const args = process.argv.slice(2);
const quick = args.includes("--quick");
const chosen = args.filter((a) => !a.startsWith("--"));
for (const name of chosen) {
  if (!(name in benches)) {
    console.error(`unknown benchmark "${name}"; choose from: ${Object.keys(benches).join(", ")}`);
    process.exit(2);
  }
}
console.log(`inceptionism benchmarks — ${new Date().toISOString().slice(0, 10)}, Node ${process.version}${quick ? ", quick" : ""}`);
for (const [name, run] of Object.entries(benches)) {
  if (chosen.length > 0 && !chosen.includes(name)) continue;
  console.log(`\n## ${name}\n`);
  await run({ quick });
}
