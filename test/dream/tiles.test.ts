import { describe, expect, it } from "vitest";
import { gradientTiles, TILE_ALIGN } from "../../src/dream/tiles.js";

describe("gradientTiles", () => {
  for (const [H, W, tile, minSide] of [
    [214, 320, 160, 7],
    [1000, 37, 256, 15],
    [65, 65, 64, 31],
    [100, 100, 512, 15],
  ] as const) {
    it(`covers ${H}×${W} with cores ≤ ${tile} exactly once, crops aligned and inside`, () => {
      const hits = new Uint8Array(H * W);
      for (const t of gradientTiles(H, W, tile, minSide)) {
        expect(Math.min(t.h, t.w)).toBeGreaterThanOrEqual(Math.min(minSide, H, W));
        expect(t.cropY % TILE_ALIGN).toBe(0);
        expect(t.cropX % TILE_ALIGN).toBe(0);
        expect(t.cropY).toBeLessThanOrEqual(t.y);
        expect(t.cropY + t.cropH).toBeGreaterThanOrEqual(t.y + t.h);
        expect(t.cropY + t.cropH).toBeLessThanOrEqual(H);
        expect(t.cropX + t.cropW).toBeLessThanOrEqual(W);
        for (let y = t.y; y < t.y + t.h; y++) for (let x = t.x; x < t.x + t.w; x++) hits[y * W + x]!++;
      }
      expect(hits.every((v) => v === 1)).toBe(true);
    });
  }
  it("keeps cores at least as large as the layer needs, even if that exceeds the tile", () => {
    const tiles = gradientTiles(100, 100, 40, 60);
    expect(tiles).toHaveLength(1);
    expect(tiles[0]).toMatchObject({ y: 0, x: 0, h: 100, w: 100 });
  });
});
