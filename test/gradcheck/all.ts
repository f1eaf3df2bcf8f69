// Every gradient check, for the test suite and for `npm run gradcheck`.
import type { GradcheckCase } from "./cases.js";
import { convCases } from "./conv.cases.js";
import { layerCases } from "./layers.cases.js";
import { netCases } from "./net.cases.js";
import { zooNetCases } from "./zoo-nets.cases.js";

export const allCases: GradcheckCase[] = [...convCases, ...layerCases, ...netCases, ...zooNetCases];
