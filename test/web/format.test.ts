import { describe, expect, it } from "vitest";
import { formatSeconds } from "../../web/format.js";

describe("the demo page's durations", () => {
  it("read in tenths, then whole seconds, then minutes and seconds", () => {
    expect(formatSeconds(0)).toBe("0.0 s");
    expect(formatSeconds(3.64)).toBe("3.6 s");
    expect(formatSeconds(9.96)).toBe("10 s");
    expect(formatSeconds(41.2)).toBe("41 s");
    expect(formatSeconds(94)).toBe("1 min 34 s");
  });

  it("round before splitting, so a minute never shows 60 seconds", () => {
    expect(formatSeconds(59.6)).toBe("1 min 0 s");
    expect(formatSeconds(119.6)).toBe("2 min 0 s");
  });
});
