// The WebAssembly half of the SIMD GEMM (./gemm-simd.ts drives it): its three functions, written
// as instructions for ./assembler.ts and emitted as one module's bytes at start-up.
//
//   gemmBlock   C strip += packed A block · packed B block, one 4×8 register tile at a time
//   packB       a row-major block of B → panels of 8 columns, k-major
//   reluFloats  max(·, 0) over the C strip: the GEMM's ReLU epilogue
//   maskFloats  B·relu'(by) over a copied-in block of B: a ReLU's backward folded into the GEMM
//   im2colRow   one row of a block of B gathered from an image: im2col (../im2col.ts) never built
//
// The micro-kernel holds a 4×8 tile of C in eight v128 accumulators (row r, columns 0–3 and
// 4–7). Each step p loads the 8 values of B's panel row p as two vectors, and for each of the
// 4 values of A's panel column p splats it across a vector and adds a·b to the row's two
// accumulators: 8 multiply–adds of 4 lanes = 64 FLOPs per step, for 11 live vector registers
// (wider tiles spill in V8 and are slower). With relaxed SIMD, a·b + c is one f32x4.relaxed_madd
// (a fused multiply–add on CPUs that have one); otherwise an f32x4.mul then an f32x4.add.
// Node 20 ships relaxed SIMD behind --experimental-wasm-relaxed-simd, so there it is mul + add.
//
// Every address is a byte offset into the linear memory the module imports; the functions only
// loop and never check bounds, so the driver sizes the memory and pads every block to whole
// tiles (./gemm-simd.ts gives the layout).

import {
  doWhile, emitModule, f32Load, f32Store, f32x4Add, f32x4Gt, f32x4Max, f32x4Mul, f32x4RelaxedMadd, f32x4Splat, i32Const,
  localGet, localSet, localTee, Op, v128Bitselect, v128Load, v128Load32Splat, v128Store, v128Zero, ValType, type FuncDef,
} from "./assembler.js";

/** Rows of the register tile. */
export const MR = 4;
/** Columns of the register tile (two vectors). */
export const NR = 8;

/** How multiply–adds are done: one fused instruction, or a multiply then an add. */
export type SimdFlavour = "relaxed-madd" | "mul-add";

/** The module's functions as JavaScript sees them: byte addresses and counts in, nothing out. */
export interface GemmKernels {
  gemmBlock(a: number, b: number, c: number, mc: number, nc: number, kc: number, ldc: number): void;
  packB(src: number, dst: number, kc: number, nc: number, ldb: number): void;
  reluFloats(p: number, end: number): void;
  maskFloats(p: number, by: number, end: number, slope: number): void;
  im2colRow(
    dst: number, x: number, n: number, ow: number, OW: number, ih: number, iw: number, iw0: number,
    H: number, W: number, strideH: number, strideW: number, zero: number,
  ): void;
}

/**
 * gemmBlock(a, b, c, mc, nc, kc, ldc): the C rows at c += packed A block · packed B block, tile
 * by tile: for each 8-column B panel, for each 4-row A panel, one 4×8 micro-kernel.
 * a, b, c are byte addresses; mc is a multiple of 4, nc of 8, kc ≥ 1; ldc is C's row stride in
 * bytes. In pseudo-code (every loop runs at least once, so each is a do–while):
 *
 *     bPanel = b
 *     do                                              for each 8-column panel of B
 *       aPanel = a; cCol = c
 *       do                                            for each 4-row panel of A
 *         acc[0…7] = 0; ap = aPanel; bp = bPanel
 *         do                                          for p = 0 … kc−1
 *           bv0, bv1 = B[p, 0…3], B[p, 4…7]
 *           for r in 0…3: av = splat(A[r, p]); acc[2r] += av·bv0; acc[2r+1] += av·bv1
 *           bp += 32; ap += 16
 *         while ap ≠ aPanel + kc·16
 *         C[cCol + r·ldc, 0…7] += acc[2r], acc[2r+1] for r in 0…3
 *         aPanel = ap; cCol += 4·ldc
 *       while aPanel ≠ a + mc·kc·4
 *       bPanel += kc·32; c += 32
 *     while bPanel ≠ b + nc·kc·4
 */
function gemmBlockFunction(flavour: SimdFlavour): FuncDef {
  // Local indices: the parameters first, then the locals declared at the end.
  const a = 0, b = 1, c = 2, mc = 3, nc = 4, kc = 5, ldc = 6;
  const aPanel = 7, aBlockEnd = 8, bPanel = 9, bBlockEnd = 10, ap = 11, aPanelEnd = 12, bp = 13, cCol = 14, cRow = 15;
  const bv0 = 16, bv1 = 17, av = 18, acc = 19; // acc + 2r + h: row r, columns 4h … 4h+3

  const add = (x: number[], y: number[]): number[] => [...x, ...y, ...f32x4Add()];
  // acc ← acc + av·bv: same value whether fused or not, up to the rounding of the product.
  const madd = (accum: number, bv: number): number[] =>
    flavour === "relaxed-madd"
      ? [...localGet(av), ...localGet(bv), ...localGet(accum), ...f32x4RelaxedMadd(), ...localSet(accum)]
      : [...add(localGet(accum), [...localGet(av), ...localGet(bv), ...f32x4Mul()]), ...localSet(accum)];
  const bytes = (local: number, scale: number): number[] => [...localGet(local), ...i32Const(scale), Op.i32Mul];

  // One step p: b row as two vectors, then for each of the 4 rows a splat of a and two madds.
  const step = [
    ...localGet(bp), ...v128Load(0), ...localSet(bv0),
    ...localGet(bp), ...v128Load(16), ...localSet(bv1),
    ...Array.from({ length: MR }, (_, r) => [
      ...localGet(ap), ...v128Load32Splat(4 * r), ...localSet(av),
      ...madd(acc + 2 * r, bv0), ...madd(acc + 2 * r + 1, bv1),
    ]).flat(),
    ...localGet(bp), ...i32Const(NR * 4), Op.i32Add, ...localSet(bp), // bp += 32
    ...localGet(ap), ...i32Const(MR * 4), Op.i32Add, ...localTee(ap), // ap += 16
  ];
  // C[row r] += accumulators, row by row, rows ldc bytes apart.
  const writeBack = Array.from({ length: MR }, (_, r) => [
    ...(r === 0 ? [...localGet(cCol), ...localSet(cRow)] : [...localGet(cRow), ...localGet(ldc), Op.i32Add, ...localSet(cRow)]),
    ...localGet(cRow), ...add([...localGet(cRow), ...v128Load(0)], localGet(acc + 2 * r)), ...v128Store(0),
    ...localGet(cRow), ...add([...localGet(cRow), ...v128Load(16)], localGet(acc + 2 * r + 1)), ...v128Store(16),
  ]).flat();

  const tile = [
    ...Array.from({ length: 2 * MR }, (_, i) => [...v128Zero(), ...localSet(acc + i)]).flat(),
    ...localGet(aPanel), ...localSet(ap),
    ...localGet(bPanel), ...localSet(bp),
    ...localGet(aPanel), ...bytes(kc, MR * 4), Op.i32Add, ...localSet(aPanelEnd),
    ...doWhile(step, [...localGet(aPanelEnd), Op.i32Ne]), // until ap reaches the panel's end
    ...writeBack,
    ...localGet(aPanelEnd), ...localSet(aPanel), // the next A panel follows this one
    ...localGet(cCol), ...bytes(ldc, MR), Op.i32Add, ...localSet(cCol), // 4 rows down
  ];
  const columnPanel = [
    ...localGet(a), ...localSet(aPanel),
    ...localGet(c), ...localSet(cCol),
    ...doWhile(tile, [...localGet(aPanel), ...localGet(aBlockEnd), Op.i32Ne]),
    ...localGet(bPanel), ...bytes(kc, NR * 4), Op.i32Add, ...localSet(bPanel), // next B panel
    ...localGet(c), ...i32Const(NR * 4), Op.i32Add, ...localSet(c), // 8 columns right
  ];
  const { i32, v128 } = ValType;
  return {
    name: "gemmBlock",
    params: [i32, i32, i32, i32, i32, i32, i32],
    results: [],
    locals: [...repeat(i32, 9), ...repeat(v128, 3 + 2 * MR)],
    body: [
      ...localGet(a), ...localGet(mc), ...bytes(kc, 4), Op.i32Mul, Op.i32Add, ...localSet(aBlockEnd), // a + mc·kc·4
      ...localGet(b), ...localGet(nc), ...bytes(kc, 4), Op.i32Mul, Op.i32Add, ...localSet(bBlockEnd), // b + nc·kc·4
      ...localGet(b), ...localSet(bPanel),
      ...doWhile(columnPanel, [...localGet(bPanel), ...localGet(bBlockEnd), Op.i32Ne]),
    ],
  };
}

/**
 * packB(src, dst, kc, nc, ldb): packs a row-major kc×nc block at src (rows ldb bytes apart, nc
 * a multiple of 8) into panels of 8 columns at dst: panel q is, for p = 0…kc−1, the 8 values
 * src[p, 8q … 8q+7] — two 16-byte vectors copied per step.
 */
function packBFunction(): FuncDef {
  const src = 0, dst = 1, kc = 2, nc = 3, ldb = 4;
  const dstEnd = 5, panelEnd = 6, s = 7;
  const copyRow = [
    ...localGet(dst), ...localGet(s), ...v128Load(0), ...v128Store(0),
    ...localGet(dst), ...localGet(s), ...v128Load(16), ...v128Store(16),
    ...localGet(s), ...localGet(ldb), Op.i32Add, ...localSet(s), // next row of the block
    ...localGet(dst), ...i32Const(NR * 4), Op.i32Add, ...localTee(dst), // dst += 32
  ];
  const panel = [
    ...localGet(src), ...localSet(s),
    ...localGet(dst), ...localGet(kc), ...i32Const(NR * 4), Op.i32Mul, Op.i32Add, ...localSet(panelEnd),
    ...doWhile(copyRow, [...localGet(panelEnd), Op.i32Ne]),
    ...localGet(src), ...i32Const(NR * 4), Op.i32Add, ...localSet(src), // 8 columns right
  ];
  const { i32 } = ValType;
  return {
    name: "packB",
    params: [i32, i32, i32, i32, i32],
    results: [],
    locals: repeat(i32, 3),
    body: [
      ...localGet(dst), ...localGet(nc), ...localGet(kc), Op.i32Mul, ...i32Const(4), Op.i32Mul, Op.i32Add, ...localSet(dstEnd),
      ...doWhile(panel, [...localGet(dst), ...localGet(dstEnd), Op.i32Ne]),
    ],
  };
}

/**
 * reluFloats(p, end): max(v, 0) in place for the floats from byte address p up to end, four at
 * a time (end − p a positive multiple of 16): a ReLU applied to the C strip while it is still in
 * cache, before it is copied out — the GEMM's epilogue.
 */
function reluFloatsFunction(): FuncDef {
  const p = 0, end = 1, zero = 2;
  const { i32, v128 } = ValType;
  return {
    name: "reluFloats",
    params: [i32, i32],
    results: [],
    locals: [v128],
    body: [
      ...v128Zero(), ...localSet(zero),
      ...doWhile([
        ...localGet(p), ...localGet(p), ...v128Load(0), ...localGet(zero), ...f32x4Max(), ...v128Store(0),
        ...localGet(p), ...i32Const(16), Op.i32Add, ...localTee(p),
      ], [...localGet(end), Op.i32Ne]),
    ],
  };
}

/**
 * Whether `maskFloats` gives reluMask's bits for these ReLU outputs and slope: outputs in Float32
 * and a finite Float32 slope (every slope a Caffe file holds). Elsewhere the mask is applied in JS.
 */
export function maskFloatsKeepsBits(by: Float32Array | Float64Array, slope: number): by is Float32Array {
  return by instanceof Float32Array && Number.isFinite(slope) && Math.fround(slope) === slope;
}

/**
 * maskFloats(p, by, end, slope): in place for the floats from byte address p up to end, four at
 * a time (end − p a positive multiple of 16), v ← v where the float at the same place from `by`
 * on is > 0, else v·slope (also where it is NaN): ../relu.ts's reluMask, the backward of a ReLU
 * whose output is `by`, applied to the block of B just copied in, before `packB` (and in
 * ./winograd-simd.ts to the planes of dout a 3×3 input gradient reads). Where `slope`
 * is a float32, the values are reluMask's bits (v·1 = v, and v·slope is the one rounding of the
 * exact product either way).
 */
export function maskFloatsFunction(): FuncDef {
  const p = 0, by = 1, end = 2, slope = 3;
  const v = 4, slopes = 5, zero = 6;
  const { i32, f32, v128 } = ValType;
  return {
    name: "maskFloats",
    params: [i32, i32, i32, f32],
    results: [],
    locals: [v128, v128, v128],
    body: [
      ...localGet(slope), ...f32x4Splat(), ...localSet(slopes),
      ...v128Zero(), ...localSet(zero),
      ...doWhile([
        ...localGet(p), ...v128Load(0), ...localSet(v),
        ...localGet(p),
        ...localGet(v), // where by > 0
        ...localGet(v), ...localGet(slopes), ...f32x4Mul(), // elsewhere
        ...localGet(by), ...v128Load(0), ...localGet(zero), ...f32x4Gt(),
        ...v128Bitselect(), ...v128Store(0),
        ...localGet(by), ...i32Const(16), Op.i32Add, ...localSet(by),
        ...localGet(p), ...i32Const(16), Op.i32Add, ...localTee(p),
      ], [...localGet(end), Op.i32Ne]),
    ],
  };
}

/**
 * im2colRow(dst, x, n, ow, OW, ih, iw, iw0, H, W, strideH, strideW, zero): n floats of one row
 * (c, r, s) of the im2col matrix, for output pixels from (oh, ow) on in reading order, stored
 * from byte address dst; x is the byte address of the image plane c (H × W floats). The caller
 * gives, for the first pixel, the input cell it reads, (ih, iw) = (oh·strideH − padH + r·dilationH,
 * ow·strideW − padW + s·dilationW), and iw0 = iw at ow = 0; each next pixel moves strideW right, and
 * at the end of an output row back to iw0 and strideH down. A cell outside the image (ih or iw
 * outside [0, H) or [0, W), compared unsigned so that negatives are outside too) reads the 0.0 at
 * byte address `zero` instead: no branch, and never an address outside the image.
 *
 *     end = dst + 4n
 *     do                                              each output row's part of the n pixels
 *       segEnd = min(dst + 4·(OW − ow), end);  rowInside = ih <ᵤ H;  row = x + 4·ih·W
 *       do                                            its pixels: only iw and dst carry over
 *         f32 at dst = f32 at (rowInside & (iw <ᵤ W) ? row + 4·iw : zero)
 *         iw += strideW; dst += 4
 *       while dst ≠ segEnd
 *       ow = 0; iw = iw0; ih += strideH
 *     while dst ≠ end
 *
 * (A first version carried the row's wrap through selects from pixel to pixel: that chain made it
 * as slow as im2col in JS.)
 */
function im2colRowFunction(): FuncDef {
  const dst = 0, x = 1, n = 2, ow = 3, OW = 4, ih = 5, iw = 6, iw0 = 7, H = 8, W = 9, strideH = 10, strideW = 11, zero = 12;
  const end = 13, segEnd = 14, rowInside = 15, row = 16;
  const { i32 } = ValType;
  const pixel = [
    ...localGet(dst),
    ...localGet(row), ...localGet(iw), ...i32Const(4), Op.i32Mul, Op.i32Add, // the cell's address
    ...localGet(zero),
    ...localGet(rowInside), ...localGet(iw), ...localGet(W), Op.i32LtU, Op.i32And,
    Op.select, ...f32Load(0), ...f32Store(0),
    ...localGet(iw), ...localGet(strideW), Op.i32Add, ...localSet(iw),
    ...localGet(dst), ...i32Const(4), Op.i32Add, ...localTee(dst),
  ];
  const segment = [
    // segEnd = min(dst + 4·(OW − ow), end)
    ...localGet(dst), ...localGet(OW), ...localGet(ow), Op.i32Sub, ...i32Const(4), Op.i32Mul, Op.i32Add, ...localTee(segEnd),
    ...localGet(end),
    ...localGet(segEnd), ...localGet(end), Op.i32LtU,
    Op.select, ...localSet(segEnd),
    ...localGet(ih), ...localGet(H), Op.i32LtU, ...localSet(rowInside),
    ...localGet(x), ...localGet(ih), ...localGet(W), Op.i32Mul, ...i32Const(4), Op.i32Mul, Op.i32Add, ...localSet(row),
    ...doWhile(pixel, [...localGet(segEnd), Op.i32Ne]),
    ...i32Const(0), ...localSet(ow),
    ...localGet(iw0), ...localSet(iw),
    ...localGet(ih), ...localGet(strideH), Op.i32Add, ...localSet(ih),
  ];
  return {
    name: "im2colRow",
    params: repeat(i32, 13),
    results: [],
    locals: repeat(i32, 4),
    body: [
      ...localGet(dst), ...localGet(n), ...i32Const(4), Op.i32Mul, Op.i32Add, ...localSet(end),
      ...doWhile(segment, [...localGet(dst), ...localGet(end), Op.i32Ne]),
    ],
  };
}

/** The module's bytes: `gemmBlock`, `packB`, `reluFloats`, `maskFloats` and `im2colRow`, over an imported memory. */
export function gemmModuleBytes(flavour: SimdFlavour): Uint8Array {
  return emitModule({
    memoryPages: 1,
    functions: [gemmBlockFunction(flavour), packBFunction(), reluFloatsFunction(), maskFloatsFunction(), im2colRowFunction()],
  });
}

function repeat<T>(value: T, count: number): T[] {
  return new Array<T>(count).fill(value);
}
