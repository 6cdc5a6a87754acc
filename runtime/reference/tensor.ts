/**
 * Tensors of the reference executor: a shape and a flat, row-major, channels-last buffer (NHWC for
 * images, NLC for sequences, NC for vectors — the same layout as tfjs). Float32 is the normal mode;
 * float64 exists for finite-difference gradient checks, so every kernel is written over `FloatArray`
 * and allocates its outputs with the dtype of its inputs (`like`).
 */
export type FloatArray = Float32Array | Float64Array;
export type DType = 'float32' | 'float64';

export interface Tensor {
  readonly shape: readonly number[];
  readonly data: FloatArray;
}

export function sizeOf(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

export function dtypeOf(data: FloatArray): DType {
  return data instanceof Float64Array ? 'float64' : 'float32';
}

export function alloc(n: number, dtype: DType): FloatArray {
  return dtype === 'float64' ? new Float64Array(n) : new Float32Array(n);
}

export function zeros(shape: readonly number[], dtype: DType = 'float32'): Tensor {
  return { shape: [...shape], data: alloc(sizeOf(shape), dtype) };
}

/** A zero tensor of the given shape with the dtype of `t`. */
export function like(t: Tensor, shape: readonly number[] = t.shape): Tensor {
  return zeros(shape, dtypeOf(t.data));
}

export function tensor(
  data: FloatArray | readonly number[],
  shape: readonly number[],
  dtype?: DType,
): Tensor {
  const n = sizeOf(shape);
  if (data.length !== n)
    throw new Error(`tensor: ${data.length} values for shape [${shape.join(', ')}]`);
  const d = dtype ?? (data instanceof Float64Array ? 'float64' : 'float32');
  const buf = alloc(n, d);
  buf.set(data as ArrayLike<number>);
  return { shape: [...shape], data: buf };
}

export function cast(t: Tensor, dtype: DType): Tensor {
  return dtypeOf(t.data) === dtype ? t : tensor(t.data, t.shape, dtype);
}

/** The same buffer seen with another shape of equal size. */
export function reshape(t: Tensor, shape: readonly number[]): Tensor {
  if (sizeOf(shape) !== t.data.length)
    throw new Error(`reshape: [${t.shape.join(', ')}] to [${shape.join(', ')}]`);
  return { shape: [...shape], data: t.data };
}

/** a += b, elementwise, same size (gradient accumulation). */
export function addInto(a: Tensor, b: Tensor): void {
  const x = a.data;
  const y = b.data;
  if (x.length !== y.length) throw new Error('addInto: size mismatch');
  for (let i = 0; i < x.length; i++) x[i] += y[i];
}
