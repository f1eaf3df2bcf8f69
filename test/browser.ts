// Finding a Chromium to drive, and launching it, for the tests that run in a browser.
//
// `npm test` must pass on a fresh clone, where there may be no browser at all: then the browser
// tests are skipped, with one line saying how to get one. Under CI=true a missing browser is a
// failure instead, since a CI run that silently skips them would hide a broken browser build.
//
// The order: $CHROMIUM_PATH if it is set (the user's choice wins; set to a missing file it finds
// nothing, which is how to hide an installed browser), then the usual places of Debian's,
// Ubuntu's, Google's and the snap's builds.
import { accessSync, constants, statSync } from "node:fs";
import { chromium, type Browser } from "playwright-core";

/** Where Linux distributions and Google put Chromium or Chrome, most usual first. */
export const USUAL_BROWSER_PATHS: readonly string[] = [
  "/usr/bin/chromium",
  "/usr/bin/chromium-browser",
  "/usr/bin/google-chrome",
  "/usr/bin/google-chrome-stable",
  "/snap/bin/chromium",
  "/opt/google/chrome/chrome",
];

/** How to get a browser, for the skip note and the CI failure. */
export const BROWSER_HINT = "install one (Debian/Ubuntu: apt-get install chromium) or set CHROMIUM_PATH to a Chromium or Chrome executable";

const isExecutableFile = (path: string): boolean => {
  try {
    accessSync(path, constants.X_OK);
    return statSync(path).isFile();
  } catch {
    return false;
  }
};

/**
 * The Chromium executable to use: `env.CHROMIUM_PATH` when set (null if it is not an executable
 * file), else the first of `candidates` that is one; null when there is none.
 */
export function findChromium(
  env: Readonly<Record<string, string | undefined>> = process.env,
  candidates: readonly string[] = USUAL_BROWSER_PATHS,
  usable: (path: string) => boolean = isExecutableFile,
): string | null {
  const chosen = env.CHROMIUM_PATH;
  if (chosen !== undefined && chosen !== "") return usable(chosen) ? chosen : null;
  return candidates.find(usable) ?? null;
}

/**
 * The browser for a test file, or null to skip it (after printing why, once). Under CI=true a
 * missing browser throws instead: CI must run the browser tests.
 */
export function chromiumForTests(what: string, env: Readonly<Record<string, string | undefined>> = process.env): string | null {
  const path = findChromium(env);
  if (path !== null) return path;
  const where = env.CHROMIUM_PATH
    ? `CHROMIUM_PATH=${env.CHROMIUM_PATH} is not an executable`
    : `no Chromium in ${USUAL_BROWSER_PATHS.join(", ")}`;
  if (env.CI === "true") throw new Error(`${what} needs a browser under CI=true, but ${where}; ${BROWSER_HINT}`);
  console.warn(`skipped ${what}: ${where}; to run it, ${BROWSER_HINT}`);
  return null;
}

/** Headless Chromium at `executablePath`, with nothing running in the background. */
export function launchChromium(executablePath: string): Promise<Browser> {
  return chromium.launch({
    executablePath,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
}
