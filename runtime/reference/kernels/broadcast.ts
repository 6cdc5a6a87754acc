/**
 * Broadcasting of element-wise merges (add, multiply, highway's gate): per sample, shapes are
 * aligned at the channels (the last axis) and an axis of size 1, or a missing leading one,
 * repeats: a [C] or [1, 1, C] gate against an [H, W, C] map. The batch axis always matches.
 * compiler/sema/shape-rules-merge.ts allows exactly this.
 */
import type { Tensor } from '../tensor.js';

/** The shape every tensor broadcasts to: the first one of highest rank and most elements. */
export function broadcastShape(what: string, ts: readonly Tensor[]): readonly number[] {
  let out = ts[0].shape;
  const size = (s: readonly number[]) => s.reduce((p, d) => p * d, 1);
  for (const t of ts) {
    if (t.shape.length > out.length || (t.shape.length === out.length && size(t.shape) > size(out)))
      out = t.shape;
  }
  for (const t of ts) {
    const off = out.length - t.shape.length;
    const ok =
      t.shape[0] === out[0] && t.shape.every((d, i) => i === 0 || d === 1 || d === out[off + i]);
    if (!ok)
      throw new Error(`${what}: [${t.shape.join(', ')}] does not broadcast to [${out.join(', ')}]`);
  }
  return out;
}

/**
 * For each element of `out`, the index of the element of a tensor of shape `shape` it reads;
 * undefined when the shapes are equal (the identity).
 */
export function broadcastIndex(
  shape: readonly number[],
  out: readonly number[],
): Int32Array | undefined {
  if (shape.length === out.length && shape.every((d, i) => d === out[i])) return undefined;
  // The tensor's shape as out's rank: batch, then ones for the missing leading axes, then its own.
  const full = [shape[0], ...Array<number>(out.length - shape.length).fill(1), ...shape.slice(1)];
  const strides = new Array<number>(out.length).fill(0);
  let s = 1;
  for (let i = out.length - 1; i >= 0; i--) {
    strides[i] = full[i] === 1 && out[i] !== 1 ? 0 : s;
    s *= full[i];
  }
  const n = out.reduce((p, d) => p * d, 1);
  const map = new Int32Array(n);
  const idx = new Array<number>(out.length).fill(0);
  let at = 0;
  for (let k = 0; k < n; k++) {
    map[k] = at;
    for (let i = out.length - 1; i >= 0; i--) {
      idx[i]++;
      at += strides[i];
      if (idx[i] < out[i]) break;
      at -= strides[i] * out[i];
      idx[i] = 0;
    }
  }
  return map;
}
