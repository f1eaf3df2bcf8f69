// The browser finder of ./browser.ts: which executable the browser tests drive, or none.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import { chromiumForTests, findChromium, USUAL_BROWSER_PATHS } from "./browser.js";

const dir = mkdtempSync(join(tmpdir(), "inceptionism-browser-finder-"));
const executable = join(dir, "my-chromium");
writeFileSync(executable, "#!/bin/sh\n", { mode: 0o755 });
const plainFile = join(dir, "not-executable");
writeFileSync(plainFile, "", { mode: 0o644 });
const missing = join(dir, "nothing-here");

describe("findChromium", () => {
  it("takes CHROMIUM_PATH first, over the usual paths", () => {
    expect(findChromium({ CHROMIUM_PATH: executable }, [plainFile, executable])).toBe(executable);
    expect(findChromium({ CHROMIUM_PATH: executable }, USUAL_BROWSER_PATHS, (p) => p !== missing)).toBe(executable);
  });
  it("finds nothing when CHROMIUM_PATH names a missing or non-executable file, even with a browser installed", () => {
    expect(findChromium({ CHROMIUM_PATH: missing }, [executable])).toBeNull();
    expect(findChromium({ CHROMIUM_PATH: plainFile }, [executable])).toBeNull();
  });
  it("otherwise takes the first usual path that is an executable file", () => {
    expect(findChromium({}, [missing, plainFile, dir, executable])).toBe(executable);
    expect(findChromium({ CHROMIUM_PATH: "" }, [executable])).toBe(executable);
    expect(findChromium({}, [missing, plainFile, dir])).toBeNull();
  });
  it("looks where Debian, Ubuntu, Google and the snap put it", () => {
    expect(USUAL_BROWSER_PATHS).toEqual(
      expect.arrayContaining(["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome", "/snap/bin/chromium"]),
    );
  });
});

describe("chromiumForTests", () => {
  afterEach(() => vi.restoreAllMocks());
  it("skips with one line saying how to install a browser", () => {
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    expect(chromiumForTests("the X test", { CHROMIUM_PATH: missing })).toBeNull();
    expect(warn).toHaveBeenCalledTimes(1);
    const line = String(warn.mock.calls[0]![0]);
    expect(line).toMatch(
      /^skipped the X test: CHROMIUM_PATH=.*nothing-here is not an executable; to run it, install one \(Debian\/Ubuntu: apt-get install chromium\) or set CHROMIUM_PATH/,
    );
    expect(line).not.toMatch(/\n/);
  });
  it("fails instead under CI=true", () => {
    expect(() => chromiumForTests("the X test", { CHROMIUM_PATH: missing, CI: "true" })).toThrow(
      /^the X test needs a browser under CI=true, but CHROMIUM_PATH=.* is not an executable; install one/,
    );
  });
  it("returns the browser when there is one", () => {
    expect(chromiumForTests("the X test", { CHROMIUM_PATH: executable, CI: "true" })).toBe(executable);
  });
});
