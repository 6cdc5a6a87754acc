/**
 * Elaborating compound statements: `group`, `repeat` (unrolled), `if`, `residual` (an add node
 * over the body and the shortcut) and the merges (`concat`, `add`, `multiply`, `highway` nodes
 * over their branches).
 */
import type { GroupStmt, IfStmt, MergeStmt, RepeatStmt, ResidualStmt } from '../../grammar/ast.js';
import { diag } from '../diagnostics/diagnostic.js';
import type { Ctx } from './elaborate-core.js';
import { LayerElaboration } from './elaborate-layers.js';
import { evaluateStrict } from './evaluate.js';
import { MAX_REPEAT } from './limits.js';
import { VarScope } from './scope.js';
import { asInt, asNumber, typeName } from './values.js';

/** Compound statements on top of the simple ones (elaborate-layers.ts). */
export abstract class CompoundElaboration extends LayerElaboration {
  protected group(s: GroupStmt, cursor: number | undefined, ctx: Ctx): number | undefined {
    const names = s.label ? ctx.names.child(s.label.name, s.body) : ctx.names;
    if (s.body.length === 0) {
      this.report(
        diag('CNN2026', 'empty group', { span: s.span, help: 'remove it, or add layers' }),
      );
    }
    return this.body(s.body, cursor, { ...ctx, names, vars: new VarScope(ctx.vars) });
  }

  protected repeat(s: RepeatStmt, cursor: number | undefined, ctx: Ctx): number | undefined {
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
  protected ifStmt(s: IfStmt, cursor: number | undefined, ctx: Ctx): number | undefined {
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

  protected residual(s: ResidualStmt, cursor: number | undefined, ctx: Ctx): number | undefined {
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

  protected merge(s: MergeStmt, cursor: number | undefined, ctx: Ctx): number | undefined {
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
}
