// The SGD, momentum and Nesterov updates of optimizers.ts as one kernel per variable on the wasm
// backend (CnncSgdUpdate), in place of four to six small tfjs ops and two scalar uploads each:
//
//   g' = g + w·wd                      (weight decay, where set)
//   sgd       w' = w − g'·lr
//   momentum  v' = v·m + g';  w' = w − v'·lr
//   nesterov  v' = v·m + g';  w' = w − (g' + v'·m)·lr
//
// The kernel performs the same float32 operations in the same order as those ops (no fused
// multiply-add; lr, m and wd rounded to float32 as tfjs's scalars are), so the weights are bit
// for bit what the unfused update gives: checkpoints resume and data-parallel replicas agree
// whichever path ran. Generated in WebAssembly SIMD (wasm-asm.ts) where the host has it.

import type * as Tf from '@tensorflow/tfjs';
import { asWasmBackend, heapF32, requireInput, simdMemory, type TfModule } from './kernel-utils.js';
import { compiled } from './simd-pool.js';
import { assemble, F32, I32, loop, op, V128, type Code } from './wasm-asm.js';

export type UpdateKind = 'sgd' | 'momentum' | 'nesterov';
export const FUSED_UPDATE_KERNEL = 'CnncSgdUpdate';

interface Arith {
  mul(a: Code, b: Code): Code;
  add(a: Code, b: Code): Code;
  sub(a: Code, b: Code): Code;
}
const VEC: Arith = { mul: op.vMul, add: op.vAdd, sub: op.vSub };
const SCALAR: Arith = { mul: op.f32Mul, add: op.f32Add, sub: op.f32Sub };

// Parameters: 0 w, 1 g, 2 v, 3 w', 4 v' (byte addresses), 5 n, 6 lr, 7 m, 8 wd. Locals:
const [at, end] = [9, 10]; // i32
const [vw, vg, vv, vlr, vm, vwd] = [11, 12, 13, 14, 15, 16]; // v128
const [sw, sg, sv] = [17, 18, 19]; // f32

/** One element (or four): loads at byte offset `at`, the rule, stores. */
function element(kind: UpdateKind, decay: boolean, vector: boolean): Code {
  const A = vector ? VEC : SCALAR;
  const { get, set, add } = op;
  const load = (p: number): Code =>
    vector ? op.vLoad(add(get(p), get(at))) : op.f32Load(add(get(p), get(at)));
  const store = (p: number, v: Code): Code =>
    vector ? op.vStore(add(get(p), get(at)), v) : op.f32Store(add(get(p), get(at)), v);
  const [w, g, v] = vector ? [vw, vg, vv] : [sw, sg, sv];
  const [lr, m, wd] = vector ? [get(vlr), get(vm), get(vwd)] : [get(6), get(7), get(8)];
  const out: Code[] = [set(w, load(0)), set(g, load(1))];
  if (decay) out.push(set(g, A.add(get(g), A.mul(get(w), wd))));
  let d: Code = get(g);
  if (kind !== 'sgd') {
    out.push(set(v, A.add(A.mul(load(2), m), get(g))), store(4, get(v)));
    d = kind === 'momentum' ? get(v) : A.add(get(g), A.mul(get(v), m));
  }
  out.push(store(3, A.sub(get(w), A.mul(d, lr))));
  return out;
}

function updateBody(kind: UpdateKind, decay: boolean): Code {
  const { i32, get, set, mul, sub, vSplat } = op;
  return [
    set(vlr, vSplat(get(6))),
    set(vm, vSplat(get(7))),
    set(vwd, vSplat(get(8))),
    set(end, mul(sub(get(5), [get(5), i32(3), 0x71]), i32(4))), // 4·(n − n mod 4)
    loop(at, i32(0), get(end), element(kind, decay, true), 16),
    loop(at, get(end), mul(get(5), i32(4)), element(kind, decay, false), 4),
  ];
}

type Kernel = (...args: number[]) => void;

/** (w, g, v, w', v', n, lr, m, wd): one update of n floats; v and v' unused for sgd. */
export function updateKernel(memory: object, kind: UpdateKind, decay: boolean): Kernel {
  return compiled(memory, `update:${kind}:${decay}`, () =>
    assemble([
      {
        name: 'k',
        params: [I32, I32, I32, I32, I32, I32, F32, F32, F32],
        locals: [I32, I32, ...new Array<typeof V128>(6).fill(V128), F32, F32, F32],
        body: updateBody(kind, decay),
      },
    ]),
  );
}

/** The same in JavaScript (no SIMD in the host), float32 rounding after every operation. */
export function updateJs(
  kind: UpdateKind,
  w: Float32Array,
  g: Float32Array,
  v: Float32Array | null,
  nw: Float32Array,
  nv: Float32Array | null,
  rates: { lr: number; m: number; wd: number | null },
): void {
  const f = Math.fround;
  const [lr, m] = [f(rates.lr), f(rates.m)];
  const wd = rates.wd === null ? null : f(rates.wd);
  for (let i = 0; i < w.length; i++) {
    const gi = wd === null ? g[i] : f(g[i] + f(w[i] * wd));
    let d = gi;
    if (kind !== 'sgd' && v !== null && nv !== null) {
      nv[i] = f(f(v[i] * m) + gi);
      d = kind === 'momentum' ? nv[i] : f(gi + f(nv[i] * m));
    }
    nw[i] = f(w[i] - f(d * lr));
  }
}

const isKind = (k: unknown): k is UpdateKind => k === 'sgd' || k === 'momentum' || k === 'nesterov';

const wasmUpdate: Tf.KernelFunc = (args) => {
  const attrs = args.attrs ?? {};
  const kind = attrs['kind'];
  if (!isKind(kind))
    throw new Error(`cnnc wasm kernel: ${FUSED_UPDATE_KERNEL} kind ${String(kind)}`);
  const num = (name: string): number => {
    const x = attrs[name];
    return typeof x === 'number' ? x : 0;
  };
  const decay = typeof attrs['weightDecay'] === 'number' && attrs['weightDecay'] !== 0;
  const backend = asWasmBackend(args.backend);
  const w = requireInput(args.inputs, 'w');
  const g = requireInput(args.inputs, 'g');
  const v = kind === 'sgd' ? null : requireInput(args.inputs, 'v');
  const nw = backend.makeOutput([...w.shape], 'float32');
  const nv = v === null ? null : backend.makeOutput([...w.shape], 'float32');
  const view = (t: Tf.TensorInfo | null) => (t === null ? null : heapF32(backend, t));
  const [wv, gv, vv, nwv, nvv] = [w, g, v, nw, nv].map(view);
  if (wv === null || gv === null || nwv === null) throw new Error('cnnc: unreachable');
  if (gv.length !== wv.length || (vv !== null && vv.length !== wv.length))
    throw new Error(`cnnc wasm kernel: ${FUSED_UPDATE_KERNEL} operands of different sizes`);
  const memory = simdMemory(backend);
  const rates = { lr: num('lr'), m: num('momentum'), wd: decay ? num('weightDecay') : null };
  if (memory === null) {
    updateJs(kind, wv, gv, vv, nwv, nvv, rates);
  } else {
    const addr = (a: Float32Array | null) => (a === null ? 0 : a.byteOffset);
    updateKernel(memory, kind, decay)(
      addr(wv),
      addr(gv),
      addr(vv),
      addr(nwv),
      addr(nvv),
      wv.length,
      rates.lr,
      rates.m,
      rates.wd ?? 0,
    );
  }
  return nv === null ? [nw] : [nw, nv];
};

/** Registers CnncSgdUpdate for wasm. Idempotent. */
export function registerFusedUpdate(tf: TfModule): void {
  if (tf.getKernel(FUSED_UPDATE_KERNEL, 'wasm') === undefined)
    tf.registerKernel({
      kernelName: FUSED_UPDATE_KERNEL,
      backendName: 'wasm',
      kernelFunc: wasmUpdate,
    });
}

export interface UpdateArgs {
  readonly kind: UpdateKind;
  readonly w: Tf.Variable;
  readonly g: Tf.Tensor;
  /** The velocity, for momentum and nesterov. */
  readonly v: Tf.Variable | undefined;
  readonly lr: number;
  readonly momentum: number;
  readonly weightDecay: number;
}

/**
 * Applies the update with the fused kernel where the current backend has it and the operands are
 * float32 tensors of one shape; false (nothing done) otherwise, for the caller's tfjs ops.
 */
export function fusedUpdate(tf: TfModule, a: UpdateArgs): boolean {
  const { w, g, v } = a;
  const same = (t: Tf.Tensor) =>
    t.dtype === 'float32' &&
    t.shape.length === w.shape.length &&
    t.shape.every((d, i) => d === w.shape[i]);
  if (!same(w) || !same(g) || (a.kind !== 'sgd' && (v === undefined || !same(v)))) return false;
  if (tf.getKernel(FUSED_UPDATE_KERNEL, tf.getBackend()) === undefined) return false;
  const inputs: Tf.NamedTensorMap = a.kind === 'sgd' || v === undefined ? { w, g } : { w, g, v };
  const attrs = { kind: a.kind, lr: a.lr, momentum: a.momentum, weightDecay: a.weightDecay || 0 };
  const [nw, nv] = tf.engine().runKernel<Tf.Tensor[]>(FUSED_UPDATE_KERNEL, inputs, attrs);
  w.assign(nw);
  if (v !== undefined && nv !== undefined) v.assign(nv);
  return true;
}

/**
 * (dst, src, n): dst[i] = dst[i] + src[i] for n floats (byte addresses), in f32x4 lanes: the
 * float32 sum rounded once, as JavaScript's float64 sum rounded to float32 (which adding two
 * float32 values in float64 cannot round differently).
 */
export function addKernel(memory: object): Kernel {
  const { i32, get, set, mul, sub, add } = op;
  const [dst, src, n, at, end] = [0, 1, 2, 3, 4];
  const one = (vector: boolean): Code =>
    vector
      ? op.vStore(
          add(get(dst), get(at)),
          op.vAdd(op.vLoad(add(get(dst), get(at))), op.vLoad(add(get(src), get(at)))),
        )
      : op.f32Store(
          add(get(dst), get(at)),
          op.f32Add(op.f32Load(add(get(dst), get(at))), op.f32Load(add(get(src), get(at)))),
        );
  return compiled(memory, 'add', () =>
    assemble([
      {
        name: 'k',
        params: [I32, I32, I32],
        locals: [I32, I32],
        body: [
          set(end, mul(sub(get(n), [get(n), i32(3), 0x71]), i32(4))), // 4·(n − n mod 4)
          loop(at, i32(0), get(end), one(true), 16),
          loop(at, get(end), mul(get(n), i32(4)), one(false), 4),
        ],
      },
    ]),
  );
}

/**
 * The PairAdd of the gradient all-reduce (collective.ts) on the wasm backend: `other` (shared
 * memory, which a wasm kernel cannot address) is copied into a scratch tensor on the heap, then
 * addKernel adds it to `own` in place; an `own` elsewhere, or longer than the scratch, is added in
 * JavaScript. Null without SIMD. `reserve(n)` sizes the scratch before heap views are taken
 * (allocating may grow the heap, which detaches them).
 */
export function heapAdder(tf: TfModule): {
  reserve(n: number): void;
  add(own: Float32Array, from: number, to: number, other: Float32Array): void;
  dispose(): void;
} | null {
  const backend = asWasmBackend(tf.backend());
  const memory = simdMemory(backend);
  if (memory === null) return null;
  const kernel = addKernel(memory);
  let scratch: Tf.Tensor | null = null;
  return {
    reserve(n) {
      if (scratch !== null && scratch.size >= n) return;
      scratch?.dispose();
      scratch = tf.zeros([n]);
    },
    add(own, from, to, other) {
      // A view made now: the heap may have grown since the scratch was reserved.
      const view = scratch === null ? null : heapF32(backend, scratch);
      if (view === null || own.buffer !== view.buffer || to - from > view.length) {
        // Not on the heap (the loss and hit count that ride along), or no room: JavaScript.
        for (let i = from; i < to; i++) own[i] += other[i - from];
        return;
      }
      view.set(other);
      kernel(own.byteOffset + 4 * from, view.byteOffset, to - from);
    },
    dispose() {
      scratch?.dispose();
      scratch = null;
    },
  };
}
