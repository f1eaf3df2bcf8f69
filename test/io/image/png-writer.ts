// A PNG writer for tests: every colour type at every bit depth, interlaced or not, any filter
// per row, palettes, tRNS, the image data split over several IDAT chunks, extra chunks. pngjs
// writes only 8- and 16-bit gray/RGB(A) without interlacing; this writes the rest, so that the
// decoder can be compared with pngjs on every kind it reads. Compression is node:zlib's.
import { crc32, deflateSync } from "node:zlib";

export interface PngPicture {
  width: number;
  height: number;
  colorType: 0 | 2 | 3 | 4 | 6;
  depth: 1 | 2 | 4 | 8 | 16;
  /** Row-major samples, `channels` per pixel (palette: one index) */
  samples: ArrayLike<number>;
  interlaced?: boolean;
  /** The filter of each row (of each pass), by its index in the file; default: all five in turn */
  filter?: (row: number) => number;
  /** RGB triples */
  palette?: number[];
  /** The tRNS chunk's bytes */
  trns?: number[];
  /** How many IDAT chunks to split the data into (default 1) */
  idatChunks?: number;
  /** Chunks to put before the first IDAT, as [type, data] */
  extraChunks?: [string, Uint8Array][];
  level?: number;
}

export const CHANNELS = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 } as const;

const ADAM7 = [
  [0, 0, 8, 8],
  [4, 0, 8, 8],
  [0, 4, 4, 8],
  [2, 0, 4, 4],
  [0, 2, 2, 4],
  [1, 0, 2, 2],
  [0, 1, 1, 2],
] as const;

function chunk(type: string, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + data.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, data.length);
  const typeAndData = new Uint8Array(4 + data.length);
  typeAndData.set(new TextEncoder().encode(type));
  typeAndData.set(data, 4);
  out.set(typeAndData, 4);
  view.setUint32(8 + data.length, crc32(typeAndData));
  return out;
}

function paeth(a: number, b: number, c: number): number {
  const p = a + b - c;
  const [pa, pb, pc] = [Math.abs(p - a), Math.abs(p - b), Math.abs(p - c)];
  return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
}

/** Packs one row of samples big-endian at `depth` bits, padded to a whole byte. */
function packRow(samples: number[], depth: number): Uint8Array {
  const out = new Uint8Array(Math.ceil((samples.length * depth) / 8));
  samples.forEach((s, i) => {
    if (depth === 16) out.set([s >> 8, s & 0xff], 2 * i);
    else if (depth === 8) out[i] = s;
    else out[(i * depth) >> 3]! |= s << (8 - depth - ((i * depth) & 7));
  });
  return out;
}

/** The PNG file of `pic`. */
export function writePng(pic: PngPicture): Uint8Array {
  const { width, height, colorType, depth } = pic;
  const channels = CHANNELS[colorType];
  const bpp = Math.max(1, (channels * depth) >> 3);
  const filterOf = pic.filter ?? ((row: number) => row % 5);
  const passes = pic.interlaced ? ADAM7 : ([[0, 0, 1, 1]] as const);
  const rows: Uint8Array[] = [];
  let rowIndex = 0;
  for (const [x0, y0, dx, dy] of passes) {
    let prev: Uint8Array | null = null;
    for (let y = y0; y < height; y += dy) {
      const samples: number[] = [];
      for (let x = x0; x < width; x += dx) for (let c = 0; c < channels; c++) samples.push(pic.samples[(y * width + x) * channels + c]!);
      if (samples.length === 0) break; // an empty pass has no rows at all
      const raw = packRow(samples, depth);
      const type = filterOf(rowIndex++);
      const line = new Uint8Array(1 + raw.length);
      line[0] = type;
      for (let i = 0; i < raw.length; i++) {
        const a = i >= bpp ? raw[i - bpp]! : 0;
        const b = prev ? prev[i]! : 0;
        const c = prev && i >= bpp ? prev[i - bpp]! : 0;
        const predicted = [0, a, b, (a + b) >> 1, paeth(a, b, c)][type]!;
        line[1 + i] = (raw[i]! - predicted) & 0xff;
      }
      rows.push(line);
      prev = raw;
    }
  }
  const data = deflateSync(Buffer.concat(rows), { level: pic.level ?? 6 });
  const ihdr = new Uint8Array(13);
  new DataView(ihdr.buffer).setUint32(0, width);
  new DataView(ihdr.buffer).setUint32(4, height);
  ihdr.set([depth, colorType, 0, 0, pic.interlaced ? 1 : 0], 8);
  const parts = [Uint8Array.of(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a), chunk("IHDR", ihdr)];
  for (const [type, body] of pic.extraChunks ?? []) parts.push(chunk(type, body));
  if (pic.palette) parts.push(chunk("PLTE", Uint8Array.from(pic.palette)));
  if (pic.trns) parts.push(chunk("tRNS", Uint8Array.from(pic.trns)));
  const n = pic.idatChunks ?? 1;
  for (let i = 0; i < n; i++)
    parts.push(chunk("IDAT", data.subarray(Math.floor((i * data.length) / n), Math.floor(((i + 1) * data.length) / n))));
  parts.push(chunk("IEND", new Uint8Array(0)));
  return Buffer.concat(parts);
}
