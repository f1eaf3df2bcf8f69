// Byte-level mutations of real files, as fast-check arbitraries: each draws a description of
// the damage (so a failing case shrinks to a small, readable one) and applies it to a copy.
//
//   truncate   cut the file at some position
//   flip       overwrite a few bytes with random values
//   splice     copy a chunk of the file over another place (duplicated or misplaced structure)
//   insert     put random bytes in the middle (every later offset shifts)
//   varint     write a long or huge varint (protobuf lengths, tags, dims): 0xff… then a last byte
//   inflate    write a big-endian 0x7fffffff-ish number (PNG/JPEG sizes and lengths)

import fc from "fast-check";

export type Mutation =
  | { kind: "truncate"; at: number }
  | { kind: "flip"; at: number[]; values: number[] }
  | { kind: "splice"; from: number; to: number; length: number }
  | { kind: "insert"; at: number; bytes: number[] }
  | { kind: "varint"; at: number; continuation: number; last: number }
  | { kind: "inflate"; at: number; value: number; width: 2 | 4 };

/**
 * Positions are fractions of the file length, so one arbitrary serves files of any size. (Not
 * fc.double, nor a biased integer: their values crowd near 0, putting every mutation in the first bytes.)
 */
const fraction = (max: number): fc.Arbitrary<number> => fc.noBias(fc.integer({ min: 0, max: 999_999 })).map((i) => (i / 1e6) * max);
const position = fraction(1);

/** Positions near the start, where headers, lengths and dims live, are chosen more often. */
const headerPosition = fc.oneof(position, fraction(0.02));

export const mutationArb: fc.Arbitrary<Mutation[]> = fc
  .array(
    fc.oneof(
      fc.record({ kind: fc.constant("truncate" as const), at: position }),
      fc.record({
        kind: fc.constant("flip" as const),
        at: fc.array(headerPosition, { minLength: 1, maxLength: 4 }),
        values: fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 4, maxLength: 4 }),
      }),
      fc.record({ kind: fc.constant("splice" as const), from: position, to: headerPosition, length: fc.integer({ min: 1, max: 64 }) }),
      fc.record({
        kind: fc.constant("insert" as const),
        at: headerPosition,
        bytes: fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 1, maxLength: 16 }),
      }),
      fc.record({
        kind: fc.constant("varint" as const),
        at: headerPosition,
        continuation: fc.integer({ min: 1, max: 10 }),
        last: fc.integer({ min: 0, max: 127 }),
      }),
      fc.record({
        kind: fc.constant("inflate" as const),
        at: headerPosition,
        value: fc.oneof(fc.constant(0x7fffffff), fc.constant(0xffffffff), fc.constant(0xffff), fc.integer({ min: 0, max: 0xffffffff })),
        width: fc.constantFrom(2 as const, 4 as const),
      }),
    ),
    { minLength: 1, maxLength: 3 },
  )
  .map((ms) => ms.map((m) => m as Mutation));

/**
 * Applies the mutations in order to a copy of `base`, leaving its first `keep` bytes alone (a
 * file signature, so that most cases get past "not an image" into the decoder proper).
 */
export function mutate(base: Uint8Array, mutations: readonly Mutation[], keep = 0): Uint8Array {
  let b: Uint8Array = base.slice();
  const at = (f: number): number => Math.min(b.length, keep + Math.floor(f * Math.max(0, b.length - keep)));
  for (const m of mutations) {
    switch (m.kind) {
      case "truncate":
        b = b.slice(0, at(m.at));
        break;
      case "flip":
        m.at.forEach((f, i) => {
          if (b.length > 0) b[Math.min(b.length - 1, at(f))] = m.values[i]!;
        });
        break;
      case "splice": {
        const from = at(m.from),
          to = at(m.to);
        b.set(b.slice(from, from + Math.min(m.length, b.length - to)), to);
        break;
      }
      case "insert":
        b = concatBytes(b.subarray(0, at(m.at)), Uint8Array.from(m.bytes), b.subarray(at(m.at)));
        break;
      case "varint": {
        const bytes = [...Array<number>(m.continuation).fill(0xff), m.last];
        b = concatBytes(b.subarray(0, at(m.at)), Uint8Array.from(bytes), b.subarray(Math.min(b.length, at(m.at) + bytes.length)));
        break;
      }
      case "inflate": {
        const bytes =
          m.width === 4
            ? [m.value >>> 24, (m.value >>> 16) & 255, (m.value >>> 8) & 255, m.value & 255]
            : [(m.value >>> 8) & 255, m.value & 255];
        const p = at(m.at);
        bytes.forEach((v, i) => {
          if (p + i < b.length) b[p + i] = v;
        });
        break;
      }
    }
  }
  return b;
}

function concatBytes(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}
