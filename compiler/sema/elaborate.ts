/**
 * Elaboration: a model's statements (after derivation) become IR nodes. Blocks are expanded with
 * their arguments, repeats unrolled, letter patterns expanded, residuals and merges turned into
 * add/concat/multiply nodes, and every node gets its hierarchical name and source span.
 *
 * This file holds the statement dispatch and the finished graph; the statements themselves are
 * elaborated in elaborate-layers.ts, elaborate-compound.ts and elaborate-declarations.ts, over the
 * shared state and steps of elaborate-core.ts.
 */
import type { Stmt } from '../../grammar/ast.js';
import { assertNever } from '../../grammar/ast.js';
import { diag } from '../diagnostics/diagnostic.js';
import type { Graph } from '../ir/graph.js';
import { IR_VERSION } from '../ir/graph.js';
import type { Ctx } from './elaborate-core.js';
import { DeclarationElaboration } from './elaborate-declarations.js';
import type { Dim } from './dim.js';
import { evaluateStrict } from './evaluate.js';
import { applyFreezes } from './freeze.js';
import { expansionLimit, expansionTooLarge } from './limits.js';
import type { Module } from './resolve.js';
import { modelOutputs } from './outputs.js';
import { VarScope } from './scope.js';

export { MAX_NODES, MAX_REPEAT } from './limits.js';

export class Elaborator extends DeclarationElaboration {
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
}

export type { Dim };
