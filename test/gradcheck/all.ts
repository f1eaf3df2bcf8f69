// Every gradient check, for the test suite and for `npm run gradcheck`.
import { activationCases } from "./activations.cases.js";
import type { GradcheckCase } from "./cases.js";
import { convCases } from "./conv.cases.js";
import { deconvCases } from "./deconv.cases.js";
import { depthwiseCases } from "./depthwise.cases.js";
import { layerCases } from "./layers.cases.js";
import { netCases } from "./net.cases.js";
import { normalizationCases } from "./normalization.cases.js";
import { reshapingCases } from "./reshaping.cases.js";
import { zooNetCases } from "./zoo-nets.cases.js";

export const allCases: GradcheckCase[] = [
  ...convCases,
  ...layerCases,
  ...netCases,
  ...activationCases,
  ...normalizationCases,
  ...deconvCases,
  ...depthwiseCases,
  ...reshapingCases,
  ...zooNetCases,
];
