// src/io sits below src/models: io reads and writes files and images, models builds nets from
// what io decoded, so models may import io but never the other way (a folder cycle would make
// the Caffe decoder drag the net builder along). Inside io, the Caffe files and the image files
// are two subjects that share nothing. This test follows every relative import — type-only ones
// too, since they are the same dependency for a reader — from each file of src/io, directly or
// through other files, and fails naming the path that crosses a line.
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { describe, expect, it } from "vitest";

const SRC = resolve(import.meta.dirname, "../../src");

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sourceFiles(join(dir, e.name)) : e.name.endsWith(".ts") ? [join(dir, e.name)] : [],
  );
}

/** The src-relative files that `file` (src-relative) imports through relative specifiers. */
function localImports(file: string): string[] {
  const text = readFileSync(join(SRC, file), "utf8");
  const specs = [
    ...text.matchAll(/^\s*(?:import|export)\b[^;]*?from\s+["']([^"']+)["']/gm),
    ...text.matchAll(/import\(\s*["']([^"']+)["']\s*\)/g),
  ].map((m) => m[1]!);
  return specs.filter((s) => s.startsWith(".")).map((s) => relative(SRC, resolve(dirname(join(SRC, file)), s.replace(/\.js$/, ".ts"))));
}

/** Every file reachable from `start`, each with the chain of imports that reaches it. */
function reachable(start: string): Map<string, string[]> {
  const chains = new Map<string, string[]>([[start, [start]]]);
  const queue = [start];
  while (queue.length > 0) {
    const file = queue.shift()!;
    for (const next of localImports(file)) {
      if (chains.has(next)) continue;
      chains.set(next, [...chains.get(file)!, next]);
      queue.push(next);
    }
  }
  return chains;
}

describe("src/io imports nothing from src/models, and its two subjects stay apart", () => {
  const io = sourceFiles(join(SRC, "io")).map((f) => relative(SRC, f));

  it("finds the io files, in the caffe and image folders", () => {
    expect(io.filter((f) => f.startsWith("io/caffe/")).length).toBeGreaterThanOrEqual(5);
    expect(io.filter((f) => f.startsWith("io/image/")).length).toBeGreaterThanOrEqual(6);
    expect(io.filter((f) => !f.startsWith("io/caffe/") && !f.startsWith("io/image/"))).toEqual([]);
  });

  for (const file of io) {
    it(file, () => {
      const other = file.startsWith("io/caffe/") ? "io/image/" : "io/caffe/";
      for (const [target, chain] of reachable(file)) {
        expect(target.startsWith("models/"), `${chain.join(" → ")}`).toBe(false);
        expect(target.startsWith(other), `${chain.join(" → ")}`).toBe(false);
      }
    });
  }
});
