// What `npm pack` puts in the tarball: what a user needs to run the package (the built entries,
// the bundled model and labels with their license, the README, LICENSE and CHANGELOG) and
// nothing else — no tests, fixtures, benchmarks or sources, and no built file left over in
// dist/ from a source that no longer exists.
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";

const PROJECT = resolve(import.meta.dirname, "../..");

/** The tarball's file list, from `npm pack --dry-run --json` (no build: it lists dist/ as it is). */
function packedFiles(): string[] {
  const out = execFileSync("npm", ["pack", "--dry-run", "--json", "--ignore-scripts"], { cwd: PROJECT, encoding: "utf8" });
  const [pack] = JSON.parse(out) as [{ files: { path: string }[] }];
  return pack.files.map((f) => f.path).sort();
}

/** The source file a built file comes from: dist/a/b.js, .d.ts, .js.map and .d.ts.map ← src/a/b.ts. */
function sourceOf(built: string): string {
  return built.replace(/^dist\//, "src/").replace(/(\.d)?\.ts\.map$|\.js\.map$|\.d\.ts$|\.js$/, ".ts");
}

describe("the npm tarball", () => {
  const files = packedFiles();

  it("holds the entries, the bundled model with its license, and the documents", () => {
    for (const f of [
      "package.json",
      "README.md",
      "LICENSE",
      "CHANGELOG.md",
      "models/bvlc_googlenet.caffemodel",
      "models/synset_words.txt",
      "models/LICENSE",
      "dist/index.js",
      "dist/index.d.ts",
      "dist/browser.js",
      "dist/browser.d.ts",
      "dist/cli.js",
      "dist/node-worker.js",
      "dist/web-worker.js",
    ]) {
      expect(files, f).toContain(f);
    }
  });

  it("holds nothing but dist/, the bundled model files and the documents", () => {
    const allowed =
      /^(dist\/.+\.(js|d\.ts|js\.map|d\.ts\.map)|models\/(bvlc_googlenet\.caffemodel|synset_words\.txt|LICENSE)|package\.json|README\.md|LICENSE|CHANGELOG\.md)$/;
    expect(files.filter((f) => !allowed.test(f))).toEqual([]);
  });

  it("has no built file whose source is gone", () => {
    const stale = files.filter((f) => f.startsWith("dist/") && !existsSync(resolve(PROJECT, sourceOf(f))));
    expect(stale).toEqual([]);
  });
});
