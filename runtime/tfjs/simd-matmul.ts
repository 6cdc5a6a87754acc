// A matrix product C[M, N] = Σ_k A(m, k) · B[k, N] as a generated WebAssembly SIMD loop
// (wasm-asm.ts), in place on the wasm backend's memory, specialised to its sizes:
//
//   A(m, k) is read as a scalar at a + 4·(m·sm + k·sk): A row-major (sm = K, sk = 1) or A stored
//           transposed (sm = 1, sk = M) cost the same, so a dense layer's filter gradient Xᵀ·dY
//           needs no transpose;
//   B       is row-major [K, N], read in vectors along N;
//   C       is row-major [M, N], written whole.
//
// A register tile of ROWS rows × COLS vectors of C stays in locals over the whole k loop: each
// vector of B feeds ROWS multiply-adds and each splat of A feeds COLS. wasm's own BatchMatMul
// packs B first (XNNPACK, 10-20 ns a float, and a training step makes every weight tensor new) and
// runs its transposed forms in a naive loop. Each C element sums k = 0 … K − 1 in order, from zero.

import { compiled } from './simd-pool.js';
import { assemble, F32, I32, loop, op, V128, type Code } from './wasm-asm.js';

/**
 * Rows and vectors of columns per register tile: 12 vector sums, 4 splats and a B vector. Measured
 * on LeNet-5's dense layers (64x400x120 and 64x120x84, 1 thread) against tiles of 4x2, 3x4, 2x4,
 * 4x4, 6x2 and 2x6: 4x3 ran fastest or level (29 GFLOP/s against 22-27).
 */
const ROWS = 4;
const COLS = 3;

export interface MatMulShape {
  readonly M: number;
  readonly N: number;
  readonly K: number;
  /** A(m, k) at element m·sm + k·sk. */
  readonly sm: number;
  readonly sk: number;
}

// Parameters (a, b, c), then i32 locals.
const [m, jv, k, pa, pb, pc] = [3, 4, 5, 6, 7, 8];
const I32_LOCALS = 6;
const splat = (i: number) => 3 + I32_LOCALS + i;
const BV = 3 + I32_LOCALS + ROWS;
const sum = (i: number, j: number) => BV + 1 + i * COLS + j;
const TAIL_B = BV + 1 + ROWS * COLS;
const tailSum = (i: number, t: number) => TAIL_B + 1 + i * 3 + t;

/**
 * Rows m … m + rows − 1 and columns from the byte offset in local jv: `cols` vectors and `tail`
 * scalar columns past them.
 */
function tile(s: MatMulShape, rows: number, cols: number, tail: number): Code {
  const { i32, get, set, add, mul, f32, f32Load, f32Store, f32Add, f32Mul } = op;
  const { vLoad, vStore, vSplat, vAdd, vMul, vZero, vLane } = op;
  const rowsOf = Array.from({ length: rows }, (_, i) => i);
  const colsOf = Array.from({ length: cols }, (_, j) => j);
  const tailsOf = Array.from({ length: tail }, (_, t) => t);
  const step: Code = [
    rowsOf.map((i) => set(splat(i), vSplat(f32Load(get(pa), 4 * i * s.sm)))),
    colsOf.map((j) => [
      set(BV, vLoad(get(pb), 16 * j)),
      rowsOf.map((i) => set(sum(i, j), vAdd(get(sum(i, j)), vMul(get(splat(i)), get(BV))))),
    ]),
    tailsOf.map((t) => [
      set(TAIL_B, f32Load(get(pb), 16 * cols + 4 * t)),
      rowsOf.map((i) =>
        set(
          tailSum(i, t),
          f32Add(get(tailSum(i, t)), f32Mul(vLane(get(splat(i)), 0), get(TAIL_B))),
        ),
      ),
    ]),
    set(pa, add(get(pa), i32(4 * s.sk))),
    set(pb, add(get(pb), i32(4 * s.N))),
  ];
  return [
    rowsOf.map((i) => [
      colsOf.map((j) => set(sum(i, j), vZero())),
      tailsOf.map((t) => set(tailSum(i, t), f32(0))),
    ]),
    set(pa, add(get(0), mul(get(m), i32(4 * s.sm)))),
    set(pb, add(get(1), get(jv))),
    loop(k, i32(0), i32(s.K), step),
    set(pc, add(add(get(2), mul(get(m), i32(4 * s.N))), get(jv))),
    rowsOf.map((i) => [
      colsOf.map((j) => vStore(get(pc), get(sum(i, j)), 16 * j + 4 * i * s.N)),
      tailsOf.map((t) => f32Store(get(pc), get(tailSum(i, t)), 16 * cols + 4 * t + 4 * i * s.N)),
    ]),
  ];
}

/** Every column block of rows m … m + rows − 1. */
function rowBlock(s: MatMulShape, rows: number): Code {
  const { i32, set } = op;
  const V = Math.floor(s.N / 4);
  const tail = s.N % 4;
  const full = Math.floor(V / COLS);
  const rest = V % COLS;
  const blocks: Code[] = [];
  if (full > 0)
    blocks.push(loop(jv, i32(0), i32(full * COLS * 16), tile(s, rows, COLS, 0), COLS * 16));
  if (rest > 0 || tail > 0)
    blocks.push([set(jv, i32(full * COLS * 16)), tile(s, rows, rest, tail)]);
  return blocks;
}

function matMulKernel(s: MatMulShape): Code {
  const { i32, set } = op;
  const full = Math.floor(s.M / ROWS);
  const rest = s.M % ROWS;
  return [
    full > 0 ? loop(m, i32(0), i32(full * ROWS), rowBlock(s, ROWS), ROWS) : [],
    rest > 0 ? [set(m, i32(full * ROWS)), rowBlock(s, rest)] : [],
  ];
}

/** The product kernel of a shape, compiled once per memory and shape; (a, b, c) byte addresses. */
export function matMulKernelOf(
  memory: object,
  s: MatMulShape,
): (a: number, b: number, c: number) => void {
  const locals = [
    ...new Array<typeof I32>(I32_LOCALS).fill(I32),
    ...new Array<typeof V128>(ROWS + 1 + ROWS * COLS).fill(V128),
    ...new Array<typeof F32>(1 + ROWS * 3).fill(F32),
  ];
  return compiled(memory, `matmul:${s.M},${s.N},${s.K},${s.sm},${s.sk}`, () =>
    assemble([{ name: 'k', params: [I32, I32, I32], locals, body: matMulKernel(s) }]),
  );
}
