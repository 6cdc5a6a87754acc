// The fused elementwise kernels (runtime/tfjs/simd-elementwise.ts) and the activation gradients
// that run on them (fused-grads.ts), against the unfused tfjs ops they replace, computed on the same
// wasm backend with wasm's own kernels: the results must be the same bits, on lengths that are and
// are not a multiple of 4, with ±0, ±∞ and NaN among the values, in SIMD and in the JavaScript
// fallback. A profile of a backward pass shows that the fused kernels, not tfjs's ops, ran. The
// forward tanh is an approximation of its own: held to Math.tanh over a sweep of float32 values.

import type * as Tf from '@tensorflow/tfjs';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { differing, loadCpuAndWasm, restoreSimdKernels, valuesOf } from './kernel-setup.js';

let tf: typeof Tf;

beforeAll(async () => {
  tf = await loadCpuAndWasm();
});

afterEach(restoreSimdKernels);

const SPECIAL = [0, -0, 1e-30, -1e-7, 20, -40, Infinity, -Infinity, NaN, 1, -1, 6, 6.5];

/** n values: the special ones first, then deterministic ones in (-6, 6). */
function values(n: number, seed: number): Float32Array {
  return Float32Array.from({ length: n }, (_, i) =>
    i < SPECIAL.length && seed === 1 ? SPECIAL[i] : 6 * Math.sin(i * 1.618 + seed * 0.77),
  );
}

interface GradCase {
  readonly name: string;
  readonly forward: (t: Tf.Tensor) => Tf.Tensor;
  /** tfjs-core's own gradient config, written out with tf ops. */
  readonly unfused: (dy: Tf.Tensor, x: Tf.Tensor) => Tf.Tensor;
  readonly kernel: string;
}

const gradCases: GradCase[] = [
  {
    name: 'tanh',
    forward: (t) => tf.tanh(t),
    unfused: (dy, x) => tf.mul(tf.sub(tf.scalar(1), tf.square(tf.tanh(x))), dy),
    kernel: 'CnncTanhGrad',
  },
  {
    name: 'sigmoid',
    forward: (t) => tf.sigmoid(t),
    unfused: (dy, x) => {
      const y = tf.sigmoid(x);
      return tf.mul(dy, tf.mul(y, tf.sub(tf.scalar(1), y)));
    },
    kernel: 'CnncSigmoidGrad',
  },
  {
    name: 'relu',
    forward: (t) => tf.relu(t),
    unfused: (dy, x) => tf.mul(dy, tf.cast(tf.step(x), 'float32')),
    kernel: 'CnncReluGrad',
  },
  {
    name: 'relu6',
    forward: (t) => tf.relu6(t),
    unfused: (dy, x) => tf.mul(dy, tf.cast(tf.mul(tf.lessEqual(x, 6), tf.step(x)), 'float32')),
    kernel: 'CnncRelu6Grad',
  },
];

const LENGTHS = [1, 3, 4, 7, 13, 1001];

/** f on the wasm backend, with the SIMD kernels or their JavaScript fallback. */
function onWasm(f: () => Tf.Tensor, simd: boolean): Float32Array {
  return valuesOf(tf, f, simd);
}

describe.each(gradCases)('$name gradient', (c) => {
  it.each(LENGTHS.flatMap((n) => [true, false].map((simd) => ({ n, simd }))))(
    'length $n, SIMD $simd: the same bits as tfjs’s unfused ops',
    async ({ n, simd }) => {
      await tf.setBackend('wasm');
      const x = values(n, 1);
      const dy = values(n, 2);
      const fused = onWasm(
        () => tf.grad((t: Tf.Tensor) => tf.mul(c.forward(t), tf.tensor(dy)).sum())(tf.tensor(x)),
        simd,
      );
      const unfused = onWasm(() => c.unfused(tf.tensor(dy), tf.tensor(x)), simd);
      expect(differing(fused, unfused)).toEqual([]);
    },
  );

  it('runs as the fused kernel on wasm, as tfjs’s ops on cpu', async () => {
    const kernels = async (backend: 'cpu' | 'wasm') => {
      await tf.setBackend(backend);
      const x = tf.tensor(values(64, 3), [4, 16]);
      const info = await tf.profile(() => tf.grad((t: Tf.Tensor) => c.forward(t).sum())(x));
      x.dispose();
      return info.kernels.map((k) => k.name);
    };
    const wasm = await kernels('wasm');
    expect(wasm).toContain(c.kernel);
    expect(wasm).not.toContain('Square');
    expect(wasm).not.toContain('Step');
    expect(await kernels('cpu')).not.toContain(c.kernel);
  });
});

describe('forward', () => {
  it.each(LENGTHS.flatMap((n) => [true, false].map((simd) => ({ n, simd }))))(
    'tanh, length $n, SIMD $simd: the same bits in SIMD and JavaScript, within 1.2e-7 of Math.tanh',
    async ({ n, simd }) => {
      await tf.setBackend('wasm');
      const x = values(n, 1);
      const y = onWasm(() => tf.tanh(tf.tensor(x)), simd);
      expect(
        differing(
          y,
          onWasm(() => tf.tanh(tf.tensor(x)), !simd),
        ),
      ).toEqual([]);
      for (let i = 0; i < n; i++) {
        if (Number.isNaN(x[i])) expect(y[i]).toBeNaN();
        else expect(Math.abs(y[i] - Math.tanh(x[i])), `x = ${x[i]}`).toBeLessThanOrEqual(1.2e-7);
      }
      if (n > 1) expect(Object.is(y[1], -0)).toBe(true);
    },
  );

  it('tanh is within 1.2e-7 of Math.tanh over float32 values from 2^-30 to 12, both signs', async () => {
    await tf.setBackend('wasm');
    const bits = Uint32Array.from({ length: 200_003 }, (_, i) => 0x30800000 + i * 0x57d);
    const x = new Float32Array(bits.buffer);
    const both = Float32Array.from([...x, ...x.map((v) => -v)]);
    const y = onWasm(() => tf.tanh(tf.tensor(both)), true);
    let worst = 0;
    for (let i = 0; i < both.length; i++)
      worst = Math.max(worst, Math.abs(y[i] - Math.tanh(both[i])));
    expect(worst).toBeLessThanOrEqual(1.2e-7);
    expect(worst).toBeGreaterThan(0);
  });

  it.each(LENGTHS.flatMap((n) => [true, false].map((simd) => ({ n, simd }))))(
    'relu, length $n, SIMD $simd: the cpu backend’s values, +0 for −0 and NaN kept',
    async ({ n, simd }) => {
      const x = values(n, 1);
      await tf.setBackend('cpu');
      const cpu = tf.tidy(() => Float32Array.from(tf.relu(tf.tensor(x)).dataSync()));
      await tf.setBackend('wasm');
      const wasm = onWasm(() => tf.relu(tf.tensor(x)), simd);
      expect(differing(wasm, cpu)).toEqual([]);
      if (n > 1) expect(Object.is(wasm[1], 0)).toBe(true);
    },
  );
});
