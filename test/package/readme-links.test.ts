// The README is the tour of the code: every relative link in it (and in bench/README.md) must
// lead to a file or folder that exists, so a move that forgets the tour fails here.
import { existsSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { describe, expect, it } from "vitest";

const ROOT = resolve(import.meta.dirname, "../..");

describe("README links", () => {
  for (const doc of ["README.md", "bench/README.md"]) {
    it(`${doc}: every relative link exists`, () => {
      const text = readFileSync(join(ROOT, doc), "utf8");
      const targets = [...text.matchAll(/\]\(([^)\s]+)\)/g)].map((m) => m[1]!).filter((t) => !/^[a-z]+:|^#/.test(t));
      if (doc === "README.md") expect(targets.length).toBeGreaterThan(10); // the tour itself is found
      const missing = targets.filter((t) => !existsSync(join(ROOT, dirname(doc), t.split("#")[0]!)));
      expect(missing).toEqual([]);
    });
  }
});
