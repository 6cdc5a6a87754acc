/** Small helpers shared by the reference kernels. */
import type { KernelContext } from '../kernel.js';
import { alloc, dtypeOf, type Tensor } from '../tensor.js';

/** Whether the executor wants dL/dx of input `i` (default yes). */
export function wantsGrad(ctx: KernelContext, i: number): boolean {
  return ctx.needInputGrad[i] ?? true;
}

/** A fresh copy of `t`'s values with another shape of the same size (gradients the caller owns). */
export function copyAs(t: Tensor, shape: readonly number[] = t.shape): Tensor {
  const data = alloc(t.data.length, dtypeOf(t.data));
  data.set(t.data);
  return { shape: [...shape], data };
}

/** Throws (our bug: the IR's shape rules forbid it) unless every tensor has `first`'s shape. */
export function checkSameShapes(what: string, ts: readonly Tensor[]): void {
  const s = ts[0].shape.join(', ');
  for (const t of ts) {
    if (t.shape.join(', ') !== s)
      throw new Error(`${what}: shapes differ, [${s}] and [${t.shape.join(', ')}]`);
  }
}

/** A weight the node must have. */
export function needWeight(
  name: string,
  weights: Readonly<Record<string, Tensor>>,
  key: string,
): Tensor {
  const w = weights[key];
  if (!w) throw new Error(`${name}: missing weight \`${key}\``);
  return w;
}
