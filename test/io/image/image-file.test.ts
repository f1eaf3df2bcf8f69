import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ImageError, OptionError } from "../../../src/errors.js";
import { checkOutputPath, decodeImage, makeFrameDirectory, readImage, writeImage } from "../../../src/io/image/image-file.js";
import { quantize, type RgbImage } from "../../../src/io/image/image.js";
import { decodeJpeg } from "../../../src/io/image/jpeg.js";
import { encodePng } from "../../../src/io/image/encode.js";
import { decodePng } from "../../../src/io/image/png.js";
import { mulberry32 } from "../../../src/tensor/random.js";

const images = new URL("../../fixtures/images/", import.meta.url);
const fixturePath = (name: string): string => new URL(name, images).pathname;

const scratch = mkdtempSync(join(tmpdir(), "inceptionism-image-file-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
let dirCount = 0;
/** A fresh empty directory for one test. */
const freshDir = (): string => {
  const dir = join(scratch, `t${dirCount++}`);
  mkdirSync(dir);
  return dir;
};

const rand = mulberry32(5);
const picture: RgbImage = { width: 9, height: 5, data: Float32Array.from({ length: 9 * 5 * 3 }, () => rand() * 255) };

describe("decodeImage", () => {
  it("tells PNG from JPEG by the signature", () => {
    const png = readFileSync(fixturePath("palette.png"));
    expect(decodeImage(png)).toEqual(decodePng(png));
    const jpeg = readFileSync(fixturePath("gray.jpg"));
    expect(decodeImage(jpeg)).toEqual(decodeJpeg(jpeg));
  });

  it("passes maxPixels on", () => {
    const png = readFileSync(fixturePath("palette.png")); // 7×5
    expect(() => decodeImage(png, { maxPixels: 34 })).toThrow(/more than the limit of 34 pixels/);
    const jpeg = readFileSync(fixturePath("gray.jpg")); // 16×8
    expect(() => decodeImage(jpeg, { maxPixels: 127 })).toThrow(/more than the limit of 127 pixels/);
  });

  it.each([
    ["empty", new Uint8Array(0), "it is empty"],
    ["text", new TextEncoder().encode("hello, world\n"), "unrecognised content"],
    ["GIF", new TextEncoder().encode("GIF89a\x01\x00\x01\x00"), "it looks like GIF"],
    ["WebP", new TextEncoder().encode("RIFF\x10\x00\x00\x00WEBPVP8 "), "it looks like WebP"],
    ["random bytes", Uint8Array.from({ length: 100 }, (_, i) => (i * 89 + 7) & 0xff), "unrecognised content"],
    ["half a JPEG signature", new Uint8Array([0xff, 0xd8]), "unrecognised content"],
  ])("refuses %s, saying what it is", (_, bytes, what) => {
    expect(() => decodeImage(bytes)).toThrow(ImageError);
    expect(() => decodeImage(bytes)).toThrow(`the data is not a PNG or JPEG image (${what}); convert it to PNG or JPEG`);
  });
});

describe("readImage", () => {
  it("reads PNG and JPEG files", async () => {
    expect((await readImage(fixturePath("interlaced-rgb8.png"))).width).toBe(13);
    const cat = await readImage(fixturePath("cat.jpg"), { maxPixels: 200_000 });
    expect([cat.width, cat.height]).toEqual([480, 360]);
  });

  it("names a missing file", async () => {
    const missing = join(scratch, "no-such-picture.png");
    await expect(readImage(missing)).rejects.toThrow(ImageError);
    await expect(readImage(missing)).rejects.toThrow(`cannot read image ${missing}: no such file (ENOENT); check the path`);
  });

  it("names a directory", async () => {
    await expect(readImage(scratch)).rejects.toThrow(`cannot read image ${scratch}: it is a directory (EISDIR)`);
  });

  it("names the file when decoding fails", async () => {
    const dir = freshDir();
    const path = join(dir, "notes.png");
    writeFileSync(path, "not a picture");
    await expect(readImage(path)).rejects.toThrow(`${path}: the data is not a PNG or JPEG image (unrecognised content)`);
    const truncated = join(dir, "cut.jpg");
    writeFileSync(truncated, readFileSync(fixturePath("fish-bike.jpg")).subarray(0, 5000));
    await expect(readImage(truncated)).rejects.toThrow(`${truncated}: JPEG image is corrupt or truncated`);
  });
});

describe("writeImage", () => {
  it("writes a PNG that reads back exactly (after rounding)", async () => {
    const dir = freshDir();
    const path = join(dir, "out.png");
    await writeImage(path, picture);
    expect((await readImage(path)).data).toEqual(Float32Array.from(quantize(picture)));
    expect(readdirSync(dir)).toEqual(["out.png"]); // no temporary file left behind
  });

  it("chooses JPEG for .jpg and .JPEG, any case, with the quality asked for", async () => {
    const dir = freshDir();
    await writeImage(join(dir, "a.jpg"), picture);
    await writeImage(join(dir, "b.JPEG"), picture, { quality: 30 });
    await writeImage(join(dir, "c.Png"), picture);
    expect(readdirSync(dir).sort()).toEqual(["a.jpg", "b.JPEG", "c.Png"]);
    const a = readFileSync(join(dir, "a.jpg"));
    const b = readFileSync(join(dir, "b.JPEG"));
    expect([a[0], a[1], b[0], b[1]]).toEqual([0xff, 0xd8, 0xff, 0xd8]);
    expect(b.length).toBeLessThan(a.length);
    expect(readFileSync(join(dir, "c.Png")).subarray(1, 4).toString()).toBe("PNG");
  });

  it("replaces an existing file", async () => {
    const dir = freshDir();
    const path = join(dir, "out.png");
    writeFileSync(path, "old contents");
    await writeImage(path, picture);
    expect(readFileSync(path)).toEqual(Buffer.from(encodePng(picture)));
    expect(readdirSync(dir)).toEqual(["out.png"]);
  });

  it("refuses an unknown extension as a bad argument, creating nothing", async () => {
    const dir = freshDir();
    for (const name of ["out.gif", "out", "out.png.txt"]) {
      await expect(writeImage(join(dir, name), picture)).rejects.toThrow(OptionError);
    }
    await expect(writeImage(join(dir, "out.gif"), picture)).rejects.toThrow(
      `cannot write ${join(dir, "out.gif")}: unknown image extension ".gif"; use .png, .jpg, .jpeg`,
    );
    expect(readdirSync(dir)).toEqual([]);
  });

  it("refuses a missing directory, creating nothing", async () => {
    const dir = freshDir();
    const missing = join(dir, "not-there");
    const path = join(missing, "out.png");
    await expect(writeImage(path, picture)).rejects.toThrow(`cannot write ${path}: directory ${missing} does not exist; create it first`);
    expect(readdirSync(dir)).toEqual([]);
  });

  it("cleans up its temporary file when the final rename fails", async () => {
    const dir = freshDir();
    mkdirSync(join(dir, "taken.png")); // a directory where the file should go
    mkdirSync(join(dir, "taken.png", "inside"));
    await expect(writeImage(join(dir, "taken.png"), picture)).rejects.toThrow(/^cannot write image .*taken\.png: /);
    expect(readdirSync(dir)).toEqual(["taken.png"]);
  });

  it("writes nothing when encoding fails", async () => {
    const dir = freshDir();
    await expect(writeImage(join(dir, "out.jpg"), picture, { quality: 0 })).rejects.toThrow(/JPEG quality 0 is invalid/);
    expect(readdirSync(dir)).toEqual([]);
  });
});

describe("checkOutputPath", () => {
  it("accepts a writable image path", async () => {
    await expect(checkOutputPath(join(scratch, "x.jpeg"))).resolves.toBeUndefined();
    await expect(checkOutputPath(join(scratch, "x.png"), fixturePath("cat.jpg"))).resolves.toBeUndefined();
  });

  it("refuses a directory as a bad argument, saying so rather than blaming its extension", async () => {
    const dir = freshDir();
    mkdirSync(join(dir, "out"));
    mkdirSync(join(dir, "out.png"));
    for (const name of ["out", "out.png"]) {
      await expect(checkOutputPath(join(dir, name))).rejects.toThrow(OptionError);
      await expect(checkOutputPath(join(dir, name))).rejects.toThrow(
        `output ${join(dir, name)} is a directory; give a file name, e.g. ${join(dir, name, "dream.png")}`,
      );
    }
  });

  it("refuses what writeImage would refuse", async () => {
    await expect(checkOutputPath(join(scratch, "x.bmp"))).rejects.toThrow(/unknown image extension ".bmp"; use .png, .jpg, .jpeg/);
    await expect(checkOutputPath(join(scratch, "nope", "x.png"))).rejects.toThrow(/directory .*nope does not exist; create it first/);
  });

  it("refuses to overwrite the input", async () => {
    const input = fixturePath("cat.jpg");
    await expect(checkOutputPath(input, input)).rejects.toThrow(`output ${input} is the input image; choose another output file name`);
  });
});

describe("makeFrameDirectory", () => {
  it("creates a directory and its parents, and accepts one that exists", async () => {
    const dir = join(freshDir(), "a", "b");
    await makeFrameDirectory(dir);
    expect(statSync(dir).isDirectory()).toBe(true);
    await expect(makeFrameDirectory(dir)).resolves.toBeUndefined();
  });
  it("refuses a file, leaving it as it was", async () => {
    const file = join(freshDir(), "frames");
    writeFileSync(file, "x");
    await expect(makeFrameDirectory(file)).rejects.toThrow(ImageError);
    await expect(makeFrameDirectory(file)).rejects.toThrow(
      `cannot write frames into ${file}: it is a file, not a directory; give a directory name`,
    );
    expect(readFileSync(file, "utf8")).toBe("x");
  });
  it("refuses a path through a file in one line", async () => {
    const file = join(freshDir(), "frames");
    writeFileSync(file, "x");
    await expect(makeFrameDirectory(join(file, "inner"))).rejects.toThrow(
      /^cannot create the directory .*frames\/inner: a part of the path is not a directory \(ENOTDIR\); check the path$/,
    );
  });
});
