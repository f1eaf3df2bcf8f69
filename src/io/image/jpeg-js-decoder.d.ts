// Types for jpeg-js's decoder on its own. jpeg-js types only its index, which loads the encoder
// too; importing lib/decoder.js keeps the encoder, which needs Node's Buffer, out of browser bundles.
declare module "jpeg-js/lib/decoder.js" {
  import type { decode } from "jpeg-js";
  const decodeJpegData: typeof decode;
  export default decodeJpegData;
}
