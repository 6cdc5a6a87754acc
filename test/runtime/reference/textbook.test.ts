/**
 * Textbook cases with every number written out: 2x2 max pooling with stride 2 over a 4x4 and a 6x6
 * map (values and where the gradient goes, ties to the first maximum in scan order), and ReLU on a
 * 3x3 map.
 */
import { describe, expect, it } from 'vitest';
import { activationKernel } from '../../../runtime/reference/kernels/activation.js';
import { maxPoolKernel } from '../../../runtime/reference/kernels/pool.js';
import { type DType, tensor } from '../../../runtime/reference/tensor.js';
import { asKernel, ctxOf, opNode } from './op-node.js';

const pool2x2 = opNode('max_pool', {
  kernel: [2, 2],
  stride: [2, 2],
  padding: { mode: 'valid' },
  ceil: false,
  countIncludePad: false,
});
const maxPool = asKernel(maxPoolKernel);

/** A single-channel map [1, h, w, 1] from rows. */
const map = (rows: number[][], dtype: DType) =>
  tensor(rows.flat(), [1, rows.length, rows[0].length, 1], dtype);

/** Rows of a [1, h, w, 1] tensor. */
const rowsOf = (t: { shape: readonly number[]; data: ArrayLike<number> }) =>
  Array.from({ length: t.shape[1] }, (_, r) =>
    Array.from({ length: t.shape[2] }, (_, c) => t.data[r * t.shape[2] + c]),
  );

describe.each(['float32', 'float64'] as const)('textbook cases in %s', (dtype) => {
  it('2x2 / 2 max pooling of a 4x4 map', () => {
    const x = map(
      [
        [1, 3, 2, 4],
        [5, 6, 1, 2],
        [7, 2, 9, 0],
        [1, 8, 3, 4],
      ],
      dtype,
    );
    const r = maxPool(pool2x2, [x], {}, ctxOf());
    expect(r.output.shape).toEqual([1, 2, 2, 1]);
    expect(rowsOf(r.output)).toEqual([
      [6, 4],
      [8, 9],
    ]);
    const dx = r.backward(
      map(
        [
          [1, 2],
          [3, 4],
        ],
        dtype,
      ),
    ).inputs[0]!;
    expect(rowsOf(dx)).toEqual([
      [0, 0, 0, 2],
      [0, 1, 0, 0],
      [0, 0, 4, 0],
      [0, 3, 0, 0],
    ]);
  });

  it('2x2 / 2 max pooling of a 6x6 map, a tie going to the first maximum', () => {
    const x = map(
      [
        [1, 0, 2, 3, 5, 4],
        [4, 6, 5, 1, 2, 7],
        [3, 1, 1, 0, 9, 8],
        [1, 2, 2, 4, 6, 3],
        [0, 5, 7, 1, 2, 2],
        [3, 4, 2, 8, 1, 0],
      ],
      dtype,
    );
    const r = maxPool(pool2x2, [x], {}, ctxOf());
    expect(rowsOf(r.output)).toEqual([
      [6, 5, 7],
      [3, 4, 9],
      [5, 8, 2],
    ]);
    const dy = map(
      [
        [1, 2, 3],
        [4, 5, 6],
        [7, 8, 9],
      ],
      dtype,
    );
    expect(rowsOf(r.backward(dy).inputs[0]!)).toEqual([
      [0, 0, 0, 0, 0, 0],
      [0, 1, 2, 0, 0, 3],
      [4, 0, 0, 0, 6, 0],
      [0, 0, 0, 5, 0, 0],
      [0, 7, 0, 0, 9, 0],
      [0, 0, 0, 8, 0, 0],
    ]);
  });

  it('ReLU on a 3x3 map', () => {
    const x = map(
      [
        [-1, 2, -3],
        [4, -5, 6],
        [-7, 8, 0],
      ],
      dtype,
    );
    const r = asKernel(activationKernel)(opNode('activation', { fn: 'relu' }), [x], {}, ctxOf());
    expect(rowsOf(r.output)).toEqual([
      [0, 2, 0],
      [4, 0, 6],
      [0, 8, 0],
    ]);
    // dL/dx = dy where x > 0 (and 0 at x = 0, as tfjs and PyTorch).
    const dy = map(
      [
        [10, 20, 30],
        [40, 50, 60],
        [70, 80, 90],
      ],
      dtype,
    );
    expect(rowsOf(r.backward(dy).inputs[0]!)).toEqual([
      [0, 20, 0],
      [40, 0, 60],
      [0, 80, 0],
    ]);
  });
});
