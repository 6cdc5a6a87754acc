/**
 * Tokens → CST. The grammar of docs/language.md, one chevrotain rule per production (camelCase class
 * fields), one parser instance built once at module load, error recovery on.
 *
 * Differences in shape (not in the language accepted) from the EBNF, all for recovery or speed:
 * - `"{" body "}"` is one rule, `braceBody`, so that chevrotain can resynchronise inside a block
 *   (skip the bad tokens, continue with the next statement) instead of giving up on the block;
 * - its body is `{ sep | stmt }`; the separator required between two statements is checked by the
 *   parser itself (`missingSeparators`) so one forgotten newline costs one error, not the block;
 * - `unary` and `not` loop instead of recursing; freeze targets are runs of adjacent tokens.
 * Newlines inside parentheses never reach the parser (see lexer.ts).
 */
import { CstParser, tokenMatcher } from 'chevrotain';
import type { CstNode, IRecognitionException, IToken, TokenType } from 'chevrotain';
import * as T from './tokens.js';
import { messageProvider } from './syntax-diagnostics.js';

/** Two statements with no separator between them (`conv 3 { relu }`): the second one's first token. */
export interface MissingSeparator {
  readonly token: IToken;
}

class CnnParser extends CstParser {
  missingSeparators: MissingSeparator[] = [];

  constructor() {
    super([...T.ALL_TOKENS], {
      recoveryEnabled: true,
      maxLookahead: 3,
      nodeLocationTracking: 'onlyOffset',
      errorMessageProvider: messageProvider,
    });
    this.performSelfAnalysis();
  }

  /** Is the token after the next one adjacent to the previous one (no space between)? */
  private nextIsAdjacent(): boolean {
    const prev = this.LA(0);
    const next = this.LA(1);
    return prev.endOffset !== undefined && next.startOffset === prev.endOffset + 1;
  }

  private isAt(k: number, type: TokenType): boolean {
    return tokenMatcher(this.LA(k), type);
  }

  // ------------------------------------------------------------ declarations

  file = this.RULE('file', () => {
    this.MANY(() => {
      this.OR([
        { ALT: () => { this.CONSUME(T.Sep); } }, // prettier-ignore
        { ALT: () => { this.SUBRULE(this.decl); } }, // prettier-ignore
      ]);
    });
  });

  decl = this.RULE('decl', () => {
    this.OR([
      { ALT: () => this.SUBRULE(this.importDecl) },
      { ALT: () => this.SUBRULE(this.modelDecl) },
      { ALT: () => this.SUBRULE(this.blockDecl) },
    ]);
  });

  importDecl = this.RULE('importDecl', () => {
    this.CONSUME(T.Import);
    this.OR([
      { ALT: () => this.CONSUME(T.Identifier) },
      { ALT: () => this.CONSUME(T.StringLit) },
    ]);
  });

  modelDecl = this.RULE('modelDecl', () => {
    this.CONSUME(T.Model);
    this.CONSUME(T.Identifier, { LABEL: 'name' });
    this.OPTION(() => {
      this.CONSUME(T.Equals);
      this.CONSUME2(T.Identifier, { LABEL: 'base' });
    });
    this.SUBRULE(this.braceBody);
  });

  blockDecl = this.RULE('blockDecl', () => {
    this.CONSUME(T.Block);
    this.CONSUME(T.Identifier, { LABEL: 'name' });
    this.CONSUME(T.LParen);
    this.OPTION(() => {
      this.SUBRULE(this.param);
      this.MANY(() => {
        this.CONSUME(T.Comma);
        this.SUBRULE2(this.param);
      });
    });
    this.CONSUME(T.RParen);
    this.SUBRULE(this.braceBody);
  });

  param = this.RULE('param', () => {
    this.CONSUME(T.Identifier);
    this.CONSUME(T.Colon);
    this.CONSUME(T.ParamType);
    this.OPTION(() => {
      this.CONSUME(T.Equals);
      this.SUBRULE(this.expr);
    });
  });

  // ------------------------------------------------------------ statements

  braceBody = this.RULE('braceBody', () => {
    this.CONSUME(T.LBrace);
    let lastStmtEnd: IToken | undefined;
    this.MANY(() => {
      this.OR([
        {
          ALT: () => {
            this.CONSUME(T.Sep);
            lastStmtEnd = undefined;
          },
        },
        {
          ALT: () => {
            this.ACTION(() => {
              // Only when nothing was skipped in between: a skip has its own error already.
              if (lastStmtEnd !== undefined && lastStmtEnd === this.LA(0)) {
                this.missingSeparators.push({ token: this.LA(1) });
              }
            });
            this.SUBRULE(this.stmt);
            this.ACTION(() => {
              lastStmtEnd = this.LA(0);
            });
          },
        },
      ]);
    });
    this.CONSUME(T.RBrace);
  });

  stmt = this.RULE('stmt', () => {
    this.OR([
      {
        ALT: () => {
          this.OPTION(() => {
            this.CONSUME(T.Identifier, { LABEL: 'label' });
            this.CONSUME(T.Colon);
          });
          this.OR2([
            { ALT: () => this.SUBRULE(this.simpleStmt) },
            { ALT: () => this.SUBRULE(this.braceBody, { LABEL: 'group' }) },
            { ALT: () => this.SUBRULE(this.repeatStmt) },
            { ALT: () => this.SUBRULE(this.residualStmt) },
            { ALT: () => this.SUBRULE(this.mergeStmt) },
          ]);
        },
      },
      { ALT: () => this.SUBRULE(this.letStmt) },
      { ALT: () => this.SUBRULE(this.freezeStmt) },
      { ALT: () => this.SUBRULE(this.replaceStmt) },
      { ALT: () => this.SUBRULE(this.appendStmt) },
      { ALT: () => this.SUBRULE(this.budgetStmt) },
      { ALT: () => this.SUBRULE(this.trainStmt) },
    ]);
  });

  simpleStmt = this.RULE('simpleStmt', () => {
    this.CONSUME(T.Identifier, { LABEL: 'head' });
    this.MANY(() => this.SUBRULE(this.atom));
    this.OPTION(() => {
      this.CONSUME(T.With);
      this.SUBRULE(this.binding);
      this.MANY2({
        // `, X = ...` continues the list; `, relu` is the next statement.
        GATE: () => this.isAt(2, T.Identifier) && this.isAt(3, T.Equals),
        DEF: () => {
          this.CONSUME(T.Comma);
          this.SUBRULE2(this.binding);
        },
      });
    });
  });

  atom = this.RULE('atom', () => {
    this.OR([
      {
        ALT: () => {
          this.CONSUME(T.StrideSlash);
          this.SUBRULE(this.unary);
        },
      },
      {
        ALT: () => {
          this.CONSUME(T.Identifier, { LABEL: 'name' });
          this.CONSUME(T.Equals);
          this.SUBRULE(this.expr);
        },
      },
      { ALT: () => this.SUBRULE2(this.expr) },
    ]);
  });

  repeatStmt = this.RULE('repeatStmt', () => {
    this.CONSUME(T.Repeat);
    this.SUBRULE(this.expr);
    this.OPTION(() => {
      this.CONSUME(T.As);
      this.CONSUME(T.Identifier);
    });
    this.SUBRULE(this.braceBody);
  });

  residualStmt = this.RULE('residualStmt', () => {
    this.CONSUME(T.Residual);
    this.SUBRULE(this.braceBody, { LABEL: 'body' });
    this.OPTION(() => {
      this.OPTION2(() => this.CONSUME(T.Newline));
      this.CONSUME(T.Shortcut);
      this.OPTION3(() => {
        this.CONSUME(T.When);
        this.SUBRULE(this.expr);
      });
      this.SUBRULE2(this.braceBody, { LABEL: 'shortcut' });
    });
  });

  mergeStmt = this.RULE('mergeStmt', () => {
    this.CONSUME(T.MergeOp);
    this.CONSUME(T.LBrace);
    this.MANY(() => {
      this.OR([
        { ALT: () => { this.CONSUME(T.Sep); } }, // prettier-ignore
        { ALT: () => { this.SUBRULE(this.branch); } }, // prettier-ignore
        // `concat { conv 3 }`: parsed so that cst-to-ast can say "expected `branch`" and move on.
        { ALT: () => { this.SUBRULE(this.stmt, { LABEL: 'misplaced' }); } }, // prettier-ignore
      ]);
    });
    this.CONSUME(T.RBrace);
  });

  branch = this.RULE('branch', () => {
    this.OPTION({
      // Only a real label: `concat { conv 3 }` is "expected `branch`", not "expected `:`".
      GATE: () => this.isAt(2, T.Colon),
      DEF: () => {
        this.CONSUME(T.Identifier, { LABEL: 'label' });
        this.CONSUME(T.Colon);
      },
    });
    this.CONSUME(T.Branch);
    this.SUBRULE(this.braceBody);
  });

  letStmt = this.RULE('letStmt', () => {
    this.CONSUME(T.Let);
    this.SUBRULE(this.binding);
    this.MANY({
      GATE: () => this.isAt(2, T.Identifier) && this.isAt(3, T.Equals),
      DEF: () => {
        this.CONSUME(T.Comma);
        this.SUBRULE2(this.binding);
      },
    });
  });

  binding = this.RULE('binding', () => {
    this.CONSUME(T.Identifier);
    this.CONSUME(T.Equals);
    this.OR([
      { ALT: () => this.SUBRULE(this.braceBody, { LABEL: 'group' }) },
      {
        ALT: () => {
          this.SUBRULE(this.expr);
          this.MANY(() => this.SUBRULE(this.atom));
        },
      },
    ]);
  });

  freezeStmt = this.RULE('freezeStmt', () => {
    this.CONSUME(T.FreezeKw);
    this.SUBRULE(this.target);
    this.MANY(() => {
      this.CONSUME(T.Comma);
      this.SUBRULE2(this.target);
    });
  });

  target = this.RULE('target', () => {
    this.CONSUME(T.TargetPart);
    this.MANY({ GATE: () => this.nextIsAdjacent(), DEF: () => this.CONSUME2(T.TargetPart) });
  });

  replaceStmt = this.RULE('replaceStmt', () => {
    this.CONSUME(T.Replace);
    this.SUBRULE(this.target);
    this.SUBRULE(this.braceBody);
  });

  appendStmt = this.RULE('appendStmt', () => {
    this.CONSUME(T.Append);
    this.SUBRULE(this.braceBody);
  });

  budgetStmt = this.RULE('budgetStmt', () => {
    this.CONSUME(T.Budget);
    this.SUBRULE(this.limit);
    this.MANY({
      GATE: () => this.isAt(2, T.Identifier) && this.isAt(3, T.LimitOp),
      DEF: () => {
        this.CONSUME(T.Comma);
        this.SUBRULE2(this.limit);
      },
    });
  });

  limit = this.RULE('limit', () => {
    this.CONSUME(T.Identifier);
    this.CONSUME(T.LimitOp);
    this.SUBRULE(this.expr);
  });

  trainStmt = this.RULE('trainStmt', () => {
    this.CONSUME(T.Train);
    this.SUBRULE(this.braceBody);
  });

  // ------------------------------------------------------------ expressions

  expr = this.RULE('expr', () => {
    this.OR([
      {
        ALT: () => {
          this.CONSUME(T.If);
          this.SUBRULE(this.expr, { LABEL: 'test' });
          this.CONSUME(T.Then);
          this.SUBRULE2(this.expr, { LABEL: 'then' });
          this.CONSUME(T.Else);
          this.SUBRULE3(this.expr, { LABEL: 'otherwise' });
        },
      },
      { ALT: () => this.SUBRULE(this.orExpr) },
    ]);
  });

  orExpr = this.RULE('orExpr', () => {
    this.SUBRULE(this.andExpr);
    this.MANY(() => {
      this.CONSUME(T.Or);
      this.SUBRULE2(this.andExpr);
    });
  });

  andExpr = this.RULE('andExpr', () => {
    this.SUBRULE(this.notExpr);
    this.MANY(() => {
      this.CONSUME(T.And);
      this.SUBRULE2(this.notExpr);
    });
  });

  notExpr = this.RULE('notExpr', () => {
    this.MANY(() => this.CONSUME(T.Not));
    this.SUBRULE(this.cmpExpr);
  });

  cmpExpr = this.RULE('cmpExpr', () => {
    this.SUBRULE(this.sum);
    this.OPTION(() => {
      this.CONSUME(T.CmpOp);
      this.SUBRULE2(this.sum);
    });
  });

  sum = this.RULE('sum', () => {
    this.SUBRULE(this.product);
    this.MANY(() => {
      this.CONSUME(T.AddOp);
      this.SUBRULE2(this.product);
    });
  });

  product = this.RULE('product', () => {
    this.SUBRULE(this.unary);
    this.MANY(() => {
      this.CONSUME(T.MulOp);
      this.SUBRULE2(this.unary);
    });
  });

  unary = this.RULE('unary', () => {
    this.MANY(() => this.CONSUME(T.Minus));
    this.SUBRULE(this.primary);
    this.MANY2(() => {
      this.CONSUME(T.Dot);
      this.CONSUME(T.Identifier, { LABEL: 'member' });
    });
  });

  primary = this.RULE('primary', () => {
    this.OR([
      { ALT: () => this.CONSUME(T.NumberLit) },
      { ALT: () => this.CONSUME(T.StringLit) },
      { ALT: () => this.CONSUME(T.Dims) },
      { ALT: () => this.CONSUME(T.BoolLit) },
      { ALT: () => this.CONSUME(T.Identifier) },
      { ALT: () => this.CONSUME(T.In) },
      { ALT: () => this.SUBRULE(this.paren) },
    ]);
  });

  /** `(e)`, `(a, b)`, `(n = 2, 3,)`; which one it is, is decided in cst-to-ast. */
  paren = this.RULE('paren', () => {
    this.CONSUME(T.LParen);
    this.OPTION(() => {
      this.SUBRULE(this.arg);
      this.MANY(() => {
        this.CONSUME(T.Comma);
        this.SUBRULE2(this.arg);
      });
      this.OPTION2(() => this.CONSUME2(T.Comma, { LABEL: 'trailing' }));
    });
    this.CONSUME(T.RParen);
  });

  arg = this.RULE('arg', () => {
    this.OPTION(() => {
      this.CONSUME(T.Identifier, { LABEL: 'name' });
      this.CONSUME(T.Equals);
    });
    this.SUBRULE(this.expr);
  });
}

const parser = new CnnParser();

export interface ParseOutput {
  /** Undefined only if chevrotain gave up entirely (never observed). */
  readonly cst: CstNode | undefined;
  readonly errors: readonly IRecognitionException[];
  readonly missingSeparators: readonly MissingSeparator[];
}

/** Parse a token stream (from lexer.ts) into a CST. Reuses the one parser instance. */
export function parseTokens(tokens: IToken[]): ParseOutput {
  parser.missingSeparators = [];
  parser.input = tokens;
  const cst = parser.file();
  return {
    cst,
    errors: [...parser.errors],
    missingSeparators: parser.missingSeparators,
  };
}
