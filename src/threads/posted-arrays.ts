// How a job's arrays travel to a worker: as the SharedArrayBuffer they view, an offset and a
// length, rebuilt into a view on the other side — not as the typed array itself.
//
// Both forms share the memory: posting a SharedArrayBuffer, or a typed array over one, hands the
// worker the same bytes, never a copy. But they cost differently where the message is cloned in
// JavaScript. Deno's node:worker_threads walks a posted typed array's elements, so posting a
// view costs time in proportion to its buffer (measured on Deno 2.9.6: 23 ms for 1 MB, 327 ms
// for 16 MB, per message), while the SharedArrayBuffer itself posts in constant time (0.02 ms at
// any size). A DeepDream step posts a few hundred jobs over buffers of megabytes, so there a
// 2-thread step took 20× as long as a 1-thread one. In Node and browsers both forms cost the same
// few microseconds, so one form serves every runtime.
//
//     pack:   Float32Array(sab, 4096, 1000)  →  { view: "Float32Array", buffer: sab, byteOffset: 4096, length: 1000 }
//     unpack: the record                     →  new Float32Array(sab, 4096, 1000)
//
// Only views over shared memory are packed. A view over ordinary memory (a small read-only
// argument, see `allShared` in ./pool.ts) is posted as it is and arrives as a copy, as before.
// The walk goes into plain objects and arrays, which is all a job's arguments are.

type View = Float32Array | Float64Array | Int8Array | Uint8Array | Uint8ClampedArray | Int16Array | Uint16Array | Int32Array | Uint32Array;
type ViewConstructor = new (buffer: SharedArrayBuffer, byteOffset: number, length: number) => View;

/** The typed arrays a job may hold, by the name the packed record carries. */
const VIEWS: Record<string, ViewConstructor> = {
  Float32Array,
  Float64Array,
  Int8Array,
  Uint8Array,
  Uint8ClampedArray,
  Int16Array,
  Uint16Array,
  Int32Array,
  Uint32Array,
};

/** A typed array over shared memory, as posted. */
export interface PackedView {
  view: string;
  buffer: SharedArrayBuffer;
  byteOffset: number;
  length: number;
}

function isPackedView(value: object): value is PackedView {
  return "view" in value && "buffer" in value && value.buffer instanceof SharedArrayBuffer;
}

/** `value` with every typed array over shared memory, at any depth of plain objects and arrays, replaced by its record. */
export function packArrays(value: unknown): unknown {
  if (ArrayBuffer.isView(value)) {
    const name = value.constructor.name;
    if (!(value.buffer instanceof SharedArrayBuffer) || !(name in VIEWS)) return value;
    const length = (value as View).length;
    return { view: name, buffer: value.buffer, byteOffset: value.byteOffset, length } satisfies PackedView;
  }
  if (Array.isArray(value)) return value.map(packArrays);
  if (value !== null && typeof value === "object" && Object.getPrototypeOf(value) === Object.prototype) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, packArrays(v)]));
  }
  return value;
}

/** The inverse of `packArrays`: every record rebuilt into a view of the same memory. */
export function unpackArrays(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(unpackArrays);
  if (value !== null && typeof value === "object" && !ArrayBuffer.isView(value) && Object.getPrototypeOf(value) === Object.prototype) {
    if (isPackedView(value)) {
      const View = VIEWS[value.view];
      if (View === undefined) throw new Error(`a job's argument is a packed ${value.view}, which no worker can rebuild`);
      return new View(value.buffer, value.byteOffset, value.length);
    }
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, unpackArrays(v)]));
  }
  return value;
}
