// A tiny seeded PRNG, so that gradient checks, tests and dreams are reproducible bit for bit.
//
// Mulberry32: a 32-bit state advanced by a Weyl sequence and scrambled by two multiply-xorshift
// rounds. Not cryptographic; statistically fine for jitter offsets and test data.

/** Returns a function giving uniform numbers in [0, 1), fully determined by `seed`. */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

/** A uniform integer in [lo, hi], inclusive, from `rand`. */
export function randomInt(rand: () => number, lo: number, hi: number): number {
  return lo + Math.floor(rand() * (hi - lo + 1));
}

/** Fills `a` with uniform values in [lo, hi) from `seed`: test data and benchmark inputs. */
export function fillUniform<T extends { length: number; [i: number]: number }>(a: T, seed: number, lo = -1, hi = 1): T {
  const rand = mulberry32(seed);
  for (let i = 0; i < a.length; i++) a[i] = lo + (hi - lo) * rand();
  return a;
}
