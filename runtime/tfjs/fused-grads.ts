// Activation gradients as one kernel each on the wasm backend, in place of the three or four small
// ops tfjs-core's gradient configs run (each a pass over the activation, an allocation and a
// kernel dispatch):
//
//   Tanh     mul(sub(1, square(y)), dy)       → CnncTanhGrad(dy, y)
//   Sigmoid  mul(dy, mul(y, sub(1, y)))       → CnncSigmoidGrad(dy, y)
//   Relu     mul(dy, cast(step(x), float32))  → CnncReluGrad(dy, x)
//   Relu6    mul(dy, mul(lessEqual(x, 6), step(x)))  → CnncRelu6Grad(dy, x)
//
// (LeakyRelu's, where(x > 0, dy, dy·α), is left to tfjs: it would need α in the kernel.)
//
// The kernels (simd-elementwise.ts) perform the same float32 operations in the same order, so the
// gradients are bit for bit tfjs's. The gradient configs are replaced for every backend (tfjs keeps
// one per kernel name): where the current backend has no fused kernel (cpu, tensorflow), or the
// operands are not two float32 tensors of one shape, tfjs's own gradient function runs unchanged.
// The fused kernels have gradients of their own (in tfjs ops), for a gradient of a gradient.

import type * as Tf from '@tensorflow/tfjs';
import { asWasmBackend, heapF32, requireInput, simdMemory, type TfModule } from './kernel-utils.js';
import { elementwiseJs, elementwiseKernel, type ElementwiseOp } from './simd-elementwise.js';

type Tensor = Tf.Tensor;
type GradFunc = Tf.GradConfig['gradFunc'];

interface FusedGrad {
  /** The forward kernel whose gradient this replaces. */
  readonly forward: string;
  /** The fused kernel, registered for wasm. */
  readonly kernel: string;
  readonly rule: ElementwiseOp;
  /** The second operand: the forward's saved output y or input x. */
  readonly saved: 'y' | 'x';
  /** The fused kernel's own gradient: d/d(dy) and d/d(saved) of rule(dy, s), times g. */
  readonly grad: (tf: TfModule, g: Tensor, dy: Tensor, s: Tensor) => [() => Tensor, () => Tensor];
}

export const FUSED_GRADS: readonly FusedGrad[] = [
  {
    forward: 'Tanh',
    kernel: 'CnncTanhGrad',
    rule: 'tanhGrad',
    saved: 'y',
    // (1 − y²)·dy: d/d(dy) = 1 − y², d/dy = −2y·dy.
    grad: (tf, g, dy, y) => [
      () => tf.mul(g, tf.sub(1, tf.square(y))),
      () => tf.mul(g, tf.mul(dy, tf.mul(-2, y))),
    ],
  },
  {
    forward: 'Sigmoid',
    kernel: 'CnncSigmoidGrad',
    rule: 'sigmoidGrad',
    saved: 'y',
    // dy·y(1 − y): d/d(dy) = y(1 − y), d/dy = dy(1 − 2y).
    grad: (tf, g, dy, y) => [
      () => tf.mul(g, tf.mul(y, tf.sub(1, y))),
      () => tf.mul(g, tf.mul(dy, tf.sub(1, tf.mul(2, y)))),
    ],
  },
  {
    forward: 'Relu',
    kernel: 'CnncReluGrad',
    rule: 'reluGrad',
    saved: 'x',
    // dy·step(x): d/d(dy) = step(x), d/dx = 0.
    grad: (tf, g, _dy, x) => [() => tf.mul(g, tf.step(x)), () => tf.zerosLike(x)],
  },
  {
    forward: 'Relu6',
    kernel: 'CnncRelu6Grad',
    rule: 'relu6Grad',
    saved: 'x',
    // dy·mask(x): d/d(dy) = mask(x), d/dx = 0.
    grad: (tf, g, _dy, x) => [
      () => tf.mul(g, tf.mul(tf.lessEqual(x, 6), tf.step(x))),
      () => tf.zerosLike(x),
    ],
  },
];

/** The wasm kernel: out = rule(dy, s), elementwise, in SIMD where the host has it. */
function wasmKernel(fused: FusedGrad): Tf.KernelFunc {
  return (args) => {
    const dy = requireInput(args.inputs, 'dy');
    const s = requireInput(args.inputs, fused.saved);
    const backend = asWasmBackend(args.backend);
    const out = backend.makeOutput([...dy.shape], 'float32');
    const [dv, sv, ov] = [heapF32(backend, dy), heapF32(backend, s), heapF32(backend, out)];
    if (sv.length !== dv.length)
      throw new Error(`cnnc wasm kernel: ${fused.kernel} shape mismatch`);
    const memory = simdMemory(backend);
    if (memory === null) elementwiseJs(fused.rule, dv, sv, ov);
    else
      elementwiseKernel(memory, fused.rule)(dv.byteOffset, sv.byteOffset, ov.byteOffset, ov.length);
    return out;
  };
}

const ours = new WeakSet<GradFunc>();

const sameShape = (a: Tensor, b: Tensor): boolean =>
  a.shape.length === b.shape.length && a.shape.every((d, i) => d === b.shape[i]);

/** The forward's gradient config: the fused kernel where the backend has it, tfjs's otherwise. */
function gradConfig(tf: TfModule, fused: FusedGrad, own: Tf.GradConfig): Tf.GradConfig {
  const gradFunc: GradFunc = (dy, saved, attrs) => {
    const s = saved[0];
    if (
      Array.isArray(dy) ||
      s === undefined ||
      dy.dtype !== 'float32' ||
      s.dtype !== 'float32' ||
      !sameShape(dy, s) ||
      tf.getKernel(fused.kernel, tf.getBackend()) === undefined
    )
      return own.gradFunc(dy, saved, attrs);
    return {
      x: () => tf.engine().runKernel<Tensor>(fused.kernel, { dy, [fused.saved]: s }),
    };
  };
  ours.add(gradFunc);
  return { ...own, gradFunc };
}

/**
 * Registers the fused gradient kernels for wasm and the gradient configs that call them.
 * Idempotent; a forward whose gradient tfjs does not register is left alone.
 */
export function registerFusedGrads(tf: TfModule): void {
  for (const fused of FUSED_GRADS) {
    if (tf.getKernel(fused.kernel, 'wasm') === undefined)
      tf.registerKernel({
        kernelName: fused.kernel,
        backendName: 'wasm',
        kernelFunc: wasmKernel(fused),
      });
    const own = tf.getGradient(fused.forward);
    if (own !== undefined && !ours.has(own.gradFunc))
      tf.registerGradient(gradConfig(tf, fused, own));
    if (tf.getGradient(fused.kernel) !== undefined) continue;
    tf.registerGradient({
      kernelName: fused.kernel,
      inputsToSave: ['dy', fused.saved],
      gradFunc: (g, saved) => {
        const [dy, s] = saved;
        if (Array.isArray(g) || dy === undefined || s === undefined)
          throw new Error(`cnnc: ${fused.kernel} gradient without its inputs`);
        const [ddy, ds] = fused.grad(tf, g, dy, s);
        return { dy: ddy, [fused.saved]: ds };
      },
    });
  }
}
