// One Node floor: package.json's engines and every "Node ≥ X" in the README name the same
// version, and the runtime running the tests is on or above it. (The floor is what was tested:
// .ci/run runs the suite on this machine's Node 20 and on Node 24; 20.19 is also what vite 8,
// under vitest, declares.)
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";

const ROOT = new URL("../../", import.meta.url);
const pkg = JSON.parse(readFileSync(new URL("package.json", ROOT), "utf8")) as { engines: { node: string } };
const readme = readFileSync(new URL("README.md", ROOT), "utf8");

const parts = (v: string): number[] => v.split(".").map(Number);
const atLeast = (v: string, floor: string): boolean => {
  const [a, b] = [parts(v), parts(floor)];
  for (let i = 0; i < Math.max(a.length, b.length); i++) if ((a[i] ?? 0) !== (b[i] ?? 0)) return (a[i] ?? 0) > (b[i] ?? 0);
  return true;
};

describe("the Node floor", () => {
  const floor = /^>=(\d+\.\d+)$/.exec(pkg.engines.node)?.[1];
  it("is one minor version in engines", () => {
    expect(pkg.engines.node).toMatch(/^>=\d+\.\d+$/);
  });
  it("is the one the README states, everywhere it states one", () => {
    const stated = [...readme.matchAll(/Node ≥ (\d+(?:\.\d+)*)/g)].map((m) => m[1]);
    expect(stated.length).toBeGreaterThan(0);
    expect(new Set(stated)).toEqual(new Set([floor]));
  });
  it("is met by this runtime", () => {
    expect(atLeast(process.versions.node, floor!), `Node ${process.versions.node} < ${floor}`).toBe(true);
    expect(atLeast("20.19.0", "20.19")).toBe(true);
    expect(atLeast("20.18.3", "20.19")).toBe(false);
    expect(atLeast("24.0.0", "20.19")).toBe(true);
  });
});
