// A layer's bias and the activation after it as one op on the wasm backend (lower.ts fuses a
// conv2d, conv1d or dense node whose only reader is a relu or tanh):
//
//   forward   z = act(y + b)                     CnncBiasAct(y, b)      in place of Add, Relu/Tanh
//   backward  dy = actGrad(dz, z), db = Σ_rows dy   CnncBiasActGrad(dz, z) in place of the
//                                                   activation's gradient and the bias's Sum
//
// Each runs over blocks of rows small enough to stay in the L1 cache, so the activation is read
// from memory once per pass instead of twice (a conv output of the yardstick CNN is 8 MB). The
// blocks call the same SIMD kernels as the unfused ops (simd-pool.ts's channel add and column sums,
// simd-elementwise.ts's rules), and the bias gradient adds the same 64-row blocks in float64 as
// wasm-overrides.ts's Sum, so every result is bit for bit the unfused ops'. relu's gradient is taken
// from z = relu(x) rather than x: z > 0 exactly where x > 0, and z is NaN exactly where x is.

import type * as Tf from '@tensorflow/tfjs';
import {
  asWasmBackend,
  heapF32,
  requireInput,
  simdKernelsOff,
  simdMemory,
  type TfModule,
} from './kernel-utils.js';
import { elementwiseKernel, type ElementwiseOp } from './simd-elementwise.js';
import { channelOpKernel32, columnSumsKernel32 } from './simd-pool.js';
import { simdSupported } from './wasm-asm.js';

type Tensor = Tf.Tensor;

/** The activations fused with a bias, with their forward and gradient rules (simd-elementwise.ts). */
export const BIAS_ACTIVATIONS = {
  relu: { forward: 'relu', grad: 'reluGrad' },
  tanh: { forward: 'tanh', grad: 'tanhGrad' },
} as const satisfies Record<string, { forward: ElementwiseOp; grad: ElementwiseOp }>;

export type BiasActivation = keyof typeof BIAS_ACTIVATIONS;

export const BIAS_ACT = 'CnncBiasAct';
export const BIAS_ACT_GRAD = 'CnncBiasActGrad';

/** Rows per block of the bias gradient: wasm-overrides.ts's SUM_BLOCK, so the sums are the same. */
const SUM_ROWS = 64;
/** Floats per block of the forward pass (32 KB). */
const BLOCK_FLOATS = 8192;

function fnOf(attrs: Tf.NamedAttrMap | undefined): BiasActivation {
  const fn = attrs?.['fn'];
  if (fn === 'relu') return 'relu';
  if (fn === 'tanh') return 'tanh';
  throw new Error(`cnnc wasm kernel: bias activation ${String(fn)}`);
}

/** A kernel's two inputs, its activation's rules, the backend and its SIMD memory. */
function setup(args: Parameters<Tf.KernelFunc>[0], kernel: string, names: [string, string]) {
  const backend = asWasmBackend(args.backend);
  const memory = simdMemory(backend);
  if (memory === null) throw new Error(`cnnc wasm kernel: ${kernel} needs WebAssembly SIMD`);
  return {
    inputs: names.map((n) => requireInput(args.inputs, n)) as [Tf.TensorInfo, Tf.TensorInfo],
    rule: BIAS_ACTIVATIONS[fnOf(args.attrs)],
    backend,
    memory,
  };
}

/** (x [..., C], b [C]) → act(x + b). */
const biasAct: Tf.KernelFunc = (args) => {
  const {
    inputs: [x, b],
    rule,
    backend,
    memory,
  } = setup(args, BIAS_ACT, ['x', 'b']);
  const C = x.shape[x.shape.length - 1];
  const out = backend.makeOutput([...x.shape], 'float32');
  const [xv, bv, ov] = [heapF32(backend, x), heapF32(backend, b), heapF32(backend, out)];
  if (bv.length !== C)
    throw new Error(`cnnc wasm kernel: ${BIAS_ACT} bias of ${bv.length}, ${C} channels`);
  const rows = xv.length / C;
  const add = channelOpKernel32(memory, 'add', C);
  const act = elementwiseKernel(memory, rule.forward);
  const step = Math.max(1, Math.floor(BLOCK_FLOATS / C));
  for (let r0 = 0; r0 < rows; r0 += step) {
    const n = Math.min(step, rows - r0);
    const at = 4 * r0 * C;
    add(xv.byteOffset + at, bv.byteOffset, ov.byteOffset + at, n);
    act(ov.byteOffset + at, 0, ov.byteOffset + at, n * C);
  }
  return out;
};

/** (dz, z) → [dy = actGrad(dz, z), db = Σ over rows of dy]. */
const biasActGrad: Tf.KernelFunc = (args) => {
  const {
    inputs: [dz, z],
    rule,
    backend,
    memory,
  } = setup(args, BIAS_ACT_GRAD, ['dz', 'z']);
  const C = dz.shape[dz.shape.length - 1];
  const dy = backend.makeOutput([...dz.shape], 'float32');
  const db = backend.makeOutput([C], 'float32');
  const [dzv, zv, dyv, dbv] = [
    heapF32(backend, dz),
    heapF32(backend, z),
    heapF32(backend, dy),
    heapF32(backend, db),
  ];
  if (zv.length !== dzv.length)
    throw new Error(`cnnc wasm kernel: ${BIAS_ACT_GRAD} shape mismatch`);
  const rows = dzv.length / C;
  const grad = elementwiseKernel(memory, rule.grad);
  const sums = columnSumsKernel32(memory, C);
  const acc = new Float64Array(C);
  for (let r0 = 0; r0 < rows; r0 += SUM_ROWS) {
    const n = Math.min(SUM_ROWS, rows - r0);
    const at = 4 * r0 * C;
    grad(dzv.byteOffset + at, zv.byteOffset + at, dyv.byteOffset + at, n * C);
    sums(dyv.byteOffset + at, n, dbv.byteOffset);
    for (let c = 0; c < C; c++) acc[c] += dbv[c];
  }
  for (let c = 0; c < C; c++) dbv[c] = acc[c];
  return [dy, db];
};

/** Registers the two kernels for wasm. Idempotent. */
export function registerBiasActivation(tf: TfModule): void {
  if (tf.getKernel(BIAS_ACT, 'wasm') === undefined)
    tf.registerKernel({ kernelName: BIAS_ACT, backendName: 'wasm', kernelFunc: biasAct });
  if (tf.getKernel(BIAS_ACT_GRAD, 'wasm') === undefined)
    tf.registerKernel({ kernelName: BIAS_ACT_GRAD, backendName: 'wasm', kernelFunc: biasActGrad });
}

/** Whether the current backend runs the fused op: wasm with SIMD and the kernels registered. */
export function biasActivationFuses(tf: TfModule): boolean {
  return (
    tf.getBackend() === 'wasm' &&
    tf.getKernel(BIAS_ACT, 'wasm') !== undefined &&
    !simdKernelsOff() &&
    simdSupported()
  );
}

/**
 * act(y + b) for a float32 y [..., C] and bias b [C], as one op with its own gradient
 * (biasActivationFuses must hold).
 */
export function biasActivation(tf: TfModule, y: Tensor, b: Tensor, fn: BiasActivation): Tensor {
  const f = tf.customGrad((...args: (Tensor | Tf.GradSaveFunc)[]) => {
    const [yi, bi, save] = args as [Tensor, Tensor, Tf.GradSaveFunc];
    const z = tf.engine().runKernel<Tensor>(BIAS_ACT, { x: yi, b: bi }, { fn });
    save([z]);
    return {
      value: z,
      gradFunc: (dz: Tensor, saved: Tensor[]) =>
        tf.engine().runKernel(BIAS_ACT_GRAD, { dz, z: saved[0] }, { fn }) as Tensor[],
    };
  });
  return f(y, b);
}
