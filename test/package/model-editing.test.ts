// Editing a Caffe model through the package entry, as a user would: decode a .caffemodel into a
// NetDef, cut it, save it in the other format with encodeCaffeModel, load the file back. The
// types the net's public methods return (PlannedBlob, ValueRef) come from the entry too.
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import * as inceptionism from "../../src/index.js";
import type { CaffeFormat, NetDef, PlannedBlob, ValueRef } from "../../src/index.js";

const SQUEEZENET = new URL("../fixtures/models/squeezenet_v1.1.caffemodel", import.meta.url);
const dir = mkdtemp(join(tmpdir(), "inceptionism-model-"));
afterAll(async () => rm(await dir, { recursive: true, force: true }));

describe("a model saved with encodeCaffeModel", () => {
  it("loads back from its file and computes what the original computes, in the other format", async () => {
    const { CaffeNet, Tensor, decodeCaffeModel, encodeCaffeModel, loadCaffeModel } = inceptionism;
    const bytes = await readFile(SQUEEZENET);
    const def: NetDef = decodeCaffeModel(bytes); // SqueezeNet ships in the modern format
    const end = def.layers.findIndex((l) => l.name === "fire2/concat");
    const cut: NetDef = { ...def, name: "squeezenet-fire2", layers: def.layers.slice(0, end + 1) };
    const format: CaffeFormat = "v1";
    const path = join(await dir, "squeezenet-fire2.caffemodel");
    await writeFile(path, encodeCaffeModel(cut, format));

    const saved = await loadCaffeModel(path);
    expect(saved.name).toBe("squeezenet-fire2");
    expect(saved.outputNames).not.toContain("fire3/squeeze1x1");
    const x = inceptionism.randomTensor([1, 3, 35, 39], 1, -100, 100);
    const [got] = saved.forward(x, ["fire2/concat"]);
    const [expected] = new CaffeNet(def).forward(new Tensor(x.data.slice(), x.shape), ["fire2/concat"]);
    expect(got!.shape).toEqual([1, 128, 8, 9]);
    expect(got!.shape).toEqual(expected!.shape);
    expect(Array.from(got!.data)).toEqual(Array.from(expected!.data));

    const rows: PlannedBlob[] = saved.plannedShapes(["fire2/concat"], [1, 3, 35, 39]);
    expect(rows.at(-1)).toMatchObject({ name: "fire2/concat", top: "fire2/concat", shape: [1, 128, 8, 9] });
    const ref: ValueRef = saved.resolve("fire2/concat");
    expect(ref).toEqual({ layer: end - 1, top: 0 }); // V1 has no Input layer: one layer fewer
  });
});
