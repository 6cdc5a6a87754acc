// The wasm kernels cnnc replaces for speed (runtime/tfjs/wasm-overrides.ts, pool-grads.ts and the
// generated SIMD kernels behind them) against tfjs's cpu backend, on shapes that take each path:
// SIMD and JavaScript, vector and scalar-tail channels, the cases that fall back to wasm's own
// kernel. Error measure: the largest absolute difference over the largest reference magnitude.

import type * as Tf from '@tensorflow/tfjs';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { MAX_POOL_TAPS } from '../../../runtime/tfjs/simd-pool.js';
import { transposeLast2 } from '../../../runtime/tfjs/wasm-overrides.js';
import { loadCpuAndWasm, relErr, restoreSimdKernels, seeded, valuesOf } from './kernel-setup.js';

let tf: typeof Tf;

beforeAll(async () => {
  tf = await loadCpuAndWasm();
});

afterEach(restoreSimdKernels);

const size = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);

/** `f` on the cpu backend and on wasm (with and without the SIMD kernels), as flat arrays. */
async function onBoth(
  f: () => Tf.Tensor,
): Promise<{ cpu: Float32Array; wasm: Float32Array; js: Float32Array }> {
  const run = async (backend: 'cpu' | 'wasm', simd: boolean) => {
    await tf.setBackend(backend);
    return valuesOf(tf, f, simd);
  };
  return {
    cpu: await run('cpu', true),
    wasm: await run('wasm', true),
    js: await run('wasm', false),
  };
}

interface PoolCase {
  readonly x: [number, number, number, number];
  readonly k: [number, number];
  readonly s: [number, number];
  readonly pad: 'valid' | 'same' | number;
}

const poolCases: PoolCase[] = [
  { x: [2, 8, 8, 32], k: [2, 2], s: [2, 2], pad: 'valid' },
  { x: [2, 7, 9, 6], k: [3, 3], s: [2, 2], pad: 'same' },
  { x: [1, 9, 9, 3], k: [3, 3], s: [1, 1], pad: 1 },
  { x: [3, 5, 6, 13], k: [2, 3], s: [3, 1], pad: 'valid' },
  { x: [1, 6, 6, 8], k: [6, 6], s: [1, 1], pad: 'valid' }, // 36 taps: the JavaScript loop
  // windows that tile the input (dX written once, not zeroed first), with channel tails; and
  // windows that leave the last row and column out (dX zeroed first)
  { x: [2, 6, 4, 7], k: [2, 2], s: [2, 2], pad: 'valid' },
  { x: [1, 9, 6, 5], k: [3, 3], s: [3, 3], pad: 'valid' },
  { x: [2, 7, 7, 6], k: [2, 2], s: [2, 2], pad: 'valid' },
];
const poolTitle = (c: PoolCase) => `x [${c.x}] ${c.k.join('x')} /${c.s.join(',')} ${c.pad}`;

describe('pool gradients', () => {
  it('has a case past the SIMD kernels’ tap limit', () => {
    expect(poolCases.some((c) => c.k[0] * c.k[1] > MAX_POOL_TAPS)).toBe(true);
  });

  it.each(poolCases.map((c) => [poolTitle(c), c] as const))('max and avg: %s', async (_, c) => {
    // Rounded inputs tie often (and so do ReLU zeros): the first maximum must win on every path.
    const xv = seeded(size(c.x), 1).map((v) => Math.round(v * 2) / 2);
    for (const kind of ['max', 'avg'] as const) {
      // Freed NaNs on the heap: dX must be written (or zeroed) everywhere, not assumed zero.
      await tf.setBackend('wasm');
      tf.fill([4 * size(c.x)], NaN).dispose();
      const r = await onBoth(() =>
        tf.grad((x: Tf.Tensor) => {
          const p =
            kind === 'max'
              ? tf.maxPool(x as Tf.Tensor4D, c.k, c.s, c.pad)
              : tf.avgPool(x as Tf.Tensor4D, c.k, c.s, c.pad);
          return tf.sum(tf.mul(p, tf.tensor(seeded(p.size, 2), p.shape)));
        })(tf.tensor4d(xv, c.x)),
      );
      expect(relErr(r.wasm, r.cpu)).toBeLessThanOrEqual(1e-6);
      expect(relErr(r.js, r.cpu)).toBeLessThanOrEqual(1e-6);
    }
  });
});

describe('reductions and per-channel arithmetic', () => {
  const x = (shape: number[], seed = 3) => tf.tensor(seeded(size(shape), seed), shape);

  it.each([
    ['Sum over N, H, W of 32 channels', () => tf.sum(x([4, 5, 6, 32]), [0, 1, 2])],
    ['Sum over N, H, W of 7 channels', () => tf.sum(x([4, 5, 6, 7]), [0, 1, 2])],
    ['Sum over N, H, W of 70 channels', () => tf.sum(x([2, 3, 5, 70]), [2, 0, 1])],
    ['Sum over axis 0, keepDims', () => tf.sum(x([9, 3, 5]), 0, true)],
    ['Sum over 3 channels', () => tf.sum(x([50, 3]), 0)],
    ['Sum over inner axes (wasm’s own)', () => tf.sum(x([4, 5, 6]), [1, 2])],
    ['Sum of everything (wasm’s own)', () => tf.sum(x([4, 5, 6]))],
    ['Mean over N, H, W', () => tf.mean(x([4, 5, 6, 10]), [0, 1, 2])],
    ['Mean over axis 0 and 1, keepDims', () => tf.mean(x([4, 5, 6]), [0, 1], true)],
    ['bias add', () => tf.add(x([3, 4, 5, 9]), x([9], 4))],
    ['bias add, vector first', () => tf.add(x([9], 4), x([3, 4, 5, 9]))],
    ['[1, 1, 1, C] shift', () => tf.sub(x([3, 4, 5, 40]), x([1, 1, 1, 40], 4))],
    ['C − x (wasm’s own)', () => tf.sub(x([40], 4), x([3, 4, 5, 40]))],
    ['scale, 2 channels', () => tf.mul(x([3, 4, 5, 2]), x([2], 4))],
    ['scale, vector first', () => tf.mul(x([1, 66], 4), x([3, 4, 66]))],
    ['same shapes (wasm’s own)', () => tf.mul(x([3, 4]), x([3, 4], 4))],
    ['broadcast rows (wasm’s own)', () => tf.add(x([3, 4]), x([3, 1], 4))],
  ] as const)('%s', async (_, f) => {
    const r = await onBoth(f);
    expect(relErr(r.wasm, r.cpu)).toBeLessThanOrEqual(1e-5);
    expect(relErr(r.js, r.cpu)).toBeLessThanOrEqual(1e-5);
  });
});

describe('matrix products', () => {
  it.each([
    [[5, 7], [7, 3], false, false],
    [[7, 5], [7, 3], true, false],
    [[5, 7], [3, 7], false, true],
    [[7, 5], [3, 7], true, true],
    [[64, 400], [400, 120], false, false],
    [[64, 400], [64, 120], true, false],
    [[64, 120], [400, 120], false, true],
    [[2, 7, 5], [2, 7, 3], true, false], // batched: wasm's own
    // the SIMD kernel's tiles: rows past a multiple of 4, column vectors past a multiple of 3,
    // scalar tail columns, no vector at all, one row
    [[7, 13], [13, 29], false, false],
    [[13, 10], [13, 47], true, false],
    [[6, 9], [3, 9], false, true],
    [[1, 5], [5, 12], false, false],
    [[9, 1], [1, 1], false, false],
  ] as const)('%j · %j, transposeA %s, transposeB %s', async (as, bs, ta, tb) => {
    const r = await onBoth(() =>
      tf.matMul(
        tf.tensor(seeded(size(as), 5), [...as]),
        tf.tensor(seeded(size(bs), 6), [...bs]),
        ta,
        tb,
      ),
    );
    expect(relErr(r.wasm, r.cpu)).toBeLessThanOrEqual(1e-5);
    expect(relErr(r.js, r.cpu)).toBeLessThanOrEqual(1e-5);
  });

  it('transposes in tiles, for every shape', () => {
    for (const [B, R, C] of [
      [1, 1, 1],
      [2, 33, 70],
      [1, 64, 5],
    ]) {
      const src = seeded(B * R * C, 7);
      const dst = new Float32Array(src.length);
      transposeLast2(src, B, R, C, dst);
      for (let b = 0; b < B; b++)
        for (let r = 0; r < R; r++)
          for (let c = 0; c < C; c++)
            expect(dst[(b * C + c) * R + r]).toBe(src[(b * R + r) * C + c]);
    }
  });
});

describe('elementwise', () => {
  it('tanh is within 2e-7 of the cpu backend’s, including ±∞, ±0 and large values', async () => {
    const values = Float32Array.from([
      ...seeded(1000, 8).map((v) => v * 12),
      0,
      -0,
      1e-30,
      -1e-7,
      20,
      -40,
      Infinity,
      -Infinity,
    ]);
    const r = await onBoth(() => tf.tanh(tf.tensor(values)));
    for (let i = 0; i < values.length; i++)
      expect(Math.abs(r.wasm[i] - r.cpu[i])).toBeLessThan(2e-7);
    const nan = await onBoth(() => tf.tanh(tf.tensor([NaN])));
    expect(Number.isNaN(nan.wasm[0])).toBe(true);
  });

  it('clones and same-type casts share the buffer, and outlive the original', async () => {
    await tf.setBackend('wasm');
    const backend = tf.backend() as unknown as { numDataIds(): number };
    const a = tf.tensor([1, 2, 3]);
    const ids = backend.numDataIds();
    const b = tf.clone(a);
    const c = tf.cast(a, 'float32');
    expect(backend.numDataIds()).toBe(ids);
    a.dispose();
    expect(Array.from(b.dataSync())).toEqual([1, 2, 3]);
    expect(Array.from(c.dataSync())).toEqual([1, 2, 3]);
    const d = tf.cast(b, 'int32');
    expect(d.dtype).toBe('int32');
    expect(Array.from(d.dataSync())).toEqual([1, 2, 3]);
    tf.dispose([b, c, d]);
    expect(backend.numDataIds()).toBe(ids - 1);
  });
});
