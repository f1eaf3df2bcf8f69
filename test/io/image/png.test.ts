import { readFileSync } from "node:fs";
import { deflateSync, crc32 as zlibCrc32 } from "node:zlib";
import { PNG, type ColorType } from "pngjs";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ImageError } from "../../../src/errors.js";
import { quantize, type RgbImage } from "../../../src/io/image/image.js";
import { encodePng } from "../../../src/io/image/encode.js";
import { PNG_SIGNATURE, decodePng } from "../../../src/io/image/png.js";
import { mulberry32 } from "../../../src/tensor/random.js";
import { mutate, mutationArb } from "../../fuzz/mutate.js";
import { writePng } from "./png-writer.js";

const images = new URL("../../fixtures/images/", import.meta.url);
const fixture = (name: string): Uint8Array => readFileSync(new URL(name, images));

const CHANNELS: Record<ColorType, number> = { 0: 1, 2: 3, 4: 2, 6: 4 };

/** Random samples for a W×H picture of the given PNG colour type and depth, and its PNG file (by pngjs). */
function pngjsPicture(colorType: ColorType, bitDepth: 8 | 16, W: number, H: number, seed: number) {
  const rand = mulberry32(seed);
  const max = 2 ** bitDepth - 1;
  const samples = Array.from({ length: W * H * CHANNELS[colorType] }, () => Math.floor(rand() * (max + 1)));
  // pngjs takes 8-bit samples as bytes, 16-bit ones in a Uint16Array's buffer (platform order).
  const raw = bitDepth === 8 ? Buffer.from(samples) : Buffer.from(Uint16Array.from(samples).buffer);
  const png = new PNG();
  png.width = W;
  png.height = H;
  png.data = raw;
  const file = PNG.sync.write(png, { colorType, inputColorType: colorType, bitDepth, inputHasAlpha: colorType >= 4 });
  return { samples, max, file };
}

/** What the decoder should give for interleaved samples: gray replicated, alpha over white. */
function expected(samples: number[], channels: number, max: number): Float32Array {
  const n = samples.length / channels;
  const out = new Float32Array(3 * n);
  for (let p = 0; p < n; p++) {
    const px = samples.slice(p * channels, (p + 1) * channels).map((s) => (s * 255) / max);
    const rgb = channels >= 3 ? px.slice(0, 3) : [px[0]!, px[0]!, px[0]!];
    const alpha = channels === 2 || channels === 4 ? px[channels - 1]! / 255 : 1;
    rgb.forEach((v, c) => {
      out[3 * p + c] = v * alpha + 255 * (1 - alpha);
    });
  }
  return out;
}

describe("decodePng: every kind pngjs writes", () => {
  const kinds: [name: string, colorType: ColorType, bitDepth: 8 | 16][] = [
    ["gray 8-bit", 0, 8],
    ["gray 16-bit", 0, 16],
    ["gray+alpha 8-bit", 4, 8],
    ["gray+alpha 16-bit", 4, 16],
    ["RGB 8-bit", 2, 8],
    ["RGB 16-bit", 2, 16],
    ["RGBA 8-bit", 6, 8],
    ["RGBA 16-bit", 6, 16],
  ];
  it.each(kinds)("%s", (_, colorType, bitDepth) => {
    const W = 7;
    const H = 5;
    const { samples, max, file } = pngjsPicture(colorType, bitDepth, W, H, colorType * 100 + bitDepth);
    expect(file[24]).toBe(bitDepth); // IHDR really says what we asked for
    expect(file[25]).toBe(colorType);
    const img = decodePng(file);
    expect([img.width, img.height]).toEqual([W, H]);
    expect(img.data).toBeAllClose(expected(samples, CHANNELS[colorType], max), { rtol: 1e-6, atol: 1e-4 });
  });

  it("keeps 16-bit precision (no rounding to 256 levels)", () => {
    const png = new PNG();
    png.width = 3;
    png.height = 1;
    png.data = Buffer.from(Uint16Array.from([1, 1000, 65534]).buffer);
    const img = decodePng(PNG.sync.write(png, { colorType: 0, inputColorType: 0, bitDepth: 16, inputHasAlpha: false }));
    expect(Array.from(img.data.filter((_, i) => i % 3 === 0))).toBeAllClose([255 / 65535, (1000 * 255) / 65535, (65534 * 255) / 65535], {
      rtol: 1e-6,
    });
    expect(img.data[3]).not.toBe(Math.round(img.data[3]!));
  });

  it("composites alpha onto white, numerically", () => {
    const png = new PNG();
    png.width = 3;
    png.height = 1;
    // Opaque red, transparent black, half-transparent (128/255) blue.
    png.data = Buffer.from([255, 0, 0, 255, 0, 0, 0, 0, 0, 0, 255, 128]);
    const img = decodePng(PNG.sync.write(png, { colorType: 6, inputColorType: 6, bitDepth: 8 }));
    const a = 128 / 255;
    expect(img.data).toBeAllClose([255, 0, 0, 255, 255, 255, 255 * (1 - a), 255 * (1 - a), 255], { rtol: 1e-6 });
  });
});

describe("decodePng: fixtures made by ImageMagick", () => {
  // The formulas from test/fixtures/images/README.md.
  const PAL = [
    [255, 0, 0, 255],
    [0, 128, 255, 0],
    [10, 20, 30, 128],
    [255, 255, 255, 255],
  ];
  const picture = (W: number, H: number, channels: number, px: (x: number, y: number) => number[]): number[] => {
    const out: number[] = [];
    for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) out.push(...px(x, y).slice(0, channels));
    return out;
  };

  it("palette, 2-bit indices, no tRNS", () => {
    const img = decodePng(fixture("palette.png"));
    expect([img.width, img.height]).toEqual([7, 5]);
    expect(img.data).toEqual(
      expected(
        picture(7, 5, 3, (x, y) => PAL[(x + 2 * y) % 4]!),
        3,
        255,
      ),
    );
  });

  it("palette with tRNS: alpha 0 → white, alpha 128 blended", () => {
    const img = decodePng(fixture("palette-trns.png"));
    expect(img.data).toBeAllClose(
      expected(
        picture(7, 5, 4, (x, y) => PAL[(x + 2 * y) % 4]!),
        4,
        255,
      ),
      { rtol: 1e-6 },
    );
    expect(Array.from(img.data.subarray(3, 6))).toEqual([255, 255, 255]); // pixel (1, 0): fully transparent
    expect(Array.from(img.data.subarray(6, 9))).toBeAllClose([132.02, 137.04, 142.06], { atol: 0.01 }); // (10, 20, 30) at 128/255
  });

  it("interlaced RGB 8-bit", () => {
    const img = decodePng(fixture("interlaced-rgb8.png"));
    const px = (x: number, y: number): number[] => [(37 * x + 11 * y) % 256, (5 * x + 29 * y) % 256, (7 * x * y) % 256];
    expect([img.width, img.height]).toEqual([13, 11]);
    expect(img.data).toEqual(expected(picture(13, 11, 3, px), 3, 255));
  });

  it("interlaced RGBA 16-bit", () => {
    const img = decodePng(fixture("interlaced-rgba16.png"));
    const px = (x: number, y: number): number[] => [
      (4099 * x + 1231 * y) % 65536,
      (9001 * x + 17 * y) % 65536,
      (257 * x * y) % 65536,
      (6007 * (x + y)) % 65536,
    ];
    expect(img.data).toBeAllClose(expected(picture(13, 11, 4, px), 4, 65535), { rtol: 1e-6, atol: 1e-4 });
  });

  it("gray 4-bit", () => {
    const img = decodePng(fixture("gray4.png"));
    expect([img.width, img.height]).toEqual([9, 3]);
    expect(img.data).toEqual(
      expected(
        picture(9, 3, 1, (x, y) => [(x + 5 * y) % 16]),
        1,
        15,
      ),
    );
  });
});

/** A PNG signature and IHDR chunk claiming the given size, and nothing else. */
function pngHeader(width: number, height: number): Uint8Array {
  const bytes = new Uint8Array(33);
  const view = new DataView(bytes.buffer);
  bytes.set([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52]);
  view.setUint32(16, width);
  view.setUint32(20, height);
  bytes.set([8, 2, 0, 0, 0], 24); // 8-bit RGB, not interlaced; CRC left zero
  return bytes;
}

describe("decodePng: bad input", () => {
  const good = pngjsPicture(2, 8, 9, 6, 3).file;

  it("refuses a huge image from its header, before anything is allocated for it", () => {
    // Only a header: if decoding went on, it would report a truncated file instead.
    expect(() => decodePng(pngHeader(100_000, 100_000))).toThrow(
      "image is 100000×100000 (10,000 megapixels), more than the limit of 50 megapixels",
    );
    expect(() => decodePng(good, { maxPixels: 53 })).toThrow(/image is 9×6 .* more than the limit/);
    expect(() => decodePng(good, { maxPixels: 54 })).not.toThrow();
  });

  it("refuses a zero-sized image", () => {
    expect(() => decodePng(pngHeader(0, 10))).toThrow("image size 0×10 is invalid");
  });

  it("reports truncation at any point as a corrupt or truncated PNG", () => {
    for (const n of [0, 7, 8, 20, 33, 40, good.length - 13, good.length - 1]) {
      expect(() => decodePng(good.subarray(0, n))).toThrow(ImageError);
      expect(() => decodePng(good.subarray(0, n))).toThrow(/^PNG image is corrupt or truncated \(.*\); re-save it with an image editor$/);
    }
  });

  it("reports a bad checksum", () => {
    const bad = Uint8Array.from(good);
    bad[30]! ^= 0xff; // inside the IHDR CRC
    expect(() => decodePng(bad)).toThrow(/^PNG image is corrupt or truncated/);
  });

  it("reports corrupt compressed data", () => {
    const bad = Uint8Array.from(good);
    for (let i = 45; i < bad.length - 16; i++) bad[i] = 0x55; // scribble over IDAT
    expect(() => decodePng(bad)).toThrow(ImageError);
  });
});

describe("decodePng: what the pngjs-based decoder got wrong or refused", () => {
  it("a 16-bit RGB image with a suggested palette (PLTE) keeps its 16-bit scale", () => {
    // The old decoder took any PLTE chunk to mean 8-bit palette entries: white came out 16777215.
    const file = writePng({ width: 2, height: 1, colorType: 2, depth: 16, samples: [65535, 0, 32768, 257, 1000, 0], palette: [1, 2, 3] });
    expect(Array.from(decodePng(file).data)).toBeAllClose([255, 0, (32768 * 255) / 65535, 1, (1000 * 255) / 65535, 0], { rtol: 1e-6 });
  });

  it("decodes with no Node Buffer at all, as in a browser", () => {
    const file = writePng({ width: 3, height: 2, colorType: 6, depth: 8, samples: Array.from({ length: 24 }, (_, i) => i * 10) });
    const expected = decodePng(file);
    const saved = globalThis.Buffer;
    // @ts-expect-error: removing a global the types say is always there
    delete globalThis.Buffer;
    try {
      expect(decodePng(file)).toEqual(expected);
    } finally {
      globalThis.Buffer = saved;
    }
  });

  it("ignores bytes after IEND, as browsers do (pngjs refused the file)", () => {
    const file = writePng({ width: 4, height: 3, colorType: 0, depth: 8, samples: Array.from({ length: 12 }, (_, i) => i * 20) });
    const trailed = new Uint8Array([...file, 0, 1, 2, 3, 0x0a]);
    expect(decodePng(trailed)).toEqual(decodePng(file));
  });
});

describe("decodePng: every damaged or invalid structure, named", () => {
  const gray = { width: 5, height: 4, colorType: 0 as const, depth: 8 as const, samples: Array.from({ length: 20 }, (_, i) => i * 12) };
  const message = (file: Uint8Array): string => {
    try {
      decodePng(file);
    } catch (e) {
      expect(e).toBeInstanceOf(ImageError);
      expect((e as Error).message).toMatch(/^PNG image is corrupt or truncated \(.+\); re-save it with an image editor$/);
      return (e as Error).message;
    }
    throw new Error("decoded without complaint");
  };
  /** `file` with the byte at `at` changed and the chunk's CRC (chunk starting at `chunkAt`) fixed up. */
  const patched = (file: Uint8Array, chunkAt: number, at: number, value: number): Uint8Array => {
    const out = Uint8Array.from(file);
    out[at] = value;
    const view = new DataView(out.buffer);
    const length = view.getUint32(chunkAt);
    view.setUint32(chunkAt + 8 + length, zlibCrc32(out.subarray(chunkAt + 4, chunkAt + 8 + length)));
    return out;
  };

  it("a header with a colour type, bit depth or method that does not exist", () => {
    const file = writePng(gray);
    expect(message(patched(file, 8, 25, 5))).toMatch(/colour type 5 does not exist/);
    expect(message(patched(file, 8, 24, 3))).toMatch(/bit depth 3 is not allowed for colour type 0/);
    expect(message(patched(patched(file, 8, 25, 2), 8, 24, 4))).toMatch(/bit depth 4 is not allowed for colour type 2/);
    expect(message(patched(file, 8, 26, 1))).toMatch(/compression method 1 does not exist/);
    expect(message(patched(file, 8, 27, 1))).toMatch(/filter method 1 does not exist/);
    expect(message(patched(file, 8, 28, 2))).toMatch(/interlace method 2 does not exist/);
  });

  it("a CRC error in any chunk, ancillary ones too (pngjs skipped those unchecked)", () => {
    const file = writePng({ ...gray, extraChunks: [["tEXt", new TextEncoder().encode("a\0b")]] });
    const bad = Uint8Array.from(file);
    bad[33 + 8]! ^= 1; // the tEXt chunk's first data byte, right after IHDR
    expect(message(bad)).toMatch(/the tEXt chunk at byte 33 fails its CRC check/);
  });

  it("an unknown critical chunk, a filter type that does not exist, a palette index past the palette", () => {
    expect(message(writePng({ ...gray, extraChunks: [["ZZZZ", new Uint8Array(2)]] }))).toMatch(/an unknown critical chunk ZZZZ/);
    expect(decodePng(writePng({ ...gray, extraChunks: [["zzZZ", new Uint8Array(2)]] }))).toEqual(decodePng(writePng(gray)));
    expect(message(writePng({ ...gray, filter: (row) => (row === 2 ? 5 : 0) }))).toMatch(/a row with filter type 5, which does not exist/);
    const palette = { width: 3, height: 1, colorType: 3 as const, depth: 8 as const, samples: [0, 1, 2], palette: [9, 9, 9, 8, 8, 8] };
    expect(message(writePng(palette))).toMatch(/a pixel uses palette entry 2, but the palette has 2/);
    expect(message(writePng({ ...palette, palette: undefined }))).toMatch(/a palette image without a PLTE chunk/);
    expect(message(writePng({ ...palette, samples: [0, 1, 1], trns: [1, 2, 3] }))).toMatch(/3 tRNS alphas for 2 palette entries/);
  });

  it("too little or too much image data for the size, and no IDAT", () => {
    const file = writePng(gray);
    const wider = patched(file, 8, 19, 6); // width 5 → 6: the data is now 4 bytes short
    expect(message(wider)).toMatch(/the image data is 24 bytes, short of the 28 its size needs/);
    const narrower = patched(file, 8, 19, 4); // width 4: one byte a row too many
    expect(message(narrower)).toMatch(/image data: it inflates to more than the 20 bytes expected/);
    const noIdat = new Uint8Array([...file.subarray(0, 33), ...file.subarray(file.length - 12)]);
    expect(message(noIdat)).toMatch(/no IDAT chunk/);
  });

  it("damage behind valid CRCs (the checksums recomputed): an image or an ImageError, never anything else (property)", () => {
    // Plain Uint8Arrays: mutate() copies with slice(), which on a Buffer would be a view.
    const bases = [
      writePng({
        width: 19,
        height: 13,
        colorType: 3,
        depth: 4,
        samples: Array.from({ length: 247 }, (_, i) => i % 11),
        palette: Array.from({ length: 33 }, (_, i) => i * 7),
        trns: [0, 128],
        interlaced: true,
      }),
      writePng({ width: 23, height: 9, colorType: 6, depth: 16, samples: Array.from({ length: 828 }, (_, i) => (i * 2741) & 0xffff) }),
      writePng({
        width: 31,
        height: 7,
        colorType: 0,
        depth: 1,
        samples: Array.from({ length: 217 }, (_, i) => ((i * 5) % 3) & 1),
        trns: [0, 1],
      }),
      readFileSync(new URL("interlaced-rgba16.png", images)),
    ].map((b) => Uint8Array.from(b));
    /** Recomputes the CRC of every chunk whose length still fits in the file. */
    const fixCrcs = (file: Uint8Array): Uint8Array => {
      const view = new DataView(file.buffer, file.byteOffset, file.byteLength);
      for (let at = 8; at + 12 <= file.length; ) {
        const length = view.getUint32(at);
        if (at + 12 + length > file.length) break;
        view.setUint32(at + 8 + length, zlibCrc32(file.subarray(at + 4, at + 8 + length)));
        at += 12 + length;
      }
      return file;
    };
    const outcomes = { decoded: 0, inflate: 0 };
    fc.assert(
      fc.property(fc.integer({ min: 0, max: bases.length - 1 }), mutationArb, (which, mutations) => {
        const file = fixCrcs(mutate(bases[which]!, mutations, 8));
        try {
          const img = decodePng(file, { maxPixels: 2 ** 20 });
          expect(img.data.length).toBe(img.width * img.height * 3);
          outcomes.decoded++;
        } catch (e) {
          if (!(e instanceof ImageError)) throw e;
          expect(e.message).not.toMatch(/\n/);
          if (e.message.includes("(image data: ")) outcomes.inflate++;
        }
      }),
      { numRuns: 500, seed: 2004 },
    );
    // Most damage breaks the framing or the Adler-32; enough reaches the stream's insides.
    expect(outcomes.inflate).toBeGreaterThan(20);
  });

  it("a huge declared size with no pixel limit: a short-data ImageError, not a RangeError", () => {
    const chunk = (type: string, data: Uint8Array): number[] => {
      const typed = [...new TextEncoder().encode(type), ...data];
      const size = new Uint8Array(4);
      new DataView(size.buffer).setUint32(0, data.length);
      const crc = new Uint8Array(4);
      new DataView(crc.buffer).setUint32(0, zlibCrc32(Uint8Array.from(typed)));
      return [...size, ...typed, ...crc];
    };
    const ihdr = Uint8Array.of(0x7f, 0xff, 0xff, 0xff, 0x7f, 0xff, 0xff, 0xff, 16, 6, 0, 0, 0); // (2³¹ − 1)², 16-bit RGBA
    const file = Uint8Array.from([
      ...PNG_SIGNATURE,
      ...chunk("IHDR", ihdr),
      ...chunk("IDAT", deflateSync(new Uint8Array(99))),
      ...chunk("IEND", new Uint8Array(0)),
    ]);
    expect(() => decodePng(file, { maxPixels: Infinity })).toThrow(
      /^PNG image is corrupt or truncated \(the image data is 99 bytes, short of the \d+ its size needs\)/,
    );
  });

  it("truncated anywhere: inside a chunk, before IEND, inside the zlib stream", () => {
    const file = writePng({ ...gray, idatChunks: 3 });
    for (let n = 8; n < file.length; n++) message(file.subarray(0, n));
  });
});

describe("encodePng", () => {
  const rand = mulberry32(11);
  const img: RgbImage = { width: 13, height: 7, data: Float32Array.from({ length: 13 * 7 * 3 }, () => rand() * 300 - 20) };

  it("writes 8-bit RGB", () => {
    const file = encodePng(img);
    expect(file).toBeInstanceOf(Uint8Array);
    expect([file[24], file[25], file[28]]).toEqual([8, 2, 0]); // depth, colour type, not interlaced
  });

  it("round-trips the quantized image exactly", () => {
    const back = decodePng(encodePng(img));
    expect([back.width, back.height]).toEqual([13, 7]);
    expect(back.data).toEqual(Float32Array.from(quantize(img)));
  });
});
