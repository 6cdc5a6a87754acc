/**
 * The expression rules of the parser, and the atoms of a simple statement (parser.ts extends this
 * class with the statements).
 *
 * Flat on purpose: a CST node per precedence level would cost ten nodes for the `64` of `conv 64`,
 * and a 10,000-line file would spend its time allocating them. One `expr` node holds a whole
 * expression's tokens, in order, under one key (`tok`), with `paren` nodes for parentheses, and
 * cst-expr.ts applies precedence; the language accepted is exactly the EBNF's:
 *
 *   expr    = "if" expr "then" expr "else" expr
 *           | not* arith [ cmp arith ] { ( "and" | "or" ) not* arith [ cmp arith ] }
 *   arith   = operand { ( "+" | "-" | "*" | "/" | "%" ) operand }
 *   operand = { "-" } primary [ args ] { "." IDENT }     (args: a built-in's call, `max(a, b)`)
 *
 * `arith` and `operand` are inlined into `expr` with numbered DSL methods. Alternatives and closures
 * on hot paths are built once (fields), not on every call, which the garbage collector notices.
 */
import { CstParser, tokenMatcher } from './chevrotain.js';
import type { IOrAlt } from 'chevrotain';
import * as T from './tokens.js';

/** Every token of an `expr`, `unary` or `paren` node is stored under `tok`, in source order. */
const TOK = { LABEL: 'tok' };
const TEST = { LABEL: 'test' };
const THEN = { LABEL: 'then' };
const OTHERWISE = { LABEL: 'otherwise' };
const ARG_VALUE = { LABEL: 'argValue' };
/** Atoms inline: their tokens (`/`, value, `=`) under `atomTok`, other values under `atomValue`. */
const ATOM_TOK = { LABEL: 'atomTok' };
const ATOM_VALUE = { LABEL: 'atomValue' };

/** The closures of one inlined `operand`, for DSL indices `b` and `b + 1`. */
interface OperandParts {
  readonly minus: () => void;
  readonly primary: IOrAlt<unknown>[];
  readonly member: () => void;
  /** The arguments of a built-in function's call, right after its name. */
  readonly call: { readonly GATE: () => boolean; readonly DEF: () => void };
}

/** The functions an expression may call: `max(8, round(c * w / 8) * 8)`. compiler/sema/evaluate.ts. */
export const BUILTIN_FUNCTIONS: ReadonlySet<string> = new Set([
  'min',
  'max',
  'floor',
  'ceil',
  'round',
]);

export abstract class ExprParser extends CstParser {
  /**
   * `{ atom }` inline in the calling rule (`stmt` or `binding`), without a node per atom: the tokens
   * `/`, `=` and one-token values under `atomTok`; under `atomValue` the `unary` after a `/`, the
   * `expr` after a `=` or on its own, and the `exprTail` that continues a value token. Both lists
   * are in source order; cst-atoms.ts merges them. Uses DSL indices 7 to 9 of the calling rule.
   */
  protected atoms(): void {
    this.MANY9(this.atom);
  }

  private readonly atomAlts: IOrAlt<unknown>[] = [
    {
      ALT: () => {
        this.CONSUME9(T.StrideSlash, ATOM_TOK);
        this.SUBRULE7(this.unary, ATOM_VALUE);
      },
    },
    {
      // `64`, `3x3`, `same` (the common case: one token, no node), `stride=2`, `c * 2`; not a
      // call of a built-in function (`max(8, c)`), which is an `expr`.
      GATE: () => !this.builtinCallAt(1),
      ALT: () => {
        this.CONSUME8(T.Literal, ATOM_TOK);
        this.OPTION9(this.afterValueOption);
      },
    },
    // `(1, 2)`, `-1`, `not x`, `if ...`; a value first is taken by the alternative above.
    { ALT: () => this.SUBRULE9(this.expr, ATOM_VALUE) },
  ];
  // One token decides (a value token is never the start of the `expr` alternative here).
  private readonly atomOr = { DEF: this.atomAlts, IGNORE_AMBIGUITIES: true, MAX_LOOKAHEAD: 1 };
  private readonly afterValueAlts: IOrAlt<unknown>[] = [
    {
      // `name=value` (cst-to-ast reports a `=` after anything but a name)
      ALT: () => {
        this.CONSUME9(T.Equals, ATOM_TOK);
        this.SUBRULE8(this.expr, ATOM_VALUE);
      },
    },
    { ALT: () => this.SUBRULE9(this.exprTail, ATOM_VALUE) },
  ];
  /** `exprTail` may be empty, so the option is entered only where a tail or a `=` starts. */
  private readonly afterValueOption = {
    MAX_LOOKAHEAD: 1,
    GATE: (): boolean => {
      const next = this.LA(1);
      return (
        next.tokenType === T.Equals ||
        next.tokenType === T.Dot ||
        tokenMatcher(next, T.ArithOp) ||
        tokenMatcher(next, T.CmpOp) ||
        tokenMatcher(next, T.LogicOp)
      );
    },
    DEF: (): void => {
      this.OR8(this.afterValueAlts);
    },
  };
  /**
   * Does a call of a built-in function (`min`, `max`, `floor`, `ceil`, `round`) start at token `k`:
   * its name with a `(` glued to it? Only these names: `basic(64)` stays a block call.
   */
  protected builtinCallAt(k: number): boolean {
    const name = this.LA(k);
    const paren = this.LA(k + 1);
    return (
      name.tokenType === T.Identifier &&
      BUILTIN_FUNCTIONS.has(name.image) &&
      paren.tokenType === T.LParen &&
      paren.startOffset === name.startOffset + name.image.length
    );
  }

  protected readonly atom = (): void => {
    this.OR9(this.atomOr);
  };

  expr = this.RULE('expr', () => {
    this.OR(this.exprAlts);
  });

  /** The value of a stride shorthand `/2`: an operand only (`/2 * 3` is not a stride of 6). */
  unary = this.RULE('unary', () => {
    this.operand(0);
  });

  /** `(e)`, `(a, b)`, `(n = 2, 3,)`: tokens under `tok`, argument values under `argValue`. */
  paren = this.RULE('paren', () => {
    this.CONSUME(T.LParen, TOK);
    this.OPTION(() => {
      this.arg(0);
      this.MANY(() => {
        this.CONSUME(T.Comma, TOK);
        this.arg(1);
      });
      this.OPTION2(() => this.CONSUME2(T.Comma, TOK));
    });
    this.CONSUME(T.RParen, TOK);
  });

  private arg(i: number): void {
    this.option(i + 5, () => {
      this.consume(i, T.Identifier, TOK);
      this.consume(i, T.Equals, TOK);
    });
    this.subrule(i, this.expr, ARG_VALUE);
  }

  private readonly notOp = (): void => {
    this.CONSUME(T.Not, TOK);
  };
  private readonly notOp2 = (): void => {
    this.CONSUME2(T.Not, TOK);
  };
  private readonly cmp1 = (): void => {
    this.CONSUME(T.CmpOp, TOK);
    this.arith(50);
  };
  private readonly cmp2 = (): void => {
    this.CONSUME2(T.CmpOp, TOK);
    this.arith(130);
  };
  private readonly logicTail = (): void => {
    this.CONSUME(T.LogicOp, TOK);
    this.MANY3(this.notOp2);
    this.arith(90);
    this.OPTION2(this.cmp2);
  };

  private readonly exprAlts: IOrAlt<unknown>[] = [
    {
      ALT: () => {
        this.CONSUME(T.If, TOK);
        this.SUBRULE(this.expr, TEST);
        this.CONSUME(T.Then, TOK);
        this.SUBRULE2(this.expr, THEN);
        this.CONSUME(T.Else, TOK);
        this.SUBRULE3(this.expr, OTHERWISE);
      },
    },
    {
      ALT: () => {
        this.MANY(this.notOp);
        this.arith(10);
        this.OPTION(this.cmp1);
        this.MANY2(this.logicTail);
      },
    },
  ];

  /**
   * What may follow a lone value to make it an expression: `.b`, `* 2`, `< n`, `and x`. parser.ts
   * parses an atom that starts with a value as that value plus an optional tail, which keeps the
   * choice between atoms to one token of lookahead; cst-expr.ts joins the two again.
   */
  exprTail = this.RULE('exprTail', () => {
    this.MANY4(this.member4);
    this.many(20, this.arithTail(10));
    this.OPTION(this.cmp1);
    this.MANY2(this.logicTail);
  });

  private readonly member4 = (): void => {
    this.CONSUME4(T.Dot, TOK);
    this.CONSUME4(T.Identifier, TOK);
  };

  private readonly arithTails: (() => void)[] = [];

  /** `{ op operand }` after the operand of `arith(base)`, DSL indices `base + 10` to `base + 21`. */
  private arithTail(base: number): () => void {
    return (this.arithTails[base] ??= () => {
      this.consume(base + 10, T.ArithOp, TOK);
      this.operand(base + 20);
    });
  }

  /** `operand { op operand }` inline, with DSL indices from `base` to `base + 21`. */
  private arith(base: number): void {
    this.operand(base);
    this.many(base + 10, this.arithTail(base));
  }

  private readonly operandParts: OperandParts[] = [];

  /** `{ "-" } primary { "." IDENT }` inline, with DSL indices `b` and `b + 1`. */
  private operand(b: number): void {
    const parts = (this.operandParts[b] ??= {
      minus: () => {
        this.consume(b, T.Minus, TOK);
      },
      primary: [
        { ALT: () => this.consume(b, T.NumberLit, TOK) },
        { ALT: () => this.consume(b, T.StringLit, TOK) },
        { ALT: () => this.consume(b, T.Dims, TOK) },
        { ALT: () => this.consume(b, T.BoolLit, TOK) },
        { ALT: () => this.consume(b, T.Identifier, TOK) },
        { ALT: () => this.consume(b, T.In, TOK) },
        { ALT: () => this.subrule(b, this.paren) },
      ],
      member: () => {
        this.consume(b, T.Dot, TOK);
        this.consume(b + 1, T.Identifier, TOK);
      },
      call: {
        GATE: () => this.builtinCallAt(0),
        DEF: () => {
          this.subrule(b + 1, this.paren);
        },
      },
    });
    this.many(b, parts.minus);
    this.or(b, parts.primary);
    this.option(b + 3, parts.call);
    this.many(b + 1, parts.member);
  }
}
