/**
 * Semantic tokens: what each word is, which a TextMate grammar cannot know: a layer (`conv`), a
 * block call, a model or block being declared, a label, a block parameter, an attribute keyword
 * (`pad`) or flag (`same`). Keywords, numbers, dims, strings and comments come from the lexer.
 */
import type { SemanticTokens, SemanticTokensLegend } from 'vscode-languageserver/node';
import type { Atom, Expr, Stmt } from '../../../grammar/index.js';
import { lex } from '../../../grammar/lexer.js';
import * as T from '../../../grammar/tokens.js';
import { lookupOp } from '../../sema/op-table.js';
import { lookupDecl, type Module } from '../../sema/resolve.js';
import type { Analysis } from '../analysis.js';
import { allNodes } from '../ast-query.js';

const TYPES = [
  'keyword', 'number', 'string', 'comment', 'operator', 'function', 'class', 'parameter',
  'variable', 'property', 'type', 'enumMember', 'namespace',
] as const; // prettier-ignore
const MODIFIERS = ['declaration', 'defaultLibrary'] as const;

type TokenType = (typeof TYPES)[number];
type Modifier = (typeof MODIFIERS)[number];

export const SEMANTIC_LEGEND: SemanticTokensLegend = {
  tokenTypes: [...TYPES],
  tokenModifiers: [...MODIFIERS],
};

interface Role {
  readonly type: TokenType;
  readonly mods?: readonly Modifier[];
}

export function semanticTokens(a: Analysis): SemanticTokens {
  const roles = a.module ? identifierRoles(a.module) : new Map<number, Role>();
  const found: { start: number; length: number; role: Role }[] = [];
  const lexed = lex(a.text, a.display);
  for (const t of lexed.tokens) {
    const role = tokenRole(t.tokenType, t.startOffset, roles);
    if (role) found.push({ start: t.startOffset, length: t.image.length, role });
  }
  for (const c of lexed.comments)
    found.push({ start: c.span.start, length: c.text.length, role: { type: 'comment' } });
  found.sort((x, y) => x.start - y.start);
  const data: number[] = [];
  let line = 0;
  let char = 0;
  const doc = a.document;
  for (const f of found) {
    // A token over several lines (a block comment) is sent one line at a time.
    const text = a.text.slice(f.start, f.start + f.length);
    let offset = f.start;
    for (const piece of text.split('\n')) {
      const pos = doc.positionAt(offset);
      const len = piece.replace(/\r$/, '').length;
      if (len > 0) {
        data.push(pos.line - line, pos.line === line ? pos.character - char : pos.character, len);
        data.push(TYPES.indexOf(f.role.type), mask(f.role.mods ?? []));
        line = pos.line;
        char = pos.character;
      }
      offset += piece.length + 1;
    }
  }
  return { data };
}

function mask(mods: readonly Modifier[]): number {
  return mods.reduce((m, x) => m | (1 << MODIFIERS.indexOf(x)), 0);
}

function tokenRole(
  type: unknown,
  start: number,
  roles: ReadonlyMap<number, Role>,
): Role | undefined {
  if (type === T.Identifier) return roles.get(start);
  if (type === T.NumberLiteral || type === T.Dims || type === T.BadNumber)
    return { type: 'number' };
  if (type === T.StringLiteral || type === T.UnterminatedString) return { type: 'string' };
  if (type === T.Int || type === T.Float || type === T.Bool || type === T.StringKw)
    return { type: 'type' };
  if (T.KEYWORDS.includes(type as (typeof T.KEYWORDS)[number])) return { type: 'keyword' };
  if (type === T.StrideSlash) return { type: 'operator' };
  return undefined;
}

/** The role of every identifier the tree gives a meaning to, by offset. */
function identifierRoles(module: Module): Map<number, Role> {
  const roles = new Map<number, Role>();
  const set = (start: number, role: Role) => roles.set(start, role);
  const settings = new Set<object>();
  for (const n of allNodes(module.ast)) {
    if (settings.has(n)) continue;
    if ('label' in n && n.label)
      set(n.label.span.start, { type: 'property', mods: ['declaration'] });
    if (!('kind' in n)) continue;
    switch (n.kind) {
      case 'Model':
        set(n.name.span.start, { type: 'class', mods: ['declaration'] });
        if (n.base) set(n.base.span.start, { type: 'class' });
        break;
      case 'Block':
        set(n.name.span.start, { type: 'function', mods: ['declaration'] });
        for (const p of n.params) {
          set(p.name.span.start, { type: 'parameter', mods: ['declaration'] });
          if (p.default) names(p.default, (s) => set(s, { type: 'parameter' }));
        }
        break;
      case 'Simple':
        simple(module, n, set);
        break;
      case 'Let':
        for (const b of n.bindings) {
          set(b.name.span.start, { type: 'variable', mods: ['declaration'] });
          if (b.value.kind === 'Simple') simple(module, b.value, set);
          else if (b.value.kind === 'Expr')
            names(b.value.expr, (s) => set(s, { type: 'parameter' }));
        }
        break;
      case 'Repeat':
        names(n.count, (s) => set(s, { type: 'parameter' }));
        if (n.index) set(n.index.span.start, { type: 'variable', mods: ['declaration'] });
        break;
      case 'Residual':
        if (n.shortcut?.when) names(n.shortcut.when, (s) => set(s, { type: 'parameter' }));
        break;
      case 'If':
        names(n.test, (s) => set(s, { type: 'parameter' }));
        break;
      case 'Budget':
        for (const l of n.limits) set(l.metric.span.start, { type: 'property' });
        break;
      case 'Train':
        // `optimizer sgd lr 0.1`: keys, and words that are values.
        for (const setting of n.body) {
          settings.add(setting);
          set(setting.head.span.start, { type: 'property' });
          for (const atom of setting.atoms)
            if (atom.kind === 'Value' && atom.value.kind === 'Name')
              set(atom.value.span.start, { type: 'enumMember' });
        }
        break;
      default:
        break;
    }
  }
  return roles;
}

function simple(
  module: Module,
  s: Extract<Stmt, { kind: 'Simple' }>,
  set: (start: number, r: Role) => void,
): void {
  const spec = lookupOp(s.head.name);
  if (spec) set(s.head.span.start, { type: 'function', mods: ['defaultLibrary'] });
  else if (lookupDecl(module, 'blocks', s.head.name)) set(s.head.span.start, { type: 'function' });
  else set(s.head.span.start, { type: 'variable' });
  for (const b of s.with) set(b.name.span.start, { type: 'variable', mods: ['declaration'] });
  for (const atom of s.atoms) atomRoles(atom, spec, set);
}

function atomRoles(
  atom: Atom,
  spec: ReturnType<typeof lookupOp>,
  set: (start: number, r: Role) => void,
): void {
  if (atom.kind === 'Named') {
    set(atom.name.span.start, { type: spec ? 'property' : 'parameter' });
    names(atom.value, (s) => set(s, { type: 'parameter' }));
    return;
  }
  const v = atom.value;
  if (v.kind === 'Name' && spec) {
    if (spec.flags[v.name]) return set(v.span.start, { type: 'enumMember' });
    if (spec.keywords[v.name] || spec.attrs[v.name]) return set(v.span.start, { type: 'property' });
  }
  if (v.kind === 'Tuple') {
    for (const item of v.items) {
      if (item.name) set(item.name.span.start, { type: 'parameter' });
      names(item.value, (s) => set(s, { type: 'parameter' }));
    }
    return;
  }
  names(v, (s) => set(s, { type: 'parameter' }));
}

/** Calls `f` with the offset of every name used in an expression. */
function names(e: Expr, f: (start: number) => void): void {
  switch (e.kind) {
    case 'Name':
      f(e.span.start);
      return;
    case 'Member':
      names(e.object, f);
      return;
    case 'Unary':
      names(e.operand, f);
      return;
    case 'Binary':
      names(e.left, f);
      names(e.right, f);
      return;
    case 'Cond':
      names(e.test, f);
      names(e.then, f);
      names(e.otherwise, f);
      return;
    case 'Tuple':
      for (const i of e.items) names(i.value, f);
      return;
    case 'Call':
      for (const a of e.args) names(a.value, f);
      return;
    default:
      return;
  }
}
