/**
 * A cache-blocked GEMM over Float32Array data for the reference executor: C (+)= A·B on packed
 * panels.
 *
 * Layouts (callers pack straight into them: im2col writes the A panel directly):
 *   A panel  Float64Array [⌈m/3⌉][depth][3]: row group g holds rows 3g … 3g+2, interleaved per
 *            k step; missing rows are 0.
 *   B panel  Float64Array [⌈n/3⌉][depth][3]: column panel p holds columns 3p … 3p+2, likewise.
 * The micro-kernel keeps a 3×3 block of C in nine local accumulators over a run of k, reading 3
 * values of A and 3 of B per step, and writes the block to a 9-entry tile; `storeTile` adds or
 * copies its valid part into C (Float32Array or Float64Array), so the kernel has no edge cases.
 *
 * Why 3×3 and float64 panels (measured on this machine, Node 20): V8 compiles the kernel to scalar
 * double arithmetic in 15 usable XMM registers, with a bounds check on every load and an overflow
 * check on every index sum not written `(i + c) | 0`. Nine accumulators plus six loaded values fit
 * in registers; a 4×8 block (32 accumulators) spills products and sums to the stack and ran ~20%
 * slower, as did every other shape tried (2×2 … 8×8). Float64 panels save the float32 → float64
 * conversion of every load (done once when packing instead). The depth is walked in slices of 1024;
 * within a slice each A row group (3·1024 doubles) stays in L1 while the B panels stream past from
 * L2, which suits all three conv products (B is the weights, or a block of dY for the filter
 * gradient).
 *
 * Every function in GEMM is self-contained (it uses only its arguments, globals and the other
 * functions of GEMM) because the worker pool (parallel.ts) builds its workers' source from their
 * text; see GEMM_WORKER_SOURCE.
 */

/** Rows (MR) and columns (NR) of the register block. */
export const GEMM_MR = 3;
export const GEMM_NR = 3;

/** The length of an A panel of `m` rows: whole row groups times depth. */
export function packedASize(m: number, depth: number): number {
  return Math.ceil(m / 3) * 3 * depth;
}

/** The length of a B panel of `n` columns: whole column panels times depth. */
export function packedBSize(n: number, depth: number): number {
  return Math.ceil(n / 3) * 3 * depth;
}

/** tile[0..8] = the 3×3 block A[row group at ao, kc steps] · B[column panel at bo, kc steps]. */
// prettier-ignore
export function microKernel(
  ap: Float64Array, ao: number, bp: Float64Array, bo: number, kc: number, tile: Float64Array,
): void {
  let c00 = 0, c01 = 0, c02 = 0, c10 = 0, c11 = 0, c12 = 0, c20 = 0, c21 = 0, c22 = 0;
  for (let a = ao, b = bo, end = ao + 3 * kc; a < end; a = (a + 3) | 0, b = (b + 3) | 0) {
    const a0 = ap[a], a1 = ap[(a + 1) | 0], a2 = ap[(a + 2) | 0];
    const b0 = bp[b], b1 = bp[(b + 1) | 0], b2 = bp[(b + 2) | 0];
    c00 += a0 * b0; c01 += a0 * b1; c02 += a0 * b2;
    c10 += a1 * b0; c11 += a1 * b1; c12 += a1 * b2;
    c20 += a2 * b0; c21 += a2 * b1; c22 += a2 * b2;
  }
  tile[0] = c00; tile[1] = c01; tile[2] = c02;
  tile[3] = c10; tile[4] = c11; tile[5] = c12;
  tile[6] = c20; tile[7] = c21; tile[8] = c22;
}

/** C[rows × cols at co, stride ldc] (+)= the first rows × cols entries of a 3×3 tile. */
export function storeTile(
  tile: Float64Array,
  c: Float32Array | Float64Array,
  co: number,
  ldc: number,
  rows: number,
  cols: number,
  accumulate: boolean,
): void {
  for (let i = 0; i < rows; i++) {
    const o = co + i * ldc;
    const t = i * 3;
    if (accumulate) for (let j = 0; j < cols; j++) c[o + j] += tile[t + j];
    else for (let j = 0; j < cols; j++) c[o + j] = tile[t + j];
  }
}

/**
 * C[m × n at co, stride ldc] (+)= Apanel · Bpanel (the A panel starting at ap[a0], the B panel at
 * bp[b0]), both packed with the same `depth`. `tile` is a scratch Float64Array of 9 entries. With
 * accumulate false the first depth slice overwrites C.
 */
export function gemmPacked(
  ap: Float64Array,
  bp: Float64Array,
  b0: number,
  m: number,
  n: number,
  depth: number,
  c: Float32Array | Float64Array,
  co: number,
  ldc: number,
  accumulate: boolean,
  tile: Float64Array,
  a0 = 0,
): void {
  const slice = 1024;
  for (let k0 = 0; k0 < depth; k0 += slice) {
    const kc = Math.min(slice, depth - k0);
    const add = accumulate || k0 > 0;
    for (let i = 0; i < m; i += 3) {
      const ao = a0 + i * depth + k0 * 3;
      const rows = Math.min(3, m - i);
      for (let j = 0; j < n; j += 3) {
        microKernel(ap, ao, bp, b0 + j * depth + k0 * 3, kc, tile);
        storeTile(tile, c, co + i * ldc + j, ldc, rows, Math.min(3, n - j), add);
      }
    }
  }
}

/** Packs `m` rows of a row-major A (from ao, stride lda, `depth` columns) as an A panel. */
export function packA(
  a: Float32Array | Float64Array,
  ao: number,
  lda: number,
  m: number,
  depth: number,
  out: Float64Array,
): void {
  const groups = Math.ceil(m / 3);
  for (let g = 0; g < groups; g++) {
    const base = g * depth * 3;
    for (let r = 0; r < 3; r++) {
      const row = g * 3 + r;
      if (row >= m) {
        for (let k = 0; k < depth; k++) out[base + k * 3 + r] = 0;
        continue;
      }
      const src = ao + row * lda;
      for (let k = 0; k < depth; k++) out[base + k * 3 + r] = a[src + k];
    }
  }
}

/** Packs a row-major B (`depth` rows, `n` columns from bo, stride ldb) as a B panel. */
export function packB(
  b: Float32Array | Float64Array,
  bo: number,
  ldb: number,
  depth: number,
  n: number,
  out: Float64Array,
): void {
  const panels = Math.ceil(n / 3);
  for (let p = 0; p < panels; p++) {
    const base = p * depth * 3;
    const cols = Math.min(3, n - p * 3);
    for (let k = 0; k < depth; k++) {
      const src = bo + k * ldb + p * 3;
      const dst = base + k * 3;
      for (let j = 0; j < cols; j++) out[dst + j] = b[src + j];
      for (let j = cols; j < 3; j++) out[dst + j] = 0;
    }
  }
}

/**
 * Packs Bᵀ as a B panel where B is row-major [n rows, depth columns] (from bo, stride ldb): the
 * panel's (k, j) entry is B[j][k]. For products with a transposed weight matrix.
 */
export function packBTransposed(
  b: Float32Array | Float64Array,
  bo: number,
  ldb: number,
  depth: number,
  n: number,
  out: Float64Array,
): void {
  const panels = Math.ceil(n / 3);
  for (let p = 0; p < panels; p++) {
    const base = p * depth * 3;
    for (let j = 0; j < 3; j++) {
      const col = p * 3 + j;
      if (col >= n) {
        for (let k = 0; k < depth; k++) out[base + k * 3 + j] = 0;
        continue;
      }
      const src = bo + col * ldb;
      for (let k = 0; k < depth; k++) out[base + k * 3 + j] = b[src + k];
    }
  }
}

/**
 * C = A·B for row-major float32 A [m × k] and B [k × n] on the calling thread (tests, small
 * products): packs B once, then A in blocks of rows that stay in cache.
 */
export function gemm(
  m: number,
  n: number,
  k: number,
  a: Float32Array,
  b: Float32Array,
  c: Float32Array = new Float32Array(m * n),
): Float32Array {
  const bp = new Float64Array(packedBSize(n, k));
  packB(b, 0, n, k, n, bp);
  const rows = 96;
  const ap = new Float64Array(packedASize(Math.min(rows, m), k));
  const tile = new Float64Array(9);
  for (let r0 = 0; r0 < m; r0 += rows) {
    const mb = Math.min(rows, m - r0);
    packA(a, r0 * k, k, mb, k, ap);
    gemmPacked(ap, bp, 0, mb, n, k, c, r0 * n, n, false, tile);
  }
  return c;
}

/**
 * The functions worker-run code may call, as one object: code in another module calls them as
 * `GEMM.gemmPacked(…)` through a module-local constant, so that its text reads the same in a
 * worker, whose source declares these functions and `const GEMM = { … }` (GEMM_WORKER_SOURCE).
 */
export const GEMM = {
  packedASize,
  packedBSize,
  microKernel,
  storeTile,
  gemmPacked,
  packA,
  packB,
  packBTransposed,
};

/** Declarations of GEMM's functions and of GEMM itself, for a worker's source. */
export const GEMM_WORKER_SOURCE = [
  ...Object.values(GEMM).map((f) => f.toString()),
  `const GEMM = { ${Object.keys(GEMM).join(', ')} };`,
].join('\n');
