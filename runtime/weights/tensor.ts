/**
 * What every weights file becomes once read: named float32 tensors, row-major, with the file's own
 * names and layouts (a name mapping such as torchvision.ts turns them into cnnc's
 * `${node.name}/${weight}` names and TensorFlow.js layouts).
 */

export interface NamedTensor {
  readonly name: string;
  readonly shape: readonly number[];
  readonly data: Float32Array;
}

/** A tensor as a file stores it before conversion: its dtype is kept for reporting. */
export interface FileTensor extends NamedTensor {
  /** The file's element type: `F32`, `F16`, `I64`, `float32`, `uint8` (quantised), … */
  readonly dtype: string;
}

/** A weights file that cannot be read, written or used: the message says which and why. */
export class WeightsError extends Error {
  override readonly name = 'WeightsError';
}

export function sizeOf(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** `3x3x64x128`; `scalar` for a shape of rank 0. */
export function shapeText(shape: readonly number[]): string {
  return shape.length ? shape.join('x') : 'scalar';
}

export function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/**
 * The same permutation over fewer axes: input axes that stay next to each other, in order, in the
 * output are one axis ([U, C, H, W] by [2, 3, 1, 0] is [U, C, H·W] by [2, 1, 0]).
 */
function mergeAxes(
  shape: readonly number[],
  perm: readonly number[],
): { shape: readonly number[]; perm: readonly number[] } {
  const groups: { start: number; end: number }[] = [];
  for (const p of perm) {
    const last = groups[groups.length - 1];
    if (last && p === last.end + 1) last.end = p;
    else groups.push({ start: p, end: p });
  }
  const byInput = [...groups].sort((a, b) => a.start - b.start);
  return {
    shape: byInput.map((g) => sizeOf(shape.slice(g.start, g.end + 1))),
    perm: groups.map((g) => byInput.indexOf(g)),
  };
}

/**
 * Reorders the axes of a row-major array: `out` has shape `perm.map((p) => shape[p])` and
 * out[i0, i1, …] = data[index with axis perm[k] at i_k].
 *
 * A transpose reads with a large stride on one side, so the walk goes in tiles over two axes: the
 * output's last axis (contiguous writes) and the axis that reads the input's last axis (contiguous
 * reads). That keeps a 100M-element dense kernel's reordering to a fraction of a second.
 */
export function permute(
  data: Float32Array,
  shape: readonly number[],
  perm: readonly number[],
): Float32Array {
  if (perm.length !== shape.length || [...perm].sort((a, b) => a - b).some((p, i) => p !== i))
    throw new Error(
      `permute: ${JSON.stringify(perm)} is not a permutation of rank ${shape.length}`,
    );
  if (data.length !== sizeOf(shape))
    throw new Error(`permute: ${data.length} values for shape ${JSON.stringify(shape)}`);
  const out = new Float32Array(data.length);
  if (data.length === 0) return out;
  ({ shape, perm } = mergeAxes(shape, perm));
  if (perm.every((p, i) => p === i)) {
    out.set(data);
    return out;
  }
  const rank = shape.length;
  const inStrides = new Array<number>(rank);
  for (let a = rank - 1, s = 1; a >= 0; a--) {
    inStrides[a] = s;
    s *= shape[a];
  }
  const outShape = perm.map((p) => shape[p]);
  const outStrides = new Array<number>(rank);
  for (let a = rank - 1, s = 1; a >= 0; a--) {
    outStrides[a] = s;
    s *= outShape[a];
  }
  const src = perm.map((p) => inStrides[p]); // input stride of each output axis
  const a = rank - 1; // output axis written contiguously
  const b = perm.indexOf(rank - 1); // output axis that reads the input contiguously
  // When they are the same axis, whole runs are copied.
  const others = outShape.map((_, i) => i).filter((i) => i !== a && i !== b);
  const na = outShape[a];
  const nb = outShape[b];
  const sa = src[a];
  const db = outStrides[b];
  const T = 32;
  const idx = new Array<number>(others.length).fill(0);
  let inBase = 0;
  let outBase = 0;
  for (;;) {
    if (a === b) {
      out.set(data.subarray(inBase, inBase + na), outBase);
    } else {
      for (let i0 = 0; i0 < nb; i0 += T) {
        const i1 = Math.min(nb, i0 + T);
        for (let j0 = 0; j0 < na; j0 += T) {
          const j1 = Math.min(na, j0 + T);
          for (let i = i0; i < i1; i++) {
            const o = outBase + i * db;
            const r = inBase + i;
            for (let j = j0; j < j1; j++) out[o + j] = data[r + j * sa];
          }
        }
      }
    }
    // Next index of the other axes (an odometer), moving both bases.
    let k = others.length - 1;
    for (; k >= 0; k--) {
      const ax = others[k];
      idx[k]++;
      inBase += src[ax];
      outBase += outStrides[ax];
      if (idx[k] < outShape[ax]) break;
      inBase -= src[ax] * outShape[ax];
      outBase -= outStrides[ax] * outShape[ax];
      idx[k] = 0;
    }
    if (k < 0) break;
  }
  return out;
}
