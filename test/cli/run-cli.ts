// The command run as a user runs it, from the sources (`node --import tsx src/cli.ts …`), for the
// tests in this folder: exit code, stdout and stderr, in the project's root.
import { spawnSync } from "node:child_process";
import { join } from "node:path";

const ROOT = new URL("../../", import.meta.url).pathname;
const CLI = join(ROOT, "src/cli.ts");

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `inceptionism …args` to its end (or until `timeout` ms), with `env` (default: this process's). */
export function runCli(
  args: readonly string[],
  { timeout = 120_000, env = process.env }: { timeout?: number; env?: NodeJS.ProcessEnv } = {},
): CliRun {
  const r = spawnSync(process.execPath, ["--import", "tsx", CLI, ...args], { cwd: ROOT, encoding: "utf8", timeout, env });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}
