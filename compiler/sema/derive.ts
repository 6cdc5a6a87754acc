/**
 * Derived models: `model Digits = ResNet18 { input 64x64x1; freeze stem; replace head { … } }`.
 * The base's statements are rewritten at the syntax level (so the new input size and the new head go
 * through shape inference like any other statement), and each statement remembers the module its
 * names resolve in.
 */
import type { GroupStmt, ModelDecl, SimpleStmt, Stmt, Target } from '../../grammar/ast.js';
import { diag, type Diagnostic } from '../diagnostics/diagnostic.js';
import { lookupDecl, visibleNames, type Module } from './resolve.js';
import { didYouMean } from './suggest.js';

export interface Derived {
  /** The effective statements of the model. */
  readonly body: readonly Stmt[];
  /** Statements whose names resolve in another module than the model's own. */
  readonly overrides: ReadonlyMap<Stmt, Module>;
}

export function derive(
  model: ModelDecl,
  module: Module,
  report: (d: Diagnostic) => void,
  stack: readonly string[] = [],
): Derived {
  if (!model.base) return { body: model.body, overrides: new Map() };
  const baseName = model.base.name;
  if (stack.includes(baseName) || baseName === model.name.name) {
    report(
      diag(
        'CNN2009',
        `model \`${model.name.name}\` derives from itself: ${[...stack, model.name.name, baseName].join(' → ')}`,
        {
          span: model.base.span,
        },
      ),
    );
    return { body: [], overrides: new Map() };
  }
  const found = lookupDecl(module, 'models', baseName);
  if (!found) {
    const s = didYouMean(baseName, visibleNames(module, 'models'));
    report(
      diag('CNN2015', `unknown model \`${baseName}\``, {
        span: model.base.span,
        help: s
          ? `did you mean \`${s}\`?`
          : 'import the file that defines it, e.g. `import resnet`',
      }),
    );
    return { body: [], overrides: new Map() };
  }
  const base = derive(found.decl, found.module, report, [...stack, model.name.name]);
  const overrides = new Map(base.overrides);
  let body = [...base.body];
  for (const s of body) if (!overrides.has(s)) overrides.set(s, found.module);
  const own = (s: Stmt): Stmt => {
    overrides.set(s, module);
    return s;
  };

  for (const s of model.body) {
    switch (s.kind) {
      case 'Simple':
        if (s.head.name === 'input') {
          const at = body.findIndex((b) => b.kind === 'Simple' && b.head.name === 'input');
          if (at >= 0) body[at] = own(s);
          else body.unshift(own(s));
          break;
        }
        notAllowed(s, report);
        break;
      case 'Replace': {
        const replaced = replaceAt(body, s.target, s.body, own, report);
        if (replaced) body = replaced;
        break;
      }
      case 'Append':
        for (const a of s.body) body.push(own(a));
        break;
      case 'Let':
        body.unshift(own(s)); // visible to the replaced and appended statements
        break;
      case 'Freeze':
      case 'Budget':
      case 'Train':
        body.push(own(s));
        break;
      default:
        notAllowed(s, report);
    }
  }
  return { body, overrides };
}

function notAllowed(s: Stmt, report: (d: Diagnostic) => void): void {
  report(
    diag('CNN2024', 'a derived model can only change its base', {
      span: s.span,
      help: 'use input, freeze, unfreeze, replace LABEL { … }, append { … }, budget or train here',
    }),
  );
}

function labelOf(s: Stmt): string | undefined {
  return 'label' in s ? s.label?.name : undefined;
}

/** Replaces the statement at a label path (`head`, `stage4.block2`), rebuilding its parents. */
function replaceAt(
  body: readonly Stmt[],
  target: Target,
  replacement: readonly Stmt[],
  own: (s: Stmt) => Stmt,
  report: (d: Diagnostic) => void,
): Stmt[] | null {
  const path = target.raw.split('.');
  const go = (stmts: readonly Stmt[], depth: number): Stmt[] | null => {
    const seg = path[depth];
    const at = stmts.findIndex((s) => labelOf(s) === seg);
    if (at < 0) {
      const labels = stmts.map(labelOf).filter((l): l is string => l !== undefined);
      const s = didYouMean(seg, labels);
      report(
        diag('CNN2021', `nothing labelled \`${path.slice(0, depth + 1).join('.')}\` to replace`, {
          span: target.span,
          help: s
            ? `did you mean \`${[...path.slice(0, depth), s].join('.')}\`?`
            : labels.length
              ? `labels here: ${labels.join(', ')}`
              : 'replace works on labelled statements: label the part to replace, e.g. `head: { … }`',
        }),
      );
      return null;
    }
    const old = stmts[at];
    let next: Stmt;
    if (depth === path.length - 1) {
      next = own(makeReplacement(old, seg, replacement, target));
    } else if (old.kind === 'Group' || old.kind === 'Repeat' || old.kind === 'Residual') {
      const inner = go(old.body, depth + 1);
      if (!inner) return null;
      next = { ...old, body: inner } as Stmt;
    } else {
      report(
        diag(
          'CNN2021',
          `\`${path.slice(0, depth + 1).join('.')}\` has no labelled parts to replace`,
          {
            span: target.span,
          },
        ),
      );
      return null;
    }
    const out = [...stmts];
    out[at] = next;
    return out;
  };
  return go(body, 0);
}

function makeReplacement(old: Stmt, label: string, body: readonly Stmt[], target: Target): Stmt {
  const labelIdent = { kind: 'Ident' as const, name: label, span: target.span };
  const only = body.length === 1 ? body[0] : undefined;
  if (old.kind === 'Simple' && only?.kind === 'Simple' && !only.label) {
    return { ...only, label: labelIdent } satisfies SimpleStmt;
  }
  return { kind: 'Group', body, label: labelIdent, span: target.span } satisfies GroupStmt;
}
