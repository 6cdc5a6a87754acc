/**
 * The contract of a reference kernel: one IR op, forward and backward side by side.
 *
 * `forward` gets the node (its attributes), its input tensors [N, ...shape] and the node's weights
 * keyed by local name (`kernel`, `bias`, `gamma`, `beta`, `moving_mean`, `moving_variance`, with the
 * IR's layouts: conv kernels HWIO, depthwise [kh, kw, C, multiplier], transposed [kh, kw, filters /
 * groups, C_in], dense [in, units]). It returns the output and a `backward` closure that, given
 * dL/dy, returns dL/dx for each input (null where the input needs no gradient, e.g. when
 * `ctx.needInputGrad[i]` is false) and dL/dw for each param weight. Backward is called at most once.
 * Buffers (batch-norm statistics) are never differentiated: a kernel that updates them in training
 * returns the new values in `buffers` and the executor writes them (unless the node is frozen).
 *
 * Semantics are PyTorch's (as the tfjs lowering in runtime/tfjs): see compiler/ir/ops.ts for the
 * attributes and runtime/window.ts for padding and output sizes.
 */
import type { IrNode } from '../../compiler/ir/graph.js';
import type { OpKind } from '../../compiler/ir/ops.js';
import type { FloatArray, Tensor } from './tensor.js';

export interface KernelContext {
  /** Training mode: dropout active; batch norm uses batch statistics (unless the node is frozen). */
  readonly training: boolean;
  /** Per input: whether dL/dx is wanted (false for the image input, saving work). */
  readonly needInputGrad: readonly boolean[];
  /** A seeded uniform [0, 1) generator for this call (dropout). */
  readonly random: () => number;
  /**
   * Another engine's input to this node (cnnc verify, runtime/train/engine.ts KinkBranches): a
   * kinked activation's derivative takes its branch at inputs within float32 rounding of a kink.
   */
  readonly branchInput?: FloatArray;
  /** Counts the derivatives whose branch was taken from `branchInput` and differs from ours. */
  readonly branchTaken?: (n: number) => void;
}

export interface KernelResult {
  readonly output: Tensor;
  /** New values of buffers (training-mode batch norm): `{ moving_mean, moving_variance }`. */
  readonly buffers?: Readonly<Record<string, Tensor>>;
  backward(dy: Tensor): KernelGrads;
}

export interface KernelGrads {
  readonly inputs: readonly (Tensor | null)[];
  /** Gradients of the param weights, keyed by local name. */
  readonly weights: Readonly<Record<string, Tensor>>;
}

export type Kernel<K extends OpKind = OpKind> = (
  node: IrNode<K>,
  inputs: readonly Tensor[],
  weights: Readonly<Record<string, Tensor>>,
  ctx: KernelContext,
) => KernelResult;

export type KernelTable = { readonly [K in OpKind]: Kernel<K> };
