/**
 * Reorders the axes of a row-major float32 array: the result has shape `perm.map((p) => shape[p])`
 * and out[i0, i1, …] = data[the index with axis perm[k] at i_k]. (The runtime has a tiled version
 * for huge tensors, runtime/weights/tensor.ts; the compiler cannot import the runtime, and an
 * exporter's weights are permuted once.)
 */
export function permute(
  data: Float32Array,
  shape: readonly number[],
  perm: readonly number[],
): Float32Array {
  const size = shape.reduce((a, b) => a * b, 1);
  if (data.length !== size)
    throw new Error(`permute: ${data.length} values for shape [${shape.join(', ')}]`);
  if (perm.every((p, i) => p === i)) return data;
  const rank = shape.length;
  // Input strides, read in output axis order.
  const inStride = new Array<number>(rank);
  for (let i = rank - 1, s = 1; i >= 0; i--) {
    inStride[i] = s;
    s *= shape[i];
  }
  const outShape = perm.map((p) => shape[p]);
  const stride = perm.map((p) => inStride[p]);
  const out = new Float32Array(size);
  // The last output axis is a tight loop; the outer ones advance like an odometer, moving `src` by
  // the matching input strides (a per-element odometer costs several times more on big weights).
  const inner = outShape[rank - 1];
  const step = stride[rank - 1];
  const idx = new Array<number>(rank).fill(0);
  let src = 0;
  for (let o = 0; o < size; o += inner) {
    for (let j = 0, s = src; j < inner; j++, s += step) out[o + j] = data[s];
    for (let k = rank - 2; k >= 0; k--) {
      idx[k]++;
      src += stride[k];
      if (idx[k] < outShape[k]) break;
      src -= stride[k] * outShape[k];
      idx[k] = 0;
    }
  }
  return out;
}
