/** Binds the arguments of a block call (`basic(128, stride = 2)`) to the block's typed parameters. */
import type { Arg, BlockDecl, BlockParam, SimpleStmt } from '../../grammar/ast.js';
import { diag, type Diagnostic } from '../diagnostics/diagnostic.js';
import { evaluate, undefinedName, type EvalEnv } from './evaluate.js';
import type { Module } from './resolve.js';
import { VarScope } from './scope.js';
import { didYouMean, suggestedEdit } from './suggest.js';
import { asInt, asInts, describe, num, typeName, type Value } from './values.js';

export function bindArgs(
  block: BlockDecl,
  call: SimpleStmt,
  env: EvalEnv,
  _module: Module,
  report: (d: Diagnostic) => void,
): VarScope | null {
  const name = block.name.name;
  const signature = `${name}(${block.params.map((p) => `${p.name.name}: ${p.type}${p.default ? ' = …' : ''}`).join(', ')})`;
  let args: readonly Arg[] = [];
  const [first, ...rest] = call.atoms;
  if (first) {
    // `c(3, 1)`: the parentheses are the tuple's; `c((3, 1))`: one tuple argument inside them.
    if (
      first.kind === 'Value' &&
      first.value.kind === 'Tuple' &&
      first.value.span.start === first.span.start
    )
      args = first.value.items;
    else if (first.kind === 'Value') args = [{ value: first.value, span: first.span }];
    else {
      report(
        diag('CNN2006', `a block call takes its arguments in parentheses: \`${name}(…)\``, {
          span: first.span,
        }),
      );
      return null;
    }
  }
  if (rest.length) {
    report(
      diag('CNN2006', `unexpected values after the arguments of \`${name}\``, {
        span: rest[0].span,
        help: `put every argument inside the parentheses: ${signature}`,
      }),
    );
    return null;
  }

  const scope = new VarScope();
  const given = new Map<string, { arg: Arg; value: Value }>();
  let ok = true;
  let position = 0;
  let sawNamed = false;
  for (const arg of args) {
    let param: BlockParam | undefined;
    if (arg.name) {
      sawNamed = true;
      param = block.params.find((p) => p.name.name === arg.name!.name);
      if (!param) {
        const s = didYouMean(
          arg.name.name,
          block.params.map((p) => p.name.name),
        );
        report(
          diag('CNN2007', `block \`${name}\` has no parameter \`${arg.name.name}\``, {
            span: arg.name.span,
            labels: [{ span: block.name.span, message: `${signature} is defined here` }],
            help: s
              ? `did you mean \`${s}\`?`
              : `parameters: ${block.params.map((p) => p.name.name).join(', ') || 'none'}`,
            edit: suggestedEdit(arg.name.span, s),
          }),
        );
        ok = false;
        continue;
      }
    } else {
      if (sawNamed) {
        report(
          diag('CNN2006', 'a positional argument cannot follow a named one', { span: arg.span }),
        );
        ok = false;
        continue;
      }
      param = block.params[position++];
      if (!param) {
        report(
          diag(
            'CNN2006',
            `block \`${name}\` takes ${block.params.length} argument${block.params.length === 1 ? '' : 's'}; got ${args.length}`,
            {
              span: arg.span,
              labels: [{ span: block.name.span, message: `${signature} is defined here` }],
            },
          ),
        );
        ok = false;
        continue;
      }
    }
    if (given.has(param.name.name)) {
      report(
        diag('CNN2004', `argument \`${param.name.name}\` is given twice`, {
          span: arg.span,
          labels: [{ span: given.get(param.name.name)!.arg.span, message: 'first given here' }],
        }),
      );
      ok = false;
      continue;
    }
    const value = evaluate(arg.value, env);
    if (!value) {
      ok = false;
      continue;
    }
    const converted = convert(value, param);
    if (converted === null) {
      if (value.kind === 'word' && param.type !== 'string')
        undefinedName(env, value.value, arg.value.span);
      else {
        report(
          diag(
            'CNN2008',
            `\`${param.name.name}\` of \`${name}\` is ${param.type}; got ${typeName(value)} (${describe(value)})`,
            {
              span: arg.value.span,
              labels: [{ span: param.typeSpan, message: `declared ${param.type} here` }],
            },
          ),
        );
      }
      ok = false;
      continue;
    }
    given.set(param.name.name, { arg, value: converted });
  }
  if (!ok) return null;

  // Defaults evaluate in order and may use earlier parameters.
  for (const p of block.params) {
    const g = given.get(p.name.name);
    if (g) {
      scope.setValue(p.name.name, g.value);
      continue;
    }
    if (!p.default) {
      report(
        diag('CNN2006', `block \`${name}\` needs \`${p.name.name}\` (${p.type})`, {
          span: call.span,
          labels: [{ span: p.span, message: 'declared here without a default' }],
          help: `call it as ${signature}`,
        }),
      );
      ok = false;
      continue;
    }
    const defEnv: EvalEnv = { ...env, lookup: (n) => scope.value(n), names: () => scope.names() };
    const value = evaluate(p.default, defEnv);
    const converted = value && convert(value, p);
    if (!converted) {
      if (value) {
        report(
          diag('CNN2008', `the default of \`${p.name.name}\` is not ${p.type}`, {
            span: p.default.span,
          }),
        );
      }
      ok = false;
      continue;
    }
    scope.setValue(p.name.name, converted);
  }
  return ok ? scope : null;
}

function convert(v: Value, p: BlockParam): Value | null {
  switch (p.type) {
    case 'int': {
      const i = asInt(v);
      return i === null ? null : { kind: 'int', value: i };
    }
    case 'float':
      return v.kind === 'int' || v.kind === 'float' ? { kind: 'float', value: v.value } : null;
    case 'bool':
      return v.kind === 'bool' ? v : null;
    case 'dims': {
      // `3x3` as written, `(3, 1)` as a size; one integer is the same size on every axis.
      if (v.kind === 'dims' || asInt(v) !== null) return v.kind === 'dims' ? v : num(asInt(v)!);
      const parts = v.kind === 'tuple' ? asInts(v) : null;
      return parts && parts.length > 0 ? { kind: 'dims', parts } : null;
    }
    case 'string':
      return v.kind === 'string'
        ? v
        : v.kind === 'word'
          ? { kind: 'string', value: v.value }
          : null;
  }
}
