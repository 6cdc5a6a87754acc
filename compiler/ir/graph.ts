/**
 * The IR: one typed, JSON-serialisable, versioned graph. Nodes are listed in topological order and a
 * node's id is its index. Every node keeps its source span and a stable hierarchical name
 * (`stage2.1.conv1`) used for weight loading and freezing. The analysis fields (`shape`, `weights`,
 * `macs`, `rf`) are filled by the passes in compiler/passes; `verify` checks the invariants.
 * docs/ir.schema.json documents the JSON form.
 */
import type { Span } from '../diagnostics/diagnostic.js';
import type { Count } from '../sema/count.js';
import type { Dim } from '../sema/dim.js';
import type { OpAttrMap, OpKind } from './ops.js';

export const IR_VERSION = 1;

/** A weight tensor of a node. Shapes follow TensorFlow.js layouts (conv kernels HWIO). */
export interface Weight {
  /** Local name: `kernel`, `bias`, `gamma`, `beta`, `moving_mean`, `moving_variance`. */
  readonly name: string;
  readonly shape: readonly number[];
  /** `param`: learnable; `buffer`: state that is saved but not learned (batch-norm statistics). */
  readonly kind: 'param' | 'buffer';
}

/** Receptive field along each spatial axis, in input pixels, and the cumulative stride (jump). */
export interface ReceptiveField {
  readonly size: readonly number[];
  readonly jump: readonly number[];
  /** True once a layer mixes every input position (dense, flatten, global pooling). */
  readonly global: boolean;
}

export interface IrNode<K extends OpKind = OpKind> {
  readonly id: number;
  /** Unique hierarchical name, dot-separated: `stage2.1.conv1`. */
  readonly name: string;
  readonly op: K;
  readonly attrs: OpAttrMap[K];
  readonly inputs: readonly number[];
  readonly span: Span;
  /** Span of the statement that invoked the enclosing block, outermost first (for labels). */
  readonly callSites?: readonly Span[];
  readonly frozen: boolean;
  /** Per-sample output shape; null when it could not be computed (the node is poisoned). */
  readonly shape?: readonly Dim[] | null;
  readonly weights?: readonly Weight[];
  /** Multiply-accumulates per sample; null when the input size is symbolic. */
  /** Exact: a bigint beyond 2^53 − 1 (compiler/sema/count.ts). */
  readonly macs?: Count | null;
  readonly rf?: ReceptiveField | null;
}

/** The node type as a discriminated union on `op`. */
export type Node = { [K in OpKind]: IrNode<K> }[OpKind];

export type BudgetMetric = 'params' | 'trainable' | 'macs' | 'memory' | 'activations';

export interface Budget {
  readonly metric: BudgetMetric;
  /** `<=` or `<`. */
  readonly strict: boolean;
  readonly limit: number;
  readonly span: Span;
}

export interface SymbolRecord {
  readonly sym: string;
  readonly display: string;
  readonly role: string;
  readonly multipleOf: number;
  readonly min: number;
}

export interface Graph {
  readonly irVersion: typeof IR_VERSION;
  readonly model: string;
  /** Display path of the file that defines the model. */
  readonly file: string;
  /** Span of the model declaration. */
  readonly span: Span;
  readonly nodes: readonly Node[];
  readonly outputs: readonly number[];
  /**
   * The outputs' names, parallel to `outputs`, when the model declares any with `output NAME`
   * (compiler/sema/outputs.ts); absent otherwise: one output, called `main` where a name is needed.
   */
  readonly outputNames?: readonly string[];
  readonly budgets: readonly Budget[];
  /** Assumptions about symbolic input sizes, filled by shape inference. */
  readonly symbols: readonly SymbolRecord[];
  /**
   * Placeholder nodes standing for layers whose attributes were invalid (already reported): their
   * output shape is unknown, so that one mistake gives one error. Only graphs with errors have them.
   */
  readonly poisoned?: readonly number[];
  /** Raw `train { ... }` settings, interpreted by the runtime (key → value text). */
  readonly train?: readonly {
    readonly key: string;
    readonly args: readonly (number | string | boolean)[];
    readonly span: Span;
  }[];
}

export function nodeOf<K extends OpKind>(node: Node, op: K): IrNode<K> | undefined {
  return node.op === op ? (node as IrNode<K>) : undefined;
}
