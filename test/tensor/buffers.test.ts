// Where arrays come from: recycled inside withRecycling, shared while threads are in use.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import "../../src/threads/node-host.js";
import {
  BufferPool,
  allocFloats,
  allocIndices,
  allocOutput,
  copyOf,
  isShared,
  scratchFor,
  withRecycling,
} from "../../src/tensor/buffers.js";
import { shutdownThreads, threadsReady, withThreads } from "../../src/threads/pool.js";

beforeAll(() => threadsReady(2)); // so that the 2-thread zeroing below is really split
afterAll(() => shutdownThreads());

describe("withRecycling", () => {
  it("hands the next call the arrays of the last one: zeroed, or as left for allocOutput", () => {
    const pool = new BufferPool();
    const first = withRecycling(pool, () => [
      allocFloats("float32", 10).fill(7),
      allocFloats("float64", 10).fill(8),
      allocIndices(10).fill(9),
      allocOutput(new Float32Array(0), 11).fill(6),
    ]);
    const second = withRecycling(pool, () => [
      allocFloats("float32", 10),
      allocFloats("float64", 10),
      allocIndices(10),
      allocOutput(new Float32Array(0), 11),
    ]);
    second.forEach((arr, k) => {
      expect(arr).toBe(first[k]);
    });
    expect(Array.from(second[0]!).every((v) => v === 0)).toBe(true);
    expect(Array.from(second[1]!).every((v) => v === 0)).toBe(true);
    expect(Array.from(second[2]!).every((v) => v === 9)).toBe(true);
    expect(Array.from(second[3]!).every((v) => v === 6)).toBe(true);
  });

  it("zeroes a large recycled array with every thread", () => {
    const pool = new BufferPool();
    const n = 300_000;
    withThreads(2, () => {
      withRecycling(pool, () => allocFloats("float32", n).fill(5));
      const again = withRecycling(pool, () => allocFloats("float32", n));
      expect(again.every((v) => v === 0)).toBe(true);
    });
  });

  it("gives distinct arrays to allocations within one call", () => {
    const pool = new BufferPool();
    withRecycling(pool, () => [allocFloats("float32", 5), allocFloats("float32", 5)]);
    const [a, b] = withRecycling(pool, () => [allocFloats("float32", 5), allocFloats("float32", 5)]);
    expect(a).not.toBe(b);
  });

  it("drops what the last call did not use, and lets a nested call join the outer one", () => {
    const pool = new BufferPool();
    const lengths = (): number[] => [...pool.free.values()].flat().map((a) => a.length);
    withRecycling(pool, () => allocFloats("float32", 3));
    withRecycling(pool, () => allocFloats("float32", 4));
    expect(lengths()).toEqual([4]);
    withRecycling(pool, () => withRecycling(new BufferPool(), () => allocFloats("float32", 6)));
    expect(lengths()).toEqual([6]);
  });

  it("serves a shorter request from the smallest free array that is long enough, as a zeroed view", () => {
    const pool = new BufferPool();
    const [big, mid] = withRecycling(pool, () => [allocFloats("float32", 100).fill(3), allocFloats("float32", 60).fill(4)]);
    const [a, b, c] = withRecycling(pool, () => [allocFloats("float32", 50), allocFloats("float32", 90), allocFloats("float32", 70)]);
    expect(a!.buffer).toBe(mid!.buffer); // 60 is the best fit for 50
    expect(a!.length).toBe(50);
    expect(b!.buffer).toBe(big!.buffer);
    expect(c!.buffer).not.toBe(big!.buffer); // both taken: a fresh one
    expect(Array.from(a!).every((v) => v === 0) && Array.from(b!).every((v) => v === 0)).toBe(true);
    // The whole arrays go back: the next call can have all 100 values of the long one.
    const again = withRecycling(pool, () => allocFloats("float32", 100));
    expect(again).toBe(big);
  });

  it("serves fresh arrays outside any call", () => {
    expect(allocFloats("float32", 3)).not.toBe(allocFloats("float32", 3));
  });
});

describe("shared memory", () => {
  it("is used for new arrays while more than one thread is in use", () => {
    expect(withThreads(1, () => isShared(allocFloats("float32", 3)))).toBe(false);
    withThreads(2, () => {
      expect(isShared(allocFloats("float32", 3))).toBe(true);
      expect(isShared(allocIndices(3))).toBe(true);
      expect(isShared(copyOf(new Float32Array([1, 2])))).toBe(true);
      expect(Array.from(copyOf(new Float64Array([1, 2])))).toEqual([1, 2]);
    });
  });

  it("is not mixed up by recycling: a pool filled at one thread hands out fresh shared arrays at two", () => {
    const pool = new BufferPool();
    const local = withThreads(1, () => withRecycling(pool, () => allocFloats("float32", 8)));
    const shared = withThreads(2, () => withRecycling(pool, () => allocFloats("float32", 8)));
    expect(shared).not.toBe(local);
    expect(isShared(shared)).toBe(true);
  });

  it("makes scratchFor replace a buffer that is too small or of the wrong kind", () => {
    const small = new Float32Array(4);
    withThreads(1, () => {
      expect(scratchFor(small, 4)).toBe(small);
      expect(scratchFor(small, 5).length).toBe(5);
    });
    withThreads(2, () => {
      const grown = scratchFor(small, 4);
      expect(grown).not.toBe(small);
      expect(isShared(grown)).toBe(true);
      expect(scratchFor(grown, 4)).toBe(grown);
    });
  });
});
