// The fused SGD / momentum / Nesterov update (runtime/tfjs/fused-update.ts) that optimizers.ts runs
// on wasm, against the same Optimizer on the cpu backend, where tfjs's own ops compute the update:
// after three steps the weights and velocities must be the same bits, for sizes that are and are
// not a multiple of 4, with and without weight decay, in SIMD and in the JavaScript fallback. A
// profile shows that the fused kernel, not tfjs's ops, ran on wasm. The gradient all-reduce's SIMD
// sum of two replicas (heapAdder) gives float32(a + b) of every element, as JavaScript does.

import type * as Tf from '@tensorflow/tfjs';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { FUSED_UPDATE_KERNEL, heapAdder } from '../../../runtime/tfjs/fused-update.js';
import { asWasmBackend } from '../../../runtime/tfjs/kernel-utils.js';
import { Optimizer } from '../../../runtime/tfjs/optimizers.js';
import {
  DEFAULT_OPTIMIZER,
  type OptimizerConfig,
} from '../../../runtime/train/optimizer-config.js';
import { loadCpuAndWasm, restoreSimdKernels } from './kernel-setup.js';

let tf: typeof Tf;

beforeAll(async () => {
  tf = await loadCpuAndWasm();
});

afterEach(restoreSimdKernels);

const series = (n: number, seed: number): Float32Array =>
  Float32Array.from({ length: n }, (_, i) => Math.sin(i * 0.731 + seed) * (1 + (i % 5)));

interface Run {
  readonly weights: Float32Array[];
  readonly slots: Float32Array[];
}

/** Three updates of two parameters (sizes n and 3) on `backend`, with lr 0.05 and 0.1 (a scale). */
async function train(
  backend: 'cpu' | 'wasm',
  config: OptimizerConfig,
  n: number,
  simd: boolean,
): Promise<Run> {
  await tf.setBackend(backend);
  if (!simd) process.env['CNNC_NO_SIMD_KERNELS'] = '1';
  const params = [
    { name: 'a', variable: tf.variable(tf.tensor(series(n, 1), [n])) },
    { name: 'b', variable: tf.variable(tf.tensor(series(3, 2), [3, 1])) },
  ];
  const opt = new Optimizer(tf, config, params, new Map([['b', 2]]));
  const tensors = tf.memory().numTensors;
  for (let s = 0; s < 3; s++) {
    const grads = [tf.tensor(series(n, 10 + s), [n]), tf.tensor(series(3, 20 + s), [3, 1])];
    opt.apply(grads, 0.05);
    tf.dispose(grads);
  }
  expect(tf.memory().numTensors, 'tensors left by the updates').toBe(tensors);
  const weights = params.map((p) => Float32Array.from(p.variable.dataSync()));
  const slots = opt.getState().slots.map((t) => Float32Array.from(t.data));
  opt.dispose();
  for (const p of params) p.variable.dispose();
  delete process.env['CNNC_NO_SIMD_KERNELS'];
  return { weights, slots };
}

function sameBits(a: Float32Array[], b: Float32Array[]): void {
  expect(a.length).toBe(b.length);
  a.forEach((x, i) => {
    const bad = Array.from(x.keys()).filter((j) => !Object.is(x[j], b[i][j]));
    expect(bad, `tensor ${i}`).toEqual([]);
  });
}

const configs: { label: string; config: OptimizerConfig }[] = [
  { label: 'sgd', config: { ...DEFAULT_OPTIMIZER, name: 'sgd' } },
  { label: 'momentum', config: { ...DEFAULT_OPTIMIZER, name: 'momentum', momentum: 0.9 } },
  { label: 'nesterov', config: { ...DEFAULT_OPTIMIZER, name: 'nesterov', momentum: 0.85 } },
  {
    label: 'momentum, weight decay',
    config: { ...DEFAULT_OPTIMIZER, name: 'momentum', momentum: 0.9, weightDecay: 5e-4 },
  },
  { label: 'sgd, weight decay', config: { ...DEFAULT_OPTIMIZER, name: 'sgd', weightDecay: 1e-3 } },
];

describe.each(configs)('$label', ({ config }) => {
  it.each([1, 4, 7, 1001].flatMap((n) => [true, false].map((simd) => ({ n, simd }))))(
    'size $n, SIMD $simd: the same bits as tfjs’s ops on cpu',
    async ({ n, simd }) => {
      const cpu = await train('cpu', config, n, true);
      const wasm = await train('wasm', config, n, simd);
      sameBits(wasm.weights, cpu.weights);
      sameBits(wasm.slots, cpu.slots);
    },
  );
});

it('runs as one fused kernel per variable on wasm, as tfjs’s ops on cpu', async () => {
  const kernels = async (backend: 'cpu' | 'wasm') => {
    await tf.setBackend(backend);
    const w = tf.variable(tf.tensor(series(10, 1)));
    const opt = new Optimizer(tf, { ...DEFAULT_OPTIMIZER, name: 'momentum' }, [
      { name: 'w', variable: w },
    ]);
    const g = tf.tensor(series(10, 2));
    const info = await tf.profile(() => opt.apply([g], 0.1));
    tf.dispose([g, w]);
    opt.dispose();
    return info.kernels.map((k) => k.name);
  };
  expect(await kernels('wasm')).toEqual([FUSED_UPDATE_KERNEL]);
  expect(await kernels('cpu')).not.toContain(FUSED_UPDATE_KERNEL);
});

it('heapAdder adds shared memory into the heap: float32(a + b) per element, odd ranges', async () => {
  await tf.setBackend('wasm');
  const adder = heapAdder(tf);
  expect(adder).not.toBeNull();
  const n = 1003;
  const own = tf.tensor(series(n, 3));
  // Values of very different magnitudes, so that float32 rounding of the sum shows.
  const other = new Float32Array(new SharedArrayBuffer(4 * n));
  other.set(series(n, 4).map((v, i) => v * 10 ** ((i % 9) - 4)));
  const before = own.dataSync().slice();
  adder!.reserve(700);
  const backend = asWasmBackend(tf.backend());
  const heap = backend.typedArrayFromHeap(own) as Float32Array;
  // Two ranges, neither a multiple of 4 long nor aligned to 16 bytes.
  adder!.add(heap, 1, 698, other.subarray(1, 698));
  adder!.add(heap, 698, n, other.subarray(698, n));
  const want = before.map((v, i) => (i === 0 ? v : Math.fround(v + other[i])));
  expect(Array.from(own.dataSync())).toEqual(Array.from(want));
  // Longer than the scratch, and off the heap (the loss riding along): the same sums.
  adder!.add(heap, 0, 701, other.subarray(0, 701));
  const head = Float32Array.of(1.5, 1e-9);
  adder!.add(head, 0, 2, Float32Array.of(1e-9, 3));
  expect(Array.from(head)).toEqual([Math.fround(1.5 + 1e-9), Math.fround(Math.fround(1e-9) + 3)]);
  const twice = want.map((v, i) => (i < 701 ? Math.fround(v + other[i]) : v));
  expect(Array.from(own.dataSync())).toEqual(Array.from(twice));
  own.dispose();
  adder!.dispose();
});
