/**
 * Reads the atoms of a layer statement (`conv 64 3x3 /2 pad 1 nobias`) into attribute values:
 * positional values in order, `/s` strides, `name=value` and `keyword value` pairs, and flags.
 * Keywords of the op take precedence over variables of the same name; any other bare name is a
 * variable. Unknown words get a did-you-mean.
 */
import type { Atom, Expr } from '../../grammar/ast.js';
import { diag, type Span } from '../diagnostics/diagnostic.js';
import type { RawAttr } from './build-attrs.js';
import { evaluate, undefinedName, type EvalEnv } from './evaluate.js';
import type { OpSpec } from './op-table.js';
import { didYouMean, suggestedEdit } from './suggest.js';
import type { VarScope } from './scope.js';

export function readAtoms(
  spec: OpSpec,
  atoms: readonly Atom[],
  env: EvalEnv,
  vars: VarScope,
): Map<string, RawAttr> | null {
  const attrs = new Map<string, RawAttr>();
  let ok = true;
  let positional = 0;

  // Own properties only: the tables are plain objects, and a word such as `constructor` or
  // `__proto__` (a block parameter) must not find Object.prototype's.
  const attrFor = (word: string): string | undefined =>
    (Object.hasOwn(spec.keywords, word) ? spec.keywords[word] : undefined) ??
    (Object.hasOwn(spec.attrs, word) ? word : undefined);

  const set = (attr: string, value: RawAttr['value'] | null, span: Span): void => {
    if (value === null) {
      ok = false;
      return;
    }
    const prev = attrs.get(attr);
    if (prev) {
      ok = false;
      env.report(
        diag('CNN2004', `\`${attr}\` of ${spec.keyword} is given twice`, {
          span,
          labels: [{ span: prev.span, message: 'first given here' }],
          help: 'remove one of them',
        }),
      );
      return;
    }
    attrs.set(attr, { value, span });
  };

  const valueOf = (attr: string, expr: Expr): RawAttr['value'] | null => {
    const v = evaluate(expr, env);
    const kind = spec.attrs[attr]?.kind;
    if (v?.kind === 'word' && kind !== 'padding' && kind !== 'word') {
      undefinedName(env, v.value, expr.span);
      return null;
    }
    return v;
  };

  const unknownWord = (word: string, span: Span): void => {
    ok = false;
    const candidates = [
      ...Object.keys(spec.flags),
      ...Object.keys(spec.keywords),
      ...Object.keys(spec.attrs),
    ];
    const torchName = Object.hasOwn(TORCH_NAMES, word) ? TORCH_NAMES[word] : undefined;
    const s =
      torchName !== undefined && candidates.includes(torchName)
        ? torchName
        : didYouMean(word, [...candidates, ...vars.names()]);
    // Each word once (`bias` is a flag and an attribute), valued keywords (`pad`) included.
    const known = [
      ...new Set([
        ...Object.keys(spec.flags),
        ...Object.keys(spec.keywords),
        ...Object.keys(spec.attrs),
      ]),
    ].filter((k) => !spec.positional.includes(k));
    env.report(
      diag('CNN2002', `${spec.keyword} has no attribute \`${word}\``, {
        span,
        help: s
          ? `did you mean \`${s}\`?`
          : known.length
            ? `${spec.keyword} takes: ${known.join(', ')}`
            : `${spec.keyword} takes no attributes`,
        edit: suggestedEdit(span, s),
      }),
    );
  };

  for (let i = 0; i < atoms.length; i++) {
    const atom = atoms[i];
    if (atom.kind === 'Stride') {
      if (!spec.strideAttr) {
        ok = false;
        env.report(
          diag(
            'CNN2002',
            `${spec.keyword} has no stride; \`/${exprText(atom.value)}\` does not apply`,
            {
              span: atom.span,
            },
          ),
        );
        continue;
      }
      strideAfterSubtraction(atoms[i - 1], atom, env);
      set(spec.strideAttr, valueOf(spec.strideAttr, atom.value), atom.span);
      continue;
    }
    if (atom.kind === 'Named') {
      const attr = attrFor(atom.name.name);
      if (!attr) {
        const flag = spec.flags[atom.name.name];
        if (flag) set(flag.attr, valueOf(flag.attr, atom.value), atom.span);
        else unknownWord(atom.name.name, atom.name.span);
        continue;
      }
      set(attr, valueOf(attr, atom.value), atom.span);
      continue;
    }
    const expr = atom.value;
    if (expr.kind === 'Name') {
      const word = expr.name;
      const flag = Object.hasOwn(spec.flags, word) ? spec.flags[word] : undefined;
      if (flag) {
        set(flag.attr, flag.value, atom.span);
        continue;
      }
      const attr = attrFor(word);
      if (attr && !spec.positional.includes(word)) {
        const next = atoms[i + 1];
        if (!next || next.kind !== 'Value') {
          ok = false;
          env.report(
            diag('CNN2003', `\`${word}\` needs a value`, {
              span: atom.span,
              help: `for example \`${word} ${exampleFor(spec, attr)}\``,
            }),
          );
          continue;
        }
        i++;
        set(attr, valueOf(attr, next.value), { ...atom.span, end: next.span.end });
        continue;
      }
      if (vars.value(word) === undefined) {
        unknownWord(word, atom.span);
        continue;
      }
    }
    if (
      expr.kind === 'Binary' &&
      expr.op === '-' &&
      expr.left.kind === 'Name' &&
      attrFor(expr.left.name)
    ) {
      ok = false;
      env.report(
        diag(
          'CNN2030',
          `\`${exprText(expr)}\` reads as a subtraction; \`${expr.left.name}\` cannot be negative`,
          {
            span: atom.span,
            help: `write a value of zero or more, e.g. \`${expr.left.name} 1\``,
          },
        ),
      );
      continue;
    }
    const attr = spec.positional[positional];
    if (attr === undefined) {
      ok = false;
      env.report(
        diag(
          'CNN2006',
          `unexpected value \`${exprText(expr)}\`: ${spec.keyword} takes ${describePositional(spec)}`,
          {
            span: atom.span,
          },
        ),
      );
      continue;
    }
    positional++;
    set(attr, valueOf(attr, expr), atom.span);
  }
  return ok ? attrs : null;
}

/**
 * `pad (k - 1) /2` is padding k − 1 and stride 2, though it reads as `(k − 1) / 2`: a note (CNN2100)
 * when a `/` stride follows a parenthesised value that ends in a subtraction.
 */
function strideAfterSubtraction(prev: Atom | undefined, stride: Atom, env: EvalEnv): void {
  if (prev?.kind !== 'Value' && prev?.kind !== 'Named') return;
  const v = prev.value;
  const parenthesised = v.span.end < prev.span.end;
  if (!parenthesised || v.kind !== 'Binary' || v.op !== '-') return;
  const inner = exprText(v);
  const by = exprText(stride.value);
  env.report(
    diag('CNN2100', `\`/${by}\` here is a stride of ${by}, not a division of \`(${inner})\``, {
      span: stride.span,
      labels: [{ span: prev.span, message: `this value is \`${inner}\` as written` }],
      notes: ['a slash with a space before it and none after is the stride shorthand'],
      help: `to divide, write \`(${inner}) / ${by}\` or \`((${inner}) / ${by})\`; to keep the stride, write \`stride=${by}\``,
    }),
  );
}

/** PyTorch's argument names that are too far from ours for edit distance: `ceil_mode` → `ceil`. */
const TORCH_NAMES: Readonly<Record<string, string>> = {
  ceil_mode: 'ceil',
  kernel_size: 'kernel',
  out_channels: 'filters',
  out_features: 'units',
};

function describePositional(spec: OpSpec): string {
  if (spec.positional.length === 0) return 'no positional values';
  return `${spec.positional.length} positional value${spec.positional.length > 1 ? 's' : ''} (${spec.positional.join(', ')})`;
}

function exampleFor(spec: OpSpec, attr: string): string {
  switch (spec.attrs[attr]?.kind) {
    case 'padding':
    case 'pads':
      return '1';
    case 'spatial':
      return '2';
    case 'bool':
      return 'true';
    case 'number':
      return '0.1';
    default:
      return '1';
  }
}

/** Source-like text of an expression, for messages. */
export function exprText(e: Expr): string {
  switch (e.kind) {
    case 'Number':
    case 'Dims':
      return e.raw;
    case 'Name':
      return e.name;
    case 'String':
      return JSON.stringify(e.value);
    case 'Bool':
      return String(e.value);
    case 'In':
      return 'in';
    case 'Member':
      return `${exprText(e.object)}.${e.member.name}`;
    case 'Unary':
      return e.op === '-' ? `-${exprText(e.operand)}` : `not ${exprText(e.operand)}`;
    case 'Binary':
      return `${exprText(e.left)} ${e.op} ${exprText(e.right)}`;
    case 'Cond':
      return `if ${exprText(e.test)} then ${exprText(e.then)} else ${exprText(e.otherwise)}`;
    case 'Call':
      return `${e.callee.name}(${e.args.map((a) => exprText(a.value)).join(', ')})`;
    case 'Tuple':
      return `(${e.items.map((a) => (a.name ? `${a.name.name} = ` : '') + exprText(a.value)).join(', ')})`;
  }
}
