// Tiles for computing a large image's gradient piece by piece, so memory is bounded by the
// tile size rather than the image size.
//
// Each tile has a *core*, the pixels whose gradient it contributes, and a *context* around it:
// the crop the net actually sees. Without context, a tile's borders would see zero padding
// instead of the neighbouring picture, and a grid of seams would appear. With a margin as wide
// as the part of the receptive field that matters, the core's gradient is (nearly) the one of
// the whole image. Crops start on multiples of the net's total stride, so the activations are
// sampled at the same positions as in the whole image. The picture is rolled by a random offset
// before every step, so what error remains never falls in the same place twice.

export interface Tile {
  /** The core: the pixels this tile's gradient is kept for. */
  y: number;
  x: number;
  h: number;
  w: number;
  /** The context crop the net sees, containing the core. */
  cropY: number;
  cropX: number;
  cropH: number;
  cropW: number;
}

/** Context on each side of a core, in pixels. */
export const TILE_MARGIN = 64;
/** Crops start on multiples of this: GoogLeNet's total stride up to inception_5b. */
export const TILE_ALIGN = 32;

/**
 * Covers H×W with non-overlapping cores of at most `tile` pixels a side (as equal as possible,
 * and none smaller than `minSide`, the smallest input the layer accepts, unless the image is),
 * each with up to `margin` pixels of context.
 */
export function gradientTiles(H: number, W: number, tile: number, minSide: number, margin = TILE_MARGIN): Tile[] {
  const rows = spans(H, tile, minSide, margin),
    cols = spans(W, tile, minSide, margin);
  const tiles: Tile[] = [];
  for (const r of rows) {
    for (const c of cols) {
      tiles.push({
        y: r.start,
        h: r.size,
        x: c.start,
        w: c.size,
        cropY: r.cropStart,
        cropH: r.cropSize,
        cropX: c.cropStart,
        cropW: c.cropSize,
      });
    }
  }
  return tiles;
}

interface Span {
  start: number;
  size: number;
  cropStart: number;
  cropSize: number;
}

function spans(length: number, tile: number, minSide: number, margin: number): Span[] {
  let n = Math.ceil(length / tile);
  while (n > 1 && Math.floor(length / n) < minSide) n--;
  const out: Span[] = [];
  let start = 0;
  for (let i = 0; i < n; i++) {
    const size = Math.floor(length / n) + (i < length % n ? 1 : 0);
    const cropStart = Math.max(0, Math.floor((start - margin) / TILE_ALIGN) * TILE_ALIGN);
    const cropEnd = Math.min(length, start + size + margin);
    out.push({ start, size, cropStart, cropSize: cropEnd - cropStart });
    start += size;
  }
  return out;
}
