// The README's quick start runs `npx inceptionism …` on a fresh clone, after `npm ci` has built
// dist/ (the prepare script). npx executes the bin file directly, so it must be executable.
import { spawnSync } from "node:child_process";
import { readFileSync, statSync } from "node:fs";
import { describe, expect, it } from "vitest";

const ROOT = new URL("../../", import.meta.url).pathname;
const pkg = JSON.parse(readFileSync(`${ROOT}package.json`, "utf8")) as { bin: Record<string, string>; version: string };

describe("the inceptionism bin", () => {
  it("is an executable node script", () => {
    const file = `${ROOT}${pkg.bin.inceptionism}`;
    expect(readFileSync(file, "utf8").startsWith("#!/usr/bin/env node\n")).toBe(true);
    expect(statSync(file).mode & 0o111).not.toBe(0);
  });
  it("runs when executed directly, as npx does", () => {
    const r = spawnSync(`${ROOT}${pkg.bin.inceptionism}`, ["--help"], { cwd: ROOT, encoding: "utf8" });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^Usage: inceptionism <command>/);
  });
  it("prints the package's version from dist/ as well as from src/", () => {
    const r = spawnSync(`${ROOT}${pkg.bin.inceptionism}`, ["--version"], { cwd: ROOT, encoding: "utf8" });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toBe(`${pkg.version}\n`);
  });
});
