/**
 * Tokens → CST. The grammar of docs/language.md, one chevrotain rule per production (camelCase class
 * fields; expressions in parser-expr.ts), one parser instance built once at module load, error
 * recovery on.
 *
 * Differences in shape (not in the language accepted) from the EBNF, for recovery or speed:
 * - `"{" body "}"` is one rule, `braceBody`, so that chevrotain can resynchronise inside a block
 *   (skip the bad tokens, continue with the next statement) instead of giving up on the block;
 * - its body is `{ sep | stmt }`; the separator required between two statements is checked by the
 *   parser itself (`missingSeparators`), so one forgotten newline costs one error, not the block;
 * - a simple statement and its atoms have no CST node of their own: they are inline in `stmt`
 *   (and `binding`), labelled, and cst-to-ast puts them back in source order;
 * - `merge` also accepts statements, so that `concat { conv 3 }` gets a precise error;
 * - freeze targets are runs of adjacent tokens (`stage2.0.conv1`, not `stage2 0`);
 * - a `train` body has its own rules (`trainBody`, `setting`): a setting is a simple statement whose
 *   arguments may also be layer patterns (`stage2.0`, `block_1*`, `..stage3`: a run of adjacent
 *   target tokens that starts with a name, `..` or `*`) and `freeze`/`unfreeze` words, and
 *   `lr PATTERN RATE` goes on across commas while `, PATTERN RATE` follows (`lr a 1e-4, b 1e-3`).
 * Newlines inside parentheses never reach the parser (see lexer.ts). Alternatives and closures on hot
 * paths are built once (fields) rather than on every call.
 */
import { tokenMatcher } from './chevrotain.js';
import type { CstNode, IOrAlt, IRecognitionException, IToken, TokenType } from 'chevrotain';
import { ExprParser } from './parser-expr.js';
import { LazyLookahead } from './lazy-lookahead.js';
import * as T from './tokens.js';
import { messageProvider, tooManyErrors } from './syntax-diagnostics.js';

/** Two statements with no separator between them (`conv 3 { relu }`): the second one's first token. */
export interface MissingSeparator {
  readonly token: IToken;
}

const notTooManyErrors = (): boolean => !tooManyErrors();

const NAME = { LABEL: 'name' };
const BASE = { LABEL: 'base' };
const LABEL = { LABEL: 'label' };
const HEAD = { LABEL: 'head' };
const GROUP = { LABEL: 'group' };
const BODY = { LABEL: 'body' };
const SHORTCUT = { LABEL: 'shortcut' };
const VALUE = { LABEL: 'value' };
const MISPLACED = { LABEL: 'misplaced' };
const WHERE = { LABEL: 'where' };
const PATTERN = { LABEL: 'pattern' };
const WORD = { LABEL: 'word' };
const MORE = { LABEL: 'more' };
const OTHERWISE = { LABEL: 'otherwise' };
const BARE = { LABEL: 'bare' };
const TYPE_NAME = { LABEL: 'typeName' };
const BARE_ELSE = { LABEL: 'bareElse' };
const REF = { LABEL: 'ref' };

class CnnParser extends ExprParser {
  missingSeparators: MissingSeparator[] = [];
  /** The last token of the statement just parsed in the innermost body, until a separator. */
  private lastStmtEnd: IToken | undefined;

  /** `validate`: run chevrotain's grammar checks (ambiguities, left recursion...); see `checkGrammar`. */
  constructor(validate: boolean) {
    super([...T.ALL_TOKENS], {
      recoveryEnabled: true,
      maxLookahead: 3,
      lookaheadStrategy: new LazyLookahead(3),
      // No node locations: cst-to-ast takes spans from tokens, and the CST stays small.
      nodeLocationTracking: 'none',
      errorMessageProvider: messageProvider,
      skipValidations: !validate,
    });
    this.performSelfAnalysis();
  }

  /** Does the next token touch the previous one (no space between)? */
  private nextIsAdjacent(): boolean {
    const prev = this.LA(0);
    return this.LA(1).startOffset === prev.startOffset + prev.image.length;
  }

  private isAt(k: number, type: TokenType): boolean {
    return tokenMatcher(this.LA(k), type);
  }

  /** Does token `k + 1` touch token `k` (no space between)? */
  private adjacentAt(k: number): boolean {
    const a = this.LA(k);
    return this.LA(k + 1).startOffset === a.startOffset + a.image.length;
  }

  /**
   * Does a layer pattern start at token `k`: a run of adjacent target tokens that begins with `..`,
   * `*`, or a name with more of the run glued to it (`stage2.0`, `block_1*`)? A number first is
   * arithmetic (`2*3`); a lone name is an ordinary value.
   */
  private patternAt(k: number): boolean {
    const t = this.LA(k).tokenType;
    if (t === T.DotDot || t === T.Star) return true;
    return t === T.Identifier && this.isAt(k + 1, T.TargetPart) && this.adjacentAt(k);
  }

  /** The index of the last token of the run of adjacent target tokens that starts at `k`. */
  private runEnd(k: number): number {
    while (this.isAt(k + 1, T.TargetPart) && this.adjacentAt(k)) k++;
    return k;
  }

  /** The head and first argument of the setting being parsed (for `lr PATTERN RATE, …`). */
  private settingHead: IToken | undefined;
  private settingFirst: IToken | undefined;
  private settingSecond: IToken | undefined;

  /** `, PATTERN RATE` after `lr PATTERN RATE`: the list of learning rates per group goes on. */
  private groupContinues(): boolean {
    if (this.settingHead?.image === 'loss') return this.lossContinues();
    if (this.settingHead?.image !== 'lr' || !this.settingFirst) return false;
    const first = this.settingFirst.tokenType;
    if (first !== T.Identifier && first !== T.DotDot && first !== T.Star) return false;
    if (!this.isAt(1, T.Comma)) return false;
    const t = this.LA(2).tokenType;
    if (t !== T.Identifier && t !== T.DotDot && t !== T.Star) return false;
    return this.isAt(this.runEnd(2) + 1, T.NumberLit);
  }

  /**
   * `loss main categorical, aux categorical 0.3`: after a first pair of two words (an output and
   * its loss), `, WORD WORD` is the next output's; `loss categorical, optimizer sgd` is two settings.
   */
  private lossContinues(): boolean {
    if (this.settingFirst?.tokenType !== T.Identifier) return false;
    if (this.settingSecond?.tokenType !== T.Identifier) return false;
    return this.isAt(1, T.Comma) && this.isAt(2, T.Identifier) && this.isAt(3, T.Identifier);
  }

  /** `, IDENT =` continues a binding list; `, relu` is the next statement. */
  private readonly moreBindings = {
    GATE: (): boolean => this.isAt(2, T.Identifier) && this.isAt(3, T.Equals),
    DEF: (): void => {
      this.CONSUME(T.Comma);
      this.SUBRULE2(this.binding);
    },
  };

  // ------------------------------------------------------------ declarations

  file = this.RULE('file', () => {
    this.MANY({
      GATE: notTooManyErrors,
      DEF: () => {
        this.OR([
          { ALT: () => { this.CONSUME(T.Sep); } }, // prettier-ignore
          { ALT: () => { this.SUBRULE(this.decl); } }, // prettier-ignore
        ]);
      },
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
    this.OR([{ ALT: () => this.CONSUME(T.Identifier) }, { ALT: () => this.CONSUME(T.StringLit) }]);
  });

  modelDecl = this.RULE('modelDecl', () => {
    this.CONSUME(T.Model);
    this.CONSUME(T.Identifier, NAME);
    this.OPTION(() => {
      this.CONSUME(T.Equals);
      this.CONSUME2(T.Identifier, BASE);
    });
    this.SUBRULE(this.braceBody);
  });

  blockDecl = this.RULE('blockDecl', () => {
    this.CONSUME(T.Block);
    this.CONSUME(T.Identifier, NAME);
    this.CONSUME(T.LParen);
    this.OPTION(() => {
      this.SUBRULE(this.param);
      this.MANY({
        GATE: notTooManyErrors,
        DEF: () => {
          this.CONSUME(T.Comma);
          this.SUBRULE2(this.param);
        },
      });
    });
    this.CONSUME(T.RParen);
    this.SUBRULE(this.braceBody);
  });

  param = this.RULE('param', () => {
    this.CONSUME(T.Identifier);
    this.CONSUME(T.Colon);
    // `int`, `float`, `bool`, `string` are keywords; `dims` (and a misspelt type) is a name, so
    // that `dims` stays free as a variable name elsewhere. cst-to-ast checks it.
    this.OR([
      { ALT: () => this.CONSUME(T.ParamType) },
      { ALT: () => this.CONSUME2(T.Identifier, TYPE_NAME) },
    ]);
    this.OPTION(() => {
      this.CONSUME(T.Equals);
      this.SUBRULE(this.expr);
    });
  });

  // ------------------------------------------------------------ statements

  braceBody = this.RULE('braceBody', () => {
    this.CONSUME(T.LBrace);
    this.lastStmtEnd = undefined;
    this.MANY(this.bodyLoop);
    this.CONSUME(T.RBrace);
  });

  private readonly bodyItems: IOrAlt<unknown>[] = [
    {
      ALT: () => {
        this.CONSUME(T.Sep);
        this.lastStmtEnd = undefined;
      },
    },
    {
      ALT: () => {
        // Only when nothing was skipped in between: a skip has its own error already.
        if (
          !this.RECORDING_PHASE &&
          this.lastStmtEnd !== undefined &&
          this.lastStmtEnd === this.LA(0)
        ) {
          this.missingSeparators.push({ token: this.LA(1) });
        }
        this.SUBRULE(this.stmt);
        if (!this.RECORDING_PHASE) this.lastStmtEnd = this.LA(0);
      },
    },
  ];
  private readonly bodyLoop = {
    GATE: notTooManyErrors,
    DEF: (): void => {
      this.OR(this.bodyItems);
    },
  };

  /** A statement; a simple statement's head, atoms and `with` list are inline (no node of their own). */
  stmt = this.RULE('stmt', () => {
    this.OR(this.stmtAlts);
  });

  private readonly labelDef = (): void => {
    this.CONSUME(T.Identifier, LABEL);
    this.CONSUME(T.Colon);
  };
  private readonly labelledAlts: IOrAlt<unknown>[] = [
    { ALT: () => this.simpleStmt() },
    { ALT: () => this.SUBRULE(this.braceBody, GROUP) },
    { ALT: () => this.SUBRULE(this.repeatStmt) },
    { ALT: () => this.SUBRULE(this.residualStmt) },
    { ALT: () => this.SUBRULE(this.mergeStmt) },
    { ALT: () => this.SUBRULE(this.highwayStmt) },
  ];
  private readonly stmtAlts: IOrAlt<unknown>[] = [
    {
      // `output NAME …`: `output` is a word, not a keyword, so that a layer labelled `output:`
      // (or a block called `output`) keeps working; only `output` followed by a name starts one.
      GATE: () =>
        this.LA(1).image === 'output' && this.isAt(1, T.Identifier) && this.isAt(2, T.Identifier),
      ALT: () => this.SUBRULE(this.outputStmt),
      IGNORE_AMBIGUITIES: true,
    },
    {
      ALT: () => {
        this.OPTION(this.labelDef);
        this.OR2(this.labelledAlts);
      },
    },
    { ALT: () => this.SUBRULE(this.letStmt) },
    { ALT: () => this.SUBRULE(this.freezeStmt) },
    { ALT: () => this.SUBRULE(this.replaceStmt) },
    { ALT: () => this.SUBRULE(this.appendStmt) },
    { ALT: () => this.SUBRULE(this.cutStmt) },
    { ALT: () => this.SUBRULE(this.budgetStmt) },
    { ALT: () => this.SUBRULE(this.trainStmt) },
    { ALT: () => this.SUBRULE(this.ifStmt) },
  ];

  private simpleStmt(): void {
    this.CONSUME2(T.Identifier, HEAD);
    this.atoms();
    this.OPTION2(this.withList);
  }

  private readonly withList = (): void => {
    this.CONSUME(T.With);
    this.SUBRULE(this.binding);
    this.MANY(this.moreBindings);
  };

  repeatStmt = this.RULE('repeatStmt', () => {
    this.CONSUME(T.Repeat);
    this.SUBRULE(this.expr);
    this.OPTION(() => {
      this.CONSUME(T.As);
      this.CONSUME(T.Identifier);
    });
    this.SUBRULE(this.braceBody);
  });

  /** `if cond { … } else if cond { … } else { … }`; `else` may start the next line. */
  ifStmt = this.RULE('ifStmt', () => {
    this.CONSUME(T.If);
    this.SUBRULE(this.expr);
    this.OR({ DEF: this.ifForms, IGNORE_AMBIGUITIES: true });
  });

  private readonly elseNext = (): boolean =>
    this.isAt(1, T.Else) || (this.isAt(1, T.Newline) && this.isAt(2, T.Else));
  private readonly ifForms: IOrAlt<unknown>[] = [
    {
      GATE: () => this.isAt(1, T.LBrace),
      ALT: () => {
        this.SUBRULE(this.braceBody, BODY);
        this.OPTION({
          GATE: this.elseNext,
          DEF: () => {
            this.OPTION2(() => this.CONSUME(T.Newline));
            this.CONSUME(T.Else);
            this.OR2([
              { ALT: () => this.SUBRULE2(this.braceBody, OTHERWISE) },
              { ALT: () => this.SUBRULE(this.ifStmt, OTHERWISE) },
            ]);
          },
        });
      },
    },
    {
      // `if c then relu else bn` or `if c relu`: parsed whole so that cst-to-ast gives one error
      // (bodies go in braces) instead of a cascade.
      ALT: () => {
        this.OPTION3(() => this.CONSUME(T.Then, MISPLACED));
        this.SUBRULE(this.stmt, BARE);
        this.OPTION4({
          GATE: this.elseNext,
          DEF: () => {
            this.OPTION5(() => this.CONSUME2(T.Newline));
            this.CONSUME2(T.Else);
            this.SUBRULE2(this.stmt, BARE_ELSE);
          },
        });
      },
    },
  ];

  residualStmt = this.RULE('residualStmt', () => {
    this.CONSUME(T.Residual);
    this.SUBRULE(this.braceBody, BODY);
    this.OPTION({
      // `}` NEWLINE `shortcut` continues the residual; `}` NEWLINE `relu` is the next statement.
      GATE: () => this.isAt(1, T.Shortcut) || (this.isAt(1, T.Newline) && this.isAt(2, T.Shortcut)),
      DEF: () => {
        this.OPTION2(() => this.CONSUME(T.Newline));
        this.CONSUME(T.Shortcut);
        this.OPTION3(() => {
          this.CONSUME(T.When);
          this.SUBRULE(this.expr);
        });
        this.SUBRULE2(this.braceBody, SHORTCUT);
      },
    });
  });

  mergeStmt = this.RULE('mergeStmt', () => {
    this.CONSUME(T.MergeOp);
    this.CONSUME(T.LBrace);
    this.MANY({
      GATE: notTooManyErrors,
      DEF: () => {
        this.OR([
          { ALT: () => { this.CONSUME(T.Sep); } }, // prettier-ignore
          { ALT: () => { this.SUBRULE(this.branch); } }, // prettier-ignore
          // `concat { conv 3 }`: parsed so that cst-to-ast can say "expected `branch`" and move on.
          { ALT: () => { this.SUBRULE(this.stmt, MISPLACED); } }, // prettier-ignore
        ]);
      },
    });
    this.CONSUME(T.RBrace);
  });

  branch = this.RULE('branch', () => {
    this.OPTION({
      // Only a real label: `concat { conv 3 }` is "expected `branch`", not "expected `:`".
      GATE: () => this.isAt(2, T.Colon),
      DEF: () => {
        this.CONSUME(T.Identifier, LABEL);
        this.CONSUME(T.Colon);
      },
    });
    this.CONSUME(T.Branch);
    // `branch from NAME [{ … }]`: the branch reads an earlier labelled layer instead of the input.
    this.OPTION2(() => {
      this.CONSUME(T.From);
      this.SUBRULE(this.target, REF);
    });
    // Required unless `from` is given (cst-to-ast reports a missing one).
    this.OPTION3(() => this.SUBRULE(this.braceBody));
  });

  /** `highway { transform { … } gate { … } }`; cst-to-ast checks the words. */
  highwayStmt = this.RULE('highwayStmt', () => {
    this.CONSUME(T.Highway);
    this.CONSUME(T.LBrace);
    this.MANY({
      GATE: notTooManyErrors,
      DEF: () => {
        this.OR([
          { ALT: () => { this.CONSUME(T.Sep); } }, // prettier-ignore
          { ALT: () => { this.SUBRULE(this.highwayPart); } }, // prettier-ignore
        ]);
      },
    });
    this.CONSUME(T.RBrace);
  });

  highwayPart = this.RULE('highwayPart', () => {
    this.CONSUME(T.Identifier, WORD);
    this.SUBRULE(this.braceBody);
  });

  letStmt = this.RULE('letStmt', () => {
    this.CONSUME(T.Let);
    this.SUBRULE(this.binding);
    this.MANY(this.moreBindings);
  });

  binding = this.RULE('binding', () => {
    this.CONSUME(T.Identifier);
    this.CONSUME(T.Equals);
    this.OR([
      { ALT: () => this.SUBRULE(this.braceBody, GROUP) },
      {
        ALT: () => {
          this.SUBRULE(this.expr, VALUE);
          this.atoms();
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

  /** `cut after NAME` / `cut before NAME`; cst-to-ast checks the word (a missing one too). */
  /** `output NAME [from REF] [{ … }]`: a named output of the model (cst-to-ast checks the parts). */
  outputStmt = this.RULE('outputStmt', () => {
    this.CONSUME(T.Identifier, WORD);
    this.CONSUME2(T.Identifier, NAME);
    this.OPTION(() => {
      this.CONSUME(T.From);
      this.SUBRULE(this.target, REF);
    });
    this.OPTION2(() => this.SUBRULE(this.braceBody));
  });

  cutStmt = this.RULE('cutStmt', () => {
    this.CONSUME(T.Cut);
    this.OPTION({
      GATE: () => this.isAt(1, T.Identifier) && this.isAt(2, T.TargetPart) && !this.adjacentAt(1),
      DEF: () => this.CONSUME(T.Identifier, WHERE),
    });
    this.SUBRULE(this.target);
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
    this.SUBRULE(this.trainBody);
  });

  /** `{ setting… }`; other statements are parsed (as `misplaced`) so that cst-to-ast can name them. */
  trainBody = this.RULE('trainBody', () => {
    this.CONSUME(T.LBrace);
    this.lastStmtEnd = undefined;
    this.MANY(this.trainLoop);
    this.CONSUME(T.RBrace);
  });

  private checkSeparator(): void {
    if (!this.RECORDING_PHASE && this.lastStmtEnd !== undefined && this.lastStmtEnd === this.LA(0))
      this.missingSeparators.push({ token: this.LA(1) });
  }
  private readonly trainItems: IOrAlt<unknown>[] = [
    {
      ALT: () => {
        this.CONSUME(T.Sep);
        this.lastStmtEnd = undefined;
      },
    },
    {
      GATE: () => this.isAt(1, T.Identifier) && !this.isAt(2, T.Colon),
      ALT: () => {
        this.checkSeparator();
        this.SUBRULE(this.setting);
        if (!this.RECORDING_PHASE) this.lastStmtEnd = this.LA(0);
      },
    },
    {
      ALT: () => {
        this.checkSeparator();
        this.SUBRULE(this.stmt, MISPLACED);
        if (!this.RECORDING_PHASE) this.lastStmtEnd = this.LA(0);
      },
    },
  ];
  private readonly trainLoop = {
    GATE: notTooManyErrors,
    DEF: (): void => {
      this.OR({ DEF: this.trainItems, IGNORE_AMBIGUITIES: true });
    },
  };

  /** `key value key value…`, `lr PATTERN RATE, PATTERN RATE`, `at epoch 3 unfreeze PATTERN lr RATE`. */
  setting = this.RULE('setting', () => {
    this.CONSUME(T.Identifier, HEAD);
    if (!this.RECORDING_PHASE) {
      this.settingHead = this.LA(0);
      this.settingFirst = this.LA(1);
      this.settingSecond = this.LA(2);
    }
    this.MANY(this.settingArgLoop);
  });

  private readonly settingArgs: IOrAlt<unknown>[] = [
    { GATE: () => this.isAt(1, T.Comma), ALT: () => this.CONSUME(T.Comma, MORE) },
    { GATE: () => this.patternAt(1), ALT: () => this.SUBRULE(this.target, PATTERN) },
    { ALT: () => this.CONSUME(T.FreezeKw, WORD) },
    { ALT: () => this.atom() },
  ];
  private readonly settingArgLoop = {
    GATE: (): boolean => !this.isAt(1, T.Comma) || this.groupContinues(),
    DEF: (): void => {
      this.OR2({ DEF: this.settingArgs, IGNORE_AMBIGUITIES: true });
    },
  };
}

// The grammar checks take about 100 ms, on every start of the compiler; test/grammar runs them.
const parser = new CnnParser(false);

/**
 * Build the parser again with chevrotain's grammar checks on; throws if the grammar has a definition
 * error (an ambiguity not marked as intended, left recursion, a duplicate DSL index...). For tests.
 */
export function checkGrammar(): void {
  new CnnParser(true);
}

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
