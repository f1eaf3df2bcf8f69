import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    setupFiles: ["test/setup.ts"],
    // The golden-net and dream tests run real GoogLeNet passes in plain JS: seconds each.
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
