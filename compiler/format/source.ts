/**
 * What the formatter knows about one parsed file besides its syntax tree: the tokens (classified
 * for spacing), matching braces, the comments, and which nodes own which text. Built once per file
 * by `indexSource`; the comment attachment (attach.ts) and the layout (layout.ts) read it.
 */
import type { IToken } from 'chevrotain';
import type {
  Atom,
  Branch,
  Comment,
  Decl,
  FileAst,
  GroupStmt,
  SimpleStmt,
  Stmt,
} from '../../grammar/index.js';
import { lex } from '../../grammar/lexer.js';
import * as T from '../../grammar/tokens.js';

/** How a token behaves for spacing. */
export type TokKind =
  | 'lbrace'
  | 'rbrace'
  | 'lparen'
  | 'rparen'
  | 'comma'
  | 'colon'
  | 'dot'
  | 'minus'
  | 'stride'
  /** a value that can end an operand: number, string, dims, name, `in`, `true`, `false` */
  | 'operand'
  | 'other';

export interface Tok {
  readonly kind: TokKind;
  readonly start: number;
  readonly end: number;
  readonly image: string;
}

/** A comment as prettier sees it (prettier adds `leading`, `trailing`, `marker`, `printed`). */
export interface FmtComment extends Comment {
  readonly type: 'comment';
  /** prettier's name for the text (used in its error messages). */
  readonly value: string;
  leading?: boolean;
  trailing?: boolean;
  marker?: string;
  printed?: boolean;
}

/** A node comments can attach to: a declaration, a statement or a branch of a merge. */
export type FmtNode = Decl | Stmt | Branch;

/** The braces of one `{ … }` of a node and the items written inside them. */
export interface Body {
  readonly open: number;
  /** Offset of the matching `}`. */
  readonly close: number;
  readonly items: readonly FmtNode[];
  /** Items always go one per line (the branches of a merge). */
  readonly alwaysBreak: boolean;
}

export interface Source {
  readonly text: string;
  readonly toks: readonly Tok[];
  readonly comments: readonly FmtComment[];
  /** `{` offset → `}` offset. */
  readonly braces: ReadonlyMap<number, number>;
  /** Offsets of tokens printed without a space before them / after them (`stride=2`, `block b(`). */
  readonly glueBefore: ReadonlySet<number>;
  readonly glueAfter: ReadonlySet<number>;
  /** Text kept exactly as written, start → end: layer targets and patterns (`stage2.0`, `block_1*`). */
  readonly raw: ReadonlyMap<number, number>;
  /** Group nodes by the offset of their `{`, for the groups inside `let` and `with` bindings. */
  readonly groups: ReadonlyMap<number, GroupStmt>;
  /** Offsets of the `-` tokens that negate (`dense -1`, `(-1, 4)`) rather than subtract. */
  readonly negations: ReadonlySet<number>;
}

/** What the walk over the tree records (the mutable half of a Source). */
interface Marks {
  readonly toks: readonly Tok[];
  readonly glueBefore: Set<number>;
  readonly glueAfter: Set<number>;
  readonly raw: Map<number, number>;
  readonly groups: Map<number, GroupStmt>;
  readonly negations: Set<number>;
}

const OPERAND_TYPES = new Set([
  T.NumberLiteral, T.BadNumber, T.StringLiteral, T.UnterminatedString, T.Dims, T.Identifier, T.In,
  T.True, T.False,
]); // prettier-ignore

function kindOf(t: IToken): TokKind {
  const type = t.tokenType;
  if (type === T.LBrace) return 'lbrace';
  if (type === T.RBrace) return 'rbrace';
  if (type === T.LParen) return 'lparen';
  if (type === T.RParen) return 'rparen';
  if (type === T.Comma) return 'comma';
  if (type === T.Colon) return 'colon';
  if (type === T.Dot) return 'dot';
  if (type === T.Minus) return 'minus';
  if (type === T.StrideSlash) return 'stride';
  // keywords, operators, `=`, `..` and the dividing slash
  return OPERAND_TYPES.has(type) ? 'operand' : 'other';
}

/** Where a node's text starts: its label when it has one. */
export function nodeStart(n: FmtNode | FileAst): number {
  return 'label' in n && n.label ? n.label.span.start : n.span.start;
}

/** A declaration or statement (a branch of a merge is the one node without a `kind`). */
export function hasKind(n: FmtNode): n is Decl | Stmt {
  return 'kind' in n;
}

export function indexSource(text: string, ast: FileAst, comments: readonly Comment[]): Source {
  const toks: Tok[] = [];
  for (const t of lex(text, ast.file).tokens) {
    if (t.tokenType === T.Newline || t.tokenType === T.Semicolon) continue;
    toks.push({
      kind: kindOf(t),
      start: t.startOffset,
      end: t.startOffset + t.image.length,
      image: t.image,
    });
  }
  const braces = new Map<number, number>();
  const stack: number[] = [];
  for (const t of toks) {
    if (t.kind === 'lbrace') stack.push(t.start);
    else if (t.kind === 'rbrace' && stack.length) braces.set(stack.pop()!, t.start);
  }
  const marks: Marks = {
    toks,
    glueBefore: new Set<number>(),
    glueAfter: new Set<number>(),
    raw: new Map<number, number>(),
    groups: new Map<number, GroupStmt>(),
    negations: new Set<number>(),
  };
  new Indexer(marks).file(ast);
  findNegations(ast, marks.negations);
  return {
    ...marks,
    text,
    comments: comments.map((c): FmtComment => ({ ...c, type: 'comment', value: c.text })),
    braces,
  };
}

/** First index of a token starting at or after `offset`. */
export function tokenAt(src: { readonly toks: readonly Tok[] }, offset: number): number {
  let lo = 0;
  let hi = src.toks.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (src.toks[mid].start < offset) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The brace pairs directly inside [start, end) (not nested in another pair there). */
export function bracePairs(
  src: Source,
  start: number,
  end: number,
): { open: number; close: number }[] {
  const out: { open: number; close: number }[] = [];
  for (let i = tokenAt(src, start); i < src.toks.length && src.toks[i].start < end; i++) {
    const t = src.toks[i];
    if (t.kind !== 'lbrace') continue;
    const close = src.braces.get(t.start);
    if (close === undefined) continue;
    out.push({ open: t.start, close });
    i = tokenAt(src, close);
  }
  return out;
}

/** The `{ … }` bodies of a node, in source order ([] for nodes without one). */
export function bodiesOf(src: Source, n: FmtNode): Body[] {
  const lists = hasKind(n) && n.kind === 'If' ? ifBodies(src, n) : bodyItems(n);
  if (lists.length === 0) return [];
  const pairs = bracePairs(src, nodeStart(n), n.span.end);
  return lists.map((items, i) => ({
    open: pairs[i].open,
    close: pairs[i].close,
    items,
    alwaysBreak: hasKind(n) && n.kind === 'Merge',
  }));
}

/** The bodies of `if … { } else if … { } else { }`, the chain of `else if` flattened. */
function ifBodies(src: Source, n: Extract<Stmt, { kind: 'If' }>): (readonly FmtNode[])[] {
  const out: (readonly FmtNode[])[] = [n.then];
  const o = n.otherwise;
  if (!o) return out;
  const first = o[0];
  const before = first && src.toks[tokenAt(src, first.span.start) - 1];
  // `else if`: the nested statement follows `else` directly, with no brace of its own.
  if (o.length === 1 && first.kind === 'If' && before?.kind !== 'lbrace')
    return [...out, ...ifBodies(src, first)];
  return [...out, o];
}

function bodyItems(n: FmtNode): (readonly FmtNode[])[] {
  if (!hasKind(n)) return n.noBody ? [] : [n.body]; // a branch (`branch from x` has no body)
  switch (n.kind) {
    case 'Model':
    case 'Block':
    case 'Group':
    case 'Repeat':
    case 'Replace':
    case 'Append':
    case 'Train':
      return [n.body];
    case 'Residual':
      return n.shortcut ? [n.body, n.shortcut.body] : [n.body];
    case 'If':
      return n.otherwise ? [n.then, n.otherwise] : [n.then];
    case 'Merge':
      return [n.branches];
    case 'Output':
      return n.body ? [n.body] : [];
    default:
      return [];
  }
}

/** The groups written as the values of `let` and `with` bindings (printed where they stand). */
export function groupValues(n: FmtNode): GroupStmt[] {
  if (!hasKind(n)) return [];
  const bindings = n.kind === 'Let' ? n.bindings : n.kind === 'Simple' ? n.with : [];
  const out: GroupStmt[] = [];
  for (const b of bindings) if (b.value.kind === 'Group') out.push(b.value);
  return out;
}

/** The nodes a comment inside `n` can attach to: its body items and its binding groups. */
export function childNodes(n: FmtNode | FileAst): readonly FmtNode[] {
  if ('decls' in n) return n.decls;
  const fromBodies = bodyItems(n).flat();
  return fromBodies.length ? fromBodies : groupValues(n);
}

/** The offsets of every unary `-` in the tree (any node `{ kind: 'Unary', op: '-' }`). */
function findNegations(x: unknown, out: Set<number>): void {
  if (typeof x !== 'object' || x === null) return;
  if (Array.isArray(x)) {
    for (const y of x) findNegations(y, out);
    return;
  }
  const o = x as Record<string, unknown>;
  if (o['kind'] === 'Unary' && o['op'] === '-') out.add((o['span'] as { start: number }).start);
  for (const k in o) if (k !== 'span') findNegations(o[k], out);
}

/** Walks the tree once, recording glued tokens, text kept raw and the groups of bindings. */
class Indexer {
  constructor(private readonly src: Marks) {}

  file(ast: FileAst): void {
    for (const d of ast.decls) {
      if (d.kind === 'Block') {
        // `block name(` is written like a call.
        const paren = this.src.toks[tokenAt(this.src, d.name.span.end)];
        if (paren?.kind === 'lparen') this.src.glueBefore.add(paren.start);
      }
      if (d.kind !== 'Import') this.stmts(d.body, false);
    }
  }

  private stmts(body: readonly Stmt[], inTrain: boolean): void {
    for (const s of body) this.stmt(s, inTrain);
  }

  private stmt(s: Stmt, inTrain: boolean): void {
    switch (s.kind) {
      case 'Simple':
        this.simple(s, inTrain);
        return;
      case 'Group':
      case 'Repeat':
      case 'Append':
        this.stmts(s.body, false);
        return;
      case 'Residual':
        this.stmts(s.body, false);
        if (s.shortcut) this.stmts(s.shortcut.body, false);
        return;
      case 'If':
        this.stmts(s.then, false);
        if (s.otherwise) this.stmts(s.otherwise, false);
        return;
      case 'Merge':
        for (const b of s.branches) {
          if (b.from) this.keepRaw(b.from.span.start, b.from.span.end);
          this.stmts(b.body, false);
        }
        return;
      case 'Let':
        for (const b of s.bindings) {
          if (b.value.kind === 'Group') this.group(b.value);
          else if (b.value.kind === 'Simple') this.atoms(b.value.atoms, false);
        }
        return;
      case 'Freeze':
        for (const t of s.targets) this.keepRaw(t.span.start, t.span.end);
        return;
      case 'Replace':
        this.keepRaw(s.target.span.start, s.target.span.end);
        this.stmts(s.body, false);
        return;
      case 'Output':
        if (s.from) this.keepRaw(s.from.span.start, s.from.span.end);
        this.stmts(s.body ?? [], false);
        return;
      case 'Cut':
        this.keepRaw(s.target.span.start, s.target.span.end);
        return;
      case 'Budget':
        return;
      case 'Train':
        this.stmts(s.body, true);
        return;
    }
  }

  private group(g: GroupStmt): void {
    this.src.groups.set(g.span.start, g);
    this.stmts(g.body, false);
  }

  private simple(s: SimpleStmt, inTrain: boolean): void {
    this.atoms(s.atoms, inTrain);
    for (const b of s.with) {
      if (b.value.kind === 'Group') this.group(b.value);
      else if (b.value.kind === 'Simple') this.atoms(b.value.atoms, false);
    }
  }

  private atoms(atoms: readonly Atom[], inTrain: boolean): void {
    for (const a of atoms) {
      if (a.kind === 'Named') {
        // `stride=2`: the `=` of a named attribute is written without spaces.
        const eq = this.src.toks[tokenAt(this.src, a.name.span.end)];
        if (eq && eq.start < a.value.span.start) {
          this.src.glueBefore.add(eq.start);
          this.src.glueAfter.add(eq.start);
        }
      } else if (inTrain && a.kind === 'Value' && a.value.kind === 'Name') {
        // A layer pattern in a setting (`stage2.0`, `block_1*`): its spacing is its meaning.
        this.keepRaw(a.value.span.start, a.value.span.end);
      }
    }
  }

  private keepRaw(start: number, end: number): void {
    this.src.raw.set(start, end);
  }
}
