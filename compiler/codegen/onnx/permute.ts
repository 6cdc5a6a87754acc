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
  const strides = (dims: readonly number[]) => {
    const st = new Array<number>(rank);
    for (let i = rank - 1, n = 1; i >= 0; i--) {
      st[i] = n;
      n *= dims[i];
    }
    return st;
  };
  const outShape = perm.map((p) => shape[p]);
  const inStride = strides(shape);
  const outStride = strides(outShape);
  const out = new Float32Array(size);
  // One array is walked in order, its last axis a tight loop and the outer axes an odometer that
  // moves the other array's offset by the matching strides (a per-element odometer costs several
  // times more). The walked array is the one whose last axis is longer: a conv kernel's output
  // channels, not its 1-wide kernel columns.
  if (shape[rank - 1] > outShape[rank - 1]) {
    // Walk the input; `to` is the output offset. The output axis of input axis a: perm⁻¹(a).
    const step = perm.map((_, a) => outStride[perm.indexOf(a)]);
    walk(shape, step, (i, to, n, st) => {
      for (let j = 0; j < n; j++) out[to + j * st] = data[i + j];
    });
  } else {
    const step = perm.map((p) => inStride[p]);
    walk(outShape, step, (o, from, n, st) => {
      for (let j = 0; j < n; j++) out[o + j] = data[from + j * st];
    });
  }
  return out;
}

/**
 * Visits a row-major array of shape `dims` one last-axis row at a time: `row(at, other, n, st)`
 * with the row's offset, the other array's offset of its first element (moved by `step` per
 * axis), the row's length and the other array's stride along it.
 */
function walk(
  dims: readonly number[],
  step: readonly number[],
  row: (at: number, other: number, n: number, stride: number) => void,
): void {
  const rank = dims.length;
  const size = dims.reduce((a, b) => a * b, 1);
  const inner = dims[rank - 1];
  const idx = new Array<number>(rank).fill(0);
  let other = 0;
  for (let at = 0; at < size; at += inner) {
    row(at, other, inner, step[rank - 1]);
    for (let k = rank - 2; k >= 0; k--) {
      idx[k]++;
      other += step[k];
      if (idx[k] < dims[k]) break;
      other -= step[k] * dims[k];
      idx[k] = 0;
    }
  }
}
