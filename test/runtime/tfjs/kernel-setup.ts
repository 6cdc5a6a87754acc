// What the wasm kernel tests share: tfjs with both backends they compare loaded, the switch that
// turns the generated SIMD kernels off put back after each test, and seeded operands.

import type * as Tf from '@tensorflow/tfjs';
import { initBackend } from '../../../runtime/tfjs/backend.js';

/** tfjs with the cpu backend (the reference) and the wasm backend (under test) both loaded. */
export async function loadCpuAndWasm(): Promise<typeof Tf> {
  const { tf } = await initBackend('cpu');
  await initBackend('wasm');
  return tf;
}

/** For afterEach: a test that set CNNC_NO_SIMD_KERNELS leaves the SIMD kernels on for the next. */
export function restoreSimdKernels(): void {
  delete process.env['CNNC_NO_SIMD_KERNELS'];
}

/** Deterministic values in [-1, 1) (mulberry32). */
export function seeded(size: number, seed: number): Float32Array {
  let a = seed >>> 0;
  const out = new Float32Array(size);
  for (let i = 0; i < size; i++) {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    out[i] = ((t ^ (t >>> 14)) >>> 0) / 2 ** 31 - 1;
  }
  return out;
}

/** The largest absolute difference divided by the largest magnitude of the reference. */
export function relErr(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  if (actual.length !== expected.length)
    throw new Error(`lengths differ: ${actual.length} and ${expected.length}`);
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < expected.length; i++) {
    diff = Math.max(diff, Math.abs(actual[i] - expected[i]));
    scale = Math.max(scale, Math.abs(expected[i]));
  }
  return diff / Math.max(scale, 1e-30);
}

/**
 * `f`'s values on the current backend, with the generated SIMD kernels or (simd false) their
 * JavaScript fallback; fails if `f` leaves a tensor behind.
 */
export function valuesOf(tf: typeof Tf, f: () => Tf.Tensor, simd: boolean): Float32Array {
  if (!simd) process.env['CNNC_NO_SIMD_KERNELS'] = '1';
  try {
    const before = tf.memory().numTensors;
    const y = tf.tidy(f);
    const out = Float32Array.from(y.dataSync());
    y.dispose();
    if (tf.memory().numTensors !== before)
      throw new Error(`${tf.memory().numTensors - before} tensors left behind`);
    return out;
  } finally {
    restoreSimdKernels();
  }
}

/** Indices where a and b are not the same float32 (NaN equals NaN). */
export function differing(a: ArrayLike<number>, b: ArrayLike<number>): number[] {
  if (a.length !== b.length) throw new Error(`lengths differ: ${a.length} and ${b.length}`);
  const out: number[] = [];
  for (let i = 0; i < a.length; i++) {
    if (!Object.is(a[i], b[i]) && !(Number.isNaN(a[i]) && Number.isNaN(b[i]))) out.push(i);
  }
  return out;
}
