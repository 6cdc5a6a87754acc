/**
 * Every token of the .cnn language, in lexing order (see docs/language.md, "Lexical structure").
 *
 * Order matters: comments before the operators that start like them, DIMS before NUMBER and
 * Identifier, keywords (longest first, each with `longer_alt: Identifier`) before Identifier, `..`
 * before `.`, two-character comparisons before their one-character prefixes, the stride slash before
 * the divide slash. Token categories (`Sep`, `ArithOp`, ...) let one CONSUME accept several tokens.
 * Each token's `label` is how syntax errors name it when it is expected.
 */
import { createToken, Lexer } from './chevrotain.js';
import type { CustomPatternMatcherReturn, TokenType } from 'chevrotain';

// ---------------------------------------------------------------- categories

/** A statement separator: a newline, `,` or `;`. */
export const Sep = createToken({ name: 'Sep', pattern: Lexer.NA, label: 'a new line, `,` or `;`' });
/** `+ - * / %` (precedence is applied when the AST is built). */
export const ArithOp = createToken({
  name: 'ArithOp',
  pattern: Lexer.NA,
  label: 'an operator (`+`, `-`, `*`, `/`, `%`)',
});
/** `and`, `or`. */
export const LogicOp = createToken({ name: 'LogicOp', pattern: Lexer.NA, label: '`and` or `or`' });
export const CmpOp = createToken({ name: 'CmpOp', pattern: Lexer.NA, label: 'a comparison' });
export const LimitOp = createToken({ name: 'LimitOp', pattern: Lexer.NA, label: '`<=` or `<`' });
export const MergeOp = createToken({
  name: 'MergeOp',
  pattern: Lexer.NA,
  label: '`concat`, `add` or `multiply`',
});
export const FreezeKw = createToken({
  name: 'FreezeKw',
  pattern: Lexer.NA,
  label: '`freeze` or `unfreeze`',
});
export const ParamType = createToken({
  name: 'ParamType',
  pattern: Lexer.NA,
  label: 'a type (`int`, `float`, `bool` or `string`)',
});
export const BoolLit = createToken({
  name: 'BoolLit',
  pattern: Lexer.NA,
  label: '`true` or `false`',
});
export const NumberLit = createToken({ name: 'NumberLit', pattern: Lexer.NA, label: 'a number' });
export const StringLit = createToken({ name: 'StringLit', pattern: Lexer.NA, label: 'a string' });
/** A one-token value: number, string, dims, name, `true`, `false`, `in`. */
export const Literal = createToken({ name: 'Literal', pattern: Lexer.NA, label: 'a value' });
/** One piece of a freeze/replace target: `stage2`, `0`, `.`, `..`, `*`. */
export const TargetPart = createToken({
  name: 'TargetPart',
  pattern: Lexer.NA,
  label: 'a layer name',
});

// ---------------------------------------------------------------- trivia

export const WhiteSpace = createToken({
  name: 'WhiteSpace',
  pattern: /[ \t\f\v\uFEFF]+/,
  group: Lexer.SKIPPED,
});
export const Newline = createToken({
  name: 'Newline',
  pattern: /\r\n?|\n/,
  line_breaks: true,
  categories: [Sep],
  label: 'a new line',
});
/** Comments go to their own channel (the lexer's `comments` group): the parser never sees them. */
export const LineComment = createToken({
  name: 'LineComment',
  pattern: /\/\/[^\r\n]*/,
  group: 'comments',
});
export const BlockComment = createToken({
  name: 'BlockComment',
  pattern: /\/\*[\s\S]*?\*\//,
  line_breaks: true,
  group: 'comments',
});
/** A `/*` without its `*\/`: runs to the end of the text; reported as CNN1003 by the lexer. */
export const UnterminatedComment = createToken({
  name: 'UnterminatedComment',
  pattern: /\/\*[\s\S]*/,
  line_breaks: true,
  group: 'unterminated',
});

// ---------------------------------------------------------------- literals

/** `5x5`, `224x224x3`, `?x?x3`, `HxWx3`: parts are digits, `?` or one capital letter. */
export const Dims = createToken({
  name: 'Dims',
  pattern: /(?:\d+|\?|[A-Z])(?:x(?:\d+|\?|[A-Z]))+(?![A-Za-z0-9_])/,
  categories: [Literal],
  label: 'dimensions like `3x3`',
});
export const NumberLiteral = createToken({
  name: 'NumberLiteral',
  pattern:
    /\d+(?:\.\d+)?(?:[eE][+-]?\d+)?(?:KiB|MiB|GiB|TiB|KB|MB|GB|TB|K|M|G|T|B)?(?![A-Za-z0-9_])/,
  categories: [NumberLit, Literal, TargetPart],
  label: 'a number',
});
/** A number glued to letters that are not a suffix (`5s`, `3x3q`): CNN1005, parsed as a number. */
export const BadNumber = createToken({
  name: 'BadNumber',
  pattern: /\d+(?:\.\d+)?(?:[eE][+-]?\d+)?[A-Za-z0-9_]*/,
  categories: [NumberLit, Literal, TargetPart],
  label: 'a number',
});
export const StringLiteral = createToken({
  name: 'StringLiteral',
  pattern: /"(?:[^"\\\r\n]|\\[^\r\n])*"/,
  categories: [StringLit, Literal],
  label: 'a string',
});
/** A string without its closing quote on the same line: CNN1003, parsed as a string. */
export const UnterminatedString = createToken({
  name: 'UnterminatedString',
  pattern: /"(?:[^"\\\r\n]|\\[^\r\n])*\\?/,
  categories: [StringLit, Literal],
  label: 'a string',
});

// ---------------------------------------------------------------- identifiers and keywords

export const Identifier = createToken({
  name: 'Identifier',
  pattern: /[A-Za-z_][A-Za-z0-9_]*/,
  categories: [Literal, TargetPart],
  label: 'a name',
});

function keyword(word: string, categories: TokenType[] = []): TokenType {
  return createToken({
    name: `Kw_${word}`,
    pattern: new RegExp(word),
    longer_alt: Identifier,
    categories,
    label: `\`${word}\``,
  });
}

export const Import = keyword('import');
export const Model = keyword('model');
export const Block = keyword('block');
export const Let = keyword('let');
export const With = keyword('with');
export const Repeat = keyword('repeat');
export const As = keyword('as');
export const Residual = keyword('residual');
/** Also a piece of a target: a residual's projection is named `shortcut` (`stage2.0.shortcut.conv`). */
export const Shortcut = keyword('shortcut', [TargetPart]);
export const When = keyword('when');
export const Concat = keyword('concat', [MergeOp]);
export const Add = keyword('add', [MergeOp]);
export const Multiply = keyword('multiply', [MergeOp]);
export const Branch = keyword('branch');
/** `branch from NAME`: a merge branch that reads an earlier labelled layer (named references). */
export const From = keyword('from');
/** `highway { transform { … } gate { … } }`. */
export const Highway = keyword('highway');
export const Freeze = keyword('freeze', [FreezeKw]);
export const Unfreeze = keyword('unfreeze', [FreezeKw]);
export const Replace = keyword('replace');
export const Append = keyword('append');
export const Cut = keyword('cut');
export const Budget = keyword('budget');
export const Train = keyword('train');
export const If = keyword('if');
export const Then = keyword('then');
export const Else = keyword('else');
export const And = keyword('and', [LogicOp]);
export const Or = keyword('or', [LogicOp]);
export const Not = keyword('not');
export const True = keyword('true', [BoolLit, Literal]);
export const False = keyword('false', [BoolLit, Literal]);
export const In = keyword('in', [Literal]);
export const Int = keyword('int', [ParamType]);
export const Float = keyword('float', [ParamType]);
export const Bool = keyword('bool', [ParamType]);
export const StringKw = keyword('string', [ParamType]);

/** Longest first, so that `in` never shadows `int` (longer_alt only falls back to Identifier). */
export const KEYWORDS: readonly TokenType[] = [
  Import, Model, Block, Let, With, Repeat, As, Residual, Shortcut, When, Concat, Add, Multiply,
  Branch, Freeze, Unfreeze, Replace, Append, Cut, Budget, Train, If, Then, Else, And, Or, Not, True,
  False, In, Int, Float, Bool, StringKw, From, Highway,
].sort((a, b) => String(b.PATTERN).length - String(a.PATTERN).length); // prettier-ignore

// ---------------------------------------------------------------- operators

function punct(name: string, text: string, categories: TokenType[] = []): TokenType {
  return createToken({ name, pattern: text, categories, label: `\`${text}\`` });
}

export const DotDot = punct('DotDot', '..', [TargetPart]);
export const Dot = punct('Dot', '.', [TargetPart]);
export const LessEq = punct('LessEq', '<=', [CmpOp, LimitOp]);
export const Less = punct('Less', '<', [CmpOp, LimitOp]);
export const GreaterEq = punct('GreaterEq', '>=', [CmpOp]);
export const Greater = punct('Greater', '>', [CmpOp]);
export const EqEq = punct('EqEq', '==', [CmpOp]);
export const NotEq = punct('NotEq', '!=', [CmpOp]);
export const Equals = punct('Equals', '=');
export const Colon = punct('Colon', ':');
export const LParen = punct('LParen', '(');
export const RParen = punct('RParen', ')');
export const LBrace = punct('LBrace', '{');
export const RBrace = punct('RBrace', '}');
export const Comma = punct('Comma', ',', [Sep]);
export const Semicolon = punct('Semicolon', ';', [Sep]);
export const Plus = punct('Plus', '+', [ArithOp]);
export const Minus = punct('Minus', '-', [ArithOp]);
export const Star = punct('Star', '*', [ArithOp, TargetPart]);
export const Percent = punct('Percent', '%', [ArithOp]);
export const Slash = punct('Slash', '/', [ArithOp]);

function isSpace(code: number): boolean {
  return code === 32 || (code >= 9 && code <= 13) || code === 0xfeff;
}

/**
 * The stride shorthand `/2`: a `/` preceded by whitespace, the start of the text, `(` or `,`, and
 * followed by a character that is not whitespace. Any other `/` divides (`c/2`, `c / 2`).
 */
export const StrideSlash = createToken({
  name: 'StrideSlash',
  pattern: {
    exec: (text: string, offset: number): CustomPatternMatcherReturn | null => {
      if (text.charCodeAt(offset) !== 47 || offset + 1 >= text.length) return null;
      if (isSpace(text.charCodeAt(offset + 1))) return null;
      if (offset > 0) {
        const prev = text.charCodeAt(offset - 1);
        if (!isSpace(prev) && prev !== 40 /* ( */ && prev !== 44 /* , */) return null;
      }
      return ['/'];
    },
  },
  start_chars_hint: ['/'],
  line_breaks: false,
  label: 'a stride like `/2`',
});

/** All token types in lexing order. */
export const ALL_TOKENS: readonly TokenType[] = [
  // categories (never matched directly)
  Sep, ArithOp, LogicOp, CmpOp, LimitOp, MergeOp, FreezeKw, ParamType, BoolLit, NumberLit, StringLit,
  Literal, TargetPart,
  // trivia
  WhiteSpace, Newline, LineComment, BlockComment, UnterminatedComment,
  // literals
  Dims, NumberLiteral, BadNumber, StringLiteral, UnterminatedString,
  // words
  ...KEYWORDS, Identifier,
  // operators
  DotDot, Dot, LessEq, Less, GreaterEq, Greater, EqEq, NotEq, Equals, Colon, LParen, RParen,
  LBrace, RBrace, Comma, Semicolon, Plus, Minus, Star, Percent, StrideSlash, Slash,
]; // prettier-ignore

// ---------------------------------------------------------------- literal values

const DECIMAL_SUFFIX: Readonly<Record<string, number>> = {
  K: 3, M: 6, G: 9, T: 12, KB: 3, MB: 6, GB: 9, TB: 12, B: 0,
}; // prettier-ignore
const BINARY_SUFFIX: Readonly<Record<string, number>> = { KiB: 10, MiB: 20, GiB: 30, TiB: 40 };
const NUMBER_PARTS = /^(\d+(?:\.\d+)?)([eE][+-]?\d+)?([A-Za-z]*)$/;

/** The value of a number literal: `30M` = 30e6, `2GiB` = 2·2³⁰, `1e-4`. Malformed: its numeric prefix. */
export function numberValue(raw: string): number {
  const plain = Number(raw); // `64`, `0.5`, `1e-4`
  if (!Number.isNaN(plain)) return plain;
  const m = NUMBER_PARTS.exec(raw);
  if (!m) return parseFloat(raw);
  const [, mantissa, exponent = '', suffix = ''] = m;
  if (suffix === '') return Number(mantissa + exponent);
  const dec = DECIMAL_SUFFIX[suffix];
  if (dec !== undefined) {
    // Shift the exponent instead of multiplying, so `0.1M` is exactly 100000.
    const exp = (exponent === '' ? 0 : Number(exponent.slice(1))) + dec;
    return Number(`${mantissa}e${exp}`);
  }
  const bin = BINARY_SUFFIX[suffix];
  if (bin !== undefined) return Number(mantissa + exponent) * 2 ** bin;
  return parseFloat(raw);
}

/** The value of a string literal; tolerates a missing closing quote. */
export function stringValue(image: string, terminated: boolean): string {
  const body = image.slice(1, terminated ? -1 : undefined);
  return body.replace(/\\(.)?/g, (_all, c: string | undefined) =>
    c === 'n' ? '\n' : c === 't' ? '\t' : (c ?? ''),
  );
}
