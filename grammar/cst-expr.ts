/**
 * Expression CST → AST. Every function returns undefined when recovery left the expression
 * incomplete (`a +` with nothing after it), and the caller skips whatever held it.
 */
import type { CstNode, IToken } from 'chevrotain';
import type { Arg, BinaryOp, DimPart, Expr } from './ast.js';
import { count, node, nodes, token, tokens } from './cst-helpers.js';
import type { Spans } from './cst-helpers.js';
import * as T from './tokens.js';

export class ExprBuilder {
  constructor(private readonly spans: Spans) {}

  expr(n: CstNode | undefined): Expr | undefined {
    if (n === undefined) return undefined;
    if (count(n, 'Kw_if') > 0) {
      const test = this.expr(node(n, 'test'));
      const then = this.expr(node(n, 'then'));
      const otherwise = this.expr(node(n, 'otherwise'));
      const span = this.spans.node(n);
      if (!test || !then || !otherwise || !span) return undefined;
      return { kind: 'Cond', test, then, otherwise, span };
    }
    return this.chain(node(n, 'orExpr'), 'andExpr', 'Kw_or', (a) =>
      this.chain(a, 'notExpr', 'Kw_and', (b) => this.not(b)),
    );
  }

  /** `operand { op operand }`, folded to the left. */
  private chain(
    n: CstNode | undefined,
    operandKey: string,
    opKey: string,
    operand: (n: CstNode) => Expr | undefined,
  ): Expr | undefined {
    if (n === undefined) return undefined;
    const operands = nodes(n, operandKey);
    const ops = tokens(n, opKey);
    if (operands.length === 0 || ops.length !== operands.length - 1) return undefined;
    let left = operand(operands[0]);
    const first = this.spans.node(operands[0]);
    if (left === undefined || first === undefined) return undefined;
    for (let i = 0; i < ops.length; i++) {
      const right = operand(operands[i + 1]);
      const last = this.spans.node(operands[i + 1]);
      if (right === undefined || last === undefined) return undefined;
      const op = ops[i].image as BinaryOp;
      left = { kind: 'Binary', op, left, right, span: this.spans.join(first, last) };
    }
    return left;
  }

  private not(n: CstNode): Expr | undefined {
    const cmpNode = node(n, 'cmpExpr');
    let e = this.cmp(cmpNode);
    const end = cmpNode && this.spans.node(cmpNode);
    if (e === undefined || end === undefined) return undefined;
    const nots = tokens(n, 'Kw_not');
    if (nots.length !== count(n, 'Kw_not')) return undefined;
    for (let i = nots.length - 1; i >= 0; i--) {
      e = { kind: 'Unary', op: 'not', operand: e, span: this.spans.join(this.spans.token(nots[i]), end) };
    }
    return e;
  }

  private cmp(n: CstNode | undefined): Expr | undefined {
    if (n === undefined) return undefined;
    return this.chain(n, 'sum', 'CmpOp', (s) =>
      this.chain(s, 'product', 'AddOp', (p) => this.chain(p, 'unary', 'MulOp', (u) => this.unary(u))),
    );
  }

  /** `{ "-" } primary { "." IDENT }`: members bind tighter than the minus. */
  unary(n: CstNode | undefined): Expr | undefined {
    if (n === undefined) return undefined;
    const primaryNode = node(n, 'primary');
    let e = this.primary(primaryNode);
    const start = primaryNode && this.spans.node(primaryNode);
    if (e === undefined || start === undefined) return undefined;
    const members = tokens(n, 'member');
    if (members.length !== count(n, 'Dot') || members.length !== count(n, 'member')) return undefined;
    for (const m of members) {
      const member = this.spans.ident(m);
      e = { kind: 'Member', object: e, member, span: this.spans.join(start, member.span) };
    }
    const minuses = tokens(n, 'Minus');
    for (let i = minuses.length - 1; i >= 0; i--) {
      e = { kind: 'Unary', op: '-', operand: e, span: this.spans.join(this.spans.token(minuses[i]), e.span) };
    }
    return e;
  }

  private primary(n: CstNode | undefined): Expr | undefined {
    if (n === undefined) return undefined;
    const paren = node(n, 'paren');
    if (paren !== undefined) return this.paren(paren);
    const t =
      token(n, 'NumberLit') ??
      token(n, 'StringLit') ??
      token(n, 'Dims') ??
      token(n, 'BoolLit') ??
      token(n, 'Identifier') ??
      token(n, 'Kw_in');
    return t === undefined ? undefined : this.literal(t);
  }

  private literal(t: IToken): Expr {
    const span = this.spans.token(t);
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

  /** `(e)` is `e`; anything else in parentheses (`()`, `(a, b)`, `(e,)`, `(n = 2)`) is a tuple. */
  private paren(n: CstNode): Expr | undefined {
    const argNodes = nodes(n, 'arg');
    const items: Arg[] = [];
    for (const a of argNodes) {
      const item = this.arg(a);
      if (item === undefined) return undefined;
      items.push(item);
    }
    const commas = count(n, 'Comma') + count(n, 'trailing');
    if (items.length === 1 && items[0].name === undefined && commas === 0) return items[0].value;
    const span = this.spans.node(n);
    return span && { kind: 'Tuple', items, span };
  }

  private arg(n: CstNode): Arg | undefined {
    const value = this.expr(node(n, 'expr'));
    const span = this.spans.node(n);
    if (value === undefined || span === undefined) return undefined;
    const name = token(n, 'name');
    if (name === undefined) return count(n, 'name') > 0 ? undefined : { value, span };
    return { name: this.spans.ident(name), value, span };
  }
}

/** `224x224x3` → three numbers, `HxWx3` → two symbols and a number, `?` → unknown. */
export function dimParts(raw: string): DimPart[] {
  return raw.split('x').map((p): DimPart => {
    if (p === '?') return { kind: 'unknown' };
    if (/^\d+$/.test(p)) return { kind: 'num', value: Number(p) };
    return { kind: 'sym', name: p };
  });
}
