/**
 * The GEMM against a naive triple loop (in float64) on seeded random shapes: sizes that are and
 * are not multiples of the register block, depths past one 512-deep slice, offsets into packed
 * panels, accumulation, and the transposed B packing; and the worker pool that runs it in threads.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { seededRandom } from '../../../runtime/init.js';
import {
  GEMM_NR,
  gemm,
  gemmPacked,
  packA,
  packB,
  packBTransposed,
  packedASize,
  packedBSize,
} from '../../../runtime/reference/gemm.js';
import {
  configureParallel,
  parallelConfig,
  runOnAllThreads,
  type TaskLibrary,
} from '../../../runtime/reference/parallel.js';

function random(n: number, seed: number): Float32Array {
  const r = seededRandom(seed);
  return Float32Array.from({ length: n }, () => 2 * r() - 1);
}

/** C[i][j] = Σ_k A[i][k]·B[k][j] in float64, with B read through `bAt`. */
function naive(
  m: number,
  n: number,
  k: number,
  a: Float32Array,
  bAt: (k: number, j: number) => number,
) {
  const c = new Float64Array(m * n);
  for (let i = 0; i < m; i++)
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let p = 0; p < k; p++) s += a[i * k + p] * bAt(p, j);
      c[i * n + j] = s;
    }
  return c;
}

/** Largest |x − y| relative to the largest |y|. */
function relErr(x: ArrayLike<number>, y: ArrayLike<number>): number {
  let err = 0;
  let scale = 1e-30;
  for (let i = 0; i < x.length; i++) {
    err = Math.max(err, Math.abs(x[i] - y[i]));
    scale = Math.max(scale, Math.abs(y[i]));
  }
  return err / scale;
}

const SHAPES: readonly [number, number, number][] = [
  [1, 1, 1],
  [4, 8, 16],
  [5, 9, 7],
  [3, 6, 2],
  [17, 23, 33],
  [130, 64, 27],
  [64, 13, 515],
  [37, 70, 1100],
];

describe('gemm', () => {
  it.each(SHAPES)('C = A·B, m=%i n=%i k=%i', (m, n, k) => {
    const a = random(m * k, m * 7 + k);
    const b = random(k * n, n * 11 + k);
    const c = gemm(m, n, k, a, b);
    expect(
      relErr(
        c,
        naive(m, n, k, a, (p, j) => b[p * n + j]),
      ),
    ).toBeLessThan(1e-6);
  });

  it.each(SHAPES)('packed panels, offsets, accumulation and Bᵀ, m=%i n=%i k=%i', (m, n, k) => {
    const a = random(m * k + 3, m + 1);
    const bt = random(n * k, n + 2); // B stored transposed: [n][k]
    const ap = new Float64Array(packedASize(m, k));
    packA(a, 3, k, m, k, ap);
    const offset = 40;
    const bp = new Float64Array(offset + packedBSize(n, k));
    packBTransposed(bt, 0, k, k, n, bp.subarray(offset));
    const ldc = n + 5;
    const c = new Float64Array(m * ldc + 2).fill(0.5);
    const tile = new Float64Array(9);
    gemmPacked(ap, bp, offset, m, n, k, c, 2, ldc, true, tile);
    const want = naive(m, n, k, a.subarray(3), (p, j) => bt[j * k + p]);
    const got = new Float64Array(m * n);
    for (let i = 0; i < m; i++)
      for (let j = 0; j < n; j++) got[i * n + j] = c[2 + i * ldc + j] - 0.5;
    expect(relErr(got, want)).toBeLessThan(1e-6);
    // Entries outside the m × n block (the row padding, ldc gaps) are untouched.
    for (let i = 0; i < m; i++)
      for (let j = n; j < ldc && 2 + i * ldc + j < c.length; j++)
        expect(c[2 + i * ldc + j]).toBe(0.5);
    expect(c[0]).toBe(0.5);
  });

  it('packB with a column offset and stride picks a column slice, zero-padded', () => {
    const [k, n, ld, off] = [9, 5, 12, 4];
    const b = random(k * ld, 3);
    const nr = GEMM_NR;
    const bp = new Float64Array(packedBSize(n, k));
    expect(bp.length).toBe(Math.ceil(n / nr) * nr * k);
    packB(b, off, ld, k, n, bp);
    for (let j = 0; j < bp.length / k; j++) {
      const panel = Math.floor(j / nr);
      for (let p = 0; p < k; p++)
        expect(bp[panel * k * nr + p * nr + (j % nr)]).toBe(j < n ? b[p * ld + off + j] : 0);
    }
  });
});

/** Writes t + 1 at its thread's slot; the count of threads at the end. */
function markThread(marks: Int32Array, t: number, threads: number): void {
  marks[t] = t + 1;
  marks[marks.length - 1] = threads;
}

function failOnWorker(message: string, t: number): void {
  if (t > 0) throw new Error(message);
}

const LIBRARY: TaskLibrary = { prelude: '', functions: [markThread, failOnWorker] };

describe('worker pool', () => {
  const initial = parallelConfig();
  afterAll(() => {
    configureParallel(initial);
  });

  it.each([1, 2, 3])('runs a task once on each of %i threads, synchronously', (threads) => {
    configureParallel({ threads });
    const marks = new Int32Array(new SharedArrayBuffer(4 * 5));
    runOnAllThreads(LIBRARY, markThread, [marks]);
    expect([...marks]).toEqual([
      ...Array.from({ length: 4 }, (_, t) => (t < threads ? t + 1 : 0)),
      threads,
    ]);
  });

  it('runs on the calling thread alone when asked for one thread', () => {
    configureParallel({ threads: 3 });
    const marks = new Int32Array(new SharedArrayBuffer(4 * 5));
    runOnAllThreads(LIBRARY, markThread, [marks], 1);
    expect([...marks]).toEqual([1, 0, 0, 0, 1]);
  });

  it('reports an error thrown in a worker', () => {
    configureParallel({ threads: 2 });
    expect(() => runOnAllThreads(LIBRARY, failOnWorker, ['boom'])).toThrow(/boom/);
    // The pool still works afterwards.
    const marks = new Int32Array(new SharedArrayBuffer(4 * 5));
    runOnAllThreads(LIBRARY, markThread, [marks]);
    expect([...marks]).toEqual([1, 2, 0, 0, 2]);
  });
});
