/**
 * Elaborating simple statements: a layer (its atoms read and its attributes built), the model's
 * input, a block call (its arguments bound, its body expanded in its own name scope), a `let`
 * binding and a letter pattern; an unknown head gets its diagnostic here.
 */
import type { BlockDecl, SimpleStmt } from '../../grammar/ast.js';
import { diag, type Diagnostic, type Span } from '../diagnostics/diagnostic.js';
import { buildAttrs } from './build-attrs.js';
import { bindArgs } from './call.js';
import { withCallNotes } from './call-notes.js';
import { ElaborationCore, type Ctx } from './elaborate-core.js';
import { evaluateStrict } from './evaluate.js';
import { readAtoms } from './layer-atoms.js';
import { allOpWords, lookupOp, type OpSpec } from './op-table.js';
import { lookupDecl, visibleNames, type Module } from './resolve.js';
import { VarScope } from './scope.js';
import { didYouMean, suggestedEdit } from './suggest.js';

/** Simple statements on top of the core (elaborate-core.ts). */
export abstract class LayerElaboration extends ElaborationCore {
  protected simple(s: SimpleStmt, cursor: number | undefined, ctx: Ctx): number | undefined {
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
}

function isPattern(head: string, vars: VarScope): boolean {
  return head.length > 1 && [...head].every((l) => vars.layer(l) !== undefined);
}
