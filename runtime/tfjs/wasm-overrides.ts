// Faster replacements for wasm kernels that training leans on (tfjs-backend-wasm 4.22), each
// computing exactly what the original computes:
//
//   Identity, Cast (to the same dtype)  share the input's buffer, as the cpu backend does, instead of
//       copying it: tfjs clones every tensor a gradient saves, so each training step copied most
//       activations once more.
//   Sum, Mean over leading axes  (a bias or batch-norm gradient: [N, H, W, C] → [C]) are column
//       sums in one pass (WebAssembly SIMD, simd-pool.ts, where the host has it); wasm's own
//       transposes X first (~10x slower). (Not ones[1, M]·X[M, C] on
//       XNNPACK: its BatchMatMul packs B afresh for every new tensor, at 10-20 ns a float.)
//   BatchMatMul  (dense layers) on a generated SIMD kernel (simd-matmul.ts) that reads A in either
//       layout and B in place, with no packing: LeNet-5's 9 products a step took 1.50 ms on wasm's
//       own (XNNPACK, which packs B afresh for each new tensor, and a training step makes every
//       weight new) and 0.95 ms on it. Without SIMD, the plain product on XNNPACK (its transposed
//       forms run in a naive loop ~10x slower): an operand is transposed explicitly, or
//       Cᵀ = Bᵀ·Aᵀ is computed instead, whichever moves and packs fewer floats.
//   Add, Sub, Multiply of a tensor and a per-channel vector  (bias adds, batch norm) in one SIMD
//       pass; wasm's broadcasting loop is ~10x slower.
//   Tanh, Relu  as one SIMD pass each (simd-elementwise.ts): wasm's own Tanh is ~25 ns per element.
//
// Everything else is passed to wasm's own kernel unchanged.

import type * as Tf from '@tensorflow/tfjs';
import { heapF32, simdMemory, type TfModule, type WasmBackendLike } from './kernel-utils.js';
import { elementwiseJs, elementwiseKernel, type ElementwiseOp } from './simd-elementwise.js';
import { matMulKernelOf } from './simd-matmul.js';
import { channelOpKernel32, columnSumsKernel32, type ChannelOp } from './simd-pool.js';

type KernelArgs = Parameters<Tf.KernelFunc>[0];
export type Override = (
  args: KernelArgs,
  original: Tf.KernelFunc,
) => Tf.TensorInfo | Tf.TensorInfo[];

/** The part of the wasm backend these kernels use beyond WasmBackendLike. */
interface RefCounting {
  incRef(dataId: Tf.TensorInfo['dataId']): void;
}

function hasIncRef(backend: unknown): backend is RefCounting {
  return (
    typeof backend === 'object' &&
    backend !== null &&
    'incRef' in backend &&
    typeof backend.incRef === 'function'
  );
}

function input(args: KernelArgs, name: string): Tf.TensorInfo {
  const t = args.inputs[name];
  if (t === undefined) throw new Error(`cnnc wasm kernel: missing input '${name}'`);
  return t;
}

/** Rows per SIMD column-sum block (see reduceLeading). */
const SUM_BLOCK = 64;

/** The same data under a new tensor info (a reference, counted), like the cpu backend's Identity. */
function share(args: KernelArgs, x: Tf.TensorInfo): Tf.TensorInfo | null {
  if (x.dtype === 'string' || !hasIncRef(args.backend)) return null;
  args.backend.incRef(x.dataId);
  return { dataId: x.dataId, shape: [...x.shape], dtype: x.dtype };
}

const identity: Override = (args, original) => share(args, input(args, 'x')) ?? original(args);

const cast: Override = (args, original) => {
  const x = input(args, 'x');
  return (args.attrs?.['dtype'] === x.dtype ? share(args, x) : null) ?? original(args);
};

const size = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);

/** A plain product [1, M, K] × [1, K, N] → [1, M, N] on wasm's own BatchMatMul. */
function product(
  backend: WasmBackendLike,
  matMul: Tf.KernelFunc,
  a: Tf.TensorInfo,
  b: Tf.TensorInfo,
): Tf.TensorInfo {
  const out = matMul({
    inputs: { a, b },
    backend: backend as unknown as Tf.KernelBackend,
    attrs: { transposeA: false, transposeB: false },
  });
  if (Array.isArray(out)) throw new Error('cnnc wasm kernel: BatchMatMul returned several outputs');
  return out;
}

/**
 * The reduced axes as a count k when they are exactly the leading axes 0..k−1 of a float32 tensor
 * and at least one axis is kept; otherwise null (wasm's own kernel then runs).
 */
function leadingAxes(tf: TfModule, x: Tf.TensorInfo, axis: unknown): number | null {
  if (x.dtype !== 'float32' || x.shape.length < 2) return null;
  if (
    typeof axis !== 'number' &&
    !(Array.isArray(axis) && axis.every((a) => typeof a === 'number'))
  )
    return null;
  const axes = [...new Set(tf.util.parseAxisParam(axis as number | number[], x.shape))].sort(
    (p, q) => p - q,
  );
  if (axes.length === 0 || axes.length >= x.shape.length) return null;
  return axes.every((a, i) => a === i) ? axes.length : null;
}

/** out[c] = scale · Σ_r x[r·C + c] over R rows, accumulated in double precision. */
export function columnSums(
  x: Float32Array,
  R: number,
  C: number,
  scale: number,
  out: Float32Array,
): void {
  const acc = new Float64Array(C);
  for (let r = 0, i = 0; r < R; r++) {
    for (let c = 0; c < C; c++, i++) acc[c] += x[i];
  }
  for (let c = 0; c < C; c++) out[c] = acc[c] * scale;
}

/** Sum or mean over leading axes: column sums of X as [M, rest], scaled by `scaleOf(M)`. */
function reduceLeading(tf: TfModule, scaleOf: (m: number) => number): Override {
  return (args, original) => {
    const x = input(args, 'x');
    const k = leadingAxes(tf, x, args.attrs?.['axis']);
    if (k === null) return original(args);
    const backend = args.backend as unknown as WasmBackendLike;
    const m = size(x.shape.slice(0, k));
    const rest = x.shape.slice(k);
    if (m === 0 || size(rest) === 0) return original(args);
    const keep = args.attrs?.['keepDims'] === true;
    const shape = keep ? [...x.shape.slice(0, k).map(() => 1), ...rest] : rest;
    const out = backend.makeOutput(shape, 'float32');
    const [xv, ov] = [heapF32(backend, x), heapF32(backend, out)];
    const memory = simdMemory(backend);
    const scale = scaleOf(m);
    if (memory !== null) {
      // Float32 lanes summed down a whole column lose ~m·ε: a batch-norm gradient over 8,192 rows
      // came out 7e-3 off (cnnc verify, examples/any-size.cnn). Blocks of 64 rows summed in SIMD,
      // then added up in float64, are as exact as the float64 reference sums.
      const C = size(rest);
      const kernel = columnSumsKernel32(memory, C);
      const acc = new Float64Array(C);
      for (let r0 = 0; r0 < m; r0 += SUM_BLOCK) {
        kernel(xv.byteOffset + 4 * r0 * C, Math.min(SUM_BLOCK, m - r0), ov.byteOffset);
        for (let c = 0; c < C; c++) acc[c] += ov[c];
      }
      for (let c = 0; c < C; c++) ov[c] = acc[c] * scale;
    } else {
      columnSums(xv, m, size(rest), scale, ov);
    }
    return out;
  };
}

/**
 * x op b where b is one value per channel (shape [C] or [1, …, 1, C]) and x is [..., C]: a bias
 * add, a batch-norm scale or shift. wasm's own broadcasting loop is ~10x slower than this SIMD one.
 * `swapped`: b op x, for the commutative ops.
 */
function channelOp(kind: ChannelOp): Override {
  return (args, original) => {
    const a = input(args, 'a');
    const b = input(args, 'b');
    const memory = simdMemory(args.backend);
    if (memory === null || a.dtype !== 'float32' || b.dtype !== 'float32') return original(args);
    const perChannel = (x: Tf.TensorInfo, y: Tf.TensorInfo) =>
      x.shape.length >= 1 &&
      y.shape.length >= 1 &&
      y.shape.length <= x.shape.length &&
      y.shape[y.shape.length - 1] === x.shape[x.shape.length - 1] &&
      y.shape.slice(0, -1).every((d) => d === 1) &&
      size(x.shape) > size(y.shape);
    const [x, v] = perChannel(a, b) ? [a, b] : kind !== 'sub' && perChannel(b, a) ? [b, a] : [];
    if (x === undefined || v === undefined) return original(args);
    const backend = args.backend as unknown as WasmBackendLike;
    const C = x.shape[x.shape.length - 1];
    const out = backend.makeOutput([...x.shape], 'float32');
    const [xv, vv, ov] = [heapF32(backend, x), heapF32(backend, v), heapF32(backend, out)];
    channelOpKernel32(memory, kind, C)(
      xv.byteOffset,
      vv.byteOffset,
      ov.byteOffset,
      size(x.shape) / C,
    );
    return out;
  };
}

/** src [B, R, C] → dst [B, C, R], in tiles so both sides stay in cache. */
export function transposeLast2(
  src: Float32Array,
  B: number,
  R: number,
  C: number,
  dst: Float32Array,
): void {
  const T = 32;
  for (let b = 0; b < B; b++) {
    const base = b * R * C;
    for (let r0 = 0; r0 < R; r0 += T) {
      const r1 = Math.min(R, r0 + T);
      for (let c0 = 0; c0 < C; c0 += T) {
        const c1 = Math.min(C, c0 + T);
        for (let r = r0; r < r1; r++) {
          let s = base + r * C + c0;
          let d = base + c0 * R + r;
          for (let c = c0; c < c1; c++, s++, d += R) dst[d] = src[s];
        }
      }
    }
  }
}

/** A float32 [.., R, C] tensor as a new [B, C, R] one (B the product of the leading dims). */
function transposed(backend: WasmBackendLike, t: Tf.TensorInfo): Tf.TensorInfo {
  const r = t.shape.length;
  const [R, C] = [t.shape[r - 2], t.shape[r - 1]];
  const B = size(t.shape.slice(0, -2));
  const out = backend.makeOutput([B, C, R], 'float32');
  transposeLast2(heapF32(backend, t), B, R, C, heapF32(backend, out));
  return out;
}

/** The same data as [B, R, C]. */
function as3d(t: Tf.TensorInfo): Tf.TensorInfo {
  const r = t.shape.length;
  return { ...t, shape: [size(t.shape.slice(0, -2)), t.shape[r - 2], t.shape[r - 1]] };
}

/** Relative costs per float: moving it (a transpose) and XNNPACK packing it as B (measured). */
const MOVE_COST = 1;
const PACK_COST = 8;

/** Tensors wasm's BatchMatMul has packed as B: it keeps the packed copy while the tensor lives. */
const packed = new WeakSet<object>();

/**
 * C = op(A)·op(B) as a plain product, the only form wasm runs on XNNPACK. Either A'·B' with
 * A' = op(A), B' = op(B), or Cᵀ = op(B)ᵀ·op(A)ᵀ followed by a transpose of C, whichever moves and
 * packs fewer floats: XNNPACK packs B afresh for each new tensor (10-20 ns a float), so a large
 * fresh B (a dense layer's weights after an optimiser step) is worth avoiding. Broadcast batches
 * go to wasm's own kernel.
 */
const batchMatMul: Override = (args, original) => {
  const ta = args.attrs?.['transposeA'] === true;
  const tb = args.attrs?.['transposeB'] === true;
  const a = input(args, 'a');
  const b = input(args, 'b');
  if (a.dtype !== 'float32' || b.dtype !== 'float32') return original(args);
  if (a.shape.length < 2 || b.shape.length < 2) return original(args);
  const batch = size(a.shape.slice(0, -2));
  if (batch !== 1 || size(b.shape.slice(0, -2)) !== 1) return original(args);
  const backend = args.backend as unknown as WasmBackendLike;
  const [ar, ac] = a.shape.slice(-2);
  const [br, bc] = b.shape.slice(-2);
  const M = ta ? ac : ar;
  const N = tb ? br : bc;
  const outShape = [...(a.shape.length >= b.shape.length ? a.shape : b.shape).slice(0, -2), M, N];
  const memory = simdMemory(backend);
  if (memory !== null) return simdProduct(memory, backend, a, b, ta, tb, M, N, outShape);
  const pack = (t: Tf.TensorInfo, fresh: boolean) =>
    !fresh && packed.has(t.dataId) ? 0 : PACK_COST * size(t.shape);
  const direct =
    (ta ? MOVE_COST * size(a.shape) : 0) + (tb ? MOVE_COST * size(b.shape) : 0) + pack(b, tb);
  const swapped =
    (tb ? 0 : MOVE_COST * size(b.shape)) +
    (ta ? 0 : MOVE_COST * size(a.shape)) +
    pack(a, !ta) +
    MOVE_COST * M * N;
  if (!ta && !tb && direct <= swapped) {
    packed.add(b.dataId);
    return original(args);
  }
  const owned: Tf.TensorInfo[] = [];
  const t = (x: Tf.TensorInfo): Tf.TensorInfo => {
    const y = transposed(backend, x);
    owned.push(y);
    return y;
  };
  const run = (x: Tf.TensorInfo, y: Tf.TensorInfo): Tf.TensorInfo => {
    if (!owned.includes(y)) packed.add(y.dataId);
    return product(backend, original, x, y);
  };
  let out: Tf.TensorInfo;
  if (direct <= swapped) {
    out = run(ta ? t(a) : as3d(a), tb ? t(b) : as3d(b));
  } else {
    const ct = run(tb ? as3d(b) : t(b), ta ? as3d(a) : t(a));
    out = transposed(backend, ct);
    backend.disposeData(ct.dataId);
  }
  for (const o of owned) backend.disposeData(o.dataId);
  return { ...out, shape: outShape };
};

/**
 * C = op(A)·op(B) on the generated SIMD kernel (simd-matmul.ts): A is read in place in either
 * layout; a transposed B is transposed first (the kernel reads B in vectors along N).
 */
function simdProduct(
  memory: object,
  backend: WasmBackendLike,
  a: Tf.TensorInfo,
  b: Tf.TensorInfo,
  ta: boolean,
  tb: boolean,
  M: number,
  N: number,
  outShape: number[],
): Tf.TensorInfo {
  const K = ta ? a.shape[a.shape.length - 2] : a.shape[a.shape.length - 1];
  const out = backend.makeOutput(outShape, 'float32');
  const bt = tb ? transposed(backend, b) : null;
  matMulKernelOf(memory, { M, N, K, sm: ta ? 1 : K, sk: ta ? M : 1 })(
    heapF32(backend, a).byteOffset,
    heapF32(backend, bt ?? b).byteOffset,
    heapF32(backend, out).byteOffset,
  );
  if (bt !== null) backend.disposeData(bt.dataId);
  return out;
}

/**
 * A float32 elementwise op as one pass of `rule` (simd-elementwise.ts), in SIMD where the host has
 * it; other dtypes go to wasm's own kernel. The rules used here:
 *   tanh  absolute error ≤ 1.2e-7 against Math.tanh, not relative (tanh of a tiny x comes out as a
 *         multiple of 2^-24); ±0, ±∞ and NaN as Math.tanh;
 *   relu  x ≤ 0 ? +0 : x (NaN stays NaN), as wasm's own.
 */
function unary(rule: ElementwiseOp): Override {
  return (args, original) => {
    const x = input(args, 'x');
    if (x.dtype !== 'float32') return original(args);
    const backend = args.backend as unknown as WasmBackendLike;
    const out = backend.makeOutput([...x.shape], 'float32');
    elementwise(backend, rule, x, out);
    return out;
  };
}

/** out = rule(x), elementwise (out may be x), in SIMD where the host has it. */
function elementwise(
  backend: WasmBackendLike,
  rule: ElementwiseOp,
  x: Tf.TensorInfo,
  out: Tf.TensorInfo,
): void {
  const [xv, ov] = [heapF32(backend, x), heapF32(backend, out)];
  const memory = simdMemory(backend);
  if (memory === null) elementwiseJs(rule, xv, null, ov);
  else elementwiseKernel(memory, rule)(xv.byteOffset, 0, ov.byteOffset, ov.length);
}

/** The overrides by kernel name. */
export function wasmOverrides(tf: TfModule): Record<string, Override> {
  return {
    Identity: identity,
    Cast: cast,
    Sum: reduceLeading(tf, () => 1),
    Mean: reduceLeading(tf, (m) => 1 / m),
    BatchMatMul: batchMatMul,
    Add: channelOp('add'),
    Sub: channelOp('sub'),
    Multiply: channelOp('mul'),
    Tanh: unary('tanh'),
    Relu: unary('relu'),
  };
}
