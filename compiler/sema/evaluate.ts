/**
 * Evaluates expressions of block arguments, attributes, repeat counts and conditions. Unknown bare
 * names evaluate to a `word` (attribute keywords like `same` are words); an arithmetic or logical use
 * of a word is an undefined-name error.
 */
import type { Expr } from '../../grammar/ast.js';
import { diag, type Diagnostic, type Span } from '../diagnostics/diagnostic.js';
import type { Dim } from './dim.js';
import { formatDim } from './dim.js';
import { didYouMean, suggestedEdit } from './suggest.js';
import { describe, num, typeName, type Value } from './values.js';

export interface EvalEnv {
  lookup(name: string): Value | undefined;
  /** All names in scope, for did-you-mean. */
  names(): Iterable<string>;
  /** The shape of `in` (the input of the enclosing block or residual), or undefined outside one. */
  inShape(): readonly Dim[] | null | undefined;
  report(d: Diagnostic): void;
}

const IN_MEMBERS = ['channels', 'features', 'height', 'width', 'length', 'rank'] as const;

export function evaluate(expr: Expr, env: EvalEnv): Value | null {
  switch (expr.kind) {
    case 'Number':
      return num(expr.value);
    case 'String':
      return { kind: 'string', value: expr.value };
    case 'Bool':
      return { kind: 'bool', value: expr.value };
    case 'Dims':
      return {
        kind: 'dims',
        parts: expr.parts.map((p) =>
          p.kind === 'num' ? p.value : p.kind === 'sym' ? p.name : null,
        ),
      };
    case 'Name': {
      const v = env.lookup(expr.name);
      return v ?? { kind: 'word', value: expr.name };
    }
    case 'In':
      env.report(
        diag(
          'CNN2022',
          '`in` is a tensor; use `in.channels`, `in.features`, `in.height`, `in.width` or `in.length`',
          {
            span: expr.span,
          },
        ),
      );
      return null;
    case 'Member':
      return member(expr, env);
    case 'Unary': {
      const v = evaluate(expr.operand, env);
      if (v === null) return null;
      if (expr.op === '-') {
        if (v.kind === 'int' || v.kind === 'float') return num(-v.value);
        return bad(env, expr.operand.span, `cannot negate ${typeName(v)}`, v);
      }
      if (v.kind === 'bool') return { kind: 'bool', value: !v.value };
      return bad(env, expr.operand.span, `\`not\` needs a boolean; found ${typeName(v)}`, v);
    }
    case 'Binary':
      return binary(expr, env);
    case 'Cond': {
      const t = evaluate(expr.test, env);
      if (t === null) return null;
      if (t.kind !== 'bool')
        return bad(env, expr.test.span, `a condition must be a boolean; found ${typeName(t)}`, t);
      return evaluate(t.value ? expr.then : expr.otherwise, env);
    }
    case 'Call':
      return call(expr, env);
    case 'Tuple': {
      const items: Value[] = [];
      for (const item of expr.items) {
        if (item.name) {
          env.report(
            diag(
              'CNN2022',
              `named item \`${item.name.name} = …\` is only allowed in a block call`,
              {
                span: item.span,
              },
            ),
          );
          return null;
        }
        const v = evaluate(item.value, env);
        if (v === null) return null;
        items.push(v);
      }
      return { kind: 'tuple', items };
    }
  }
}

/** Like evaluate, but a bare word is an undefined-name error. */
export function evaluateStrict(expr: Expr, env: EvalEnv): Value | null {
  const v = evaluate(expr, env);
  if (v?.kind === 'word') {
    undefinedName(env, v.value, expr.span);
    return null;
  }
  return v;
}

export function undefinedName(env: EvalEnv, name: string, span: Span): void {
  const suggestion = didYouMean(name, env.names());
  env.report(
    diag('CNN2016', `\`${name}\` is not defined`, {
      span,
      spanLabel: 'not a parameter, variable or keyword here',
      help: suggestion ? `did you mean \`${suggestion}\`?` : undefined,
      edit: suggestedEdit(span, suggestion),
    }),
  );
}

function bad(env: EvalEnv, span: Span, message: string, v: Value): null {
  if (v.kind === 'word') undefinedName(env, v.value, span);
  else env.report(diag('CNN2022', message, { span }));
  return null;
}

function member(expr: Extract<Expr, { kind: 'Member' }>, env: EvalEnv): Value | null {
  if (expr.object.kind !== 'In') {
    env.report(
      diag('CNN2022', 'only `in` has members (`in.channels`, `in.height`, …)', { span: expr.span }),
    );
    return null;
  }
  const shape = env.inShape();
  const name = expr.member.name;
  if (shape === undefined) {
    env.report(
      diag('CNN2022', '`in` is only defined inside a block or a residual', {
        span: expr.object.span,
      }),
    );
    return null;
  }
  if (!(IN_MEMBERS as readonly string[]).includes(name)) {
    const s = didYouMean(name, IN_MEMBERS);
    env.report(
      diag('CNN2022', `\`in\` has no member \`${name}\``, {
        span: expr.member.span,
        help: s ? `did you mean \`in.${s}\`?` : `members: ${IN_MEMBERS.join(', ')}`,
        edit: suggestedEdit(expr.member.span, s),
      }),
    );
    return null;
  }
  if (shape === null) return null; // poisoned upstream; already reported
  if (name === 'rank') return num(shape.length);
  // `channels` and `features` are the last axis, on a map and on a flat `[N]` input alike.
  const last = name === 'channels' || name === 'features';
  const index = last
    ? shape.length - 1
    : name === 'height' || name === 'length'
      ? 0
      : shape.length === 3
        ? 1
        : -1;
  const d = index >= 0 && (last || shape.length >= 2) ? shape[index] : undefined;
  if (d === undefined) {
    env.report(diag('CNN2022', `a ${shape.length}-D input has no ${name}`, { span: expr.span }));
    return null;
  }
  if (typeof d !== 'number') {
    env.report(
      diag('CNN3010', `in.${name} is symbolic (${formatDim(d)}) and cannot be used as a number`, {
        span: expr.span,
      }),
    );
    return null;
  }
  return num(d);
}

function binary(expr: Extract<Expr, { kind: 'Binary' }>, env: EvalEnv): Value | null {
  const l = evaluate(expr.left, env);
  if (l === null) return null;
  if (expr.op === 'and' || expr.op === 'or') {
    if (l.kind !== 'bool')
      return bad(env, expr.left.span, `\`${expr.op}\` needs booleans; found ${typeName(l)}`, l);
    if (expr.op === 'and' && !l.value) return l;
    if (expr.op === 'or' && l.value) return l;
    const r = evaluate(expr.right, env);
    if (r === null) return null;
    if (r.kind !== 'bool')
      return bad(env, expr.right.span, `\`${expr.op}\` needs booleans; found ${typeName(r)}`, r);
    return r;
  }
  const r = evaluate(expr.right, env);
  if (r === null) return null;
  if (expr.op === '==' || expr.op === '!=') {
    for (const [v, e] of [
      [l, expr.left],
      [r, expr.right],
    ] as const) {
      if (v.kind === 'word') return bad(env, e.span, '', v);
    }
    const eq = describe(l) === describe(r) && (l.kind === r.kind || isNum(l) === isNum(r));
    return { kind: 'bool', value: expr.op === '==' ? eq : !eq };
  }
  if (!isNum(l))
    return bad(env, expr.left.span, `\`${expr.op}\` needs numbers; found ${typeName(l)}`, l);
  if (!isNum(r))
    return bad(env, expr.right.span, `\`${expr.op}\` needs numbers; found ${typeName(r)}`, r);
  const a = l.value;
  const b = r.value;
  switch (expr.op) {
    case '+':
      return num(a + b);
    case '-':
      return num(a - b);
    case '*':
      return num(a * b);
    case '/':
    case '%':
      if (b === 0) {
        env.report(diag('CNN2022', `division by zero`, { span: expr.right.span }));
        return null;
      }
      return num(expr.op === '/' ? a / b : a % b);
    case '<':
      return { kind: 'bool', value: a < b };
    case '<=':
      return { kind: 'bool', value: a <= b };
    case '>':
      return { kind: 'bool', value: a > b };
    case '>=':
      return { kind: 'bool', value: a >= b };
    default:
      return null;
  }
}

function isNum(v: Value): v is Extract<Value, { kind: 'int' | 'float' }> {
  return v.kind === 'int' || v.kind === 'float';
}

/**
 * `min(a, b, …)`, `max(a, b, …)` of numbers; `floor(x)`, `ceil(x)`, `round(x)` of a number, to an
 * integer (`round` rounds half to even, as Python's `round` does). torchvision's channel rounding
 * `_make_divisible(v, 8)` is `max(8, floor(v / 8 + 0.5) * 8)` (plus 8 when that is below 0.9·v).
 */
function call(expr: Extract<Expr, { kind: 'Call' }>, env: EvalEnv): Value | null {
  const name = expr.callee.name;
  const args: number[] = [];
  for (const a of expr.args) {
    if (a.name) {
      env.report(diag('CNN2022', `\`${name}\` takes no named arguments`, { span: a.name.span }));
      return null;
    }
    const v = evaluate(a.value, env);
    if (v === null) return null;
    if (!isNum(v))
      return bad(env, a.value.span, `\`${name}\` needs numbers; found ${typeName(v)}`, v);
    args.push(v.value);
  }
  const unary = name === 'floor' || name === 'ceil' || name === 'round';
  if (unary ? args.length !== 1 : args.length < 1) {
    env.report(
      diag(
        'CNN2022',
        `\`${name}\` takes ${unary ? 'one number' : 'one or more numbers'}; got ${args.length}`,
        { span: expr.span, help: unary ? `write \`${name}(x)\`` : `write \`${name}(a, b)\`` },
      ),
    );
    return null;
  }
  switch (name) {
    case 'min':
      return num(Math.min(...args));
    case 'max':
      return num(Math.max(...args));
    case 'floor':
      return num(Math.floor(args[0]));
    case 'ceil':
      return num(Math.ceil(args[0]));
    default:
      return num(roundHalfEven(args[0]));
  }
}

function roundHalfEven(x: number): number {
  const f = Math.floor(x);
  const d = x - f;
  if (d !== 0.5) return Math.round(x);
  return f % 2 === 0 ? f : f + 1;
}
