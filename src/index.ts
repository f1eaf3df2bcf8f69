// The public surface of inceptionism. Everything a user imports comes from here.
export { Tensor, type Floats, type DType } from "./tensor/tensor.js";
export { backward } from "./autograd/tape.js";
export { gradcheck, type GradcheckResult } from "./autograd/gradcheck.js";
