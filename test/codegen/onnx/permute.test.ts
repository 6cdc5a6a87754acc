/**
 * The exporter's permute (compiler/codegen/onnx/permute.ts) against an index-by-index reference,
 * on shapes that take each of its two walks (the output's last axis longer, or the input's) and
 * the identity.
 */
import { describe, expect, it } from 'vitest';
import { permute } from '../../../compiler/codegen/onnx/permute.js';

function reference(data: Float32Array, shape: readonly number[], perm: readonly number[]) {
  const outShape = perm.map((p) => shape[p]);
  const out = new Float32Array(data.length);
  for (let o = 0; o < data.length; o++) {
    const at: number[] = [];
    for (let k = outShape.length - 1, r = o; k >= 0; k--) {
      at[k] = r % outShape[k];
      r = Math.floor(r / outShape[k]);
    }
    const src = new Array<number>(shape.length);
    perm.forEach((p, k) => (src[p] = at[k]));
    out[o] = data[src.reduce((a, i, axis) => a * shape[axis] + i, 0)];
  }
  return out;
}

describe('permute', () => {
  it.each([
    { shape: [3, 3, 4, 5], perm: [3, 2, 0, 1] }, // conv kernel HWIO → OIHW
    { shape: [1, 1, 8, 16], perm: [3, 2, 0, 1] }, // 1x1 kernel: the input walk
    { shape: [2, 3, 4], perm: [2, 0, 1] },
    { shape: [5, 2], perm: [1, 0] },
    { shape: [7, 1, 3, 2], perm: [1, 3, 0, 2] },
    { shape: [4, 6], perm: [0, 1] },
  ])('$shape by $perm', ({ shape, perm }) => {
    const data = Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, i) => i);
    expect(Array.from(permute(data, shape, perm))).toEqual(
      Array.from(reference(data, shape, perm)),
    );
  });
});
