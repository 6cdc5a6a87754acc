/**
 * Surgery on a derived model's statements at a layer named as the IR names it: `cut after
 * block_13.expand_relu`, `cut before head`, `replace stage2.0.conv1 { … }`.
 *
 * The base is elaborated once as it stands (a trial graph), the named node is found, and its chain
 * of statements is followed from the model's body down: through groups, residual bodies, merge
 * branches, repeat iterations (unrolled into groups that keep the names: `stage.1` for a labelled
 * repeat, the shared scope for an unlabelled one) and block calls (the call gets a copy of its block
 * with the changed body, visible to that call only, so other calls of the block are untouched).
 * Statements are matched to nodes by spans: a node keeps the span of its layer statement and the
 * spans of the block calls it came through (`callSites`). Names do not change: what is kept is
 * elaborated exactly as before.
 */
import type { Expr, GroupStmt, Ident, LetStmt, SimpleStmt, Stmt } from '../../grammar/ast.js';
import type { Span } from '../diagnostics/diagnostic.js';
import type { Node } from '../ir/graph.js';
import { lookupOp } from './op-table.js';
import { lookupDecl, type Module } from './resolve.js';

export type Surgery =
  | { readonly kind: 'cut'; readonly where: 'after' | 'before' }
  /** Replace the statement whose layer or scope is named `target` by `body`. */
  | {
      readonly kind: 'replace';
      readonly target: string;
      readonly body: readonly Stmt[];
      readonly span: Span;
      readonly labelSpan: Span;
    };

/** Why the surgery cannot be done, for a diagnostic. */
export interface SurgeryFailure {
  readonly failure: string;
  readonly help?: string;
}

interface Level {
  readonly body: readonly Stmt[];
  /** The module the level's statements resolve in, unless overridden. */
  readonly module: Module;
  /** The nodes this execution of the body made, in order. */
  readonly cand: readonly Node[];
  /** Index into `callSites` for statements at this level. */
  readonly callDepth: number;
  /** Name segments of this level's scope. */
  readonly segs: number;
  readonly kind: 'model' | 'block' | 'inner';
}

class Failure {
  constructor(
    readonly failure: string,
    readonly help?: string,
  ) {}
}

type Out = Stmt[] | Failure;

/**
 * The model's body after the surgery on the node `x` of the trial graph (whose nodes are `nodes`),
 * or why it cannot be done. `overrides` gains the modules of the statements it creates.
 */
export function operate(
  body: readonly Stmt[],
  rootModule: Module,
  nodes: readonly Node[],
  x: Node,
  op: Surgery,
  overrides: Map<Stmt, Module>,
): Stmt[] | SurgeryFailure {
  const walker = new Walker(x, op, overrides);
  const out = walker.level({
    body,
    module: rootModule,
    cand: nodes,
    callDepth: 0,
    segs: 0,
    kind: 'model',
  });
  return out instanceof Failure ? { failure: out.failure, help: out.help } : out;
}

function within(inner: Span, outer: Span): boolean {
  return inner.file === outer.file && outer.start <= inner.start && inner.end <= outer.end;
}

function sameSpan(a: Span, b: Span): boolean {
  return a.file === b.file && a.start === b.start && a.end === b.end;
}

/** The span that places a node among the statements at block depth `depth`. */
function keySpan(n: Node, depth: number): Span {
  return n.callSites && n.callSites.length > depth ? n.callSites[depth] : n.span;
}

function label(s: Stmt): Ident | undefined {
  return 'label' in s ? s.label : undefined;
}

function ident(name: string, span: Span): Ident {
  return { kind: 'Ident', name, span };
}

function numberExpr(value: number, span: Span): Expr {
  return { kind: 'Number', value, raw: String(value), span };
}

function letIndex(index: Ident | undefined, k: number, span: Span): LetStmt[] {
  if (!index) return [];
  const expr = numberExpr(k, span);
  return [
    {
      kind: 'Let',
      bindings: [{ name: index, value: { kind: 'Expr', expr, span }, span }],
      span,
    },
  ];
}

function group(body: readonly Stmt[], span: Span, name?: Ident): GroupStmt {
  return name ? { kind: 'Group', body, label: name, span } : { kind: 'Group', body, span };
}

/** Statements that make no nodes and are kept after a cut at the top level. */
function isSetting(s: Stmt): boolean {
  return s.kind === 'Let' || s.kind === 'Freeze' || s.kind === 'Budget' || s.kind === 'Train';
}

class Walker {
  constructor(
    private readonly x: Node,
    private readonly op: Surgery,
    private readonly overrides: Map<Stmt, Module>,
  ) {}

  private modOf(s: Stmt, level: Level): Module {
    return this.overrides.get(s) ?? level.module;
  }

  level(level: Level): Out {
    const { x, op } = this;
    const key = keySpan(x, level.callDepth);
    const hits = level.body.filter((s) => within(key, s.span));
    if (hits.length !== 1) return this.lost();
    const d = hits[0];
    const at = level.body.indexOf(d);
    const candD = level.cand.filter((n) => within(keySpan(n, level.callDepth), d.span));
    const before = level.body.slice(0, at);
    const after = level.body.slice(at + 1);
    const mod = this.modOf(d, level);
    const whole = (repl: readonly Stmt[]): Stmt[] => {
      for (const s of repl) if (!this.overrides.has(s)) this.overrides.set(s, mod);
      if (op.kind === 'replace') return [...before, ...repl, ...after];
      return [...before, ...repl, ...(level.kind === 'model' ? after.filter(isSetting) : [])];
    };

    if (d.kind === 'Output' && op.kind === 'cut') {
      // A head hangs off the main path, which goes on after it: the model cannot end inside it.
      return new Failure(
        `\`${x.name}\` is in the head of the output \`${d.name.name}\`, off the main path`,
        `cut at a layer of the main path, or change the head with \`replace ${d.name.name} { … }\``,
      );
    }
    if (op.kind === 'cut') {
      if (op.where === 'after' && candD[candD.length - 1] === x) return whole([d]);
      if (op.where === 'before' && candD[0] === x) return whole([]);
    } else if (this.nameOf(d, level, candD) === op.target) {
      return whole(this.replacement(d, op));
    }

    switch (d.kind) {
      case 'Simple':
        return this.simple(d, level, candD, mod, whole);
      case 'Group': {
        const inner = this.level({
          body: d.body,
          module: mod,
          cand: candD,
          callDepth: level.callDepth,
          segs: level.segs + (d.label ? 1 : 0),
          kind: 'inner',
        });
        if (inner instanceof Failure) return inner;
        return whole(inner.length ? [{ ...d, body: inner }] : []);
      }
      case 'Residual':
        return this.residual(d, level, candD, mod, before, whole);
      case 'Repeat':
        return this.repeat(d, level, candD, mod, whole);
      case 'Merge': {
        if (op.kind === 'cut') {
          return new Failure(
            `\`${x.name}\` is inside a branch of \`${d.op}\`, which needs its other branches too`,
            `cut before or after the whole \`${d.op}\``,
          );
        }
        const k = d.branches.findIndex((b) => within(keySpan(x, level.callDepth), b.span));
        if (k < 0) return this.join(`\`${d.op}\``);
        const inner = this.level({
          body: d.branches[k].body,
          module: mod,
          cand: candD,
          callDepth: level.callDepth,
          segs: level.segs + (d.label ? 1 : 0) + 1,
          kind: 'inner',
        });
        if (inner instanceof Failure) return inner;
        const branches = d.branches.map((b, i) => (i === k ? { ...b, body: inner } : b));
        return whole([{ ...d, branches }]);
      }
      case 'Output': {
        // `output NAME { … }`: the head's layers are named under NAME, like a labelled group's.
        if (!d.body) return this.lost();
        const inner = this.level({
          body: d.body,
          module: mod,
          cand: candD,
          callDepth: level.callDepth,
          segs: level.segs + 1,
          kind: 'inner',
        });
        if (inner instanceof Failure) return inner;
        return whole([{ ...d, body: inner }]);
      }
      case 'Let':
        return new Failure(
          `\`${x.name}\` comes from a \`let\` binding`,
          'cut or replace at the statement that uses the binding',
        );
      default:
        return this.lost();
    }
  }

  /** `x` is the node that joins the paths of a residual or merge: it has no statement of its own. */
  private join(what: string): Failure {
    return new Failure(
      `\`${this.x.name}\` joins the paths of a ${what} and has no statement of its own`,
      `replace the whole ${what}, or a layer inside it`,
    );
  }

  private lost(): Failure {
    return new Failure(`cannot tell which statement made \`${this.x.name}\``);
  }

  /** The IR name of what `d` makes when it is one layer or one scope; otherwise undefined. */
  private nameOf(d: Stmt, level: Level, candD: readonly Node[]): string | undefined {
    const opens =
      (d.kind === 'Simple' && this.isCallSite(d, level)) ||
      ((d.kind === 'Group' || d.kind === 'Residual' || d.kind === 'Merge' || d.kind === 'Repeat') &&
        d.label !== undefined) ||
      (d.kind === 'Output' && d.body !== undefined);
    if (opens)
      return this.x.name
        .split('.')
        .slice(0, level.segs + 1)
        .join('.');
    if (d.kind === 'Simple' && candD.length === 1) return candD[0].name;
    return undefined;
  }

  private isCallSite(d: SimpleStmt, level: Level): boolean {
    const sites = this.x.callSites;
    return (
      sites !== undefined &&
      sites.length > level.callDepth &&
      sameSpan(sites[level.callDepth], d.span)
    );
  }

  private replacement(d: Stmt, op: Extract<Surgery, { kind: 'replace' }>): Stmt[] {
    // `replace NAME { … }` of an output's head: the output keeps its name, the head its new body.
    if (d.kind === 'Output') return [{ ...d, body: op.body }];
    const local = op.target.split('.').pop() ?? op.target;
    const name = ident(local, op.labelSpan);
    const only = op.body.length === 1 ? op.body[0] : undefined;
    if (d.kind === 'Simple' && only?.kind === 'Simple' && !only.label) {
      const named = { ...only, label: name };
      const m = this.overrides.get(only);
      if (m) this.overrides.set(named, m);
      return [named];
    }
    return [group(op.body, op.span, name)];
  }

  private simple(
    d: SimpleStmt,
    level: Level,
    candD: readonly Node[],
    mod: Module,
    whole: (repl: readonly Stmt[]) => Stmt[],
  ): Out {
    const { x } = this;
    if (!this.isCallSite(d, level)) {
      if (this.op.kind === 'replace') return this.lost();
      const first = candD[0]?.name;
      const last = candD[candD.length - 1]?.name;
      return new Failure(
        `\`${x.name}\` is one of the ${candD.length} layers that one statement makes`,
        `cut after \`${last}\` or before \`${first}\``,
      );
    }
    const found = lookupDecl(mod, 'blocks', d.head.name);
    if (!found) {
      return new Failure(
        `\`${x.name}\` comes from \`${d.head.name}\`, a binding of a block call`,
        'call the block directly to cut or replace inside it',
      );
    }
    const inner = this.level({
      body: found.decl.body,
      module: found.module,
      cand: candD,
      callDepth: level.callDepth + 1,
      segs: level.segs + 1,
      kind: 'block',
    });
    if (inner instanceof Failure) return inner;
    if (inner.length === 0) return whole([]);
    // The call sees its own copy of the block; the copy's statements resolve where the block's do.
    const copy = { ...found.decl, body: inner };
    const overlay: Module = { ...mod, blocks: new Map(mod.blocks).set(d.head.name, copy) };
    const call: SimpleStmt = { ...d };
    this.overrides.set(call, overlay);
    for (const s of inner) if (!this.overrides.has(s)) this.overrides.set(s, found.module);
    return whole([call]);
  }

  private residual(
    d: Extract<Stmt, { kind: 'Residual' }>,
    level: Level,
    candD: readonly Node[],
    mod: Module,
    before: readonly Stmt[],
    whole: (repl: readonly Stmt[]) => Stmt[],
  ): Out {
    const key = keySpan(this.x, level.callDepth);
    const inShortcut = d.shortcut !== undefined && within(key, d.shortcut.span);
    const segs = level.segs + (d.label ? 1 : 0);
    const sub = (body: readonly Stmt[], extra: number): Out =>
      this.level({
        body,
        module: mod,
        cand: candD,
        callDepth: level.callDepth,
        segs: segs + extra,
        kind: 'inner',
      });
    if (this.op.kind === 'replace') {
      if (!inShortcut && !d.body.some((b) => within(key, b.span))) return this.join('residual');
      if (inShortcut && d.shortcut) {
        const inner = sub(d.shortcut.body, 1);
        if (inner instanceof Failure) return inner;
        return whole([{ ...d, shortcut: { ...d.shortcut, body: inner } }]);
      }
      const inner = sub(d.body, 0);
      if (inner instanceof Failure) return inner;
      return whole([{ ...d, body: inner }]);
    }
    if (inShortcut) {
      return new Failure(
        `\`${this.x.name}\` is on the shortcut of a residual, which needs the residual's body too`,
        'cut before or after the whole residual',
      );
    }
    const inner = sub(d.body, 0);
    if (inner instanceof Failure) return inner;
    if (inner.length === 0) return whole([]);
    // Without its add the residual is a plain sequence; `in` then means the enclosing input,
    // the same tensor only when the residual comes first in a block.
    const first = level.kind === 'block' && before.every(isSetting);
    if (!first && inner.some(usesIn)) {
      return new Failure(
        `cutting inside this residual would change what \`in\` means in the layers kept`,
        'cut before or after the whole residual',
      );
    }
    return whole([group(inner, d.span, d.label)]);
  }

  private repeat(
    d: Extract<Stmt, { kind: 'Repeat' }>,
    level: Level,
    candD: readonly Node[],
    mod: Module,
    whole: (repl: readonly Stmt[]) => Stmt[],
  ): Out {
    const iter = this.iteration(d, level, candD);
    if (iter instanceof Failure) return iter;
    const { j, count, nodes, segs } = iter;
    let inner: Out;
    const iterName = d.label
      ? this.x.name
          .split('.')
          .slice(0, level.segs + 2)
          .join('.')
      : undefined;
    if (this.op.kind === 'replace' && iterName === this.op.target) inner = [...this.op.body];
    else
      inner = this.level({
        body: d.body,
        module: mod,
        cand: nodes,
        callDepth: level.callDepth,
        segs,
        kind: 'inner',
      });
    if (inner instanceof Failure) return inner;
    const cut = this.op.kind === 'cut';
    const last = cut ? j : count - 1;
    const bodyOf = (k: number): Stmt[] => [
      ...letIndex(d.index, k, d.span),
      ...(k === j ? inner : d.body),
    ];
    if (d.label) {
      const iterations: Stmt[] = [];
      for (let k = 0; k <= last; k++) {
        if (k === j && inner.length === 0) continue;
        iterations.push(group(bodyOf(k), d.span, ident(String(k), d.label.span)));
      }
      return whole(iterations.length ? [group(iterations, d.span, d.label)] : []);
    }
    const out: Stmt[] = [];
    if (j > 0) out.push({ ...d, count: numberExpr(j, d.count.span) });
    if (inner.length > 0) out.push(group(bodyOf(j), d.span));
    for (let k = j + 1; k <= last; k++) out.push(group(bodyOf(k), d.span));
    return whole(out);
  }

  /** Which iteration of the repeat `d` made `x`, how many there are, and that iteration's nodes. */
  private iteration(
    d: Extract<Stmt, { kind: 'Repeat' }>,
    level: Level,
    candD: readonly Node[],
  ): { j: number; count: number; nodes: readonly Node[]; segs: number } | Failure {
    const { x } = this;
    const seg = (n: Node, i: number): string => n.name.split('.')[i] ?? '';
    if (d.label) {
      const i = level.segs + 1;
      const j = Number(seg(x, i));
      const count = new Set(candD.map((n) => seg(n, i))).size;
      const nodes = candD.filter((n) => seg(n, i) === seg(x, i));
      return { j, count, nodes, segs: level.segs + 2 };
    }
    const key = keySpan(x, level.callDepth);
    const inner = d.body.filter((s) => within(key, s.span));
    const s = inner.length === 1 ? inner[0] : undefined;
    const under = s ? candD.filter((n) => within(keySpan(n, level.callDepth), s.span)) : [];
    if (s?.kind === 'Simple' && this.isCallSite(s, level)) {
      // Each iteration calls the block once, in a scope of its own: `stage2.0`, `stage2.1`, …
      const prefix = (n: Node): string =>
        n.name
          .split('.')
          .slice(0, level.segs + 1)
          .join('.');
      const runs = [...new Set(under.map(prefix))];
      const j = runs.indexOf(prefix(x));
      return {
        j,
        count: runs.length,
        nodes: under.filter((n) => prefix(n) === prefix(x)),
        segs: level.segs,
      };
    }
    if (s?.kind === 'Simple' && s.with.length === 0 && lookupOp(s.head.name)) {
      // A layer statement: one node per iteration.
      return { j: under.indexOf(x), count: under.length, nodes: [x], segs: level.segs };
    }
    return new Failure(
      `cannot tell which iteration of the unlabelled \`repeat\` made \`${x.name}\``,
      'label the repeat (`name: repeat …`) so that each iteration has a name',
    );
  }
}

// ---------------------------------------------------------------- does a statement read `in`?

function exprUsesIn(e: Expr): boolean {
  switch (e.kind) {
    case 'In':
      return true;
    case 'Member':
      return exprUsesIn(e.object);
    case 'Unary':
      return exprUsesIn(e.operand);
    case 'Binary':
      return exprUsesIn(e.left) || exprUsesIn(e.right);
    case 'Cond':
      return exprUsesIn(e.test) || exprUsesIn(e.then) || exprUsesIn(e.otherwise);
    case 'Tuple':
      return e.items.some((a) => exprUsesIn(a.value));
    case 'Call':
      return e.args.some((a) => exprUsesIn(a.value));
    default:
      return false;
  }
}

/** Does `s` read `in` of its enclosing scope? (Residuals and merges bind their own.) */
export function usesIn(s: Stmt): boolean {
  switch (s.kind) {
    case 'Simple':
      return (
        s.atoms.some((a) => exprUsesIn(a.value)) ||
        s.with.some((w) => (w.value.kind === 'Expr' ? exprUsesIn(w.value.expr) : usesIn(w.value)))
      );
    case 'Group':
      return s.body.some(usesIn);
    case 'Repeat':
      return exprUsesIn(s.count) || s.body.some(usesIn);
    case 'If':
      return exprUsesIn(s.test) || s.then.some(usesIn) || (s.otherwise ?? []).some(usesIn);
    case 'Let':
      return s.bindings.some((b) =>
        b.value.kind === 'Expr' ? exprUsesIn(b.value.expr) : usesIn(b.value),
      );
    default:
      return false;
  }
}
