/**
 * Helpers for the reference-kernel tests: a bare IR node of an op, seeded tensors (with values kept
 * apart so that max pooling has no near ties, or away from an activation's kinks), a kernel context,
 * and a naive NHWC indexer.
 */
import type { IrNode, Node } from '../../../compiler/ir/graph.js';
import type { OpAttrMap, OpKind } from '../../../compiler/ir/ops.js';
import { seededRandom } from '../../../runtime/init.js';
import type { Kernel, KernelContext } from '../../../runtime/reference/kernel.js';
import { type DType, type Tensor, tensor } from '../../../runtime/reference/tensor.js';

export function opNode<K extends OpKind>(
  op: K,
  attrs: OpAttrMap[K],
  opts: { frozen?: boolean; inputs?: number } = {},
): Node {
  const node: IrNode<K> = {
    id: 1,
    name: `test.${op}`,
    op,
    attrs,
    inputs: Array.from({ length: opts.inputs ?? 1 }, (_, i) => i),
    span: { file: 'test.cnn', start: 0, end: 1 },
    frozen: opts.frozen ?? false,
  };
  return node as IrNode as Node;
}

/** A kernel of one op as the table's general type (gradCheck takes any kernel). */
export function asKernel<K extends OpKind>(k: Kernel<K>): Kernel {
  return k as unknown as Kernel;
}

export function ctxOf(training = false, inputs = 1, seed = 5): KernelContext {
  return {
    training,
    needInputGrad: Array.from({ length: inputs }, () => true),
    random: seededRandom(seed),
  };
}

/** Uniform values in [lo, hi). */
export function randomTensor(
  shape: readonly number[],
  seed: number,
  lo = -1,
  hi = 1,
  dtype: DType = 'float64',
): Tensor {
  const r = seededRandom(seed);
  const n = shape.reduce((a, b) => a * b, 1);
  return tensor(
    Array.from({ length: n }, () => lo + (hi - lo) * r()),
    shape,
    dtype,
  );
}

/** A shuffled ramp in [−1, 1): every two values differ by at least 2/n (no near ties). */
export function distinctTensor(shape: readonly number[], seed: number, dtype: DType = 'float64') {
  const r = seededRandom(seed);
  const n = shape.reduce((a, b) => a * b, 1);
  const v = Array.from({ length: n }, (_, i) => -1 + (2 * i) / n);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(r() * (i + 1));
    [v[i], v[j]] = [v[j], v[i]];
  }
  return tensor(v, shape, dtype);
}

/** Uniform values in [lo, hi) moved at least `gap` away from each of `kinks`. */
export function awayFrom(
  shape: readonly number[],
  seed: number,
  kinks: readonly number[],
  lo = -3,
  hi = 3,
  gap = 0.05,
): Tensor {
  const t = randomTensor(shape, seed, lo, hi);
  for (let i = 0; i < t.data.length; i++) {
    for (const k of kinks) {
      const d = t.data[i] - k;
      if (Math.abs(d) < gap) t.data[i] = k + (d < 0 ? -gap : gap) * 2;
    }
  }
  return t;
}

/** Flat index of [n, h, w, c] in an NHWC shape. */
export function at4(s: readonly number[], n: number, h: number, w: number, c: number): number {
  return ((n * s[1] + h) * s[2] + w) * s[3] + c;
}

/** Largest |a − b| over two arrays of equal length. */
export function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Infinity;
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}
