// Test helper: hand-built binary NetParameters, for files the encoder would never write
// (malformed geometry, legacy fields, corrupt blobs).
import { caffeRoot } from "../../../src/io/caffe/schema.js";

/** A binary NetParameter from a plain object in caffe.proto's field names (enums as numbers). */
export function rawNet(message: Record<string, unknown>): Uint8Array {
  // A copy: in Node protobufjs returns a Buffer, whose slice() is a view, not a copy.
  return new Uint8Array(caffeRoot.lookupType("caffe.NetParameter").encode(message).finish());
}
