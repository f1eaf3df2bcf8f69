// Circular shift of image planes, numpy's `np.roll` over the last two axes: the pixel at
// (y, x) moves to ((y + dy) mod H, (x + dx) mod W). DeepDream rolls the picture by a random
// offset before each step and rolls it back after, so the net sees a different alignment of
// its stride grid every time.

/** C planes of H×W rolled by (dy, dx), written into `out` (same length as `src`, not `src`). */
export function rollPlanes(src: Float32Array, C: number, H: number, W: number, dy: number, dx: number, out: Float32Array): Float32Array {
  if (out === src) throw new RangeError("rollPlanes: out must not be src");
  const sy = ((dy % H) + H) % H,
    sx = ((dx % W) + W) % W;
  for (let c = 0; c < C; c++) {
    const plane = c * H * W;
    for (let y = 0; y < H; y++) {
      const from = plane + y * W;
      const to = plane + ((y + sy) % H) * W;
      // Row y lands on row y + sy, shifted right by sx: two contiguous runs.
      out.set(src.subarray(from, from + W - sx), to + sx);
      out.set(src.subarray(from + W - sx, from + W), to);
    }
  }
  return out;
}
