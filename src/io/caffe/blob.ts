// Reading one BlobProto, a layer's learned parameters: the weights a .caffemodel is made of.
//
// Fields: 1–4 num/channels/height/width (int64, legacy), 5 data (float), 7 shape (BlobShape),
// 8 double_data (double); diffs and unknown fields are skipped. Repeated numbers may come packed
// (wire type 2, what Caffe writes) or one per field (wire type 5 / 1); protobuf concatenates all
// occurrences.
//
// Shape: the legacy num/channels/height/width if any is present (kept 4-D as declared, e.g. a V1
// bias is [1, 1, 1, 64]), else BlobShape. Values: `double_data` if present (converted to
// Float32Array), else `data`. Their count must be what the dims describe, and Caffe stores counts
// in an int, so no blob may hold 2^31 values or more.
//
// Speed: nearly all of a model's bytes are blob values (GoogLeNet: 7M floats). protobufjs would
// decode a packed float field into a number[] (8 bytes per value, then a copy); instead the
// decoder (./decode.ts) declares `blobs` as bytes and `readBlobProto` here copies the
// little-endian floats straight into a Float32Array. protobufjs's own BlobProto decoding
// (`caffeRoot`) is its naive twin in the tests. Every packed length is checked against the bytes
// present before anything is allocated.

import protobuf from "protobufjs/light.js";
import { ModelError } from "../../errors.js";
import type { BlobDef } from "./net-def.js";
import { caffeRoot, type BlobShapeMessage, type Int64 } from "./schema.js";

/** Caffe stores element counts in an int: no blob may hold 2^31 values or more. */
const MAX_COUNT = 2 ** 31 - 1;

// BlobShape is declared the same in every Root: only LayerParameter.blobs differs.
const blobShapeType = caffeRoot.lookupType("caffe.BlobShape");

/** A BlobProto as written in the file, before any checks. */
export interface RawBlob {
  /** [num, channels, height, width] if any of the four is present (absent ones are 0), else null. */
  legacyDims: number[] | null;
  /** BlobShape.dim, or null when the blob has no `shape`. */
  shapeDims: number[] | null;
  data: Float32Array;
  doubleData: Float64Array;
}

/** Parses one serialized BlobProto. Throws a RangeError or Error on malformed bytes. */
export function readBlobProto(bytes: Uint8Array): RawBlob {
  const reader = protobuf.Reader.create(bytes);
  let legacyDims: number[] | null = null;
  let shapeDims: number[] | null = null;
  const data: Float32Array[] = [];
  const doubleData: Float64Array[] = [];
  while (reader.pos < reader.len) {
    const tag = reader.uint32();
    const field = tag >>> 3;
    const wireType = tag & 7;
    if (field >= 1 && field <= 4 && wireType === 0) {
      legacyDims ??= [0, 0, 0, 0];
      legacyDims[field - 1] = int64ToNumber(reader.int64());
    } else if (field === 5 && wireType === 2) {
      data.push(readPacked(reader, 4, (view, i) => view.getFloat32(4 * i, true), Float32Array));
    } else if (field === 5 && wireType === 5) {
      data.push(Float32Array.of(reader.float()));
    } else if (field === 7 && wireType === 2) {
      const shape = blobShapeType.decode(reader, reader.uint32()) as unknown as BlobShapeMessage;
      shapeDims = shape.dim.map(int64ToNumber);
    } else if (field === 8 && wireType === 2) {
      doubleData.push(readPacked(reader, 8, (view, i) => view.getFloat64(8 * i, true), Float64Array));
    } else if (field === 8 && wireType === 1) {
      doubleData.push(Float64Array.of(reader.double()));
    } else {
      reader.skipType(wireType); // diff, double_diff, or a field from a newer Caffe
    }
  }
  return { legacyDims, shapeDims, data: concat(data, Float32Array), doubleData: concat(doubleData, Float64Array) };
}

type TypedArrayOf<T> = { new (length: number): T };

// A packed field: a varint byte length, then little-endian values back to back. The length is
// checked against the bytes present (reader.skip throws) before anything is allocated.
function readPacked<T extends Float32Array | Float64Array>(
  reader: protobuf.Reader,
  bytesPerValue: number,
  get: (view: DataView, i: number) => number,
  Out: TypedArrayOf<T>,
): T {
  const length = reader.uint32();
  const start = reader.pos;
  reader.skip(length);
  if (length % bytesPerValue !== 0) {
    throw new RangeError(`packed field of ${length} bytes is not a whole number of ${bytesPerValue}-byte values`);
  }
  const view = new DataView(reader.buf.buffer, reader.buf.byteOffset + start, length);
  const out = new Out(length / bytesPerValue);
  for (let i = 0; i < out.length; i++) out[i] = get(view, i);
  return out;
}

function concat<T extends Float32Array | Float64Array>(parts: T[], Out: TypedArrayOf<T>): T {
  if (parts.length === 1) return parts[0]!;
  const out = new Out(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

/** Checks a raw blob against its dims and returns it as a BlobDef. */
export function toBlobDef(raw: RawBlob, where: string): BlobDef {
  // Caffe's rule: the legacy dims win when any of them is present.
  const shape = checkDims(raw.legacyDims ?? raw.shapeDims ?? [], where);
  const count = shape.reduce((a, b) => a * b, 1);
  const values = raw.doubleData.length > 0 ? raw.doubleData : raw.data;
  if (values.length !== count) {
    throw new ModelError(`${where}: ${values.length} values but dims [${shape.join(",")}] need ${count}`);
  }
  return { shape, data: values instanceof Float32Array ? values : Float32Array.from(values) };
}

/** Dims as plain numbers, each ≥ 0, describing fewer than 2^31 values. */
export function checkDims(dims: number[], where: string): number[] {
  if (dims.some((d) => d < 0)) throw new ModelError(`${where}: negative dimension in dims [${dims.join(",")}]`);
  const count = dims.reduce((a, b) => a * b, 1);
  if (count > MAX_COUNT) {
    throw new ModelError(`${where}: dims [${dims.join(",")}] describe ${count} values, more than Caffe's limit 2^31 - 1`);
  }
  return dims;
}

// Exact below 2^53; beyond, close enough to be rejected by checkDims.
export function int64ToNumber(value: Int64): number {
  return typeof value === "number" ? value : value.high * 2 ** 32 + (value.low >>> 0);
}
