// inflate.ts against node:zlib (the reference implementation, zlib itself): round trips at every
// level and strategy, and agreement with zlib on damaged streams, where ours must fail with an
// InflateError and nothing else.
import { constants, deflateRawSync, deflateSync, inflateRawSync, inflateSync } from "node:zlib";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { InflateError } from "../../../src/errors.js";
import { adler32, inflateRaw, inflateZlib } from "../../../src/io/image/inflate.js";
import { mulberry32 } from "../../../src/tensor/random.js";
import { mutate, mutationArb } from "../../fuzz/mutate.js";

const rand = mulberry32(1950);

/** Words drawn from a small dictionary: text-like data, full of repeats at every distance. */
function wordSoup(n: number): Uint8Array {
  const words = ["deep", "dream", "inception", "octave", "jitter", " ", " ", "\n", "layer", "mixed4c", "gradient", "0123456789"];
  const out = new Uint8Array(n);
  for (let i = 0; i < n; ) for (const c of words[Math.floor(rand() * words.length)]!) if (i < n) out[i++] = c.charCodeAt(0);
  return out;
}
const noise = (n: number): Uint8Array => Uint8Array.from({ length: n }, () => Math.floor(rand() * 256));
/** Long runs of few values: RLE's case, distance-1 matches of 258. */
const runs = (n: number): Uint8Array => Uint8Array.from({ length: n }, (_, i) => (Math.floor(i / 700) % 3) * 85);
/** A smooth 16-bit-ish ramp, like PNG scanlines after filtering. */
const ramp = (n: number): Uint8Array => Uint8Array.from({ length: n }, (_, i) => (i * 7 + (i >> 9)) & 0xff);

const INPUTS: [name: string, data: Uint8Array][] = [
  ["empty", new Uint8Array(0)],
  ["one byte", Uint8Array.of(42)],
  ["7 bytes of noise", noise(7)],
  ["65 words", wordSoup(65)],
  ["20 KB of words", wordSoup(20_000)],
  ["70 KB of noise (stored blocks > 64 KiB at level 0)", noise(70_000)],
  ["150 KB of runs", runs(150_000)],
  ["40 KB ramp", ramp(40_000)],
];
const STRATEGIES = {
  default: constants.Z_DEFAULT_STRATEGY,
  filtered: constants.Z_FILTERED,
  "Huffman only": constants.Z_HUFFMAN_ONLY,
  RLE: constants.Z_RLE,
  fixed: constants.Z_FIXED,
};
const expectSame = (actual: Uint8Array, expected: Uint8Array): void => {
  expect(actual.length).toBe(expected.length);
  expect(Buffer.from(actual).equals(Buffer.from(expected))).toBe(true);
};

describe("inflateZlib: round trips through node:zlib's deflateSync", () => {
  for (const [name, data] of INPUTS) {
    it(`${name}: every level 0–9 and strategy`, () => {
      for (let level = 0; level <= 9; level++) {
        for (const strategy of Object.values(STRATEGIES)) {
          const packed = deflateSync(data, { level, strategy });
          expectSame(inflateZlib(packed, { maxOutput: data.length }), data);
        }
      }
    });
  }

  it("every window size and memory level (short distances, small blocks)", () => {
    const data = wordSoup(50_000);
    for (let windowBits = 9; windowBits <= 15; windowBits++) {
      for (const memLevel of [1, 5, 9]) {
        expectSame(inflateZlib(deflateSync(data, { windowBits, memLevel }), { maxOutput: 1e6 }), data);
      }
    }
  });

  it("a stored block really is longer than 64 KiB in total, split as the format requires", () => {
    const data = noise(200_000);
    const packed = deflateSync(data, { level: 0 });
    expect(packed.length).toBeGreaterThan(200_000); // stored: no compression, 5 bytes per block
    expectSame(inflateZlib(packed, { maxOutput: data.length }), data);
  });

  it("random data of random sizes (property)", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 3000 }), fc.integer({ min: 0, max: 9 }), fc.constantFrom(...Object.values(STRATEGIES)), (data, level, strategy) => {
        expectSame(inflateZlib(deflateSync(data, { level, strategy }), { maxOutput: data.length }), data);
      }),
      { numRuns: 200, seed: 1951 },
    );
  });

  it("returns a fresh array of exactly the output's length", () => {
    const data = wordSoup(5000);
    const out = inflateZlib(deflateSync(data), { maxOutput: 1e9 });
    expect(out.length).toBe(5000);
    expect(out.buffer.byteLength).toBe(5000);
  });
});

describe("inflateRaw: DEFLATE without the zlib wrapper", () => {
  it("round-trips deflateRawSync at every level and strategy", () => {
    for (const [, data] of INPUTS) {
      for (const level of [0, 1, 6, 9]) {
        for (const strategy of Object.values(STRATEGIES)) {
          expectSame(inflateRaw(deflateRawSync(data, { level, strategy }), { maxOutput: data.length }), data);
        }
      }
    }
  });
});

describe("adler32", () => {
  it("is 1 for nothing and matches the RFC's definition", () => {
    expect(adler32(new Uint8Array(0))).toBe(1);
    // "Wikipedia" is the usual worked example: 0x11E60398.
    expect(adler32(new TextEncoder().encode("Wikipedia"))).toBe(0x11e60398);
  });
  it("agrees with the checksum zlib writes, past the 5552-byte modulo interval", () => {
    for (const n of [5551, 5552, 5553, 100_000]) {
      const data = Uint8Array.from({ length: n }, () => 255); // the worst case for overflow
      const packed = deflateSync(data);
      expect(adler32(data)).toBe(Buffer.from(packed).readUInt32BE(packed.length - 4));
    }
  });
});

/** The InflateError a call throws (failing the test if it throws anything else, or nothing). */
function inflateError(call: () => unknown): InflateError {
  try {
    call();
  } catch (e) {
    expect(e).toBeInstanceOf(InflateError);
    return e as InflateError;
  }
  throw new Error("expected an InflateError, but the call succeeded");
}

describe("inflateZlib: bad streams fail with a clear InflateError", () => {
  const data = wordSoup(3000);
  const packed = deflateSync(data);

  it("the message names the problem and the fix, in one line", () => {
    const e = inflateError(() => inflateZlib(packed.subarray(0, 100), { maxOutput: 1e6 }));
    expect(e.message).toBe(`compressed data is corrupt or truncated: ${e.problem}; get an undamaged copy of it`);
    expect(e.problem).toMatch(/^the stream ends in the middle of a block/);
  });

  it("truncated at every length", () => {
    for (let n = 0; n < packed.length; n++) inflateError(() => inflateZlib(packed.subarray(0, n), { maxOutput: 1e6 }));
    const empty = deflateSync(new Uint8Array(0));
    for (let n = 0; n < empty.length; n++) inflateError(() => inflateZlib(empty.subarray(0, n), { maxOutput: 0 }));
  });

  it("a bad header: method, window, check bits, preset dictionary", () => {
    expect(inflateError(() => inflateZlib(Uint8Array.of(0x77, 0x01, 0, 0), { maxOutput: 9 })).problem).toBe("zlib compression method 7 is not deflate (8)");
    expect(inflateError(() => inflateZlib(Uint8Array.of(0x88, 0x1c, 0, 0), { maxOutput: 9 })).problem).toMatch(/window size 2\^16/);
    expect(inflateError(() => inflateZlib(Uint8Array.of(0x78, 0x9d, 0, 0), { maxOutput: 9 })).problem).toMatch(/header check fails/);
    const withDictionary = deflateSync(data, { dictionary: Buffer.from("dream dream") });
    expect(inflateError(() => inflateZlib(withDictionary, { maxOutput: 1e6 })).problem).toMatch(/preset dictionary/);
  });

  it("a wrong Adler-32", () => {
    const bad = Uint8Array.from(packed);
    bad[bad.length - 1]! ^= 1;
    expect(inflateError(() => inflateZlib(bad, { maxOutput: 1e6 })).problem).toMatch(/^the Adler-32 checksum 0x[0-9a-f]{8} does not match the data's 0x[0-9a-f]{8}$/);
  });

  it("block type 3, a stored length that is not its complement, a match before the start", () => {
    // Raw DEFLATE, bits LSB first: BFINAL=1, BTYPE=3.
    expect(inflateError(() => inflateRaw(Uint8Array.of(0b111), { maxOutput: 9 })).problem).toMatch(/^block type 3/);
    expect(inflateError(() => inflateRaw(Uint8Array.of(0b001, 5, 0, 0xfa, 0xf0, 1, 2, 3, 4, 5), { maxOutput: 9 })).problem).toMatch(
      /stored block's length 5 does not match its complement 61690/,
    );
    // Fixed block: length symbol 257 (7-bit code 0000001) then distance symbol 0 (00000), with no
    // output yet: a distance of 1 reaches before the start.
    expect(inflateError(() => inflateRaw(Uint8Array.of(0b0000_0011, 0b0000_0010, 0, 0), { maxOutput: 9 })).problem).toMatch(/reaches 1 bytes back, before the start/);
  });

  it("more output than maxOutput: refused as soon as it passes the bound", () => {
    const zeros = deflateSync(new Uint8Array(10_000_000)); // ~10 KB that inflate to 10 MB
    expect(zeros.length).toBeLessThan(20_000);
    expect(inflateError(() => inflateZlib(zeros, { maxOutput: 1_000_000 })).problem).toBe("it inflates to more than the 1000000 bytes expected");
    expect(inflateZlib(deflateSync(data), { maxOutput: data.length }).length).toBe(data.length);
    expect(inflateError(() => inflateZlib(deflateSync(data), { maxOutput: data.length - 1 })).problem).toMatch(/more than the 2999 bytes/);
  });

  it("damaged streams: ours fails exactly when zlib does, with an InflateError, and agrees when both succeed (property)", () => {
    const bases = [deflateRawSync(wordSoup(4000)), deflateRawSync(noise(300)), deflateRawSync(runs(9000), { strategy: constants.Z_RLE }), deflateRawSync(wordSoup(900), { strategy: constants.Z_FIXED })];
    fc.assert(
      fc.property(fc.integer({ min: 0, max: bases.length - 1 }), mutationArb, (which, mutations) => {
        const bytes = mutate(bases[which]!, mutations);
        let reference: Uint8Array | null = null;
        try {
          reference = inflateRawSync(bytes);
        } catch {
          reference = null;
        }
        let ours: Uint8Array | null = null;
        try {
          ours = inflateRaw(bytes, { maxOutput: 1 << 24 });
        } catch (e) {
          if (!(e instanceof InflateError)) throw e;
        }
        expect(ours === null).toBe(reference === null);
        if (ours !== null && reference !== null) expectSame(ours, reference);
      }),
      { numRuns: 400, seed: 1952 },
    );
  });

  it("damaged zlib streams (header kept): an InflateError or the right data, never anything else (property)", () => {
    fc.assert(
      fc.property(mutationArb, (mutations) => {
        const bytes = mutate(packed, mutations, 2);
        try {
          expectSame(inflateZlib(bytes, { maxOutput: 1 << 24 }), inflateSync(bytes));
        } catch (e) {
          if (!(e instanceof InflateError)) throw e;
          expect(() => inflateSync(bytes)).toThrow();
        }
      }),
      { numRuns: 300, seed: 1953 },
    );
  });
});
