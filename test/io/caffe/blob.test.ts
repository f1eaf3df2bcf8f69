// The hand-written BlobProto reader against protobufjs's own decoding of the same bytes (its
// naive twin), on awkward lengths, both encodings of repeated fields, views at odd offsets, and
// malformed lengths.
import protobuf from "protobufjs/light.js";
import { describe, expect, it } from "vitest";
import { ModelError } from "../../../src/errors.js";
import { readBlobProto } from "../../../src/io/caffe/blob.js";
import { decodeCaffeModel } from "../../../src/io/caffe/decode.js";
import { caffeRoot } from "../../../src/io/caffe/schema.js";
import { mulberry32 } from "../../../src/tensor/random.js";
import { rawNet } from "./raw-net.js";

describe("readBlobProto against protobufjs's BlobProto decoding", () => {
  const blobType = caffeRoot.lookupType("caffe.BlobProto");
  const rand = mulberry32(7);
  const values = (n: number) => Array.from({ length: n }, () => Math.fround(rand() * 2 - 1));

  /** What protobufjs's generic decoder makes of the same bytes, in readBlobProto's terms. */
  function naive(bytes: Uint8Array) {
    const m = blobType.toObject(blobType.decode(bytes), { longs: Number, arrays: true }) as {
      num?: number;
      channels?: number;
      height?: number;
      width?: number;
      shape?: { dim: number[] };
      data: number[];
      double_data: number[];
    };
    const legacy = [m.num, m.channels, m.height, m.width];
    return {
      legacyDims: legacy.some((d) => d !== undefined) ? legacy.map((d) => d ?? 0) : null,
      shapeDims: m.shape ? m.shape.dim : null,
      data: Float32Array.from(m.data),
      doubleData: Float64Array.from(m.double_data),
    };
  }

  it.each([0, 1, 3, 7, 63, 65, 1000])("packed floats, %i values", (n) => {
    const bytes = blobType.encode({ shape: { dim: [n] }, data: values(n) }).finish();
    expect(readBlobProto(bytes)).toEqual(naive(bytes));
  });

  it("legacy dims (absent ones 0), double_data, and fields it skips", () => {
    const bytes = blobType.encode({ num: 2, width: 3, double_data: [0.1, 1e300, -2, 5, 6, 7] }).finish();
    const extra = protobuf.Writer.create()
      .uint32((6 << 3) | 2)
      .floats([1, 2])
      .uint32((42 << 3) | 0)
      .uint32(9)
      .finish(); // diff, unknown
    const withExtra = new Uint8Array([...bytes, ...extra]);
    expect(readBlobProto(withExtra)).toEqual(naive(withExtra));
    expect(readBlobProto(withExtra)).toMatchObject({ legacyDims: [2, 0, 0, 3], shapeDims: null });
  });

  it("unpacked and split floats and doubles, concatenated in order; unpacked dims", () => {
    const w = protobuf.Writer.create();
    w.uint32((7 << 3) | 2)
      .fork()
      .uint32((1 << 3) | 0)
      .int64(2)
      .uint32((1 << 3) | 0)
      .int64(2)
      .ldelim(); // unpacked dims
    w.uint32((5 << 3) | 5).float(1.5);
    w.uint32((5 << 3) | 2).floats([2.5, -3]);
    w.uint32((5 << 3) | 5).float(4);
    w.uint32((8 << 3) | 1).double(0.1);
    w.uint32((8 << 3) | 2).doubles([0.2]);
    const bytes = w.finish();
    expect(readBlobProto(bytes)).toEqual(naive(bytes));
    expect(readBlobProto(bytes).data).toEqual(Float32Array.of(1.5, 2.5, -3, 4));
    expect(readBlobProto(bytes).shapeDims).toEqual([2, 2]);
  });

  it("reads from a view at an odd offset into a larger buffer", () => {
    const bytes = blobType.encode({ shape: { dim: [65] }, data: values(65) }).finish();
    const padded = new Uint8Array(bytes.length + 3);
    padded.set(bytes, 1);
    expect(readBlobProto(padded.subarray(1, 1 + bytes.length))).toEqual(naive(bytes));
  });

  it("throws on a packed length beyond the bytes, before allocating", () => {
    const huge = protobuf.Writer.create()
      .uint32((5 << 3) | 2)
      .uint32(0x7ffffff0)
      .float(1)
      .finish();
    expect(() => readBlobProto(huge)).toThrow(RangeError);
    const ragged = protobuf.Writer.create()
      .uint32((5 << 3) | 2)
      .uint32(6)
      .float(1)
      .uint32(1 << 14)
      .finish();
    expect(() => readBlobProto(ragged)).toThrow(/not a whole number of 4-byte values/);
  });

  it("is what decodeCaffeModel uses: errors name the layer and blob", () => {
    const net = rawNet({
      layers: [
        { name: "conv", type: 4, convolution_param: { num_output: 1, kernel_size: [1] }, blobs: [{ shape: { dim: [1] }, data: [1] }] },
      ],
    });
    expect(decodeCaffeModel(net).layers[0]!.blobs).toEqual([{ shape: [1], data: Float32Array.of(1) }]);
    expect(() => readBlobProto(new Uint8Array([0x2a, 0x08, 0, 0]))).toThrow();
    expect(() => decodeCaffeModel(rawNet({ layer: [{ name: "conv", type: "ReLU", blobs: [{ data: [1, 2] }] }] }))).toThrow(ModelError);
  });
});
