// zlib (RFC 1950) and DEFLATE (RFC 1951) decompression: how a PNG's image data is packed.
//
// DEFLATE is LZ77 plus Huffman coding. The stream is a run of blocks, each with a 3-bit header
// (BFINAL: last block?, BTYPE) and one of three bodies:
//   stored  (0) — byte-aligned LEN, NLEN = ~LEN (16 bits each), then LEN raw bytes (≤ 65535);
//   fixed   (1) — symbols in the code table the RFC fixes (FIXED_* below);
//   dynamic (2) — the block sends its own code tables first, themselves Huffman coded.
// A coded body is symbols of the literal/length alphabet: 0–255 a literal byte, 256 the end of
// the block, 257–285 a match length 3–258 (base + extra bits), which is followed by a distance
// symbol 0–29 (distance 1–32768, base + extra bits). A match copies `length` bytes starting
// `distance` back in the output; the two may overlap (distance 1, length 9 repeats one byte).
//
// Bits: bytes are read least significant bit first, and header fields and extra bits are
// integers in that order; Huffman codes, though, are sent most significant bit first.
//
// Canonical Huffman codes: a code is sent as its code lengths alone (0 = symbol unused). Codes
// of one length are consecutive integers in symbol order, and each length's first code follows
// the previous length's last: first(L) = (first(L−1) + count(L−1)) << 1. So `count` per length
// and the symbols sorted by (length, symbol) are the whole table. Decoding: one lookup in a
// table of the next FAST_BITS bits answers every code that short (almost all of them); longer
// ones are decoded a bit at a time by the rule above.
//
// zlib wraps the stream: CMF (method 8 = deflate, window size), FLG (check bits making
// CMF·256 + FLG a multiple of 31; FDICT: a preset dictionary, named by its Adler-32, follows),
// the DEFLATE stream, and the Adler-32 of the output, big-endian: a = 1 + Σ bytes, b = Σ a
// (mod 65521), checksum b·65536 + a. A preset dictionary is bytes that matches may reach back
// into as if they preceded the output (PNG never uses one; other zlib streams may).
//
// Untrusted input: the caller states `maxOutput`, the most it accepts (a PNG knows its exact
// size from its header). The output buffer starts small and doubles as the stream really
// produces data, up to that bound, so what a header claims allocates nothing; every step of
// every loop consumes input or produces output, so the work is bounded by their sizes; and
// every failure is an InflateError saying what is wrong and at which byte.

import { InflateError } from "../../errors.js";

/** How much a zlib or DEFLATE stream may inflate to, and what it may refer back to. */
export interface InflateOptions {
  /** The most bytes of output accepted; a stream that makes more is refused. */
  maxOutput: number;
  /** The preset dictionary the stream was compressed with, if it was (not part of the output). */
  dictionary?: Uint8Array;
}

/** Inflates a zlib stream (RFC 1950), checking its header and its Adler-32 checksum. */
export function inflateZlib(bytes: Uint8Array, { maxOutput, dictionary }: InflateOptions): Uint8Array {
  if (bytes.length < 2) throw new InflateError(`the zlib header is cut short (${bytes.length} bytes)`);
  const cmf = bytes[0]!;
  const flg = bytes[1]!;
  if ((cmf & 0x0f) !== 8) throw new InflateError(`zlib compression method ${cmf & 0x0f} is not deflate (8)`);
  if (cmf >> 4 > 7) throw new InflateError(`zlib window size 2^${(cmf >> 4) + 8} is more than the 32 KiB deflate allows`);
  if ((cmf * 256 + flg) % 31 !== 0) throw new InflateError(`the zlib header check fails (bytes ${cmf}, ${flg})`);
  let preset: Uint8Array | undefined; // zlib, too, uses a dictionary only when the stream asks for one
  if (flg & 0x20) {
    if (bytes.length < 6) throw new InflateError(`the zlib header is cut short (${bytes.length} bytes)`);
    const id = readUint32(bytes, 2);
    if (dictionary === undefined) throw new InflateError(`the stream needs a preset dictionary (Adler-32 ${hex(id)}), and none was given`);
    if (adler32(dictionary) !== id)
      throw new InflateError(`the stream needs the preset dictionary ${hex(id)}, not the one given (${hex(adler32(dictionary))})`);
    preset = dictionary;
  }
  const reader = new BitReader(bytes, preset ? 6 : 2);
  const out = inflateBlocks(reader, maxOutput, preset);
  reader.alignToByte();
  const at = reader.pos;
  if (at + 4 > bytes.length) throw new InflateError(`the stream ends before its Adler-32 checksum (at byte ${at})`);
  const stored = readUint32(bytes, at);
  const actual = adler32(out);
  if (stored !== actual) {
    throw new InflateError(`the Adler-32 checksum ${hex(stored)} does not match the data's ${hex(actual)}`);
  }
  return out; // bytes after the checksum are not ours to judge: zlib, too, stops here
}

/** Inflates a raw DEFLATE stream (RFC 1951): no header, no checksum. */
export function inflateRaw(bytes: Uint8Array, { maxOutput, dictionary }: InflateOptions): Uint8Array {
  return inflateBlocks(new BitReader(bytes, 0), maxOutput, dictionary);
}

/**
 * Adler-32 (RFC 1950 §8.2) of `data`: a = 1 + Σ bytes, b = Σ of every a, both mod 65521.
 * The modulo is taken every 5552 bytes, zlib's NMAX: the most bytes before b could pass 2³².
 */
export function adler32(data: Uint8Array): number {
  let a = 1;
  let b = 0;
  for (let i = 0; i < data.length; ) {
    const end = Math.min(i + 5552, data.length);
    for (; i < end; i++) {
      a += data[i]!;
      b += a;
    }
    a %= 65521;
    b %= 65521;
  }
  return b * 65536 + a;
}

const hex = (n: number): string => `0x${n.toString(16).padStart(8, "0")}`;
const readUint32 = (b: Uint8Array, at: number): number => ((b[at]! << 24) | (b[at + 1]! << 16) | (b[at + 2]! << 8) | b[at + 3]!) >>> 0;

// --- reading bits ------------------------------------------------------------------------------

/**
 * The stream as bits, least significant first. `bits` holds `count` buffered bits; past the end
 * of the input it is filled with zero bytes, so that a decoder may look ahead freely, and taking
 * any of those padding bits is the error "truncated".
 */
class BitReader {
  bits = 0;
  count = 0;
  constructor(
    readonly bytes: Uint8Array,
    public pos: number,
  ) {}

  /** Buffers at least 25 bits (a Huffman code is at most 15, extra bits at most 13). */
  fill(): void {
    while (this.count <= 24) {
      this.bits |= (this.bytes[this.pos++] ?? 0) << this.count;
      this.count += 8;
    }
  }

  /** Consumes `n` buffered bits; fails if that reaches into the padding past the end. */
  drop(n: number): void {
    this.bits >>>= n;
    this.count -= n;
    if (this.pos > this.bytes.length && this.count < 8 * (this.pos - this.bytes.length)) {
      throw new InflateError(`the stream ends in the middle of a block (${this.bytes.length} bytes)`);
    }
  }

  /** The next `n` bits (0–16) as an integer, least significant first. */
  take(n: number): number {
    if (this.count < n) this.fill();
    const value = this.bits & ((1 << n) - 1);
    this.drop(n);
    return value;
  }

  /** Skips to the next byte boundary and hands whole buffered bytes back to the input. */
  alignToByte(): void {
    this.drop(this.count & 7);
    this.pos -= this.count >> 3;
    this.bits = 0;
    this.count = 0;
  }

  /** The byte the next unread bit is in, for error messages. */
  byteOffset(): number {
    return this.pos - (this.count >> 3);
  }

  /** Whether the reader has looked past the end of the input. */
  exhausted(): boolean {
    return this.pos > this.bytes.length;
  }
}

// --- canonical Huffman codes -------------------------------------------------------------------

const MAX_BITS = 15;
const FAST_BITS = 9;

/** A canonical Huffman code, ready to decode. */
interface Huffman {
  /** fast[next FAST_BITS bits] = length << 9 | symbol for every code of ≤ FAST_BITS bits; 0 otherwise. */
  fast: Uint16Array;
  /** count[L]: how many codes are L bits long, L = 1…15. */
  count: Uint16Array;
  /** The used symbols in canonical order: by code length, then by symbol. */
  symbols: Uint16Array;
}

/**
 * The code with these lengths (0 = symbol unused). Refuses an over-subscribed set (more codes
 * than bit patterns) and an incomplete one, except — as zlib does — a lone code of 1 bit (a
 * block with a single distance) and, outside the code-length code, no codes at all.
 */
function buildHuffman(lengths: Uint8Array, what: string, needsComplete: boolean): Huffman {
  const count = new Uint16Array(MAX_BITS + 1);
  for (const length of lengths) count[length]!++;
  count[0] = 0;
  let left = 1; // bit patterns still free at the current length
  for (let L = 1; L <= MAX_BITS; L++) {
    left = 2 * left - count[L]!;
    if (left < 0) throw new InflateError(`the ${what} code lengths are over-subscribed`);
  }
  const used = lengths.length - lengths.filter((l) => l === 0).length;
  const mayBeIncomplete = !needsComplete && (used === 0 || (used === 1 && count[1] === 1));
  if (left > 0 && !mayBeIncomplete) {
    throw new InflateError(`the ${what} code lengths are incomplete`);
  }
  // offset[L]: where the codes of length L start in `symbols`; next[L]: the next code of length L.
  const offset = new Uint16Array(MAX_BITS + 2);
  const next = new Uint16Array(MAX_BITS + 1);
  for (let L = 1; L <= MAX_BITS; L++) {
    offset[L + 1] = offset[L]! + count[L]!;
    next[L] = (next[L - 1]! + count[L - 1]!) << 1;
  }
  const symbols = new Uint16Array(used);
  const fast = new Uint16Array(1 << FAST_BITS);
  for (let symbol = 0; symbol < lengths.length; symbol++) {
    const L = lengths[symbol]!;
    if (L === 0) continue;
    symbols[offset[L]!++] = symbol;
    const code = next[L]!++;
    if (L > FAST_BITS) continue;
    // The stream sends the code's top bit first, into the low bit of what we peek: reverse it.
    let reversed = 0;
    for (let b = 0; b < L; b++) reversed |= ((code >> b) & 1) << (L - 1 - b);
    for (let j = reversed; j < fast.length; j += 1 << L) fast[j] = (L << 9) | symbol;
  }
  return { fast, count, symbols };
}

/** Reads one symbol of code `h`. */
function decodeSymbol(reader: BitReader, h: Huffman): number {
  if (reader.count < MAX_BITS) reader.fill();
  const entry = h.fast[reader.bits & ((1 << FAST_BITS) - 1)]!;
  if (entry !== 0) {
    reader.drop(entry >> 9);
    return entry & 0x1ff;
  }
  // Longer than FAST_BITS, or no code at all: walk the lengths. `code` is the bits read so far,
  // `first` the first code of length L and `index` its place in `symbols`; a code of length L
  // is one of the count[L] consecutive values from `first`.
  let code = 0;
  let first = 0;
  let index = 0;
  for (let L = 1; L <= MAX_BITS; L++) {
    code |= (reader.bits >>> (L - 1)) & 1;
    const n = h.count[L]!;
    if (code - first < n) {
      reader.drop(L);
      return h.symbols[index + code - first]!;
    }
    index += n;
    first = (first + n) << 1;
    code <<= 1;
  }
  if (reader.exhausted()) throw new InflateError(`the stream ends in the middle of a block (${reader.bytes.length} bytes)`);
  throw new InflateError(`a bit pattern at byte ${reader.byteOffset()} is not a code of the block's Huffman table`);
}

// --- the tables the RFC fixes -----------------------------------------------------------------

/**
 * Length symbols 257–284 come in groups of four per number of extra bits (0, then 1, 2, … 5),
 * each group's bases stepping by 2^extra from 3; 285 is 258 exactly (RFC 1951 §3.2.5).
 */
const LENGTH_BASE = new Uint16Array(29);
const LENGTH_EXTRA = new Uint8Array(29);
/** Distance symbols 0–29: pairs per number of extra bits (0, 0, 1, … 13), bases from 1. */
const DISTANCE_BASE = new Uint16Array(30);
const DISTANCE_EXTRA = new Uint8Array(30);
for (let i = 0, base = 3; i < 28; i++) {
  LENGTH_EXTRA[i] = i < 8 ? 0 : (i >> 2) - 1;
  LENGTH_BASE[i] = base;
  base += 1 << LENGTH_EXTRA[i]!;
}
LENGTH_BASE[28] = 258;
for (let i = 0, base = 1; i < 30; i++) {
  DISTANCE_EXTRA[i] = i < 4 ? 0 : (i >> 1) - 1;
  DISTANCE_BASE[i] = base;
  base += 1 << DISTANCE_EXTRA[i]!;
}

/** Fixed literal/length code: 0–143 in 8 bits, 144–255 in 9, 256–279 in 7, 280–287 in 8. */
const FIXED_LITERALS = buildHuffman(
  Uint8Array.from({ length: 288 }, (_, s) => (s < 144 ? 8 : s < 256 ? 9 : s < 280 ? 7 : 8)),
  "fixed literal/length",
  true,
);
/** Fixed distance code: 32 symbols in 5 bits (30 and 31 are never valid). */
const FIXED_DISTANCES = buildHuffman(new Uint8Array(32).fill(5), "fixed distance", true);

/** The order a dynamic block sends the code-length code's lengths in (rarely used last). */
const CODE_LENGTH_ORDER = [16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15];

// --- blocks ------------------------------------------------------------------------------------

/**
 * The output: a buffer that doubles as needed, up to `start + limit` bytes. Its first `start`
 * bytes are the dictionary's, for matches to reach back into; the result is what follows.
 */
class Output {
  data: Uint8Array;
  length: number;
  readonly start: number;
  constructor(
    readonly limit: number,
    initial: number,
    dictionary: Uint8Array,
  ) {
    this.start = this.length = dictionary.length;
    this.data = new Uint8Array(this.start + Math.min(limit, initial));
    this.data.set(dictionary);
  }

  /** Makes room for `n` more bytes. */
  reserve(n: number): void {
    const needed = this.length + n;
    if (needed <= this.data.length) return;
    if (needed - this.start > this.limit) throw new InflateError(`it inflates to more than the ${this.limit} bytes expected`);
    const grown = new Uint8Array(Math.min(this.start + this.limit, Math.max(needed, 2 * this.data.length)));
    grown.set(this.data.subarray(0, this.length));
    this.data = grown;
  }
}

function inflateBlocks(reader: BitReader, maxOutput: number, dictionary: Uint8Array = new Uint8Array(0)): Uint8Array {
  if (!(maxOutput >= 0)) throw new RangeError(`maxOutput ${maxOutput} is not a byte count`); // a huge one is only a bound
  // A start proportional to the input: a DEFLATE stream inflates to at most ~1032 times its size,
  // and typical data to a few times, so a few doublings reach the real size. Of a dictionary,
  // only the last 32 KiB can be reached.
  const out = new Output(maxOutput, Math.max(1024, 4 * reader.bytes.length), dictionary.subarray(-32768));
  let final: number;
  do {
    final = reader.take(1);
    const type = reader.take(2);
    if (type === 0) storedBlock(reader, out);
    else if (type === 1) codedBlock(reader, out, FIXED_LITERALS, FIXED_DISTANCES);
    else if (type === 2) {
      const { literals, distances } = dynamicTables(reader);
      codedBlock(reader, out, literals, distances);
    } else throw new InflateError(`block type 3 (reserved) at byte ${reader.byteOffset()}`);
  } while (final === 0);
  return out.start === 0 && out.length === out.data.length ? out.data : out.data.slice(out.start, out.length);
}

/** A stored block: LEN, its one's complement NLEN, then LEN bytes copied as they are. */
function storedBlock(reader: BitReader, out: Output): void {
  reader.alignToByte();
  const { bytes } = reader;
  const at = reader.pos;
  if (at + 4 > bytes.length) throw new InflateError(`the stream ends inside a stored block's header (at byte ${at})`);
  const length = bytes[at]! | (bytes[at + 1]! << 8);
  const complement = bytes[at + 2]! | (bytes[at + 3]! << 8);
  if (length !== (~complement & 0xffff)) {
    throw new InflateError(`a stored block's length ${length} does not match its complement ${complement} (at byte ${at})`);
  }
  if (at + 4 + length > bytes.length) throw new InflateError(`the stream ends inside a stored block of ${length} bytes (at byte ${at})`);
  out.reserve(length);
  out.data.set(bytes.subarray(at + 4, at + 4 + length), out.length);
  out.length += length;
  reader.pos = at + 4 + length;
}

/** A Huffman-coded block: literals and (length, distance) matches until the end-of-block symbol. */
function codedBlock(reader: BitReader, out: Output, literals: Huffman, distances: Huffman): void {
  // The output's buffer and length in locals, written back whenever the buffer must grow.
  let data = out.data;
  let n = out.length;
  for (;;) {
    const symbol = decodeSymbol(reader, literals);
    if (symbol < 256) {
      if (n === data.length) data = grow(out, n, 1);
      data[n++] = symbol;
      continue;
    }
    if (symbol === 256) {
      out.length = n;
      return;
    }
    const l = symbol - 257;
    if (l >= 29) throw new InflateError(`length symbol ${symbol} does not exist (at byte ${reader.byteOffset()})`);
    const length = LENGTH_BASE[l]! + reader.take(LENGTH_EXTRA[l]!);
    const d = decodeSymbol(reader, distances);
    if (d >= 30) throw new InflateError(`distance symbol ${d} does not exist (at byte ${reader.byteOffset()})`);
    const distance = DISTANCE_BASE[d]! + reader.take(DISTANCE_EXTRA[d]!);
    if (distance > n) {
      throw new InflateError(`a match reaches ${distance} bytes back, before the start of the data (at byte ${reader.byteOffset()})`);
    }
    if (n + length > data.length) data = grow(out, n, length);
    // Byte by byte, because the source may overlap what this very copy writes.
    for (let from = n - distance, end = n + length; n < end; ) data[n++] = data[from++]!;
  }
}

/** Records that `out` holds `length` bytes, makes room for `n` more, and returns the buffer. */
function grow(out: Output, length: number, n: number): Uint8Array {
  out.length = length;
  out.reserve(n);
  return out.data;
}

/**
 * A dynamic block's header: HLIT, HDIST, HCLEN; the code-length code's lengths (3 bits each, in
 * CODE_LENGTH_ORDER); then the literal/length and distance code lengths in that code, as one
 * sequence: 0–15 a length, 16 the previous length 3–6 times, 17 zero 3–10 times, 18 zero 11–138.
 */
function dynamicTables(reader: BitReader): { literals: Huffman; distances: Huffman } {
  const literalCount = reader.take(5) + 257;
  const distanceCount = reader.take(5) + 1;
  const codeLengthCount = reader.take(4) + 4;
  if (literalCount > 286 || distanceCount > 30) {
    throw new InflateError(`a dynamic block declares ${literalCount} length and ${distanceCount} distance codes, more than 286 and 30`);
  }
  const codeLengthLengths = new Uint8Array(19);
  for (let i = 0; i < codeLengthCount; i++) codeLengthLengths[CODE_LENGTH_ORDER[i]!] = reader.take(3);
  const codeLengths = buildHuffman(codeLengthLengths, "code-length", true);

  const lengths = new Uint8Array(literalCount + distanceCount);
  for (let i = 0; i < lengths.length; ) {
    const symbol = decodeSymbol(reader, codeLengths);
    if (symbol < 16) {
      lengths[i++] = symbol;
      continue;
    }
    if (symbol === 16 && i === 0) throw new InflateError(`a dynamic block repeats a previous code length before the first one`);
    const value = symbol === 16 ? lengths[i - 1]! : 0;
    const repeat = symbol === 16 ? 3 + reader.take(2) : symbol === 17 ? 3 + reader.take(3) : 11 + reader.take(7);
    if (i + repeat > lengths.length) throw new InflateError(`a dynamic block's code lengths run past its ${lengths.length} codes`);
    lengths.fill(value, i, i + repeat);
    i += repeat;
  }
  if (lengths[256] === 0) throw new InflateError(`a dynamic block has no end-of-block code`);
  return {
    literals: buildHuffman(lengths.subarray(0, literalCount), "literal/length", false),
    distances: buildHuffman(lengths.subarray(literalCount), "distance", false),
  };
}
