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
}

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
  const bias = ctx.weight(node, 'bias');
  return bias ? ctx.tf.add(y, bias) : y;
}
