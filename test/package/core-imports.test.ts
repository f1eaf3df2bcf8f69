// The core must run in a browser: only the Node side (files, the encoders backed by pngjs, the
// CLI, the package entry) may import node:* modules or pngjs. This test reads every source file
// and fails, naming the file, if a core file imports one — directly or through another file.
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { describe, expect, it } from "vitest";

const SRC = resolve(import.meta.dirname, "../../src");

/** Files allowed to touch Node: everything else is core. */
const NODE_SIDE = new Set([
  "cli.ts",
  "cli/progress.ts",
  "cli/engine.ts",
  "cli/engine-worker.ts",
  "cli/ffmpeg.ts",
  "cli/video.ts",
  "index.ts",
  "models/load.ts",
  "io/image/image-file.ts",
  "io/image/encode.ts",
  "threads/node-host.ts",
  "node-worker.ts",
  "node-relaxed-simd.ts",
]);

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sourceFiles(join(dir, e.name)) : e.name.endsWith(".ts") ? [join(dir, e.name)] : [],
  );
}

function imports(file: string): string[] {
  const text = readFileSync(file, "utf8");
  return [
    ...text.matchAll(/^\s*(?:import|export)\b[^;]*?from\s+["']([^"']+)["']/gm),
    ...text.matchAll(/import\(\s*["']([^"']+)["']\s*\)/g),
  ].map((m) => m[1]!);
}

describe("the core imports nothing from Node", () => {
  const files = sourceFiles(SRC).map((f) => relative(SRC, f));
  const core = files.filter((f) => !NODE_SIDE.has(f));

  it("finds the source files", () => {
    expect(core.length).toBeGreaterThan(20);
  });

  for (const file of core) {
    it(file, () => {
      for (const spec of imports(join(SRC, file))) {
        expect(
          spec.startsWith("node:") || ["fs", "path", "zlib", "pngjs", "stream", "buffer"].includes(spec),
          `${file} imports ${spec}`,
        ).toBe(false);
        if (spec.startsWith(".")) {
          const target = relative(SRC, resolve(dirname(join(SRC, file)), spec.replace(/\.js$/, ".ts")));
          expect(NODE_SIDE.has(target), `${file} imports the Node-side ${target}`).toBe(false);
        }
      }
    });
  }
});
