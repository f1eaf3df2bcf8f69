// Writes the bundled GoogLeNet (or any decoded net: `exportNet`) in a form bench/pytorch/googlenet_step.py can read without any
// Caffe parser: `weights.f32` (every learned blob, little-endian float32, back to back) and
// `net.json` (the layers in file order with their parameters, and where each blob starts in
// weights.f32). Bench-only; the files go to a cache directory and are never committed.
//
//     npx tsx bench/pytorch/export-weights.ts [DIR]     (default: $TMPDIR/inceptionism-pytorch)
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { decodeCaffeModel } from "../../src/io/caffe/decode.js";
import type { NetDef } from "../../src/io/caffe/net-def.js";
import { googlenetUrl } from "../../src/models/sources.js";

export const DEFAULT_EXPORT_DIR = join(tmpdir(), "inceptionism-pytorch");

/** Exports the bundled GoogLeNet's weights and layer list to `dir`; returns the path of net.json. */
export function exportGoogLeNet(dir: string = DEFAULT_EXPORT_DIR): string {
  return exportNet(decodeCaffeModel(readFileSync(googlenetUrl)), dir);
}

/** Exports a decoded net's weights and layer list to `dir`; returns the path of net.json. */
export function exportNet(def: NetDef, dir: string): string {
  const blobs: Float32Array[] = [];
  let offset = 0; // in floats
  const layers = def.layers.map((l) => {
    const { blobs: layerBlobs, ...params } = l;
    const index = layerBlobs.map((b) => {
      blobs.push(b.data);
      const entry = { shape: b.shape, offset };
      offset += b.data.length;
      return entry;
    });
    return { ...params, blobs: index };
  });
  const all = new Float32Array(offset);
  let at = 0;
  for (const b of blobs) {
    all.set(b, at);
    at += b.length;
  }
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "weights.f32"), new Uint8Array(all.buffer));
  const netJson = join(dir, "net.json");
  writeFileSync(netJson, JSON.stringify({ name: def.name, inputs: def.inputs, layers }));
  return netJson;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  console.log(exportGoogLeNet(process.argv[2]));
}
