// The command on Model-Zoo-shaped files (test/models/zoo-nets.ts), as a user runs it with
// `--model FILE`: `layers` lists their blobs, `dream` picks their deepest feature map, and a
// layer type we do not know is named in a one-line error.
import { existsSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { readImage } from "../../src/io/image/image-file.js";
import { nin, resnet50, vgg16, viaFile } from "../models/zoo-nets.js";
import { runCli } from "./run-cli.js";

const FISH = new URL("../fixtures/images/fish-bike.jpg", import.meta.url).pathname;

let dir: string;
let vgg: string;
let resnet: string;
let fancy: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "inceptionism-zoo-"));
  vgg = join(dir, "vgg16.caffemodel");
  writeFileSync(vgg, vgg16().bytes);
  resnet = join(dir, "resnet50.caffemodel");
  writeFileSync(resnet, resnet50().bytes);
  // A NIN with a made-up layer type after its first 1×1 convolution.
  const def = nin().def;
  const at = def.layers.findIndex((l) => l.name === "relu1") + 1;
  const layers = [...def.layers];
  layers.splice(at, 0, { name: "cccp1/fancy", type: "FancyNorm", bottoms: ["cccp1"], tops: ["cccp1"], blobs: [], phase: null });
  fancy = join(dir, "fancy.caffemodel");
  writeFileSync(fancy, viaFile({ ...def, layers }).bytes);
});

describe("layers --model on a VGG-16-shaped file", () => {
  it("lists every blob in file order with its shape at 224×224, the in-place ReLUs and Dropouts with the blob they write", () => {
    const r = runCli(["layers", "--model", vgg]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toBe("");
    const rows = r.stdout.trimEnd().split("\n");
    expect(rows).toHaveLength(1 + 13 * 2 + 5 + 2 * 3 + 2); // data, conv + relu, pools, fc6/fc7 + relu + drop, fc8 and prob
    const row = (name: string): string[] => rows.find((l) => l.startsWith(`${name} `))!.split(/\s+/);
    expect(row("data")).toEqual(["data", "Input", "1×3×224×224"]);
    expect(row("relu5_3")).toEqual(["relu5_3", "ReLU", "1×32×14×14", "→", "conv5_3"]);
    expect(row("pool5")).toEqual(["pool5", "Pooling", "1×32×7×7"]);
    expect(row("fc6")).toEqual(["fc6", "InnerProduct", "1×64"]);
    expect(row("drop7")).toEqual(["drop7", "Dropout", "1×64", "→", "fc7"]);
    expect(rows[rows.length - 1]!.split(/\s+/)).toEqual(["prob", "Softmax", "1×1000"]);
  });
});

describe("layers --model on a ResNet-50-shaped file", () => {
  it("lists each convolution, its in-place BatchNorm, Scale and ReLU writing the same blob, and the shortcuts", () => {
    const r = runCli(["layers", "--model", resnet, "--json"]);
    expect(r.code, r.stderr).toBe(0);
    const { blobs } = JSON.parse(r.stdout) as { blobs: { name: string; type: string; top: string; shape: number[] }[] };
    expect(blobs).toHaveLength(1 + 53 * 3 + (1 + 16 * 2) + 16 * 2 + 4); // data; conv, bn, scale; conv1 and branch ReLUs; eltwise + ReLU; pool1, pool5, fc1000, prob
    const at = blobs.findIndex((b) => b.name === "res2a_branch2a");
    expect(blobs.slice(at, at + 4)).toEqual(
      ["res2a_branch2a", "bn2a_branch2a", "scale2a_branch2a", "res2a_branch2a_relu"].map((name, i) => ({
        name,
        type: ["Convolution", "BatchNorm", "Scale", "ReLU"][i],
        top: "res2a_branch2a",
        shape: [1, 4, 56, 56],
      })),
    );
    expect(blobs.find((b) => b.name === "res5c_relu")).toEqual({ name: "res5c_relu", type: "ReLU", top: "res5c", shape: [1, 128, 7, 7] });
    expect(blobs.find((b) => b.name === "pool5")!.shape).toEqual([1, 128, 1, 1]);
  });
});

describe("dream --model on a VGG-16-shaped file", () => {
  it("dreams on pool5 without a layer given, saying so in one note", async () => {
    const output = join(dir, "vgg.png");
    const r = runCli(["dream", FISH, "-o", output, "--model", vgg, "--max-size", "64", "--octaves", "1", "--iterations", "2"]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr.split("\n").filter((l) => l.startsWith("note: "))).toEqual([
      'note: model "VGG_ILSVRC_16_layers" has no "inception_4c/output" (the default layer); dreaming on "pool5", its deepest feature map; give a layer to choose another',
    ]);
    expect((await readImage(output)).width).toBe(64);
  });
});

describe("a file with a layer type we do not know", () => {
  for (const [what, extra] of [
    ["with a layer after it", ["--layer", "relu3"]],
    ["without a layer", []],
  ] as const) {
    it(`dream ${what} fails in one line naming the layer and its type, and writes nothing`, () => {
      const output = join(dir, `fancy-${extra.length}.png`);
      const r = runCli(["dream", FISH, "-o", output, "--model", fancy, "--max-size", "64", ...extra, "--quiet"]);
      expect(r.code, r.stderr).toBe(1);
      expect(r.stderr).toBe('inceptionism: layer "cccp1/fancy" has type "FancyNorm", which inceptionism does not support\n');
      expect(existsSync(output)).toBe(false);
    });
  }
  it("layers lists what comes before it", () => {
    const r = runCli(["layers", "--model", fancy, "--size", "64x64"]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.split("\n").map((l) => l.split(/\s+/)[0])).toEqual(
      expect.arrayContaining(["data", "conv1", "relu0", "cccp1", "relu1"]),
    );
  });
});
