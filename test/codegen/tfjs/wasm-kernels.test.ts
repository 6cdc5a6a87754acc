/**
 * The gradient kernels an emitted project's backend.ts registers for tfjs-backend-wasm 4.22
 * (Conv2DBackpropFilter, which wasm lacks; the depthwise convolution's gradients; MaxPoolGrad, which
 * wasm gets wrong for some shapes) give the cpu backend's gradients: for convolutions with valid,
 * same and explicit per-side padding, strides, batches and channel counts, depthwise convolutions
 * with multipliers, strides and padding, and max pools over even, odd and overlapping windows.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rng } from '../../../runtime/data/dataset.js';
import { relativeError } from '../compare.js';
import { emitTfjs, transpile } from './tfjs-project.js';

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'cnnc-tfjs-kernels-'));
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

let useBackend: (name: 'wasm' | 'cpu') => Promise<string>;

beforeAll(async () => {
  const dir = path.join(work, 'lenet5');
  const r = await emitTfjs('examples/lenet5.cnn', dir);
  if (r.code !== 0) throw new Error(r.err);
  ({ useBackend } = await import(pathToFileURL(path.join(transpile(dir), 'backend.js')).href));
}, 120_000);

function values(shape: number[], seed: number): Float32Array {
  const r = rng(seed);
  return Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => 2 * r() - 1);
}

type Pad =
  'valid' | 'same' | [[number, number], [number, number], [number, number], [number, number]];

/** The gradients of sum(f(x, w) · dy) with respect to x and w, on a backend. */
async function gradients(
  backend: 'wasm' | 'cpu',
  f: (x: tf.Tensor4D, w: tf.Tensor4D) => tf.Tensor4D,
  xShape: number[],
  wShape: number[],
): Promise<Float32Array[]> {
  await useBackend(backend);
  return tf.tidy(() => {
    const x = tf.tensor4d(values(xShape, 1), xShape as [number, number, number, number]);
    const w = tf.tensor4d(values(wShape, 2), wShape as [number, number, number, number]);
    const y = f(x, w);
    const dy = tf.tensor(values(y.shape, 3), y.shape);
    const g = tf.grads((a: tf.Tensor, b: tf.Tensor) =>
      tf.sum(tf.mul(f(a as tf.Tensor4D, b as tf.Tensor4D), dy)),
    )([x, w]);
    return g.map((t) => t.dataSync() as Float32Array);
  });
}

async function compare(
  f: (x: tf.Tensor4D, w: tf.Tensor4D) => tf.Tensor4D,
  xShape: number[],
  wShape: number[],
): Promise<void> {
  const wasm = await gradients('wasm', f, xShape, wShape);
  const cpu = await gradients('cpu', f, xShape, wShape);
  expect(relativeError(wasm[0], cpu[0]), 'dx').toBeLessThanOrEqual(1e-5);
  expect(relativeError(wasm[1], cpu[1]), 'dw').toBeLessThanOrEqual(1e-5);
}

const CONVS: [string, number[], number[], number, Pad][] = [
  ['3x3 valid', [2, 7, 6, 3], [3, 3, 3, 4], 1, 'valid'],
  ['3x3 same', [2, 6, 6, 2], [3, 3, 2, 5], 1, 'same'],
  ['4x4 /2 same (uneven)', [3, 8, 7, 2], [4, 4, 2, 3], 2, 'same'],
  [
    '3x3 /2 explicit',
    [2, 9, 8, 3],
    [3, 3, 3, 2],
    2,
    [
      [0, 0],
      [1, 2],
      [0, 1],
      [0, 0],
    ],
  ],
  ['5x5 /3 valid, rows left over', [1, 11, 10, 1], [5, 5, 1, 6], 3, 'valid'],
  ['1x1 /2', [4, 5, 5, 3], [1, 1, 3, 3], 2, 'valid'],
];

const DEPTHWISE: [string, number[], number[], number, Pad][] = [
  ['3x3 same, multiplier 2', [2, 6, 6, 3], [3, 3, 3, 2], 1, 'same'],
  ['3x3 /2 valid', [2, 7, 7, 4], [3, 3, 4, 1], 2, 'valid'],
  ['5x5 /2 same', [1, 8, 9, 2], [5, 5, 2, 3], 2, 'same'],
];

const POOLS: [string, number[], number, number, 'valid' | 'same'][] = [
  ['2x2 /2 over 4x4', [1, 4, 4, 1], 2, 2, 'valid'],
  ['2x2 /2 over an odd 3x3', [2, 3, 3, 2], 2, 2, 'valid'],
  ['3x3 /1 overlapping', [1, 5, 5, 3], 3, 1, 'valid'],
  ['3x3 /2 same', [2, 7, 6, 4], 3, 2, 'same'],
];

describe("backend.ts's wasm gradient kernels", () => {
  it.each(CONVS)('conv %s', async (_t, x, w, s, pad) => {
    await compare((a, b) => tf.conv2d(a, b, s, pad), x, w);
  });

  it.each(DEPTHWISE)('depthwise %s', async (_t, x, w, s, pad) => {
    await compare((a, b) => tf.depthwiseConv2d(a, b, s, pad as 'valid' | 'same'), x, w);
  });

  it.each(POOLS)('max pool %s', async (_t, x, k, s, pad) => {
    // A max pool has no weights: w only scales the input, so both gradients are checked.
    await compare(
      (a, b) => tf.maxPool(tf.mul(a, tf.sum(b)) as tf.Tensor4D, k, s, pad),
      x,
      [1, 1, 1, 2],
    );
  });
});
