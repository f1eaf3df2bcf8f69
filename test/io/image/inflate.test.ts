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
      fc.property(
        fc.uint8Array({ maxLength: 3000 }),
        fc.integer({ min: 0, max: 9 }),
        fc.constantFrom(...Object.values(STRATEGIES)),
        (data, level, strategy) => {
          expectSame(inflateZlib(deflateSync(data, { level, strategy }), { maxOutput: data.length }), data);
        },
      ),
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

describe("preset dictionaries (FDICT)", () => {
  const text = wordSoup(30_000);
  const dictionaries: [string, Uint8Array][] = [
    ["a short one", new TextEncoder().encode("inception octave dream layer ")],
    ["one longer than the 32 KiB window (only its tail counts)", wordSoup(50_000)],
  ];
  it.each(dictionaries)("round-trips deflateSync with %s, at every level", (_, dictionary) => {
    for (let level = 0; level <= 9; level++) {
      const packed = deflateSync(text, { level, dictionary });
      expect(packed[1]! & 0x20).toBe(0x20); // FDICT is set
      expectSame(inflateZlib(packed, { maxOutput: text.length, dictionary }), text);
      expectSame(inflateRaw(deflateRawSync(text, { level, dictionary }), { maxOutput: text.length, dictionary }), text);
    }
  });
  it("the dictionary really is used: matches reach back into it", () => {
    const dictionary = noise(1000);
    const data = dictionary.slice(200, 900); // all of it a copy from the dictionary
    const packed = deflateSync(data, { dictionary });
    expect(packed.length).toBeLessThan(50);
    expectSame(inflateZlib(packed, { maxOutput: 700, dictionary }), data);
    expect(inflateError(() => inflateRaw(deflateRawSync(data, { dictionary }), { maxOutput: 700 })).problem).toMatch(
      /reaches \d+ bytes back, before the start/,
    );
  });
  it("a missing or wrong dictionary is named by its Adler-32", () => {
    const [, dictionary] = dictionaries[0]!;
    const packed = deflateSync(text, { dictionary });
    const id = adler32(dictionary).toString(16).padStart(8, "0");
    expect(inflateError(() => inflateZlib(packed, { maxOutput: 1e6 })).problem).toBe(
      `the stream needs a preset dictionary (Adler-32 0x${id}), and none was given`,
    );
    expect(inflateError(() => inflateZlib(packed, { maxOutput: 1e6, dictionary: Uint8Array.of(1) })).problem).toBe(
      `the stream needs the preset dictionary 0x${id}, not the one given (0x00020002)`,
    );
  });
  it("a dictionary given for a stream that asks for none is not used, as in zlib", () => {
    expectSame(inflateZlib(deflateSync(text), { maxOutput: text.length, dictionary: Uint8Array.of(1, 2, 3) }), text);
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

/** Writes a DEFLATE stream by hand: integers least significant bit first, Huffman codes top bit first. */
class BitWriter {
  private bytes: number[] = [];
  private bit = 0;
  bits(value: number, n: number): this {
    for (let i = 0; i < n; i++, this.bit++) {
      if (this.bit % 8 === 0) this.bytes.push(0);
      this.bytes[this.bytes.length - 1]! |= ((value >> i) & 1) << (this.bit % 8);
    }
    return this;
  }
  code(code: number, length: number): this {
    for (let i = length - 1; i >= 0; i--) this.bits((code >> i) & 1, 1);
    return this;
  }
  done(): Uint8Array {
    return Uint8Array.from(this.bytes);
  }
}

/**
 * A final dynamic block writing "aaaa": literal 'a', then a match of length 3 at distance 1.
 * Literal/length code: 'a' 1 bit (0), 256 and 257 2 bits (10, 11); distance code: symbol 0 alone,
 * in 1 bit — incomplete, as RFC 1951 allows for one distance code. The code lengths are sent with
 * a code-length code of 18 (1 bit, 0), 1 and 2 (2 bits, 10 and 11); `clLengths` overrides its
 * lengths for symbols 18, 1, 2.
 */
function handMadeBlock(clLengths = [1, 2, 2]): Uint8Array {
  const w = new BitWriter().bits(1, 1).bits(2, 2); // BFINAL, BTYPE = dynamic
  w.bits(1, 5)
    .bits(0, 5)
    .bits(18 - 4, 4); // HLIT = 258, HDIST = 1, HCLEN = 18
  const order = [16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1];
  const byCl: Record<number, number> = { 18: clLengths[0]!, 1: clLengths[1]!, 2: clLengths[2]! };
  for (const symbol of order) w.bits(byCl[symbol] ?? 0, 3);
  const [zeros, one, two] = [() => w.code(0, 1), () => w.code(0b10, 2), () => w.code(0b11, 2)];
  zeros().bits(97 - 11, 7); // symbols 0–96 unused
  one(); // 'a' (97): 1 bit
  zeros().bits(138 - 11, 7); // 98–235
  zeros().bits(20 - 11, 7); // 236–255
  two(); // 256: 2 bits
  two(); // 257: 2 bits
  one(); // distance symbol 0: 1 bit
  w.code(0, 1).code(0b11, 2).code(0, 1).code(0b10, 2); // 'a', length 3, distance 1, end of block
  return w.done();
}

describe("inflateRaw: code-length rules, as zlib has them", () => {
  it("a lone 1-bit distance code is allowed (and zlib agrees)", () => {
    const block = handMadeBlock();
    expect(new TextDecoder().decode(inflateRaw(block, { maxOutput: 10 }))).toBe("aaaa");
    expect(new TextDecoder().decode(inflateRawSync(block))).toBe("aaaa");
  });

  it("an over-subscribed code-length code is refused (and by zlib)", () => {
    const block = handMadeBlock([1, 1, 1]);
    expect(inflateError(() => inflateRaw(block, { maxOutput: 10 })).problem).toBe("the code-length code lengths are over-subscribed");
    expect(() => inflateRawSync(block)).toThrow();
  });

  it("an incomplete code-length code is refused (and by zlib)", () => {
    const block = handMadeBlock([1, 2, 3]);
    expect(inflateError(() => inflateRaw(block, { maxOutput: 10 })).problem).toBe("the code-length code lengths are incomplete");
    expect(() => inflateRawSync(block)).toThrow();
  });
});

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

  it("a bad header: method, window, check bits", () => {
    expect(inflateError(() => inflateZlib(Uint8Array.of(0x77, 0x01, 0, 0), { maxOutput: 9 })).problem).toBe(
      "zlib compression method 7 is not deflate (8)",
    );
    expect(inflateError(() => inflateZlib(Uint8Array.of(0x88, 0x1c, 0, 0), { maxOutput: 9 })).problem).toMatch(/window size 2\^16/);
    expect(inflateError(() => inflateZlib(Uint8Array.of(0x78, 0x9d, 0, 0), { maxOutput: 9 })).problem).toMatch(/header check fails/);
  });

  it("a wrong Adler-32", () => {
    const bad = Uint8Array.from(packed);
    bad[bad.length - 1]! ^= 1;
    expect(inflateError(() => inflateZlib(bad, { maxOutput: 1e6 })).problem).toMatch(
      /^the Adler-32 checksum 0x[0-9a-f]{8} does not match the data's 0x[0-9a-f]{8}$/,
    );
  });

  it("block type 3, a stored length that is not its complement, a match before the start", () => {
    // Raw DEFLATE, bits LSB first: BFINAL=1, BTYPE=3.
    expect(inflateError(() => inflateRaw(Uint8Array.of(0b111), { maxOutput: 9 })).problem).toMatch(/^block type 3/);
    expect(inflateError(() => inflateRaw(Uint8Array.of(0b001, 5, 0, 0xfa, 0xf0, 1, 2, 3, 4, 5), { maxOutput: 9 })).problem).toMatch(
      /stored block's length 5 does not match its complement 61690/,
    );
    // Fixed block: length symbol 257 (7-bit code 0000001) then distance symbol 0 (00000), with no
    // output yet: a distance of 1 reaches before the start.
    expect(inflateError(() => inflateRaw(Uint8Array.of(0b0000_0011, 0b0000_0010, 0, 0), { maxOutput: 9 })).problem).toMatch(
      /reaches 1 bytes back, before the start/,
    );
  });

  it("more output than maxOutput: refused as soon as it passes the bound", () => {
    const zeros = deflateSync(new Uint8Array(10_000_000)); // ~10 KB that inflate to 10 MB
    expect(zeros.length).toBeLessThan(20_000);
    expect(inflateError(() => inflateZlib(zeros, { maxOutput: 1_000_000 })).problem).toBe(
      "it inflates to more than the 1000000 bytes expected",
    );
    expect(inflateZlib(deflateSync(data), { maxOutput: data.length }).length).toBe(data.length);
    expect(inflateError(() => inflateZlib(deflateSync(data), { maxOutput: data.length - 1 })).problem).toMatch(/more than the 2999 bytes/);
  });

  it("damaged streams: ours fails exactly when zlib does, with an InflateError, and agrees when both succeed (property)", () => {
    // Plain Uint8Arrays: mutate() copies with slice(), which on a Buffer would be a view.
    const bases = [
      deflateRawSync(wordSoup(4000)),
      deflateRawSync(noise(300)),
      deflateRawSync(runs(9000), { strategy: constants.Z_RLE }),
      deflateRawSync(wordSoup(900), { strategy: constants.Z_FIXED }),
    ].map((b) => Uint8Array.from(b));
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
        const bytes = mutate(Uint8Array.from(packed), mutations, 2);
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
