// Relaxed SIMD on Node 20 (src/node-relaxed-simd.ts): off unless asked, on when
// INCEPTIONISM_GEMM=wasm-relaxed asks, through the package entry. Each case is a fresh process,
// because the GEMM's choice and V8's flag are both made once per process.
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const ENTRY = fileURLToPath(new URL("../../src/index.ts", import.meta.url));
const PROBE = `const m = await import(${JSON.stringify(ENTRY)}); console.log(m.gemmBackend());`;

/** The GEMM kernel a fresh process picks through the package entry, with INCEPTIONISM_GEMM = gemm. */
function kernelIn(gemm: string | undefined): string {
  const env = { ...process.env };
  if (gemm === undefined) delete env.INCEPTIONISM_GEMM;
  else env.INCEPTIONISM_GEMM = gemm;
  const r = spawnSync(process.execPath, ["--import", "tsx", "--input-type=module", "-e", PROBE], {
    encoding: "utf8",
    env,
    timeout: 60_000,
  });
  if (r.status !== 0) throw new Error(r.stderr);
  return r.stdout.trim();
}

// What this Node has without any flag: Node ≥ 21 has relaxed SIMD on by default.
const relaxedByDefault = Number(process.versions.node.split(".")[0]) >= 21;

describe("relaxed SIMD through the package entry", () => {
  it("is used when INCEPTIONISM_GEMM=wasm-relaxed asks, on Node 20 too", () => {
    expect(kernelIn("wasm-relaxed")).toBe("wasm-relaxed");
  });

  it.runIf(!relaxedByDefault)("is not turned on by default where it needs a V8 flag", () => {
    expect(kernelIn(undefined)).toBe("wasm-plain");
  });
});
