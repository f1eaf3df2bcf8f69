// A job's arrays are posted as (SharedArrayBuffer, offset, length) records and rebuilt into views
// of the same memory (see src/threads/posted-arrays.ts for why: Deno clones a posted view in
// time proportional to its buffer).
import { describe, expect, it } from "vitest";
import { packArrays, unpackArrays, type PackedView } from "../../src/threads/posted-arrays.js";

const shared = (n: number) => new SharedArrayBuffer(n);

describe("packArrays / unpackArrays", () => {
  it("turns a shared view into a record of its buffer, offset and length, and back into a view of the same memory", () => {
    const buffer = shared(64);
    const x = new Float32Array(buffer, 8, 5);
    const packed = packArrays(x) as PackedView;
    expect(ArrayBuffer.isView(packed)).toBe(false);
    expect(packed).toEqual({ view: "Float32Array", buffer, byteOffset: 8, length: 5 });
    const back = unpackArrays(structuredClone(packed)) as Float32Array;
    expect(back).toBeInstanceOf(Float32Array);
    expect([back.byteOffset, back.length, back.buffer === buffer]).toEqual([8, 5, false]); // a clone, as a worker gets
    const direct = unpackArrays(packed) as Float32Array;
    direct[2] = 7;
    expect(x[2]).toBe(7); // the same memory
  });

  it("walks plain objects and arrays, keeps every kind of view, and leaves everything else alone", () => {
    const buffer = shared(256);
    const a = new Float64Array(buffer, 0, 4),
      b = new Int32Array(buffer, 32, 3),
      c = new Uint8Array(buffer, 100, 9);
    const unshared = new Float32Array([1, 2, 3]);
    const args = { a, list: [b, 3, "s"], nested: { c, rowBias: unshared, relu: true, none: null } };
    const packed = packArrays(args) as { a: unknown; list: unknown[]; nested: { c: unknown; rowBias: unknown } };
    expect(ArrayBuffer.isView(packed.a)).toBe(false);
    expect(ArrayBuffer.isView(packed.list[0])).toBe(false);
    expect(ArrayBuffer.isView(packed.nested.c)).toBe(false);
    expect(packed.nested.rowBias).toBe(unshared); // ordinary memory is posted as it is (a copy)
    const back = unpackArrays(packed) as typeof args;
    expect(back.a).toBeInstanceOf(Float64Array);
    expect(back.list[0]).toBeInstanceOf(Int32Array);
    expect(back.nested.c).toBeInstanceOf(Uint8Array);
    expect([back.list[1], back.list[2], back.nested.relu, back.nested.none]).toEqual([3, "s", true, null]);
    expect([back.nested.c.byteOffset, back.nested.c.length, back.nested.c.buffer]).toEqual([100, 9, buffer]);
  });
});
