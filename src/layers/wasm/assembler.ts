// A tiny WebAssembly binary emitter: just enough of the format to write one GEMM micro-kernel
// from TypeScript at start-up — no blobs, no toolchain, no build step.
//
// A module is a magic number, a version, and a list of sections, each `id, byte size, content`:
//
//     \0asm 1 0 0 0
//     section 1  type      the function signatures, (params) → (results)
//     section 2  import    what the host provides: here only the linear memory, env.memory
//     section 3  function  for each function, the index of its signature
//     section 7  export    the names under which the host sees the functions
//     section 10 code      for each function, its local variables and its instruction bytes
//
// Integers are LEB128: 7 bits per byte, little end first, the high bit set on every byte but
// the last (`uleb128` for sizes and indices; `sleb128`, sign-extended, for i32.const). A vector
// is its length followed by its elements. Instructions are one opcode byte followed by their
// immediates; the SIMD ones are the prefix 0xfd followed by a LEB128 sub-opcode. Memory
// accesses carry a "memarg": log2 of the alignment, then a constant byte offset that is added
// to the address on the stack — which is how the micro-kernel addresses a tile without
// arithmetic. The WebAssembly core specification (sections 5.x, "Binary Format") is the source
// of every number below.

/** Value types (one byte each). */
export const ValType = {
  i32: 0x7f, // 32-bit integer: sizes, loop counters, byte addresses
  f32: 0x7d, // 32-bit float
  f64: 0x7c, // 64-bit float
  v128: 0x7b, // 128-bit SIMD vector: four f32 lanes, or two f64 lanes
} as const;
export type ValType = (typeof ValType)[keyof typeof ValType];

/** One-byte opcodes: only those the kernels and tests use. */
export const Op = {
  block: 0x02, // block <blocktype>: `br 0` inside jumps to its end
  loop: 0x03, // loop <blocktype>: `br 0` inside jumps back to its start
  br: 0x0c, // br <depth>: jumps to the end of that block, or the start of that loop
  end: 0x0b, // ends a block, a loop or a function body
  brIf: 0x0d, // br_if <depth>: pops an i32, branches if it is non-zero
  localGet: 0x20, // local.get <index>: pushes a local (the parameters come first)
  localSet: 0x21, // local.set <index>: pops into a local
  localTee: 0x22, // local.tee <index>: stores into a local, keeping the value on the stack
  i32Load: 0x28, // i32.load <memarg>: pops an address, pushes the i32 there
  f32Load: 0x2a, // f32.load <memarg>: pops an address, pushes the f32 there
  i32Store: 0x36, // i32.store <memarg>: pops a value and an address
  f32Store: 0x38, // f32.store <memarg>: pops a value and an address
  select: 0x1b, // select: pops c, b, a; pushes a if c ≠ 0, else b
  i32Const: 0x41, // i32.const <sleb128>
  i32Eqz: 0x45, // i32.eqz: pops a; pushes a = 0
  f64Const: 0x44, // f64.const <8 bytes, little-endian IEEE 754>
  i32Eq: 0x46, // i32.eq: pops b, a; pushes a = b
  i32Ne: 0x47, // i32.ne: pops b, a; pushes a ≠ b
  i32LtS: 0x48, // i32.lt_s: pops b, a; pushes a < b, signed
  i32LtU: 0x49, // i32.lt_u: pops b, a; pushes a < b, unsigned
  i32GtS: 0x4a, // i32.gt_s: pops b, a; pushes a > b, signed
  i32Add: 0x6a, // i32.add
  i32Sub: 0x6b, // i32.sub: pops b, a; pushes a − b
  i32Mul: 0x6c, // i32.mul
  i32And: 0x71, // i32.and
  i32Shl: 0x74, // i32.shl: pops b, a; pushes a << b
  i32ShrU: 0x76, // i32.shr_u: pops b, a; pushes a >>> b
  f32Add: 0x92, // f32.add
  f32Mul: 0x94, // f32.mul
  simdPrefix: 0xfd, // the next LEB128 is a SIMD sub-opcode (below)
} as const;

/** Sub-opcodes after `Op.simdPrefix`. */
export const SimdOp = {
  v128Load: 0x00, // v128.load <memarg>: 16 bytes at the address
  v128Load32Splat: 0x09, // v128.load32_splat <memarg>: one f32 at the address, copied to 4 lanes
  v128Store: 0x0b, // v128.store <memarg>: pops a vector and an address
  v128Const: 0x0c, // v128.const <16 bytes>
  i8x16Shuffle: 0x0d, // i8x16.shuffle <16 lane indices>: bytes picked from the 32 of two vectors
  i32x4Splat: 0x11, // i32x4.splat: one i32 copied to 4 lanes
  f32x4Splat: 0x13, // f32x4.splat: one f32 copied to 4 lanes
  f64x2Splat: 0x14, // f64x2.splat: one f64 copied to 2 lanes
  f32x4Gt: 0x44, // f32x4.gt: lane-wise a > b as all ones or all zeros (false where either is NaN)
  f64x2Ne: 0x48, // f64x2.ne: lane-wise a ≠ b (true where either is NaN)
  f64x2Gt: 0x4a, // f64x2.gt: lane-wise a > b (false where either is NaN)
  v128And: 0x4e, // v128.and: bitwise a & b
  v128Or: 0x50, // v128.or: bitwise a | b
  v128Bitselect: 0x52, // v128.bitselect: pops c, b, a; bits of a where c is 1, of b where it is 0
  v128Load64Lane: 0x57, // v128.load64_lane <memarg> <lane>: pops a vector and an address, replaces that lane with the 8 bytes there
  v128Store64Lane: 0x5b, // v128.store64_lane <memarg> <lane>: pops a vector and an address, stores that lane's 8 bytes
  v128Load64Zero: 0x5d, // v128.load64_zero <memarg>: 8 bytes at the address into the low lane, the high lane 0
  f32x4DemoteF64x2Zero: 0x5e, // f32x4.demote_f64x2_zero: both f64 lanes rounded to f32 (to nearest), in the low two lanes
  f64x2PromoteLowF32x4: 0x5f, // f64x2.promote_low_f32x4: the two low f32 lanes as f64 (exact)
  i32x4Add: 0xae, // i32x4.add: lane-wise a + b
  f32x4Sqrt: 0xe3, // f32x4.sqrt: lane-wise √a, correctly rounded
  f32x4Add: 0xe4, // f32x4.add: lane-wise a + b
  f32x4Sub: 0xe5, // f32x4.sub: lane-wise a − b
  f32x4Mul: 0xe6, // f32x4.mul: lane-wise a · b
  f32x4Div: 0xe7, // f32x4.div: lane-wise a / b
  f32x4Max: 0xe9, // f32x4.max: lane-wise max(a, b); NaN if either is NaN, and max(−0, +0) = +0
  f64x2Add: 0xf0, // f64x2.add: lane-wise a + b
  f64x2Sub: 0xf1, // f64x2.sub: lane-wise a − b
  f64x2Mul: 0xf2, // f64x2.mul: lane-wise a · b
  f32x4RelaxedMadd: 0x105, // f32x4.relaxed_madd (relaxed SIMD): a · b + c, fused where the CPU can
} as const;

const BlockTypeEmpty = 0x40; // a block or loop that leaves nothing on the stack
const FuncType = 0x60; // introduces a signature in the type section
const ImportMemory = 0x02; // import kind: a linear memory
const ExportFunc = 0x00; // export kind: a function

const Section = { type: 1, import: 2, function: 3, export: 7, code: 10 } as const;

/** Unsigned LEB128 of an integer in [0, 2³²). */
export function uleb128(n: number): number[] {
  if (!Number.isInteger(n) || n < 0 || n > 0xffffffff) throw new RangeError(`uleb128: ${n} is not a u32`);
  const out: number[] = [];
  do {
    let byte = n & 0x7f;
    n = Math.floor(n / 128); // not >>>: n may not fit in a signed 32-bit integer
    if (n !== 0) byte |= 0x80;
    out.push(byte);
  } while (n !== 0);
  return out;
}

/** Signed LEB128 of an integer in [−2³¹, 2³¹). */
export function sleb128(n: number): number[] {
  if (!Number.isInteger(n) || n < -0x80000000 || n > 0x7fffffff) throw new RangeError(`sleb128: ${n} is not an i32`);
  const out: number[] = [];
  for (;;) {
    const byte = n & 0x7f;
    n >>= 7; // arithmetic shift: keeps the sign
    // Done when the rest is all sign bits and the sign bit of this byte (0x40) agrees.
    const done = (n === 0 && (byte & 0x40) === 0) || (n === -1 && (byte & 0x40) !== 0);
    out.push(done ? byte : byte | 0x80);
    if (done) return out;
  }
}

// ---- Instructions, each returning its bytes ------------------------------------------------

/** A memory access's immediate: log2(alignment) and a constant byte offset. */
function memarg(alignLog2: number, offset: number): number[] {
  return [...uleb128(alignLog2), ...uleb128(offset)];
}

function simd(op: number, ...immediates: number[]): number[] {
  return [Op.simdPrefix, ...uleb128(op), ...immediates];
}

export const localGet = (i: number): number[] => [Op.localGet, ...uleb128(i)];
export const localSet = (i: number): number[] => [Op.localSet, ...uleb128(i)];
export const localTee = (i: number): number[] => [Op.localTee, ...uleb128(i)];
export const i32Const = (v: number): number[] => [Op.i32Const, ...sleb128(v)];
export const i32Load = (offset = 0): number[] => [Op.i32Load, ...memarg(2, offset)];
export const i32Store = (offset = 0): number[] => [Op.i32Store, ...memarg(2, offset)];
export const f32Load = (offset = 0): number[] => [Op.f32Load, ...memarg(2, offset)];
export const f32Add = (): number[] => [Op.f32Add];
export const f32Store = (offset = 0): number[] => [Op.f32Store, ...memarg(2, offset)];
export const v128Load = (offset = 0): number[] => simd(SimdOp.v128Load, ...memarg(4, offset));
export const v128Load32Splat = (offset = 0): number[] => simd(SimdOp.v128Load32Splat, ...memarg(2, offset));
export const v128Store = (offset = 0): number[] => simd(SimdOp.v128Store, ...memarg(4, offset));
export const v128Zero = (): number[] => simd(SimdOp.v128Const, ...new Array<number>(16).fill(0));
export const f32x4Add = (): number[] => simd(SimdOp.f32x4Add);
export const f32x4Mul = (): number[] => simd(SimdOp.f32x4Mul);
export const f32x4Max = (): number[] => simd(SimdOp.f32x4Max);
export const f32x4Gt = (): number[] => simd(SimdOp.f32x4Gt);
export const f32x4Sub = (): number[] => simd(SimdOp.f32x4Sub);
export const f32x4Div = (): number[] => simd(SimdOp.f32x4Div);
export const f32x4Sqrt = (): number[] => simd(SimdOp.f32x4Sqrt);
export const f32x4Splat = (): number[] => simd(SimdOp.f32x4Splat);
export const v128Bitselect = (): number[] => simd(SimdOp.v128Bitselect);
export const i32x4Splat = (): number[] => simd(SimdOp.i32x4Splat);
export const i32x4Add = (): number[] => simd(SimdOp.i32x4Add);
/** The four i32 lanes as a constant vector. */
export const i32x4Const = (lanes: readonly [number, number, number, number]): number[] => {
  const bytes = new DataView(new ArrayBuffer(16));
  lanes.forEach((v, i) => { bytes.setInt32(4 * i, v, true); }); // WebAssembly is little-endian
  return simd(SimdOp.v128Const, ...new Uint8Array(bytes.buffer));
};
/** A vector of 16 bytes chosen from the 32 of the two on the stack (a's are 0–15, b's 16–31). */
export const i8x16Shuffle = (lanes: readonly number[]): number[] => {
  if (lanes.length !== 16 || lanes.some((l) => !Number.isInteger(l) || l < 0 || l > 31)) {
    throw new RangeError(`i8x16Shuffle: expected 16 lane indices from 0 to 31, got [${lanes.join(", ")}]`);
  }
  return simd(SimdOp.i8x16Shuffle, ...lanes);
};
export const f32x4RelaxedMadd = (): number[] => simd(SimdOp.f32x4RelaxedMadd);
/** f64.const: the number's 8 bytes, little-endian. */
export const f64Const = (v: number): number[] => {
  const bytes = new DataView(new ArrayBuffer(8));
  bytes.setFloat64(0, v, true);
  return [Op.f64Const, ...new Uint8Array(bytes.buffer)];
};
export const f64x2Splat = (): number[] => simd(SimdOp.f64x2Splat);
export const f64x2Add = (): number[] => simd(SimdOp.f64x2Add);
export const f64x2Sub = (): number[] => simd(SimdOp.f64x2Sub);
export const f64x2Mul = (): number[] => simd(SimdOp.f64x2Mul);
export const f64x2Gt = (): number[] => simd(SimdOp.f64x2Gt);
export const f64x2Ne = (): number[] => simd(SimdOp.f64x2Ne);
export const v128And = (): number[] => simd(SimdOp.v128And);
export const v128Or = (): number[] => simd(SimdOp.v128Or);
export const f64x2PromoteLow = (): number[] => simd(SimdOp.f64x2PromoteLowF32x4);
export const f32x4DemoteZero = (): number[] => simd(SimdOp.f32x4DemoteF64x2Zero);
/** v128.load64_zero: 8 bytes (two f32) into the low half, the high half zero. */
export const v128Load64Zero = (offset = 0): number[] => simd(SimdOp.v128Load64Zero, ...memarg(3, offset));
/** v128.load64_lane: the vector on the stack with lane `lane` (0 or 1) replaced by the 8 bytes at the address below it. */
export const v128Load64Lane = (offset: number, lane: 0 | 1): number[] => simd(SimdOp.v128Load64Lane, ...memarg(3, offset), lane);
/** v128.store64_lane: lane `lane` (0 or 1) of the vector on the stack, 8 bytes, to the address below it. */
export const v128Store64Lane = (offset: number, lane: 0 | 1): number[] => simd(SimdOp.v128Store64Lane, ...memarg(3, offset), lane);

/** `body` repeated while the i32 that `condition` pushes is non-zero, tested first: a while loop (zero times if false at once). */
export function whileDo(condition: number[], body: number[]): number[] {
  return [Op.block, BlockTypeEmpty, Op.loop, BlockTypeEmpty, ...condition, Op.i32Eqz, Op.brIf, 1, ...body, Op.br, 0, Op.end, Op.end];
}

/** memory.copy (bulk memory): pops n, src, dst (pushed dst, src, n); copies n bytes, overlap allowed. */
export const memoryCopy = (): number[] => [0xfc, ...uleb128(10), 0x00, 0x00];

/** `body` repeated while the i32 that `condition` pushes is non-zero: a do–while loop. */
export function doWhile(body: number[], condition: number[]): number[] {
  return [Op.loop, BlockTypeEmpty, ...body, ...condition, Op.brIf, 0, Op.end];
}

// ---- The module ----------------------------------------------------------------------------

/** One function of a module, exported under `name`. */
export interface FuncDef {
  name: string;
  params: ValType[];
  results: ValType[];
  /** Locals beyond the parameters; local indices continue after the parameters'. */
  locals: ValType[];
  /** The instructions, without the final `end` (added here). */
  body: number[];
}

export interface ModuleDef {
  /** Imports `env.memory` with at least this many 64 KiB pages. */
  memoryPages: number;
  functions: FuncDef[];
}

/** The bytes of a module that imports env.memory and exports `functions` by name. */
export function emitModule({ memoryPages, functions }: ModuleDef): Uint8Array {
  const vec = (items: number[][]): number[] => [...uleb128(items.length), ...items.flat()];
  const name = (s: string): number[] => vec([...new TextEncoder().encode(s)].map((b) => [b]));
  const section = (id: number, content: number[]): number[] => [id, ...uleb128(content.length), ...content];

  const types = functions.map((f) => [FuncType, ...vec(f.params.map((t) => [t])), ...vec(f.results.map((t) => [t]))]);
  const memoryImport = [...name("env"), ...name("memory"), ImportMemory, 0x00, ...uleb128(memoryPages)]; // limits: min only
  const exports = functions.map((f, i) => [...name(f.name), ExportFunc, ...uleb128(i)]);
  const bodies = functions.map((f) => {
    const code = [...vec(groupLocals(f.locals)), ...f.body, Op.end];
    return [...uleb128(code.length), ...code];
  });
  return Uint8Array.from([
    0x00, 0x61, 0x73, 0x6d, // "\0asm"
    0x01, 0x00, 0x00, 0x00, // version 1
    ...section(Section.type, vec(types)),
    ...section(Section.import, vec([memoryImport])),
    ...section(Section.function, vec(functions.map((_, i) => uleb128(i)))), // function i has type i
    ...section(Section.export, vec(exports)),
    ...section(Section.code, vec(bodies)),
  ]);
}

/** Locals are declared as runs of (count, type). */
function groupLocals(locals: ValType[]): number[][] {
  const runs: number[][] = [];
  for (let i = 0; i < locals.length; ) {
    let j = i;
    while (j < locals.length && locals[j] === locals[i]) j++;
    runs.push([...uleb128(j - i), locals[i]!]);
    i = j;
  }
  return runs;
}

// ---- The host side -------------------------------------------------------------------------

// The slice of the WebAssembly JS API we use, typed here because the project's TypeScript libs
// (ES2022 + Node) do not declare it; absent on runtimes without WebAssembly.
export interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}
interface WasmApi {
  validate(bytes: Uint8Array): boolean;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: Record<string, unknown> };
  Memory: new (descriptor: { initial: number }) => WasmMemory;
}
const api = (globalThis as { WebAssembly?: WasmApi }).WebAssembly;

/** Whether this runtime accepts the module (false where there is no WebAssembly at all). */
export function validates(bytes: Uint8Array): boolean {
  return api?.validate(bytes) ?? false;
}

/** A fresh linear memory of `pages` 64 KiB pages. */
export function newMemory(pages: number): WasmMemory {
  if (api === undefined) throw new Error("WebAssembly is not available in this runtime");
  return new api.Memory({ initial: pages });
}

/** Compiles and instantiates a module from `emitModule` (synchronously: it is a few hundred bytes). */
export function instantiate(bytes: Uint8Array, memory: WasmMemory): Record<string, unknown> {
  if (api === undefined) throw new Error("WebAssembly is not available in this runtime");
  return new api.Instance(new api.Module(bytes), { env: { memory } }).exports;
}
