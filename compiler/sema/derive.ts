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
import { ElaborationBudget } from './limits.js';
import { matchTarget, suggestTarget } from './freeze.js';
import { lookupDecl, visibleNames, type Module } from './resolve.js';
import { didYouMean, suggestedEdit } from './suggest.js';
import { operate } from './surgery.js';

export interface Derived {
  /** The effective statements of the model. */
  readonly body: readonly Stmt[];
  /**
   * The module each statement's names resolve in, where it is not the model's own. Which module a
   * statement belongs to is a fact of the statement (the file it was written in, or the overlay a
   * surgery made for it), so one map serves every model of a compilation.
   */
  readonly overrides: ReadonlyMap<Stmt, Module>;
  /** The base could not be derived (unknown, or a cycle): already reported, nothing more to say. */
  readonly broken?: true;
}

interface Link {
  readonly model: ModelDecl;
  readonly module: Module;
}

/**
 * The derived models of one compilation, each derived once: a chain of n derived models costs n
 * derivations, not n² (each used to derive its whole chain again), and the statements' modules live
 * in one map instead of a copy per link. A derivation's diagnostics are reported once, with the
 * first model that needs it.
 */
export class Derivations {
  private readonly done = new Map<ModelDecl, Derived>();
  private readonly overrides = new Map<Stmt, Module>();

  /** `budget` counts the nodes of the trial elaborations of `cut` and `replace`. */
  constructor(private readonly budget = new ElaborationBudget()) {}

  derive(model: ModelDecl, module: Module, report: (d: Diagnostic) => void): Derived {
    const cached = this.done.get(model);
    if (cached) return cached;
    // Walk down the chain of bases (iteratively: a chain may be thousands long) to one already
    // derived, one without a base, or one that cannot be derived.
    const chain: Link[] = [];
    const onChain = new Set<ModelDecl>();
    let link: Link = { model, module };
    let bottom: Derived;
    for (;;) {
      chain.push(link);
      onChain.add(link.model);
      const base = link.model.base;
      if (!base) {
        bottom = { body: link.model.body, overrides: this.overrides };
        chain.pop();
        this.done.set(link.model, bottom);
        break;
      }
      const found = lookupDecl(link.module, 'models', base.name);
      if (!found) {
        report(unknownBase(link.model, link.module));
        bottom = { body: [], overrides: this.overrides, broken: true };
        break;
      }
      if (onChain.has(found.decl)) {
        const names = [...chain.map((l) => l.model.name.name), base.name];
        report(
          diag(
            'CNN2009',
            `model \`${link.model.name.name}\` derives from itself: ${names.slice(names.indexOf(base.name)).join(' → ')}`,
            {
              span: base.span,
            },
          ),
        );
        bottom = { body: [], overrides: this.overrides, broken: true };
        break;
      }
      const known = this.done.get(found.decl);
      if (known) {
        bottom = known;
        break;
      }
      link = { model: found.decl, module: found.module };
    }
    // Derive back up the chain, each link from the one below it.
    let below = bottom;
    for (let i = chain.length - 1; i >= 0; i--) {
      const { model: m, module: mod } = chain[i];
      const tools: Tools = { overrides: this.overrides, report, budget: this.budget };
      const derived = below.broken
        ? { ...applyOwn(m, mod, [], tools), broken: true as const }
        : applyOwn(m, mod, below.body, tools, lookupDecl(mod, 'models', m.base!.name)!.module);
      this.done.set(m, derived);
      below = derived;
    }
    return below;
  }
}

function unknownBase(model: ModelDecl, module: Module): Diagnostic {
  const baseName = model.base!.name;
  const s = didYouMean(baseName, visibleNames(module, 'models'));
  return diag('CNN2015', `unknown model \`${baseName}\``, {
    span: model.base!.span,
    help: s ? `did you mean \`${s}\`?` : 'import the file that defines it, e.g. `import resnet`',
    edit: suggestedEdit(model.base!.span, s),
  });
}

/** One derivation outside a compilation (a fresh set of derivations). */
export function derive(model: ModelDecl, module: Module, report: (d: Diagnostic) => void): Derived {
  return new Derivations().derive(model, module, report);
}

/** The model's own statements applied, in order, to its base's body. */
function applyOwn(
  model: ModelDecl,
  module: Module,
  baseBody: readonly Stmt[],
  tools: Tools,
  baseModule?: Module,
): Derived {
  const { overrides, report } = tools;
  const surgeon: Surgeon = { ...tools, model, module };
  let body = [...baseBody];
  if (baseModule) for (const s of body) if (!overrides.has(s)) overrides.set(s, baseModule);
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
        const byName = replaceByName(s, body, surgeon);
        if (byName === 'failed') break;
        const replaced = byName ?? replaceAt(body, s, own, report);
        if (replaced) body = replaced;
        break;
      }
      case 'Cut': {
        const cut = cutAt(s, body, surgeon);
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

/** What a derivation works with. */
interface Tools {
  readonly overrides: Map<Stmt, Module>;
  readonly report: (d: Diagnostic) => void;
  readonly budget: ElaborationBudget;
}

interface Surgeon extends Tools {
  readonly model: ModelDecl;
  readonly module: Module;
}

/** The nodes of the model as it stands (its diagnostics are the final elaboration's business). */
function trialNodes(body: readonly Stmt[], s: Surgeon): readonly Node[] {
  const elaborator = new Elaborator(s.model, { body, overrides: s.overrides }, s.budget);
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
