/**
 * Elaboration's core: the state a model's elaboration builds up (nodes, diagnostics, budgets,
 * training settings, freezes, outputs) and the steps every kind of statement shares: adding a
 * node under its hierarchical name, the expansion limits, the model's input cursor, references.
 *
 * The elaborator is one class split by file, each adding one kind of statement on top of this core:
 * elaborate-layers.ts (layers, the input, block calls, `let` bindings and letter patterns),
 * elaborate-compound.ts (group, repeat, if, residual, merges), elaborate-declarations.ts (output,
 * budget, train) and elaborate.ts (the Elaborator: the statement dispatch and the finished graph).
 */
import type { ModelDecl, Stmt } from '../../grammar/ast.js';
import { diag, type Diagnostic, type Span } from '../diagnostics/diagnostic.js';
import type { Budget, Graph, Node } from '../ir/graph.js';
import type { OpAttrMap, OpKind } from '../ir/ops.js';
import type { Derived } from './derive.js';
import type { EvalEnv } from './evaluate.js';
import type { PendingFreeze } from './freeze.js';
import { IncrementalShapes } from './incremental-shapes.js';
import { NameScope, collectLabels, nameTree, type NameEntry } from './naming.js';
import {
  ElaborationBudget,
  expansionLimit,
  expansionTooDeep,
  expansionTooLarge,
  MAX_EXPANSION_DEPTH,
} from './limits.js';
import type { Module } from './resolve.js';
import { References } from './references.js';
import type { DeclaredOutput } from './outputs.js';
import type { LayerBinding, VarScope } from './scope.js';

export interface Ctx {
  readonly module: Module;
  readonly names: NameScope;
  readonly vars: VarScope;
  /** The tensor `in` refers to. */
  readonly inId: number | undefined;
  readonly blockStack: readonly string[];
  readonly callSites: readonly Span[];
  /** Let bindings being expanded, outermost first (a binding may not expand to itself). */
  readonly expanding?: readonly LayerBinding[];
  /** Block calls, `let` expansions and compound statements around this point. */
  readonly depth: number;
  /** The scope of the innermost block call (references stay inside it); absent in the model. */
  readonly frame?: NameEntry;
}

type MutableNode = { -readonly [K in keyof Node]: Node[K] };

/** A node's name: `local` in the scope `scope`. */
interface NameRef {
  readonly scope: NameScope;
  readonly local: string;
}

/** The state and shared steps of a model's elaboration (elaborate.ts finishes the class). */
export abstract class ElaborationCore {
  readonly nodes: Node[] = [];
  protected readonly rootNames: NameScope;
  readonly diagnostics: Diagnostic[] = [];
  protected readonly budgets: Budget[] = [];
  protected readonly train: NonNullable<Graph['train']>[number][] = [];
  protected readonly freezes: PendingFreeze[] = [];
  protected readonly poisoned: number[] = [];
  /** `output NAME …` statements, in source order (outputs.ts orders and checks them). */
  protected readonly declaredOutputs: DeclaredOutput[] = [];
  protected readonly shapes = new IncrementalShapes(this.nodes);
  protected readonly refs = new References((d) => this.report(d));
  protected tooLarge = false;
  private tooDeep = false;
  /** Characters of the node names so far. */
  protected nameChars = 0;
  /** Set once a missing input has been reported (or needs no report: the base is broken). */
  protected reportedNoInput: boolean;

  constructor(
    protected readonly model: ModelDecl,
    protected readonly derived: Derived,
    protected readonly nodeBudget = new ElaborationBudget(),
  ) {
    this.reportedNoInput = derived.broken === true;
    this.rootNames = new NameScope(nameTree(), collectLabels(derived.body));
  }

  protected report(d: Diagnostic): void {
    this.diagnostics.push(d);
  }

  protected evalEnv(ctx: Ctx): EvalEnv {
    return {
      lookup: (name) => ctx.vars.value(name),
      names: () => ctx.vars.names(),
      inShape: () => (ctx.inId === undefined ? undefined : this.shapes.shapeOf(ctx.inId)),
      report: (d) => this.report(d),
    };
  }

  /** Elaborates `stmts` in order from `cursor`; returns the new cursor (elaborate.ts). */
  abstract body(stmts: readonly Stmt[], cursor: number | undefined, ctx: Ctx): number | undefined;

  /** `ctx` one level deeper, or undefined (reported once) past MAX_EXPANSION_DEPTH. */
  protected deeper(ctx: Ctx, span: Span): Ctx | undefined {
    if (ctx.depth < MAX_EXPANSION_DEPTH) return { ...ctx, depth: ctx.depth + 1 };
    if (!this.tooDeep) {
      this.tooDeep = true;
      this.report(expansionTooDeep(span));
    }
    return undefined;
  }

  // ------------------------------------------------------------ nodes

  protected addNode<K extends OpKind>(
    op: K,
    attrs: OpAttrMap[K],
    inputs: readonly number[],
    span: Span,
    ref: NameRef,
    ctx: Ctx,
    labelSpan?: Span,
  ): number | undefined {
    const limit = expansionLimit(this.nodes.length, this.nameChars, this.nodeBudget);
    if (limit !== undefined) {
      if (!this.tooLarge) {
        this.tooLarge = true;
        this.report(expansionTooLarge(limit, span));
      }
      return undefined;
    }
    let { scope, local } = ref;
    const prev = scope.taken(local);
    if (prev) {
      this.report(
        diag('CNN2013', `duplicate label: \`${scope.full(local)}\` is already used`, {
          span: labelSpan ?? span,
          labels: [{ span: prev, message: 'first used here' }],
          help: 'give each layer and group a unique label within its scope',
        }),
      );
      scope = ctx.names;
      local = scope.auto(`${local}_`);
    }
    const name = scope.take(local, span);
    this.nameChars += name.length;
    this.nodeBudget.used++;
    const id = this.nodes.length;
    const node = {
      id,
      name,
      op,
      attrs,
      inputs,
      span,
      frozen: false,
      ...(ctx.callSites.length ? { callSites: ctx.callSites } : {}),
    } as MutableNode;
    this.nodes.push(node as Node);
    return id;
  }

  protected requireCursor(cursor: number | undefined, span: Span): cursor is number {
    if (cursor !== undefined) return true;
    if (!this.reportedNoInput && !this.tooLarge) {
      this.reportedNoInput = true;
      this.report(
        diag('CNN2020', 'this layer comes before the model input', {
          span,
          help: 'start the model with an input statement, e.g. `input 224x224x3`',
        }),
      );
    }
    return false;
  }

  /** The node `branch from NAME` reads, or undefined (reported). */
  protected reference(raw: string, span: Span, ctx: Ctx): number | undefined {
    return this.refs.resolve(raw, span, ctx.names.node, this.frameOf(ctx))?.id;
  }

  protected frameOf(ctx: Ctx): NameEntry {
    return ctx.frame ?? this.rootNames.node;
  }
}
