/**
 * Elaboration: a model's statements (after derivation) become IR nodes. Blocks are expanded with
 * their arguments, repeats unrolled, letter patterns expanded, residuals and merges turned into
 * add/concat/multiply nodes, and every node gets its hierarchical name and source span.
 */
import type {
  BlockDecl,
  GroupStmt,
  IfStmt,
  MergeStmt,
  ModelDecl,
  OutputStmt,
  RepeatStmt,
  ResidualStmt,
  SimpleStmt,
  Stmt,
} from '../../grammar/ast.js';
import { assertNever } from '../../grammar/ast.js';
import { diag, type Diagnostic, type Span } from '../diagnostics/diagnostic.js';
import type { Budget, BudgetMetric, Graph, Node } from '../ir/graph.js';
import { IR_VERSION } from '../ir/graph.js';
import type { OpAttrMap, OpKind } from '../ir/ops.js';
import { buildAttrs } from './build-attrs.js';
import { bindArgs } from './call.js';
import { withCallNotes } from './call-notes.js';
import type { Derived } from './derive.js';
import type { Dim } from './dim.js';
import { evaluateStrict, type EvalEnv } from './evaluate.js';
import { applyFreezes, type PendingFreeze } from './freeze.js';
import { IncrementalShapes } from './incremental-shapes.js';
import { readAtoms } from './layer-atoms.js';
import { NameScope, collectLabels, nameTree, type NameEntry } from './naming.js';
import { allOpWords, lookupOp, type OpSpec } from './op-table.js';
import {
  ElaborationBudget,
  expansionLimit,
  expansionTooDeep,
  expansionTooLarge,
  MAX_EXPANSION_DEPTH,
  MAX_REPEAT,
} from './limits.js';
import { lookupDecl, visibleNames, type Module } from './resolve.js';
import { References } from './references.js';
import { modelOutputs, type DeclaredOutput } from './outputs.js';
import { VarScope, type LayerBinding } from './scope.js';
import { didYouMean, suggestedEdit } from './suggest.js';
import { asInt, asNumber, typeName } from './values.js';

export { MAX_NODES, MAX_REPEAT } from './limits.js';

interface Ctx {
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

export class Elaborator {
  readonly nodes: Node[] = [];
  private readonly rootNames: NameScope;
  readonly diagnostics: Diagnostic[] = [];
  private readonly budgets: Budget[] = [];
  private readonly train: NonNullable<Graph['train']>[number][] = [];
  private readonly freezes: PendingFreeze[] = [];
  private readonly poisoned: number[] = [];
  /** `output NAME …` statements, in source order (outputs.ts orders and checks them). */
  private readonly declaredOutputs: DeclaredOutput[] = [];
  private readonly shapes = new IncrementalShapes(this.nodes);
  private readonly refs = new References((d) => this.report(d));
  private tooLarge = false;
  private tooDeep = false;
  /** Characters of the node names so far. */
  private nameChars = 0;
  /** Set once a missing input has been reported (or needs no report: the base is broken). */
  private reportedNoInput: boolean;

  constructor(
    private readonly model: ModelDecl,
    private readonly derived: Derived,
    private readonly nodeBudget = new ElaborationBudget(),
  ) {
    this.reportedNoInput = derived.broken === true;
    this.rootNames = new NameScope(nameTree(), collectLabels(derived.body));
  }

  run(rootModule: Module): Graph {
    const body = this.derived.body;
    const ctx: Ctx = {
      module: rootModule,
      names: this.rootNames,
      vars: new VarScope(),
      inId: undefined,
      blockStack: [],
      callSites: [],
      depth: 0,
    };
    const out = this.body(body, undefined, ctx);
    if (this.nodes.length === 0 && !this.reportedNoInput && !this.tooLarge) {
      this.report(
        diag('CNN2020', `model ${this.model.name.name} has no input`, {
          span: this.model.name.span,
          help: 'start the model with an input statement, e.g. `input 224x224x3`',
        }),
      );
    }
    this.refs.finish();
    applyFreezes(this.nodes, this.freezes, (d) => this.report(d));
    return {
      irVersion: IR_VERSION,
      model: this.model.name.name,
      file: this.model.span.file,
      span: this.model.span,
      nodes: this.nodes,
      ...modelOutputs(out, this.declaredOutputs, (d) => this.report(d)),
      budgets: this.budgets,
      symbols: [],
      ...(this.poisoned.length ? { poisoned: this.poisoned } : {}),
      ...(this.train.length ? { train: this.train } : {}),
    };
  }

  private report(d: Diagnostic): void {
    this.diagnostics.push(d);
  }

  private evalEnv(ctx: Ctx): EvalEnv {
    return {
      lookup: (name) => ctx.vars.value(name),
      names: () => ctx.vars.names(),
      inShape: () => (ctx.inId === undefined ? undefined : this.shapes.shapeOf(ctx.inId)),
      report: (d) => this.report(d),
    };
  }

  private moduleFor(s: Stmt, ctx: Ctx): Ctx {
    const m = this.derived.overrides.get(s);
    return m && m !== ctx.module ? { ...ctx, module: m } : ctx;
  }

  body(stmts: readonly Stmt[], cursor: number | undefined, ctx: Ctx): number | undefined {
    for (const s of stmts) {
      if (this.tooLarge) return cursor;
      // A labelled statement's output can be read later by `branch from LABEL` (references.ts).
      const ref =
        'label' in s && s.label
          ? this.refs.open(ctx.names.entryOf(s.label.name), s.label.span, this.frameOf(ctx))
          : undefined;
      cursor = this.stmt(s, cursor, this.moduleFor(s, ctx));
      this.refs.close(ref, cursor);
    }
    return cursor;
  }

  private stmt(s: Stmt, cursor: number | undefined, ctx: Ctx): number | undefined {
    if (++this.nodeBudget.statements > this.nodeBudget.statementLimit) {
      const limit = expansionLimit(this.nodes.length, this.nameChars, this.nodeBudget);
      if (!this.tooLarge && limit !== undefined) this.report(expansionTooLarge(limit, s.span));
      this.tooLarge = true;
      return cursor;
    }
    if ('label' in s && s.label) {
      const prev = ctx.names.claim(s.label.name, s.label.span);
      if (prev) {
        this.report(
          diag('CNN2013', `duplicate label \`${s.label.name}\` in this scope`, {
            span: s.label.span,
            labels: [{ span: prev, message: 'first used here' }],
            help: 'give each labelled layer, group and block call a unique label within its scope',
          }),
        );
        return cursor;
      }
    }
    switch (s.kind) {
      case 'Simple':
        return this.simple(s, cursor, ctx);
      case 'Group':
      case 'Repeat':
      case 'Residual':
      case 'Merge': {
        const inner = this.deeper(ctx, s.span);
        if (!inner) return cursor;
        if (s.kind === 'Group') return this.group(s, cursor, inner);
        if (s.kind === 'Repeat') return this.repeat(s, cursor, inner);
        if (s.kind === 'Residual') return this.residual(s, cursor, inner);
        return this.merge(s, cursor, inner);
      }
      case 'If':
        return this.ifStmt(s, cursor, ctx);
      case 'Output':
        return this.output(s, cursor, ctx);
      case 'Let':
        for (const b of s.bindings) {
          const v = b.value;
          if (v.kind === 'Expr') {
            const value = evaluateStrict(v.expr, this.evalEnv(ctx));
            if (value) ctx.vars.setValue(b.name.name, value);
          } else if (
            v.kind === 'Simple' &&
            v.atoms.length === 0 &&
            v.with.length === 0 &&
            ctx.vars.value(v.head.name) !== undefined
          ) {
            ctx.vars.setValue(b.name.name, ctx.vars.value(v.head.name)!);
          } else {
            ctx.vars.setLayer(b.name.name, {
              stmt: v,
              scope: ctx.vars,
              module: ctx.module,
              span: b.span,
            });
          }
        }
        return cursor;
      case 'Freeze':
        this.freezes.push({ stmt: s });
        return cursor;
      case 'Budget':
        this.budget(s.limits, ctx);
        return cursor;
      case 'Train':
        for (const t of s.body) this.trainSetting(t, ctx);
        return cursor;
      case 'Replace':
      case 'Append':
      case 'Cut':
        this.report(
          diag(
            'CNN2024',
            `\`${s.kind.toLowerCase()}\` is only allowed in a derived model (\`model New = Base { … }\`)`,
            {
              span: s.span,
            },
          ),
        );
        return cursor;
      default:
        return assertNever(s);
    }
  }

  /** `ctx` one level deeper, or undefined (reported once) past MAX_EXPANSION_DEPTH. */
  private deeper(ctx: Ctx, span: Span): Ctx | undefined {
    if (ctx.depth < MAX_EXPANSION_DEPTH) return { ...ctx, depth: ctx.depth + 1 };
    if (!this.tooDeep) {
      this.tooDeep = true;
      this.report(expansionTooDeep(span));
    }
    return undefined;
  }

  // ------------------------------------------------------------ nodes

  private addNode<K extends OpKind>(
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

  private requireCursor(cursor: number | undefined, span: Span): cursor is number {
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

  // ------------------------------------------------------------ simple statements

  private simple(s: SimpleStmt, cursor: number | undefined, ctx: Ctx): number | undefined {
    const head = s.head.name;
    if (head === 'input') return this.input(s, cursor, ctx);
    if (s.with.length && !ctx.vars.layer(head) && !isPattern(head, ctx.vars)) {
      this.report(
        diag('CNN2024', '`with` only applies to letter patterns and `let` bindings', {
          span: s.span,
        }),
      );
    }
    const vars = s.with.length ? new VarScope(ctx.vars) : ctx.vars;
    for (const w of s.with) {
      if (w.value.kind === 'Expr') {
        const v = evaluateStrict(w.value.expr, this.evalEnv(ctx));
        if (v) vars.setValue(w.name.name, v);
      } else
        vars.setLayer(w.name.name, {
          stmt: w.value,
          scope: ctx.vars,
          module: ctx.module,
          span: w.span,
        });
    }
    const inner = vars === ctx.vars ? ctx : { ...ctx, vars };

    const binding = ctx.vars.layer(head);
    if (binding) {
      if (s.atoms.length) {
        this.report(
          diag('CNN2006', `\`${head}\` is a bound layer and takes no values`, {
            span: s.atoms[0].span,
          }),
        );
      }
      return this.expandBinding(head, s, cursor, inner);
    }
    const block = lookupDecl(ctx.module, 'blocks', head);
    if (block) return this.call(s, block.decl, block.module, cursor, ctx);
    const spec = lookupOp(head);
    if (spec) return this.layer(s, spec, cursor, ctx);
    if (isPattern(head, inner.vars)) {
      if (s.atoms.length) {
        this.report(
          diag('CNN2006', `letter pattern \`${head}\` takes no values`, { span: s.atoms[0].span }),
        );
      }
      let c = cursor;
      for (const letter of head) c = this.expandBinding(letter, s, c, inner);
      return c;
    }
    this.unknownHead(s, ctx);
    return cursor;
  }

  private unknownHead(s: SimpleStmt, ctx: Ctx): void {
    const head = s.head.name;
    if (ctx.vars.value(head) !== undefined) {
      this.report(diag('CNN2024', `\`${head}\` is a value, not a layer`, { span: s.head.span }));
      return;
    }
    if (lookupDecl(ctx.module, 'models', head)) {
      this.report(
        diag('CNN2024', `\`${head}\` is a model and cannot be used as a layer`, {
          span: s.head.span,
          help: `derive from it instead: \`model New = ${head} { … }\``,
        }),
      );
      return;
    }
    const letters = /^[A-Z]{2,}$/.test(head) ? [...head].filter((l) => !ctx.vars.layer(l)) : [];
    if (letters.length && letters.length < head.length) {
      this.report(
        diag(
          'CNN2019',
          `letter pattern \`${head}\` uses unbound letter${letters.length > 1 ? 's' : ''} ${[...new Set(letters)].join(', ')}`,
          {
            span: s.head.span,
            help: `bind it first: \`let ${letters[0]} = relu\``,
          },
        ),
      );
      return;
    }
    const candidates = [
      ...allOpWords(),
      ...visibleNames(ctx.module, 'blocks'),
      ...ctx.vars.names(),
    ];
    const suggestion = didYouMean(head, candidates);
    this.report(
      diag('CNN2001', `unknown layer or block \`${head}\``, {
        span: s.head.span,
        help: suggestion
          ? `did you mean \`${suggestion}\`?`
          : 'see docs/language.md for the list of layers',
        edit: suggestedEdit(s.head.span, suggestion),
      }),
    );
  }

  private expandBinding(
    name: string,
    s: SimpleStmt,
    cursor: number | undefined,
    ctx: Ctx,
  ): number | undefined {
    const b = ctx.vars.layer(name)!;
    if (ctx.expanding?.includes(b)) {
      this.report(
        diag('CNN2009', `\`${name}\` is defined in terms of itself`, {
          span: s.head.span,
          labels: [{ span: b.span, message: `${name} is bound here` }],
          help: 'a let binding cannot use its own name or a pattern containing it',
        }),
      );
      return cursor;
    }
    const deeper = this.deeper(ctx, s.span);
    if (!deeper) return cursor;
    // The bound statement evaluates in its defining scope, with this statement's `with` overrides.
    const vars = s.with.length ? ctx.vars : b.scope;
    const expanding = [...(ctx.expanding ?? []), b];
    const inner: Ctx = { ...deeper, vars, module: b.module, expanding };
    if (b.stmt.kind === 'Group') return this.body(b.stmt.body, cursor, inner);
    return this.simple({ ...b.stmt, label: s.label ?? b.stmt.label, span: s.span }, cursor, inner);
  }

  private input(s: SimpleStmt, cursor: number | undefined, ctx: Ctx): number | undefined {
    if (cursor !== undefined || ctx.blockStack.length > 0) {
      this.report(
        diag('CNN2020', 'a model has one input, and it comes first', {
          span: s.span,
          help: 'move the input statement to the top of the model',
        }),
      );
      return cursor;
    }
    const spec = lookupOp('input')!;
    const attrs = readAtoms(spec, s.atoms, this.evalEnv(ctx), ctx.vars);
    const built =
      attrs && buildAttrs({ spec, attrs, rank: 2, span: s.span, report: this.reporter() });
    if (!built || built.op !== 'input') {
      this.reportedNoInput = true;
      return undefined;
    }
    const ref = { scope: this.rootNames, local: s.label?.name ?? 'input' };
    return this.addNode('input', built.attrs, [], s.span, ref, ctx);
  }

  private reporter() {
    return (code: Diagnostic['code'], message: string, span: Span, help?: string) =>
      this.report(diag(code, message, { span, help }));
  }

  private layer(
    s: SimpleStmt,
    spec: OpSpec,
    cursor: number | undefined,
    ctx: Ctx,
  ): number | undefined {
    if (!this.requireCursor(cursor, s.span)) return cursor;
    const attrs = readAtoms(spec, s.atoms, this.evalEnv(ctx), ctx.vars);
    if (!attrs) return this.poison(s, spec, cursor, ctx);
    const built = buildAttrs({
      spec,
      attrs,
      rank: this.spatialRank(cursor),
      span: s.span,
      report: this.reporter(),
    });
    if (!built) return this.poison(s, spec, cursor, ctx);
    const name = { scope: ctx.names, local: s.label?.name ?? ctx.names.auto(spec.keyword) };
    return (
      this.addNode(built.op, built.attrs as never, [cursor], s.span, name, ctx, s.label?.span) ??
      cursor
    );
  }

  /**
   * A layer whose attributes were invalid (already reported): an identity placeholder whose output
   * shape is unknown (graph.poisoned), so that later layers report nothing more about it.
   */
  private poison(s: SimpleStmt, spec: OpSpec, cursor: number, ctx: Ctx): number {
    const name = { scope: ctx.names, local: s.label?.name ?? ctx.names.auto(spec.keyword) };
    const id = this.addNode('activation', { fn: 'linear' }, [cursor], s.span, name, ctx);
    if (id === undefined) return cursor;
    this.poisoned.push(id);
    this.shapes.poison(id);
    return id;
  }

  private spatialRank(cursor: number): number {
    const shape = this.shapes.shapeOf(cursor);
    return shape && shape.length === 2 ? 1 : 2;
  }

  private call(
    s: SimpleStmt,
    block: BlockDecl,
    module: Module,
    cursor: number | undefined,
    ctx: Ctx,
  ): number | undefined {
    if (!this.requireCursor(cursor, s.span)) return cursor;
    const name = block.name.name;
    if (ctx.blockStack.includes(name)) {
      const chain = [...ctx.blockStack.slice(ctx.blockStack.indexOf(name)), name].join(' → ');
      this.report(
        diag('CNN2009', `block \`${name}\` calls itself: ${chain}`, {
          span: s.span,
          labels: [{ span: block.name.span, message: `${name} is defined here` }],
          help: 'use `repeat n { … }` to stack a block several times',
        }),
      );
      return cursor;
    }
    const deeper = this.deeper(ctx, s.span);
    if (!deeper) return cursor;
    const vars = bindArgs(block, s, this.evalEnv(ctx), module, (d) => this.report(d));
    if (!vars) return cursor;
    const local = s.label ? s.label.name : ctx.names.index();
    const callNames = ctx.names.child(local, block.body);
    const inner: Ctx = {
      module,
      names: callNames,
      frame: callNames.node,
      vars,
      inId: cursor,
      blockStack: [...ctx.blockStack, name],
      callSites: [...ctx.callSites, s.span],
      depth: deeper.depth,
    };
    const before = this.diagnostics.length;
    const out = this.body(block.body, cursor, inner);
    // What went wrong inside the body names this call (outer calls add theirs after it).
    const text = (file: string) => (file === ctx.module.display ? ctx.module.text : undefined);
    for (let i = before; i < this.diagnostics.length; i++)
      this.diagnostics[i] = withCallNotes(this.diagnostics[i], [s.span], text);
    return out;
  }

  // ------------------------------------------------------------ compound statements

  private group(s: GroupStmt, cursor: number | undefined, ctx: Ctx): number | undefined {
    const names = s.label ? ctx.names.child(s.label.name, s.body) : ctx.names;
    if (s.body.length === 0) {
      this.report(
        diag('CNN2026', 'empty group', { span: s.span, help: 'remove it, or add layers' }),
      );
    }
    return this.body(s.body, cursor, { ...ctx, names, vars: new VarScope(ctx.vars) });
  }

  private repeat(s: RepeatStmt, cursor: number | undefined, ctx: Ctx): number | undefined {
    const v = evaluateStrict(s.count, this.evalEnv(ctx));
    if (!v) return cursor;
    const n = asInt(v);
    if (n === null) {
      this.report(
        diag('CNN2005', `a repeat count must be an integer; found ${asNumber(v) ?? v.kind}`, {
          span: s.count.span,
        }),
      );
      return cursor;
    }
    // `repeat 0` is an empty statement (`first; repeat n - 1 { … }` with n = 1).
    if (n === 0) return cursor;
    if (n < 0) {
      this.report(
        diag('CNN2017', `repeat count is ${n}: a count cannot be negative`, {
          span: s.count.span,
          help: 'use a count of 0 or more',
        }),
      );
      return cursor;
    }
    if (n > MAX_REPEAT) {
      this.report(
        diag(
          'CNN2018',
          `repeat count ${n.toLocaleString('en-US')} is absurd (the limit is ${MAX_REPEAT.toLocaleString('en-US')})`,
          {
            span: s.count.span,
            help: 'check the count; deep networks repeat blocks tens of times, not thousands',
          },
        ),
      );
      return cursor;
    }
    const scope = s.label ? ctx.names.child(s.label.name, []) : undefined;
    for (let i = 0; i < n && !this.tooLarge; i++) {
      const vars = new VarScope(ctx.vars);
      if (s.index) vars.setValue(s.index.name, { kind: 'int', value: i });
      const names = scope ? scope.child(String(i), s.body) : ctx.names;
      cursor = this.body(s.body, cursor, { ...ctx, names, vars });
    }
    return cursor;
  }

  /**
   * `if cond { … } else { … }`: the chosen body runs in the enclosing scope (its labels and lets are
   * the surrounding ones, like a body of `repeat`), so a layer keeps its name whichever way the
   * condition goes. A condition that is not a boolean is CNN2005, and neither body runs.
   */
  private ifStmt(s: IfStmt, cursor: number | undefined, ctx: Ctx): number | undefined {
    const v = evaluateStrict(s.test, this.evalEnv(ctx));
    if (!v) return cursor;
    if (v.kind !== 'bool') {
      this.report(
        diag('CNN2005', `an \`if\` condition must be true or false; found ${typeName(v)}`, {
          span: s.test.span,
          help: 'compare it, e.g. `if t != 1 { … }`',
        }),
      );
      return cursor;
    }
    const body = v.value ? s.then : s.otherwise;
    return body ? this.body(body, cursor, ctx) : cursor;
  }

  private residual(s: ResidualStmt, cursor: number | undefined, ctx: Ctx): number | undefined {
    if (!this.requireCursor(cursor, s.span)) return cursor;
    const x = cursor;
    const names = s.label ? ctx.names.child(s.label.name, s.body) : ctx.names;
    const inner: Ctx = { ...ctx, names, vars: new VarScope(ctx.vars), inId: x };
    if (s.body.length === 0) {
      this.report(
        diag('CNN2026', 'empty residual body: the block would add its input to itself', {
          span: s.span,
        }),
      );
    }
    const body = this.body(s.body, x, inner);
    if (body === undefined) return cursor;
    let short = x;
    if (s.shortcut) {
      let take = true;
      if (s.shortcut.when) {
        const v = evaluateStrict(s.shortcut.when, this.evalEnv(inner));
        if (v && v.kind !== 'bool') {
          this.report(
            diag('CNN2005', 'a `when` condition must be true or false', {
              span: s.shortcut.when.span,
            }),
          );
        }
        take = v?.kind === 'bool' ? v.value : false;
      }
      if (take) {
        const scNames = names.child(names.autoPlain('shortcut'), s.shortcut.body);
        short = this.body(s.shortcut.body, x, { ...inner, names: scNames }) ?? x;
      }
    }
    const addName = { scope: names, local: names.auto('add') };
    return this.addNode('add', {}, [body, short], s.span, addName, ctx) ?? body;
  }

  private merge(s: MergeStmt, cursor: number | undefined, ctx: Ctx): number | undefined {
    if (!this.requireCursor(cursor, s.span)) return cursor;
    const x = cursor;
    const names = s.label ? ctx.names.child(s.label.name, []) : ctx.names;
    if (s.branches.length === 0) {
      this.report(
        diag('CNN2026', `${s.op} needs at least one branch`, {
          span: s.span,
          help: `write \`${s.op} { branch { … } branch { … } }\``,
        }),
      );
      return cursor;
    }
    const outs: number[] = [];
    let broken = false;
    s.branches.forEach((b, i) => {
      const local = b.label
        ? b.label.name
        : s.op === 'highway'
          ? names.autoPlain(i === 0 ? 'transform' : 'gate')
          : names.auto('branch');
      const bNames = names.child(local, b.body);
      // `branch from NAME`: the branch starts from NAME's output (references.ts), not the input.
      const start = b.from ? this.reference(b.from.raw, b.from.span, ctx) : x;
      if (start === undefined) {
        broken = true;
        return;
      }
      const key = b.label
        ? this.refs.open(bNames.node, b.label.span, this.frameOf(ctx))
        : undefined;
      const out = this.body(b.body, start, {
        ...ctx,
        names: bNames,
        vars: new VarScope(ctx.vars),
        inId: start,
      });
      this.refs.close(key, out);
      if (out === undefined) broken = true;
      else outs.push(out);
    });
    if (outs.length === 0) return cursor;
    const name = { scope: names, local: names.auto(s.op) };
    const attrs = s.op === 'concat' ? ({ axis: -1 } as const) : {};
    // highway's inputs: the carry x, the transform H(x), the gate T(x).
    const inputs = s.op === 'highway' ? [x, ...outs] : outs;
    const id = this.addNode(s.op, attrs as never, inputs, s.opSpan, name, ctx);
    if (id === undefined) return cursor;
    if (broken || (s.op === 'highway' && outs.length !== 2)) {
      // A branch that failed (reported): the merge's shape is unknown, so nothing more is said.
      this.poisoned.push(id);
      this.shapes.poison(id);
    }
    return id;
  }

  /**
   * `output NAME [from REF] [{ … }]`: records a named output and passes its input through. Only in
   * the model's own statements (an `if` there included), never inside a group, branch or block
   * call: an output is the model's, and a block called twice would make two of the same name.
   */
  private output(s: OutputStmt, cursor: number | undefined, ctx: Ctx): number | undefined {
    if (ctx.depth > 0 || ctx.frame !== undefined || ctx.names !== this.rootNames) {
      this.report(
        diag(
          'CNN2131',
          `\`output ${s.name.name}\` is inside ${ctx.frame ? 'a block' : 'a nested statement'}`,
          {
            span: s.span,
            help: "write `output` among the model's own statements; a head can branch off any labelled layer with `output NAME from LABEL { … }`",
          },
        ),
      );
      return cursor;
    }
    const twice = this.declaredOutputs.find((o) => o.name === s.name.name);
    if (twice) {
      this.report(
        diag('CNN2130', `the model already has an output named \`${s.name.name}\``, {
          span: s.name.span,
          labels: [{ span: twice.nameSpan, message: 'first declared here' }],
          help: 'give each output its own name',
        }),
      );
      return cursor;
    }
    let start: number | undefined;
    if (s.from) start = this.reference(s.from.raw, s.from.span, ctx);
    else if (this.requireCursor(cursor, s.span)) start = cursor;
    if (start === undefined) return cursor;
    let out: number | undefined = start;
    if (s.body && s.body.length > 0) {
      const prev = ctx.names.claim(s.name.name, s.name.span);
      if (prev) {
        this.report(
          diag('CNN2013', `duplicate label \`${s.name.name}\` in this scope`, {
            span: s.name.span,
            labels: [{ span: prev, message: 'first used here' }],
            help: "an output's head is named after the output: give it a name no label has",
          }),
        );
        return cursor;
      }
      const names = ctx.names.child(s.name.name, s.body);
      out = this.body(s.body, start, {
        ...ctx,
        names,
        vars: new VarScope(ctx.vars),
        inId: start,
      });
    }
    if (out !== undefined)
      this.declaredOutputs.push({
        name: s.name.name,
        id: out,
        span: s.span,
        nameSpan: s.name.span,
      });
    return cursor;
  }

  /** The node `branch from NAME` reads, or undefined (reported). */
  private reference(raw: string, span: Span, ctx: Ctx): number | undefined {
    return this.refs.resolve(raw, span, ctx.names.node, this.frameOf(ctx))?.id;
  }

  private frameOf(ctx: Ctx): NameEntry {
    return ctx.frame ?? this.rootNames.node;
  }

  // ------------------------------------------------------------ budgets and training settings

  private budget(
    limits: readonly {
      metric: { name: string; span: Span };
      op: '<=' | '<';
      value: import('../../grammar/ast.js').Expr;
      span: Span;
    }[],
    ctx: Ctx,
  ): void {
    const metrics: readonly BudgetMetric[] = [
      'params',
      'trainable',
      'macs',
      'memory',
      'activations',
    ];
    for (const l of limits) {
      const metric = l.metric.name as BudgetMetric;
      if (!metrics.includes(metric)) {
        const s = didYouMean(l.metric.name, metrics);
        this.report(
          diag('CNN4004', `unknown budget metric \`${l.metric.name}\``, {
            span: l.metric.span,
            help: s ? `did you mean \`${s}\`?` : `budgets limit: ${metrics.join(', ')}`,
            edit: suggestedEdit(l.metric.span, s),
          }),
        );
        continue;
      }
      const v = evaluateStrict(l.value, this.evalEnv(ctx));
      const limit = v ? asNumber(v) : null;
      if (limit === null) {
        if (v)
          this.report(
            diag('CNN2005', 'a budget limit must be a number such as 30M or 2GiB', {
              span: l.value.span,
            }),
          );
        continue;
      }
      this.budgets.push({ metric, strict: l.op === '<', limit, span: l.span });
    }
  }

  private trainSetting(t: SimpleStmt, ctx: Ctx): void {
    const args: (number | string | boolean)[] = [];
    for (const a of t.atoms) {
      const v = a.kind === 'Value' ? evaluateDefault(a.value, this.evalEnv(ctx)) : null;
      if (v !== null) args.push(v);
    }
    this.train.push({ key: t.head.name, args, span: t.span });
  }
}

function evaluateDefault(
  expr: import('../../grammar/ast.js').Expr,
  env: EvalEnv,
): number | string | boolean | null {
  if (expr.kind === 'Name' && env.lookup(expr.name) === undefined) return expr.name;
  const v = evaluateStrict(expr, env);
  if (!v) return null;
  if (
    v.kind === 'int' ||
    v.kind === 'float' ||
    v.kind === 'bool' ||
    v.kind === 'string' ||
    v.kind === 'word'
  )
    return v.value;
  return null;
}

function isPattern(head: string, vars: VarScope): boolean {
  return head.length > 1 && [...head].every((l) => vars.layer(l) !== undefined);
}

export type { Dim };
