// Bit-for-bit comparison of Float32 results, for tests that promise the same bits (NaNs and −0
// included): one boolean, so a failure does not print thousands of values.

const bits = (a: Float32Array): Uint32Array => new Uint32Array(a.buffer, a.byteOffset, a.length);

/** Whether two Float32Arrays hold the same bits. */
export const sameBits = (a: Float32Array, b: Float32Array): boolean => a.length === b.length && bits(a).every((v, i) => v === bits(b)[i]);
