// Our PNG decoder against the pngjs-based one it replaced (./pngjs-decode.ts): on every PNG in the
// repository, on every kind pngjs writes, and on every kind the test writer makes (all colour
// types and bit depths, interlaced, each filter, palettes, tRNS, split IDATs), the two must give
// the same floats, bit for bit.
import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import fc from "fast-check";
import { PNG, type ColorType } from "pngjs";
import { describe, expect, it } from "vitest";
import type { RgbImage } from "../../../src/io/image/image.js";
import { decodePng } from "../../../src/io/image/png.js";
import { mulberry32 } from "../../../src/tensor/random.js";
import { decodeWithPngjs } from "./pngjs-decode.js";
import { CHANNELS, writePng, type PngPicture } from "./png-writer.js";

const ROOT = new URL("../../../", import.meta.url).pathname;

/** Every .png under the repository, outside node_modules, dist and .git. */
function repositoryPngs(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    if (e.isDirectory()) return ["node_modules", "dist", ".git"].includes(e.name) ? [] : repositoryPngs(join(dir, e.name));
    return e.name.toLowerCase().endsWith(".png") ? [join(dir, e.name)] : [];
  });
}

function expectSameDecode(file: Uint8Array): RgbImage {
  const ours = decodePng(file);
  const theirs = decodeWithPngjs(file);
  expect([ours.width, ours.height]).toEqual([theirs.width, theirs.height]);
  const same = Buffer.from(ours.data.buffer).equals(Buffer.from(theirs.data.buffer));
  if (!same) expect(ours.data).toEqual(theirs.data); // to show where they differ
  return ours;
}

describe("decodePng equals the pngjs-based decoder", () => {
  const files = repositoryPngs(ROOT);

  it("finds the repository's PNG fixtures", () => {
    expect(files.map((f) => relative(ROOT, f))).toEqual(
      expect.arrayContaining(["test/fixtures/images/palette-trns.png", "test/fixtures/images/interlaced-rgba16.png"]),
    );
  });

  it.each(files.map((f) => [relative(ROOT, f)]))("%s", (name) => {
    expectSameDecode(readFileSync(join(ROOT, name)));
  });

  const pngjsKinds: [ColorType, 8 | 16][] = [
    [0, 8],
    [0, 16],
    [2, 8],
    [2, 16],
    [4, 8],
    [4, 16],
    [6, 8],
    [6, 16],
  ];
  it.each(pngjsKinds)("written by pngjs: colour type %i, %i-bit, every filter type and deflate level", (colorType, bitDepth) => {
    const rand = mulberry32(colorType * 31 + bitDepth);
    for (const [W, H] of [
      [1, 1],
      [7, 5],
      [33, 17],
    ] as const) {
      const max = 2 ** bitDepth - 1;
      const samples = Array.from({ length: W * H * CHANNELS[colorType] }, () => Math.floor(rand() * (max + 1)));
      const png = new PNG({ width: W, height: H });
      png.data = bitDepth === 8 ? Buffer.from(samples) : Buffer.from(Uint16Array.from(samples).buffer);
      for (const filterType of [-1, 0, 1, 2, 3, 4]) {
        for (const deflateLevel of [0, 1, 9]) {
          const file = PNG.sync.write(png, {
            colorType,
            inputColorType: colorType,
            bitDepth,
            inputHasAlpha: colorType >= 4,
            filterType,
            deflateLevel,
          });
          expectSameDecode(file);
        }
      }
    }
  });
});

/** Random samples for a picture of a kind; palette indices within `entries`. */
function randomPicture(kind: Omit<PngPicture, "samples">, seed: number, entries = 0): PngPicture {
  const rand = mulberry32(seed);
  const max = kind.colorType === 3 ? entries - 1 : 2 ** kind.depth - 1;
  const samples = Array.from({ length: kind.width * kind.height * CHANNELS[kind.colorType] }, () => Math.floor(rand() * (max + 1)));
  return { ...kind, samples };
}

const KINDS: [PngPicture["colorType"], PngPicture["depth"]][] = [
  [0, 1],
  [0, 2],
  [0, 4],
  [0, 8],
  [0, 16],
  [2, 8],
  [2, 16],
  [3, 1],
  [3, 2],
  [3, 4],
  [3, 8],
  [4, 8],
  [4, 16],
  [6, 8],
  [6, 16],
];
const SIZES = [
  [1, 1],
  [1, 9],
  [9, 1],
  [7, 5],
  [13, 11],
  [33, 17],
] as const;

describe("decodePng equals the pngjs-based decoder on every kind of PNG", () => {
  it.each(KINDS)("colour type %i, %i-bit: interlaced or not, all filters, at awkward sizes", (colorType, depth) => {
    let seed = colorType * 100 + depth;
    for (const [width, height] of SIZES) {
      for (const interlaced of [false, true]) {
        const entries = colorType === 3 ? Math.min(2 ** depth, 200) : 0;
        const palette = colorType === 3 ? Array.from({ length: 3 * entries }, (_, i) => (i * 37) & 0xff) : undefined;
        const pic = randomPicture({ width, height, colorType, depth, interlaced, palette }, seed++, entries);
        const img = expectSameDecode(writePng(pic));
        expect([img.width, img.height]).toEqual([width, height]);
      }
    }
  });

  it.each([0, 1, 2, 3, 4])("each row filtered with type %i, at 1-, 8- and 16-bit", (type) => {
    for (const [colorType, depth] of [
      [0, 1],
      [2, 8],
      [6, 16],
      [4, 8],
    ] as const) {
      expectSameDecode(writePng(randomPicture({ width: 17, height: 6, colorType, depth, filter: () => type }, type * 7 + depth)));
    }
  });

  it("palettes with tRNS: fewer alphas than entries, and as many", () => {
    for (const depth of [1, 2, 4, 8] as const) {
      const entries = 2 ** depth;
      const palette = Array.from({ length: 3 * entries }, (_, i) => (i * 91 + 5) & 0xff);
      for (const alphas of [1, entries]) {
        const trns = Array.from({ length: alphas }, (_, i) => (i * 77) & 0xff);
        expectSameDecode(
          writePng(randomPicture({ width: 11, height: 7, colorType: 3, depth, palette, trns, interlaced: depth === 4 }, depth, entries)),
        );
      }
    }
  });

  it("gray and RGB with a transparent key colour (tRNS), at every depth", () => {
    for (const [colorType, depth] of [
      [0, 1],
      [0, 2],
      [0, 4],
      [0, 8],
      [0, 16],
      [2, 8],
      [2, 16],
    ] as const) {
      const pic = randomPicture({ width: 9, height: 8, colorType, depth }, 40 + depth);
      // The first pixel's value as the key, so that at least one pixel is transparent.
      const key = Array.from({ length: CHANNELS[colorType] }, (_, c) => pic.samples[c]!);
      const img = expectSameDecode(writePng({ ...pic, trns: key.flatMap((k) => [k >> 8, k & 0xff]) }));
      expect(Array.from(img.data.subarray(0, 3))).toEqual([255, 255, 255]);
    }
  });

  it("image data split over many IDAT chunks, with ancillary chunks the decoder skips", () => {
    const extraChunks: [string, Uint8Array][] = [
      ["tEXt", new TextEncoder().encode("Comment\0dream")],
      ["gAMA", Uint8Array.of(0, 0, 0xb1, 0x8f)],
      ["pHYs", new Uint8Array(9)],
    ];
    for (const idatChunks of [2, 5, 40]) {
      expectSameDecode(
        writePng({ ...randomPicture({ width: 20, height: 9, colorType: 6, depth: 8 }, idatChunks), idatChunks, extraChunks }),
      );
    }
  });

  it("random kinds, sizes, filters and compression levels (property)", () => {
    const kind = fc.constantFrom(...KINDS);
    fc.assert(
      fc.property(
        kind,
        fc.integer({ min: 1, max: 40 }),
        fc.integer({ min: 1, max: 24 }),
        fc.boolean(),
        fc.integer({ min: 0, max: 9 }),
        fc.integer(),
        (k, width, height, interlaced, level, seed) => {
          const [colorType, depth] = k;
          const entries = colorType === 3 ? 2 ** depth : 0;
          const palette = colorType === 3 ? Array.from({ length: 3 * entries }, (_, i) => (i * 13 + seed) & 0xff) : undefined;
          const filterSeed = mulberry32(seed);
          const filter = (): number => Math.floor(filterSeed() * 5);
          expectSameDecode(
            writePng({ ...randomPicture({ width, height, colorType, depth, interlaced, palette, level }, seed, entries), filter }),
          );
        },
      ),
      { numRuns: 150, seed: 2083 },
    );
  });
});
