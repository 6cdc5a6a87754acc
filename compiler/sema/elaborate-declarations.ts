/**
 * Elaborating the statements that declare something about the model rather than add a layer in
 * line: `output NAME` (a named output and its head), `budget` limits and `train` settings.
 */
import type { OutputStmt, SimpleStmt } from '../../grammar/ast.js';
import { diag, type Span } from '../diagnostics/diagnostic.js';
import type { BudgetMetric } from '../ir/graph.js';
import type { Ctx } from './elaborate-core.js';
import { CompoundElaboration } from './elaborate-compound.js';
import { evaluateStrict, type EvalEnv } from './evaluate.js';
import { VarScope } from './scope.js';
import { didYouMean, suggestedEdit } from './suggest.js';
import { asNumber } from './values.js';

/** Outputs, budgets and training settings on top of the compound statements (elaborate-compound.ts). */
export abstract class DeclarationElaboration extends CompoundElaboration {
  /**
   * `output NAME [from REF] [{ … }]`: records a named output and passes its input through. Only in
   * the model's own statements (an `if` there included), never inside a group, branch or block
   * call: an output is the model's, and a block called twice would make two of the same name.
   */
  protected output(s: OutputStmt, cursor: number | undefined, ctx: Ctx): number | undefined {
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

  // ------------------------------------------------------------ budgets and training settings

  protected budget(
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

  protected trainSetting(t: SimpleStmt, ctx: Ctx): void {
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
