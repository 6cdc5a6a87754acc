// Batch norm in training as four wasm kernels in WebAssembly SIMD (wasm-asm.ts), in place of the
// ~30 small tfjs ops (and their gradients) that tf.moments, sub, rsqrt, mul and add run. Over NHWC
// (or [N, C]) viewed as [rows, C], channels (the contiguous axis) four to a vector, a scalar tail for
// the last C mod 4:
//
//   CnncBatchNormMoments  (x) → [2, C]: the mean m = x₀ + Σ(x − x₀) / rows, x₀ the first row (a
//                         shift: float32 sums of x itself lose the low bits of a large mean),
//                         then Σ (x − m)² (two passes, as tf.moments: no cancellation)
//   CnncBatchNorm         (x, mean, inv, gamma?, beta?) → y = ((x − mean)·inv)·gamma + beta, the
//                         float32 operations of the unfused lowering in the same order
//   CnncBatchNormGradSums (x, dy, mean) → [2, C]: Σ dy, Σ dy·(x − mean)
//   CnncBatchNormGrad     (x, dy, mean, p, q, r) → dx = (dy·p + q) − (x − mean)·r, the per-channel
//                         p, q, r folded from the sums by lower-norm.ts
//
// Sums run in float32 lanes over blocks of 64 rows, each block's sums added up in float64 (as the
// Sum and Mean overrides of wasm-overrides.ts do): a column of 65,536 rows summed in float32 alone
// loses ~1e-3. Registered for wasm only; lower-norm.ts uses them where fusedBatchNormReady holds.

import type * as Tf from '@tensorflow/tfjs';
import {
  asWasmBackend,
  heapF32,
  requireInput,
  simdMemory,
  type TfModule,
  type WasmBackendLike,
} from './kernel-utils.js';
import { compiled } from './simd-pool.js';
import { assemble, F32, I32, loop, op, uleb, V128, type Code, type ValType } from './wasm-asm.js';

export const BN_KERNELS = {
  moments: 'CnncBatchNormMoments',
  apply: 'CnncBatchNorm',
  gradSums: 'CnncBatchNormGradSums',
  grad: 'CnncBatchNormGrad',
} as const;

type Kernel = (...args: number[]) => void;

// The float64 and shuffle instructions wasm-asm.ts does not carry.
const simd = (code: number): number[] => [0xfd, ...uleb(code)];
const f64 = {
  load: (addr: Code, offset: number): Code => [addr, 0x2b, 3, ...uleb(offset)],
  store: (addr: Code, v: Code, offset: number): Code => [addr, v, 0x39, 3, ...uleb(offset)],
  add: (a: Code, b: Code): Code => [a, b, 0xa0],
  fromF32: (a: Code): Code => [a, 0xbb],
  /** f64x2 of lanes 0 and 1 of an f32x4. */
  lowPair: (v: Code): Code => [v, ...simd(0x5f)],
  /** f64x2 of lanes 2 and 3 of an f32x4. */
  highPair: (v: Code): Code => [
    v,
    v,
    ...simd(0x0d),
    ...[8, 9, 10, 11, 12, 13, 14, 15, 8, 9, 10, 11, 12, 13, 14, 15],
    ...simd(0x5f),
  ],
  vAdd: (a: Code, b: Code): Code => [a, b, ...simd(0xf0)],
};

/** Rows per float32 block of the sums. */
const BLOCK = 64;
/** Channel vectors summed at a time (their accumulators stay in locals): 8, or 4 with two sums. */
const CHUNK = 8;
const chunkOf = (mode: SumsMode): number => (mode === 'grad' ? CHUNK / 2 : CHUNK);

/** What a sums kernel adds up per channel: Σ(x − m), Σ(x − m)², or Σdy and Σdy·(x − m). */
export type SumsMode = 'sum' | 'm2' | 'grad';

// Sums kernel parameters: 0 x, 1 dy, 2 mean (byte addresses), 3 acc (float64, zeroed by the
// caller: `sums` runs of C doubles), 4 rows. Locals:
const [r0, r, end, xa, da] = [5, 6, 7, 8, 9]; // i32
const VA = 10; // v128 accumulators: 2·CHUNK
const [vx, vd] = [VA + 2 * CHUNK, VA + 2 * CHUNK + 1]; // v128
const SA = VA + 2 * CHUNK + 2; // f32 tail accumulators: 2·3
const [sx, sd] = [SA + 6, SA + 7]; // f32
const SUM_LOCALS: readonly ValType[] = [
  ...new Array<ValType>(5).fill(I32),
  ...new Array<ValType>(2 * CHUNK + 2).fill(V128),
  ...new Array<ValType>(8).fill(F32),
];

/**
 * Adds one row's (or one channel's) terms to accumulators a0 (and a1): `vector` picks f32x4 or f32
 * instructions, `at` is the byte offset of the channel in the row.
 */
function sumTerms(mode: SumsMode, vector: boolean, at: number, a0: number, a1: number): Code {
  const { get, set } = op;
  const load = (base: Code): Code => (vector ? op.vLoad(base, at) : op.f32Load(base, at));
  const [add, sub, mul] = vector ? [op.vAdd, op.vSub, op.vMul] : [op.f32Add, op.f32Sub, op.f32Mul];
  const [x, d] = vector ? [vx, vd] : [sx, sd];
  const centred = sub(load(get(xa)), load(get(2)));
  if (mode === 'sum') return set(a0, add(get(a0), centred));
  if (mode === 'm2') return [set(x, centred), set(a0, add(get(a0), mul(get(x), get(x))))];
  return [
    set(d, load(get(da))),
    set(a0, add(get(a0), get(d))),
    set(a1, add(get(a1), mul(get(d), centred))),
  ];
}

function sumsBody(mode: SumsMode, C: number): Code {
  const { i32, get, set, add, mul, vZero, f32 } = op;
  const V = Math.floor(C / 4);
  const T = C % 4;
  const sums = mode === 'grad' ? 2 : 1;
  const chunks: [number, number][] = [];
  const chunk = chunkOf(mode);
  for (let v0 = 0; v0 < V; v0 += chunk) chunks.push([v0, Math.min(V, v0 + chunk)]);
  const flushVec = (s: number, v: number, a: number): Code => {
    const at = 8 * (s * C + 4 * v);
    return [
      op.vStore(get(3), f64.vAdd(op.vLoad(get(3), at), f64.lowPair(get(a))), at),
      op.vStore(get(3), f64.vAdd(op.vLoad(get(3), at + 16), f64.highPair(get(a))), at + 16),
    ];
  };
  const flushScalar = (s: number, c: number, a: number): Code => {
    const at = 8 * (s * C + c);
    return f64.store(get(3), f64.add(f64.load(get(3), at), f64.fromF32(get(a))), at);
  };
  /** One pass over the block's rows for channel vectors [v0, v1) and (tail) the scalar channels. */
  const pass = (v0: number, v1: number, tail: boolean): Code => {
    const n = v1 - v0;
    const acc = (s: number, j: number) => VA + s * CHUNK + j;
    const sacc = (s: number, k: number) => SA + s * 3 + k;
    const each = <R>(f: (s: number, j: number) => R, count: number): R[] =>
      Array.from({ length: sums * count }, (_, i) => f(Math.floor(i / count), i % count));
    return [
      each((s, j) => set(acc(s, j), vZero()), n),
      tail ? each((s, k) => set(sacc(s, k), f32(0)), T) : [],
      set(xa, add(get(0), mul(get(r0), i32(4 * C)))),
      set(da, add(get(1), mul(get(r0), i32(4 * C)))),
      loop(r, get(r0), get(end), [
        Array.from({ length: n }, (_, j) =>
          sumTerms(mode, true, 16 * (v0 + j), acc(0, j), acc(1, j)),
        ),
        tail
          ? Array.from({ length: T }, (_, k) =>
              sumTerms(mode, false, 16 * V + 4 * k, sacc(0, k), sacc(1, k)),
            )
          : [],
        set(xa, add(get(xa), i32(4 * C))),
        set(da, add(get(da), i32(4 * C))),
      ]),
      each((s, j) => flushVec(s, v0 + j, acc(s, j)), n),
      tail ? each((s, k) => flushScalar(s, 4 * V + k, sacc(s, k)), T) : [],
    ];
  };
  const passes = chunks.map(([v0, v1], i) => pass(v0, v1, i === chunks.length - 1 && T > 0));
  if (chunks.length === 0) passes.push(pass(0, 0, true));
  const next = add(get(r0), i32(BLOCK));
  return loop(
    r0,
    i32(0),
    get(4),
    [set(end, op.select(get(4), next, op.ltU(get(4), next))), passes],
    BLOCK,
  );
}

/** (x, dy, mean, acc, rows): acc (float64, zeroed) += the mode's per-channel sums. */
export function sumsKernel(memory: object, mode: SumsMode, C: number): Kernel {
  return compiled(memory, `bn-sums:${mode}:${C}`, () =>
    assemble([
      { name: 'k', params: [I32, I32, I32, I32, I32], locals: SUM_LOCALS, body: sumsBody(mode, C) },
    ]),
  );
}

/** What an apply kernel computes per element: the forward, with gamma and beta or not, or dx. */
export type ApplyMode = { kind: 'forward'; gamma: boolean; beta: boolean } | { kind: 'grad' };

// Apply kernel parameters: 0 x, 1 dy, 2 out, 3 rows, 4-7 four per-channel vectors (mean and, for
// the forward, inv, gamma, beta; for dx, p, q, r). Locals:
const [ar, ax, ad, ao] = [8, 9, 10, 11]; // i32
const APPLY_LOCALS: readonly ValType[] = [I32, I32, I32, I32];

function applyElement(mode: ApplyMode, vector: boolean, at: number): Code {
  const { get } = op;
  const load = (base: Code): Code => (vector ? op.vLoad(base, at) : op.f32Load(base, at));
  const store = (v: Code): Code =>
    vector ? op.vStore(get(ao), v, at) : op.f32Store(get(ao), v, at);
  const [add, sub, mul] = vector ? [op.vAdd, op.vSub, op.vMul] : [op.f32Add, op.f32Sub, op.f32Mul];
  const centred = sub(load(get(ax)), load(get(4)));
  if (mode.kind === 'grad') {
    return store(
      sub(add(mul(load(get(ad)), load(get(5))), load(get(6))), mul(centred, load(get(7)))),
    );
  }
  let y = mul(centred, load(get(5)));
  if (mode.gamma) y = mul(y, load(get(6)));
  if (mode.beta) y = add(y, load(get(7)));
  return store(y);
}

function applyBody(mode: ApplyMode, C: number): Code {
  const { i32, get, set, add } = op;
  const V = Math.floor(C / 4);
  return [
    set(ax, get(0)),
    set(ad, get(1)),
    set(ao, get(2)),
    loop(ar, i32(0), get(3), [
      Array.from({ length: V }, (_, j) => applyElement(mode, true, 16 * j)),
      Array.from({ length: C % 4 }, (_, k) => applyElement(mode, false, 16 * V + 4 * k)),
      set(ax, add(get(ax), i32(4 * C))),
      set(ad, add(get(ad), i32(4 * C))),
      set(ao, add(get(ao), i32(4 * C))),
    ]),
  ];
}

/** (x, dy, out, rows, v0, v1, v2, v3): out over `rows` rows of C floats. */
export function applyKernel(memory: object, mode: ApplyMode, C: number): Kernel {
  return compiled(memory, `bn-apply:${JSON.stringify(mode)}:${C}`, () =>
    assemble([
      {
        name: 'k',
        params: [I32, I32, I32, I32, I32, I32, I32, I32],
        locals: APPLY_LOCALS,
        body: applyBody(mode, C),
      },
    ]),
  );
}

/** The SIMD memory, which lower-norm.ts checked before choosing the fused kernels. */
function memoryOf(backend: WasmBackendLike): object {
  const memory = simdMemory(backend);
  if (memory === null)
    throw new Error('cnnc wasm kernel: batch norm kernels need WebAssembly SIMD');
  return memory;
}

/** x as [rows, C], C its last dimension. */
function rowsOf(x: Tf.TensorInfo): [number, number] {
  const C = x.shape[x.shape.length - 1];
  const size = x.shape.reduce((a, b) => a * b, 1);
  if (x.shape.length < 2 || C < 1) throw new Error(`cnnc wasm kernel: batch norm of [${x.shape}]`);
  return [size / C, C];
}

function vectorOf(backend: WasmBackendLike, t: Tf.TensorInfo | undefined, C: number): number {
  if (t === undefined) return 0;
  const v = heapF32(backend, t);
  if (v.length !== C)
    throw new Error(`cnnc wasm kernel: a batch norm vector of ${v.length} ≠ ${C}`);
  return v.byteOffset;
}

/**
 * Runs `sums` with a float64 accumulator of `n` doubles in the wasm heap (zeroed), returning a copy
 * of it; the accumulator is a float32 tensor of the backend's, freed afterwards.
 */
function withAccumulator(
  backend: WasmBackendLike,
  n: number,
  sums: (acc: number) => void,
): Float64Array {
  const scratch = backend.makeOutput([2 * n + 2], 'float32');
  try {
    const view = heapF32(backend, scratch);
    const start = view.byteOffset + (view.byteOffset % 8);
    const acc = new Float64Array(view.buffer, start, n);
    acc.fill(0);
    sums(start);
    return acc.slice();
  } finally {
    backend.disposeData(scratch.dataId);
  }
}

/** (x) → [2, C]: the column means of x and the sums of squares about them. */
const moments: Tf.KernelFunc = ({ inputs, backend: b }) => {
  const backend = asWasmBackend(b);
  const x = requireInput(inputs, 'x');
  const [rows, C] = rowsOf(x);
  const memory = memoryOf(backend);
  const out = backend.makeOutput([2, C], 'float32');
  const sum = withAccumulator(backend, C, (acc) => {
    const xv = heapF32(backend, x);
    sumsKernel(memory, 'sum', C)(xv.byteOffset, 0, xv.byteOffset, acc, rows);
  });
  // The mean as float32, in out's first row, where the second pass reads it.
  const ov = heapF32(backend, out);
  const first = heapF32(backend, x).subarray(0, C);
  for (let c = 0; c < C; c++) ov[c] = first[c] + sum[c] / rows;
  const m2 = withAccumulator(backend, C, (acc) =>
    sumsKernel(memory, 'm2', C)(heapF32(backend, x).byteOffset, 0, ov.byteOffset, acc, rows),
  );
  heapF32(backend, out).set(m2, C);
  return out;
};

/** (x, dy, mean) → [2, C]: Σ dy and Σ dy·(x − mean) per channel. */
const gradSums: Tf.KernelFunc = ({ inputs, backend: b }) => {
  const backend = asWasmBackend(b);
  const x = requireInput(inputs, 'x');
  const dy = requireInput(inputs, 'dy');
  const [rows, C] = rowsOf(x);
  const memory = memoryOf(backend);
  const out = backend.makeOutput([2, C], 'float32');
  const sums = withAccumulator(backend, 2 * C, (acc) => {
    const [xv, dv] = [heapF32(backend, x), heapF32(backend, dy)];
    if (dv.length !== xv.length) throw new Error('cnnc wasm kernel: batch norm dy ≠ x in size');
    const mean = vectorOf(backend, requireInput(inputs, 'mean'), C);
    sumsKernel(memory, 'grad', C)(xv.byteOffset, dv.byteOffset, mean, acc, rows);
  });
  heapF32(backend, out).set(sums);
  return out;
};

/** The forward (x, mean, inv, gamma?, beta?) or dx (x, dy, mean, p, q, r), one pass. */
function applyFunc(grad: boolean): Tf.KernelFunc {
  return ({ inputs, backend: b }) => {
    const backend = asWasmBackend(b);
    const x = requireInput(inputs, 'x');
    const [rows, C] = rowsOf(x);
    const memory = memoryOf(backend);
    const out = backend.makeOutput([...x.shape], 'float32');
    const names = grad ? ['mean', 'p', 'q', 'r'] : ['mean', 'inv', 'gamma', 'beta'];
    const vectors = names.map((n, i) =>
      vectorOf(backend, i < 2 || grad ? requireInput(inputs, n) : inputs[n], C),
    );
    const [xv, ov] = [heapF32(backend, x), heapF32(backend, out)];
    let dy = 0;
    if (grad) {
      const dv = heapF32(backend, requireInput(inputs, 'dy'));
      if (dv.length !== xv.length) throw new Error('cnnc wasm kernel: batch norm dy ≠ x in size');
      dy = dv.byteOffset;
    }
    const mode: ApplyMode = grad
      ? { kind: 'grad' }
      : { kind: 'forward', gamma: vectors[2] !== 0, beta: vectors[3] !== 0 };
    applyKernel(memory, mode, C)(xv.byteOffset, dy, ov.byteOffset, rows, ...vectors);
    return out;
  };
}

const KERNEL_FUNCS: Record<string, Tf.KernelFunc> = {
  [BN_KERNELS.moments]: moments,
  [BN_KERNELS.apply]: applyFunc(false),
  [BN_KERNELS.gradSums]: gradSums,
  [BN_KERNELS.grad]: applyFunc(true),
};

/** Registers the batch norm kernels for wasm. Idempotent. */
export function registerFusedBatchNorm(tf: TfModule): void {
  for (const [kernelName, kernelFunc] of Object.entries(KERNEL_FUNCS)) {
    if (tf.getKernel(kernelName, 'wasm') === undefined)
      tf.registerKernel({ kernelName, backendName: 'wasm', kernelFunc });
  }
}

/**
 * Whether batch norm of x trains on these kernels: the current backend has them (wasm), the host
 * runs WebAssembly SIMD, and x is a non-empty float32 tensor [..., C].
 */
export function fusedBatchNormReady(tf: TfModule, x: Tf.Tensor): boolean {
  return (
    x.dtype === 'float32' &&
    x.rank >= 2 &&
    x.size > 0 &&
    tf.getKernel(BN_KERNELS.apply, tf.getBackend()) !== undefined &&
    simdMemory(tf.backend()) !== null
  );
}
