import { describe, expect, it } from "vitest";
import {
  doWhile, emitModule, f32Load, f32Store, f32x4Add, f32x4Gt, f32x4Mul, i32Const, i32x4Add, i32x4Const, i32x4Splat,
  i8x16Shuffle, instantiate, localGet, localSet, localTee, newMemory, Op, sleb128, uleb128, v128Bitselect, v128Load,
  v128Load32Splat, v128Store, validates, ValType, type FuncDef,
} from "../../src/layers/wasm/assembler.js";

const { i32, f32 } = ValType;

/** Emits, validates and instantiates a module with these functions over a fresh 1-page memory. */
function build(functions: FuncDef[]) {
  const bytes = emitModule({ memoryPages: 1, functions });
  expect(validates(bytes)).toBe(true);
  const memory = newMemory(1);
  return { exports: instantiate(bytes, memory), memory };
}

describe("LEB128", () => {
  it("encodes unsigned integers, 7 bits a byte, low bits first", () => {
    expect(uleb128(0)).toEqual([0x00]);
    expect(uleb128(127)).toEqual([0x7f]);
    expect(uleb128(128)).toEqual([0x80, 0x01]);
    expect(uleb128(624485)).toEqual([0xe5, 0x8e, 0x26]); // the example in the DWARF standard
    expect(uleb128(0xffffffff)).toEqual([0xff, 0xff, 0xff, 0xff, 0x0f]);
  });

  it("encodes signed integers with the sign in bit 6 of the last byte", () => {
    expect(sleb128(0)).toEqual([0x00]);
    expect(sleb128(63)).toEqual([0x3f]);
    expect(sleb128(64)).toEqual([0xc0, 0x00]); // 0x40 alone would read as −64
    expect(sleb128(-1)).toEqual([0x7f]);
    expect(sleb128(-64)).toEqual([0x40]);
    expect(sleb128(-65)).toEqual([0xbf, 0x7f]);
    expect(sleb128(-123456)).toEqual([0xc0, 0xbb, 0x78]);
    expect(sleb128(0x7fffffff)).toEqual([0xff, 0xff, 0xff, 0xff, 0x07]);
    expect(sleb128(-0x80000000)).toEqual([0x80, 0x80, 0x80, 0x80, 0x78]);
  });

  it("rejects values outside 32 bits", () => {
    expect(() => uleb128(-1)).toThrow("uleb128: -1 is not a u32");
    expect(() => uleb128(2 ** 32)).toThrow("uleb128: 4294967296 is not a u32");
    expect(() => sleb128(2 ** 31)).toThrow("sleb128: 2147483648 is not an i32");
    expect(() => sleb128(0.5)).toThrow("sleb128: 0.5 is not an i32");
  });
});

describe("emitModule", () => {
  it("starts with the magic number and version 1", () => {
    const bytes = emitModule({ memoryPages: 1, functions: [] });
    expect([...bytes.subarray(0, 8)]).toEqual([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00]);
    expect(validates(bytes)).toBe(true);
  });

  it("is checked by the engine: a body that leaves the wrong type on the stack does not validate", () => {
    const bytes = emitModule({
      memoryPages: 1,
      functions: [{ name: "bad", params: [i32], results: [f32], locals: [], body: localGet(0) }],
    });
    expect(validates(bytes)).toBe(false);
  });

  it("emits a function that adds two i32s and one that multiplies by a negative constant", () => {
    const { exports } = build([
      { name: "add", params: [i32, i32], results: [i32], locals: [], body: [...localGet(0), ...localGet(1), Op.i32Add] },
      { name: "times", params: [i32], results: [i32], locals: [], body: [...localGet(0), ...i32Const(-300), Op.i32Mul] },
    ]);
    expect((exports.add as (x: number, y: number) => number)(2, 40)).toBe(42);
    expect((exports.times as (x: number) => number)(7)).toBe(-2100);
  });

  it("runs a do–while loop with locals: 1 + 2 + … + n", () => {
    // sum = 0; i = 0; do { i = i + 1; sum = sum + i } while (i < n)
    const n = 0, sum = 1, i = 2;
    const { exports } = build([{
      name: "triangle", params: [i32], results: [i32], locals: [i32, i32],
      body: [
        ...doWhile(
          [...localGet(i), ...i32Const(1), Op.i32Add, ...localTee(i), ...localGet(sum), Op.i32Add, ...localSet(sum)],
          [...localGet(i), ...localGet(n), Op.i32LtU],
        ),
        ...localGet(sum),
      ],
    }]);
    expect((exports.triangle as (n: number) => number)(100)).toBe(5050);
  });

  it("loads and stores f32 with constant offsets, and f32x4 multiply–adds through memory", () => {
    // f32: mem[2] = mem[0] · mem[1] + mem[0]    (byte address 0, offsets 0, 4, 8)
    // f32x4: mem[4..8) = mem[4..8) · splat(mem[1]) + mem[4..8)
    const { exports, memory } = build([
      {
        name: "scalar", params: [], results: [], locals: [f32],
        body: [
          ...i32Const(0), ...f32Load(0), ...localTee(0), ...i32Const(0), ...f32Load(4), Op.f32Mul, ...localGet(0), Op.f32Add,
          ...localSet(0), ...i32Const(0), ...localGet(0), ...f32Store(8),
        ],
      },
      {
        name: "vector", params: [], results: [], locals: [],
        body: [
          ...i32Const(16), // the store's address
          ...i32Const(16), ...v128Load(0), ...i32Const(0), ...v128Load32Splat(4), ...f32x4Mul(),
          ...i32Const(0), ...v128Load(16), ...f32x4Add(), ...v128Store(0),
        ],
      },
    ]);
    const heap = new Float32Array(memory.buffer);
    heap.set([3, 0.5, 0, 0, 1, 2, 3, 4]);
    (exports.scalar as () => void)();
    (exports.vector as () => void)();
    expect([...heap.subarray(0, 8)]).toEqual([3, 0.5, 4.5, 0, 1.5, 3, 4.5, 6]);
  });
});

describe("lane instructions: constants, shuffles, selects", () => {
  it("picks lanes, compares and selects as the specification says", () => {
    const { exports, memory } = build([{
      name: "lanes", params: [], results: [], locals: [],
      body: [
        // floats 0–7 at 0 … 31; even lanes of the pair → 32, odd lanes → 48
        ...i32Const(32), ...i32Const(0), ...v128Load(0), ...i32Const(0), ...v128Load(16),
        ...i8x16Shuffle([0, 1, 2, 3, 8, 9, 10, 11, 16, 17, 18, 19, 24, 25, 26, 27]), ...v128Store(0),
        ...i32Const(48), ...i32Const(0), ...v128Load(0), ...i32Const(0), ...v128Load(16),
        ...i8x16Shuffle([4, 5, 6, 7, 12, 13, 14, 15, 20, 21, 22, 23, 28, 29, 30, 31]), ...v128Store(0),
        // 64: where floats 0–3 > floats 4–7, floats 0–3, else [10, 20, 30, 40] + 1 as int32 lanes
        ...i32Const(64), ...i32Const(0), ...v128Load(0),
        ...i32x4Const([10, 20, 30, 40]), ...i32Const(1), ...i32x4Splat(), ...i32x4Add(),
        ...i32Const(0), ...v128Load(0), ...i32Const(0), ...v128Load(16), ...f32x4Gt(), ...v128Bitselect(), ...v128Store(0),
      ],
    }]);
    const f = new Float32Array(memory.buffer), i = new Int32Array(memory.buffer);
    f.set([5, 1, NaN, 7, 2, 3, 0, 6]);
    (exports.lanes as () => void)();
    expect([...f.subarray(8, 12)]).toEqual([5, NaN, 2, 0]);
    expect([...f.subarray(12, 16)]).toEqual([1, 7, 3, 6]);
    expect([f[16], i[17], i[18], f[19]]).toEqual([5, 21, 31, 7]); // 5 > 2, 1 < 3, NaN > 0 is false, 7 > 6
  });

  it("refuses a shuffle that is not 16 lanes from 0 to 31", () => {
    expect(() => i8x16Shuffle([0, 1, 2])).toThrow("i8x16Shuffle: expected 16 lane indices from 0 to 31, got [0, 1, 2]");
    expect(() => i8x16Shuffle(new Array<number>(16).fill(32))).toThrow(RangeError);
  });
});
