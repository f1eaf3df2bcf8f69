// The catalogue of gradient checks: one or more cases per op, each a tiny Float64 problem.
// `test/gradcheck/gradcheck.test.ts` asserts them and `npm run gradcheck` prints them as a table.
import type { Tensor } from "../../src/tensor/tensor.js";

export interface GradcheckCase {
  /** The op under test, e.g. "conv2d". */
  op: string;
  /** What this case exercises, e.g. "stride 2, pad 3, groups 2". */
  name: string;
  f: (...inputs: Tensor[]) => Tensor;
  /** Fresh Float64 inputs; those with requiresGrad are checked. */
  inputs: () => Tensor[];
}

/** Relative L2 error every case must stay under. */
export const GRADCHECK_TOLERANCE = 1e-6;
