/** What an op's lowering sees: the tf namespace, the mode, and the weights of the node. */
import type * as tfjs from '@tensorflow/tfjs';
import type { IrNode } from '../../compiler/ir/graph.js';
import type { OpKind } from '../../compiler/ir/ops.js';

export type TF = typeof tfjs;

export interface LowerContext {
  readonly tf: TF;
  readonly training: boolean;
  /** A weight of a node (`kernel`, `bias`, `moving_mean`, …), or undefined when it has none. */
  weight(node: IrNode, name: string): tfjs.Variable | undefined;
  /** A fresh seed for one random draw of a node (dropout), deterministic given the model seed. */
  nextSeed(node: IrNode): number;
  /** Where this forward pass's rows lie in the whole batch (data-parallel training). */
  readonly shard: BatchShard;
  /** Biases left to the activation after them (fused-bias-act.ts). */
  readonly fusedBias: FusedBias;
}

/**
 * A conv2d, conv1d or dense node whose only reader is a relu or tanh leaves its bias to it, and the
 * activation adds the bias and applies itself as one op (lower.ts decides which, per forward pass).
 */
export interface FusedBias {
  /** Whether this node's lowering leaves out its bias. */
  defers(node: IrNode): boolean;
  /** The bias an activation node adds before itself, or null. */
  biasFor(activation: IrNode): tfjs.Variable | null;
}

export const NO_FUSED_BIAS: FusedBias = { defers: () => false, biasFor: () => null };

/**
 * A forward pass on rows [offset, offset + n) of a batch of `total` rows, split over replicas
 * (data-parallel.ts). Dropout draws each row's mask from the row's index in the whole batch, and
 * batch norm combines the replicas' statistics through `exchange`, so the results do not depend on
 * the split. A whole batch on one thread is { offset: 0, total: null, exchange: null }.
 */
export interface BatchShard {
  readonly offset: number;
  /** Rows in the whole batch; null: this pass's own row count. */
  readonly total: number | null;
  /** The other replicas of this batch, for batch norm's statistics; null on one thread. */
  readonly exchange: ShardExchange | null;
}

/**
 * Small vectors exchanged with the other replicas of a batch (collective.ts). Every replica calls
 * each method at the same point of its step, with a vector of the same length.
 */
export interface ShardExchange {
  /** Every replica's `local`, in rank order. */
  allGather(local: Float32Array): readonly Float32Array[];
  /** The element-wise sum of the replicas' `local`, in rank order: the same bits on every one. */
  allReduce(local: Float32Array): Float32Array;
}

export const WHOLE_BATCH: BatchShard = { offset: 0, total: null, exchange: null };

/** Lowers one node: its inputs' tensors [N, ...shape] → its output tensor. */
export type OpLowering<K extends OpKind> = (
  ctx: LowerContext,
  node: IrNode<K>,
  inputs: readonly tfjs.Tensor[],
) => tfjs.Tensor;

/** A weight the node must have. */
export function need(ctx: LowerContext, node: IrNode, name: string): tfjs.Variable {
  const w = ctx.weight(node, name);
  if (!w) throw new Error(`${node.name}: missing weight \`${name}\``);
  return w;
}

/** Adds the node's bias, if it has one, along the last axis. */
export function withBias<T extends tfjs.Tensor>(ctx: LowerContext, node: IrNode, y: T): T {
  if (ctx.fusedBias.defers(node)) return y;
  const bias = ctx.weight(node, 'bias');
  return bias ? ctx.tf.add(y, bias) : y;
}
