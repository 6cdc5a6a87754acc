/**
 * Expression CST → AST. The parser keeps an expression flat: one `expr` (or `unary`, or `paren`)
 * node holds all its tokens in source order under `tok`, and its parenthesised parts as `paren`
 * nodes (see parser-expr.ts). Precedence is applied here by a recursive descent over that sequence
 * that follows the EBNF levels exactly: or → and → not → cmp → sum → product → unary → postfix →
 * primary. A function returns undefined when recovery left the expression incomplete (`a +` with
 * nothing after it, an inserted token), and the caller skips whatever held it.
 */
import type { CstElement, CstNode, IToken, TokenType } from 'chevrotain';
import { diag, type Diagnostic, type Span } from '../compiler/diagnostics/diagnostic.js';
import type { Arg, BinaryOp, DimPart, Expr } from './ast.js';
import { isReal } from './cst-helpers.js';
import type { Spans } from './cst-helpers.js';
import { BUILTIN_FUNCTIONS } from './parser-expr.js';
import * as T from './tokens.js';

/** An expression and its extent, which includes parentheses around it (its span does not). */
export interface Ext {
  readonly e: Expr;
  readonly start: number;
  readonly end: number;
  /** Levels of the expression tree: 1 for a literal. */
  readonly depth: number;
}

/**
 * Expressions deeper than this are reported (CNN1008) and dropped: everything after the parser
 * walks them recursively, and `dense 4-4-4-…` with 10,000 terms overflowed the evaluator's stack.
 */
export const MAX_EXPR_DEPTH = 256;

type Item = IToken | CstNode;

function isToken(x: CstElement): x is IToken {
  return (x as Partial<IToken>).image !== undefined;
}

/** Where an `expr`, `unary` or `paren` node starts (its first token or parenthesis); NaN if empty. */
export function exprStart(n: CstNode): number {
  const t = n.children['tok']?.[0];
  const p = n.children['paren']?.[0];
  const ts = t && isToken(t) && isReal(t) ? t.startOffset : NaN;
  const ps = p && !isToken(p) ? exprStart(p) : NaN;
  return Number.isNaN(ts) || ps < ts ? ps : ts;
}

/** The tokens and `paren` nodes of a flat node, in source order (no copy when there is no paren). */
function sequence(n: CstNode): Item[] | undefined {
  const toks = n.children['tok'] ?? [];
  const parens = n.children['paren'];
  if (parens === undefined) return toks as IToken[];
  const out: Item[] = [];
  let i = 0;
  for (const p of parens) {
    const ps = isToken(p) ? NaN : exprStart(p);
    if (Number.isNaN(ps)) return undefined;
    while (i < toks.length && (toks[i] as IToken).startOffset < ps) out.push(toks[i++] as IToken);
    out.push(p as CstNode);
  }
  while (i < toks.length) out.push(toks[i++] as IToken);
  return out;
}

const CMP_OPS: ReadonlySet<string> = new Set(['==', '!=', '<', '<=', '>', '>=']);
const SUM_OPS: ReadonlySet<string> = new Set(['+', '-']);
const PRODUCT_OPS: ReadonlySet<string> = new Set(['*', '/', '%']);
const OR_OPS: ReadonlySet<string> = new Set(['or']);
const AND_OPS: ReadonlySet<string> = new Set(['and']);
const PRIMARY_TYPES = new Set([
  T.NumberLiteral, T.BadNumber, T.StringLiteral, T.UnterminatedString, T.Dims, T.True, T.False,
  T.Identifier, T.In,
]); // prettier-ignore

export class ExprBuilder {
  private items: Item[] = [];
  private i = 0;

  constructor(
    private readonly spans: Spans,
    private readonly report: (d: Diagnostic) => void,
  ) {}

  /** `ext`, or undefined (reported) when it is deeper than MAX_EXPR_DEPTH. */
  private within(ext: Ext): Ext | undefined {
    if (ext.depth <= MAX_EXPR_DEPTH) return ext;
    this.report(
      diag('CNN1008', `expression nested more than ${MAX_EXPR_DEPTH} levels deep`, {
        span: this.spans.of(ext.start, ext.end),
        spanLabel: `the limit is reached here`,
        help: 'compute the value outside cnnc, or split it with `let`',
      }),
    );
    return undefined;
  }

  expr(n: CstNode | undefined): Expr | undefined {
    return n && this.exprExt(n)?.e;
  }

  /** An expression with its extent (parentheses around it included), for atom spans. */
  exprExt(n: CstNode): Ext | undefined {
    const test = n.children['test'];
    if (test !== undefined) return this.cond(n, test[0] as CstNode);
    return this.flat(n, () => this.orExt());
  }

  /** The operand after a stride slash (`/2`, `/stride`, `/(s * 2)`), with its extent. */
  unaryExt(n: CstNode): Ext | undefined {
    return this.flat(n, () => this.operandExt());
  }

  private cond(n: CstNode, testNode: CstNode): Ext | undefined {
    const ifTok = n.children['tok']?.[0];
    const test = this.exprExt(testNode);
    const thenNode = n.children['then']?.[0] as CstNode | undefined;
    const then = thenNode && this.exprExt(thenNode);
    const otherwiseNode = n.children['otherwise']?.[0] as CstNode | undefined;
    const otherwise = otherwiseNode && this.exprExt(otherwiseNode);
    if (!ifTok || !isToken(ifTok) || !isReal(ifTok) || !test || !then || !otherwise)
      return undefined;
    const span = this.spans.of(ifTok.startOffset, otherwise.end);
    const e: Expr = { kind: 'Cond', test: test.e, then: then.e, otherwise: otherwise.e, span };
    const depth = 1 + Math.max(test.depth, then.depth, otherwise.depth);
    return this.within({ e, start: span.start, end: span.end, depth });
  }

  /** A value token continued by an `exprTail` node (`c` + `* 2`), as one expression. */
  tailExt(first: IToken, tail: CstNode): Ext | undefined {
    const rest = sequence(tail);
    return rest && this.flatItems([first, ...rest], () => this.orExt());
  }

  /** Parse the sequence of one flat node with `parse`; all of it must be used. */
  private flat(n: CstNode, parse: () => Ext | undefined): Ext | undefined {
    const items = sequence(n);
    return items && this.flatItems(items, parse);
  }

  /** Parse `items` with `parse`; all of them must be used. Re-entrant (parentheses nest). */
  private flatItems(items: Item[], parse: () => Ext | undefined): Ext | undefined {
    if (items.length === 0) return undefined;
    const only = items[0];
    if (items.length === 1 && isToken(only)) return this.literalExt(only);
    const savedItems = this.items;
    const savedI = this.i;
    this.items = items;
    this.i = 0;
    try {
      const result = parse();
      return result && this.i === items.length ? result : undefined;
    } finally {
      this.items = savedItems;
      this.i = savedI;
    }
  }

  /** The next item if it is a real token of type `type`. */
  private peekToken(type: TokenType): IToken | undefined {
    const item = this.items[this.i];
    return item !== undefined && isToken(item) && item.tokenType === type && isReal(item)
      ? item
      : undefined;
  }

  /** The next item's text if it is an operator in `ops`. */
  private peekOp(ops: ReadonlySet<string>): string | undefined {
    const item = this.items[this.i];
    if (
      item === undefined ||
      !isToken(item) ||
      !isReal(item) ||
      PRIMARY_TYPES.has(item.tokenType)
    ) {
      return undefined;
    }
    return ops.has(item.image) ? item.image : undefined;
  }

  private binary(op: BinaryOp, left: Ext, right: Ext): Ext | undefined {
    const span = this.spans.of(left.start, right.end);
    const e: Expr = { kind: 'Binary', op, left: left.e, right: right.e, span };
    const depth = 1 + Math.max(left.depth, right.depth);
    return this.within({ e, start: left.start, end: right.end, depth });
  }

  /** `op operand`, one level deeper. */
  private unary(op: '-' | 'not', start: number, operand: Ext): Ext | undefined {
    const span = this.spans.of(start, operand.end);
    const e: Expr = { kind: 'Unary', op, operand: operand.e, span };
    return this.within({ e, start, end: operand.end, depth: operand.depth + 1 });
  }

  /** `next { op next }` for the operators `ops`, folded to the left. */
  private leftAssoc(ops: ReadonlySet<string>, next: () => Ext | undefined): Ext | undefined {
    let left = next();
    for (let op = this.peekOp(ops); left && op !== undefined; op = this.peekOp(ops)) {
      this.i++;
      const right = next();
      left = right && this.binary(op as BinaryOp, left, right);
    }
    return left;
  }

  private orExt(): Ext | undefined {
    return this.leftAssoc(OR_OPS, () => this.andExt());
  }

  private andExt(): Ext | undefined {
    return this.leftAssoc(AND_OPS, () => this.notExt());
  }

  private notExt(): Ext | undefined {
    const nots: IToken[] = [];
    for (let t = this.peekToken(T.Not); t; t = this.peekToken(T.Not)) {
      nots.push(t);
      this.i++;
    }
    let ext = this.cmpExt();
    for (let k = nots.length - 1; ext && k >= 0; k--)
      ext = this.unary('not', nots[k].startOffset, ext);
    return ext;
  }

  /** `sum [ cmp sum ]`: comparisons do not chain. */
  private cmpExt(): Ext | undefined {
    const left = this.sumExt();
    const op = this.peekOp(CMP_OPS);
    if (!left || op === undefined) return left;
    this.i++;
    const right = this.sumExt();
    return right && this.binary(op as BinaryOp, left, right);
  }

  private sumExt(): Ext | undefined {
    return this.leftAssoc(SUM_OPS, () => this.productExt());
  }

  private productExt(): Ext | undefined {
    return this.leftAssoc(PRODUCT_OPS, () => this.operandExt());
  }

  /** `{ "-" } primary { "." IDENT }`: members bind tighter than the minus. */
  private operandExt(): Ext | undefined {
    const minuses: IToken[] = [];
    for (let t = this.peekToken(T.Minus); t; t = this.peekToken(T.Minus)) {
      minuses.push(t);
      this.i++;
    }
    const item = this.items[this.i++];
    if (item === undefined) return undefined;
    let ext: Ext | undefined;
    if (!isToken(item)) ext = this.parenExt(item);
    else if (PRIMARY_TYPES.has(item.tokenType) && isReal(item)) ext = this.literalExt(item);
    const next = this.items[this.i];
    if (
      ext?.e.kind === 'Name' &&
      BUILTIN_FUNCTIONS.has(ext.e.name) &&
      next !== undefined &&
      !isToken(next) &&
      exprStart(next) === ext.end
    ) {
      this.i++;
      ext = this.callExt(ext.e, next);
    }
    while (ext && this.peekToken(T.Dot)) {
      const m = this.items[this.i + 1];
      if (m === undefined || !isToken(m) || m.tokenType !== T.Identifier || !isReal(m))
        return undefined;
      this.i += 2;
      const member = this.spans.ident(m);
      const span = this.spans.of(ext.start, member.span.end);
      const e: Expr = { kind: 'Member', object: ext.e, member, span };
      ext = this.within({ e, start: ext.start, end: span.end, depth: ext.depth + 1 });
    }
    for (let k = minuses.length - 1; ext && k >= 0; k--)
      ext = this.unary('-', minuses[k].startOffset, ext);
    return ext;
  }

  /** A one-token value (`64`, `3x3`, `same`, `"x"`, `true`, `in`); undefined for anything else. */
  literal(t: IToken): Expr | undefined {
    return PRIMARY_TYPES.has(t.tokenType) && isReal(t)
      ? literal(t, this.spans.token(t))
      : undefined;
  }

  private literalExt(t: IToken): Ext | undefined {
    if (!PRIMARY_TYPES.has(t.tokenType) || !isReal(t)) return undefined;
    const span = this.spans.token(t);
    return { e: literal(t, span), start: span.start, end: span.end, depth: 1 };
  }

  /** `max(a, b)`: a built-in function's name and the parentheses glued to it. */
  private callExt(callee: Extract<Expr, { kind: 'Name' }>, n: CstNode): Ext | undefined {
    const parts = this.parenParts(n);
    if (!parts) return undefined;
    const span = this.spans.of(callee.span.start, parts.span.end);
    const fn = { kind: 'Ident' as const, name: callee.name, span: callee.span };
    return this.within({
      e: { kind: 'Call', callee: fn, args: parts.args, span },
      start: span.start,
      end: span.end,
      depth: parts.depth,
    });
  }

  /** `(e)` is `e`; anything else in parentheses (`()`, `(a, b)`, `(e,)`, `(n = 2)`) is a tuple. */
  private parenExt(n: CstNode): Ext | undefined {
    const parts = this.parenParts(n);
    if (!parts) return undefined;
    const { args, span, depth, commas } = parts;
    if (args.length === 1 && args[0].name === undefined && commas === 0) {
      return { e: args[0].value, start: span.start, end: span.end, depth: depth - 1 };
    }
    return this.within({
      e: { kind: 'Tuple', items: args, span },
      start: span.start,
      end: span.end,
      depth,
    });
  }

  /** The items of a `paren` node, its span, depth and number of commas. */
  private parenParts(
    n: CstNode,
  ): { args: Arg[]; span: Span; depth: number; commas: number } | undefined {
    const toks = (n.children['tok'] ?? []) as IToken[];
    const values = (n.children['argValue'] ?? []) as CstNode[];
    const open = toks[0];
    const close = toks[toks.length - 1];
    if (!open || !close || close.tokenType !== T.RParen || !isReal(close)) return undefined;
    const span = this.spans.of(open.startOffset, close.startOffset + 1);
    // tok = ( [name =] , [name =] , ... ) — walk it beside the values.
    const args: Arg[] = [];
    let depth = 1;
    let commas = 0;
    let t = 1;
    for (const valueNode of values) {
      let name: IToken | undefined;
      if (toks[t]?.tokenType === T.Identifier) {
        name = toks[t];
        if (toks[t + 1]?.tokenType !== T.Equals || !isReal(name)) return undefined;
        t += 2;
      }
      const value = this.exprExt(valueNode);
      if (!value) return undefined;
      depth = Math.max(depth, value.depth + 1);
      const arg: Arg = {
        value: value.e,
        span: this.spans.of(name ? name.startOffset : value.start, value.end),
      };
      args.push(name ? { name: this.spans.ident(name), ...arg } : arg);
      if (toks[t]?.tokenType === T.Comma) {
        commas++;
        t++;
      }
    }
    if (t !== toks.length - 1) return undefined;
    return { args, span, depth, commas };
  }
}

function literal(t: IToken, span: Span): Expr {
  switch (t.tokenType) {
    case T.NumberLiteral:
    case T.BadNumber:
      return { kind: 'Number', value: T.numberValue(t.image), raw: t.image, span };
    case T.StringLiteral:
    case T.UnterminatedString:
      return {
        kind: 'String',
        value: T.stringValue(t.image, t.tokenType === T.StringLiteral),
        span,
      };
    case T.Dims:
      return { kind: 'Dims', parts: dimParts(t.image), raw: t.image, span };
    case T.True:
    case T.False:
      return { kind: 'Bool', value: t.tokenType === T.True, span };
    case T.In:
      return { kind: 'In', span };
    default:
      return { kind: 'Name', name: t.image, span };
  }
}

/** Parts of the dims literals seen so far: the AST is readonly, so equal literals share them. */
const dimPartsCache = new Map<string, readonly DimPart[]>();

/** `224x224x3` → three numbers, `HxWx3` → two symbols and a number, `?` → unknown. */
export function dimParts(raw: string): readonly DimPart[] {
  let parts = dimPartsCache.get(raw);
  if (parts === undefined) {
    parts = splitDims(raw);
    if (dimPartsCache.size < 4096) dimPartsCache.set(raw, parts);
  }
  return parts;
}

function splitDims(raw: string): DimPart[] {
  return raw.split('x').map((p): DimPart => {
    if (p === '?') return { kind: 'unknown' };
    const c = p.charCodeAt(0);
    if (c >= 48 && c <= 57) return { kind: 'num', value: Number(p) };
    return { kind: 'sym', name: p };
  });
}
