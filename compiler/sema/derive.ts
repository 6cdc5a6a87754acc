/**
 * Derived models: `model Digits = ResNet18 { input 64x64x1; freeze stem; cut after stage3;
 * replace head { … }; append { … } }`. The base's statements are rewritten at the syntax level (so
 * the new input size and the new head go through shape inference like any other statement), in
 * the order the derived model gives them, and each statement remembers the module its names
 * resolve in. `cut` and `replace` find their layer by its IR name in a trial elaboration of the
 * model so far (surgery.ts), so they reach into block calls and repeats; a `replace` target that
 * names no layer falls back to a path of labels (`replace stage2.conv1` in every iteration).
 */
import type {
  CutStmt,
  FreezeStmt,
  GroupStmt,
  ModelDecl,
  ReplaceStmt,
  SimpleStmt,
  Stmt,
  Target,
} from '../../grammar/ast.js';
import { diag, type Diagnostic, type Span } from '../diagnostics/diagnostic.js';
import type { Node } from '../ir/graph.js';
import { Elaborator } from './elaborate.js';
import { matchTarget, suggestTarget } from './freeze.js';
import { lookupDecl, visibleNames, type Module } from './resolve.js';
import { didYouMean, suggestedEdit } from './suggest.js';
import { operate } from './surgery.js';

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
        edit: suggestedEdit(model.base.span, s),
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
        for (const r of s.body) own(r);
        const byName = replaceByName(s, body, { model, module, overrides, report });
        if (byName === 'failed') break;
        const replaced = byName ?? replaceAt(body, s, own, report);
        if (replaced) body = replaced;
        break;
      }
      case 'Cut': {
        const cut = cutAt(s, body, { model, module, overrides, report });
        if (cut) body = cut;
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
      help: 'use input, cut after NAME, freeze, unfreeze, replace NAME { … }, append { … }, budget or train here',
    }),
  );
}

function labelOf(s: Stmt): string | undefined {
  return 'label' in s ? s.label?.name : undefined;
}

interface Surgeon {
  readonly model: ModelDecl;
  readonly module: Module;
  readonly overrides: Map<Stmt, Module>;
  readonly report: (d: Diagnostic) => void;
}

/** The nodes of the model as it stands (its diagnostics are the final elaboration's business). */
function trialNodes(body: readonly Stmt[], s: Surgeon): readonly Node[] {
  const elaborator = new Elaborator(s.model, { body, overrides: s.overrides });
  return elaborator.run(s.module).nodes;
}

function under(nodes: readonly Node[], name: string): Node[] {
  return nodes.filter((n) => n.name === name || n.name.startsWith(`${name}.`));
}

/**
 * `replace NAME { … }` where NAME is a layer or scope of the model: the statement that makes it,
 * found in a trial elaboration; undefined when NAME names nothing (the caller tries a label path).
 */
function replaceByName(
  s: ReplaceStmt,
  body: readonly Stmt[],
  surgeon: Surgeon,
): Stmt[] | 'failed' | undefined {
  if (/\*|\.\./.test(s.target.raw)) return undefined;
  const nodes = trialNodes(body, surgeon);
  const x = under(nodes, s.target.raw)[0];
  if (!x) return undefined;
  const op = {
    kind: 'replace' as const,
    target: s.target.raw,
    body: s.body,
    span: s.span,
    labelSpan: s.target.span,
  };
  const out = operate(body, surgeon.module, nodes, x, op, surgeon.overrides);
  if (!Array.isArray(out)) {
    surgeon.report(
      diag('CNN2021', `cannot replace \`${s.target.raw}\`: ${out.failure}`, {
        span: s.target.span,
        help: out.help,
      }),
    );
    return 'failed';
  }
  return out;
}

/** `cut after NAME` / `cut before NAME`: the model ends at (or just before) the layer or scope. */
function cutAt(s: CutStmt, body: readonly Stmt[], surgeon: Surgeon): Stmt[] | null {
  const raw = s.target.raw;
  if (/\*|\.\./.test(raw)) {
    surgeon.report(
      diag(
        'CNN2040',
        `\`cut ${s.where} ${raw}\` needs the name of one layer or scope, not a pattern`,
        {
          span: s.target.span,
          help: 'name the layer, e.g. `cut after block_13.expand_relu`',
        },
      ),
    );
    return null;
  }
  const nodes = trialNodes(body, surgeon);
  const named = under(nodes, raw);
  if (named.length === 0) {
    surgeon.report(
      diag('CNN2040', `no layer named \`${raw}\` to cut ${s.where}`, {
        span: s.target.span,
        help: suggestTarget(raw, nodes),
      }),
    );
    return null;
  }
  const x = s.where === 'after' ? named[named.length - 1] : named[0];
  const out = operate(
    body,
    surgeon.module,
    nodes,
    x,
    { kind: 'cut', where: s.where },
    surgeon.overrides,
  );
  if (!Array.isArray(out)) {
    surgeon.report(
      diag('CNN2041', `cannot cut ${s.where} \`${raw}\`: ${out.failure}`, {
        span: s.target.span,
        help: out.help,
      }),
    );
    return null;
  }
  // Inherited freeze markers keep what they still match among the layers that stay.
  const kept = nodes.slice(0, s.where === 'after' ? x.id + 1 : x.id);
  const result: Stmt[] = [];
  for (const st of out) {
    if (st.kind !== 'Freeze' || surgeon.model.body.includes(st)) {
      result.push(st);
      continue;
    }
    const pruned = pruneFreeze(st, kept);
    if (pruned === st) result.push(st);
    else if (pruned) {
      const m = surgeon.overrides.get(st);
      if (m) surgeon.overrides.set(pruned, m);
      result.push(pruned);
    }
  }
  return result;
}

/** A freeze statement reduced to the targets that match kept layers; a range loses its dropped end. */
function pruneFreeze(st: FreezeStmt, kept: readonly Node[]): FreezeStmt | null {
  const targets: Target[] = [];
  for (const t of st.targets) {
    const ids = matchTarget(t.raw, kept);
    if (ids && ids.length > 0) {
      targets.push(t);
      continue;
    }
    const range = t.raw.indexOf('..');
    if (range < 0) continue;
    const from = t.raw.slice(0, range);
    if (from === '' || (matchTarget(from, kept)?.length ?? 0) > 0)
      targets.push({ raw: `${from}..`, span: t.span });
  }
  if (targets.length === st.targets.length && targets.every((t, i) => t === st.targets[i]))
    return st;
  return targets.length ? { ...st, targets } : null;
}

/** Replaces the statement at a label path (`head`, `stage4.block2`), rebuilding its parents. */
function replaceAt(
  body: readonly Stmt[],
  s: ReplaceStmt,
  own: (s: Stmt) => Stmt,
  report: (d: Diagnostic) => void,
): Stmt[] | null {
  const target = s.target;
  const replacement = s.body;
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
      next = own(makeReplacement(old, seg, replacement, target.span, s.span));
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

/** The statement standing for a replaced one; a group spans the whole `replace`, its body inside. */
function makeReplacement(
  old: Stmt,
  label: string,
  body: readonly Stmt[],
  labelSpan: Span,
  span: Span,
): Stmt {
  const labelIdent = { kind: 'Ident' as const, name: label, span: labelSpan };
  const only = body.length === 1 ? body[0] : undefined;
  if (old.kind === 'Simple' && only?.kind === 'Simple' && !only.label) {
    return { ...only, label: labelIdent } satisfies SimpleStmt;
  }
  return { kind: 'Group', body, label: labelIdent, span } satisfies GroupStmt;
}
