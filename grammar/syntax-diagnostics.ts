/**
 * Syntax errors: chevrotain's recognition exceptions → CNN1001 (unexpected token) / CNN1004 (missing
 * token) diagnostics that say what was expected and what was found, in words.
 *
 * chevrotain builds each error's message through `messageProvider` at the moment of the error, when
 * only the parser's state is known. The provider encodes what the diagnostic needs (code, message,
 * the `{` or `(` left open) as JSON in the message, and `syntaxDiagnostics` decodes it afterwards.
 * The provider reads the text and tokens of the parse in progress from a module-level context that
 * `withSyntaxContext` sets around the parse (the parser is synchronous and single-instance).
 */
import { EOF, tokenMatcher } from './chevrotain.js';
import type {
  IParserErrorMessageProvider,
  IRecognitionException,
  IToken,
  TokenType,
} from 'chevrotain';
import { diag } from '../compiler/diagnostics/diagnostic.js';
import type { Diagnostic, Label, Span } from '../compiler/diagnostics/diagnostic.js';
import * as T from './tokens.js';

type SyntaxCode = 'CNN1001' | 'CNN1004';

interface Payload {
  readonly code: SyntaxCode;
  readonly message: string;
  /** Offset of the unclosed `{` / `(` the error is about. */
  readonly opener?: number;
  /** An error between declarations (garbage at the top level). */
  readonly topLevel?: boolean;
  readonly help?: string;
}

// ---------------------------------------------------------------- context of the parse in progress

/**
 * After this many syntax errors the parser stops trying (loops stop iterating) and the rest of the
 * file is skipped: chevrotain's recovery costs a scan and a stack frame per error, and a file with
 * thousands of errors is not worth reading further.
 */
export const MAX_SYNTAX_ERRORS = 100;

interface Context {
  readonly text: string;
  readonly tokens: readonly IToken[];
  /** Errors built so far (each goes through the message provider). */
  errorCount: number;
  lineStarts?: number[];
  braces?: Int32Array;
  parens?: Int32Array;
}

let context: Context | undefined;

/** Run `fn` (the parse) with `text` and its `tokens` visible to the message provider. */
export function withSyntaxContext<R>(text: string, tokens: readonly IToken[], fn: () => R): R {
  const saved = context;
  context = { text, tokens, errorCount: 0 };
  try {
    return fn();
  } finally {
    context = saved;
  }
}

/** Has the parse in progress hit MAX_SYNTAX_ERRORS? (GATE of the parser's statement loops.) */
export function tooManyErrors(): boolean {
  return context !== undefined && context.errorCount >= MAX_SYNTAX_ERRORS;
}

function isEof(t: IToken): boolean {
  return t.tokenType === EOF || !Number.isFinite(t.startOffset);
}

/** 1-based line of an offset. */
function lineOf(ctx: Context, offset: number): number {
  if (!ctx.lineStarts) {
    const starts = [0];
    const re = /\r\n?|\n/g;
    for (let m = re.exec(ctx.text); m; m = re.exec(ctx.text)) starts.push(m.index + m[0].length);
    ctx.lineStarts = starts;
  }
  const starts = ctx.lineStarts;
  let lo = 0;
  let hi = starts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (starts[mid] <= offset) lo = mid;
    else hi = mid - 1;
  }
  return lo + 1;
}

/** For every token index (and one past the end), the index of the innermost unclosed opener before it. */
function enclosingOpeners(
  tokens: readonly IToken[],
  open: TokenType,
  close: TokenType,
): Int32Array {
  const result = new Int32Array(tokens.length + 1);
  const stack: number[] = [];
  for (let i = 0; i < tokens.length; i++) {
    result[i] = stack.length > 0 ? stack[stack.length - 1] : -1;
    const type = tokens[i].tokenType;
    if (type === open) stack.push(i);
    else if (type === close) stack.pop();
  }
  result[tokens.length] = stack.length > 0 ? stack[stack.length - 1] : -1;
  return result;
}

/** The `{` (or `(`) still open where `at` stands, by plain bracket matching. */
function openerBefore(ctx: Context, at: IToken, brace: boolean): IToken | undefined {
  const tokens = ctx.tokens;
  let index = tokens.length;
  if (!isEof(at)) {
    let lo = 0;
    let hi = tokens.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (tokens[mid].startOffset < at.startOffset) lo = mid + 1;
      else hi = mid;
    }
    index = lo;
  }
  const table = brace
    ? (ctx.braces ??= enclosingOpeners(tokens, T.LBrace, T.RBrace))
    : (ctx.parens ??= enclosingOpeners(tokens, T.LParen, T.RParen));
  const opener = table[index];
  return opener >= 0 ? tokens[opener] : undefined;
}

// ---------------------------------------------------------------- wording

function truncate(s: string): string {
  return s.length > 24 ? `${s.slice(0, 21)}...` : s;
}

/** How a found token is named: "end of file", "end of line", "`conv`". */
export function describeFound(t: IToken): string {
  if (isEof(t)) return 'end of file';
  if (t.tokenType === T.Newline) return 'end of line';
  if (tokenMatcher(t, T.StringLit)) return `string ${truncate(t.image)}`;
  return `\`${truncate(t.image).replace(/`/g, "'")}\``;
}

function describeExpected(type: TokenType): string {
  if (type === EOF) return 'end of file';
  return type.LABEL ?? type.name;
}

/** What a rule starts with, for "no viable alternative" errors. */
const RULE_EXPECTS: Readonly<Record<string, string>> = {
  decl: '`import`, `model` or `block`',
  importDecl: 'a module name or a quoted path',
  stmt: 'a statement',
  binding: 'an expression or `{`',
  atom: 'an expression',
  expr: 'an expression',
  primary: 'an expression',
  file: '`import`, `model` or `block`',
};

function listOf(items: readonly string[]): string {
  const unique = [...new Set(items)];
  if (unique.length <= 1) return unique[0] ?? 'something else';
  const shown = unique.length > 6 ? [...unique.slice(0, 5), 'others'] : unique;
  return `${shown.slice(0, -1).join(', ')} or ${shown[shown.length - 1]}`;
}

function afterPrevious(previous: IToken): string {
  if (isEof(previous) || previous.isInsertedInRecovery) return '';
  if (tokenMatcher(previous, T.Sep) || previous.tokenType === T.LBrace) return '';
  return ` after \`${truncate(previous.image)}\``;
}

const TOP_LEVEL: Payload = {
  code: 'CNN1001',
  message: 'expected `import`, `model` or `block`',
  topLevel: true,
};

/** Advice for tokens that are usually a slip of the pen where they were found. */
function helpFor(actual: IToken): string | undefined {
  switch (actual.tokenType) {
    case T.Slash:
      return 'a stride is written `/2`, with no space after the slash; to divide, put the `/` between two values';
    case T.StrideSlash:
      return 'a `/` with a space before it and none after is a stride (`/2`); to divide, write `c / 2` or `c/2`';
    case T.Equals:
      return 'attributes are written `name=value` after a layer (`conv 64 3x3 stride=2`); to define a name, use `let`';
    default:
      return undefined;
  }
}

function encode(p: Payload, actual: IToken): string {
  if (context) context.errorCount++;
  const help = p.help ?? helpFor(actual);
  return JSON.stringify({ ...p, help, message: `${p.message}, found ${describeFound(actual)}` });
}

function mismatch(expected: TokenType, actual: IToken, previous: IToken, rule: string): Payload {
  const ctx = context;
  if (expected === EOF) return TOP_LEVEL;
  if (expected === T.RBrace || expected === T.RParen) {
    const brace = expected === T.RBrace;
    const opener = ctx ? openerBefore(ctx, actual, brace) : undefined;
    const where =
      opener && ctx
        ? ` to close the ${brace ? 'block' : 'parenthesis'} opened at line ${lineOf(ctx, opener.startOffset)}`
        : '';
    const base = { opener: opener?.startOffset };
    const atDecl = [T.Model, T.Block, T.Import].includes(actual.tokenType);
    if (isEof(actual) || (brace && atDecl)) {
      return { ...base, code: 'CNN1004', message: `expected \`${brace ? '}' : ')'}\`${where}` };
    }
    if (!brace) return { ...base, code: 'CNN1004', message: 'expected `,` or `)`' };
    if (rule === 'mergeStmt')
      return { ...base, code: 'CNN1001', message: 'expected `branch` or `}`' };
    if (tokenMatcher(previous, T.Sep) || previous.tokenType === T.LBrace) {
      return { ...base, code: 'CNN1001', message: 'expected a statement or `}`' };
    }
    return {
      ...base,
      code: 'CNN1001',
      message: 'expected a new line, `,`, `;` or `}` after the statement',
    };
  }
  if (expected === T.Branch && rule === 'branch' && previous.tokenType !== T.Colon) {
    return { code: 'CNN1001', message: 'expected `branch` or `}`' };
  }
  return {
    code: 'CNN1004',
    message: `expected ${describeExpected(expected)}${afterPrevious(previous)}`,
  };
}

function noViableAlt(paths: readonly TokenType[][], previous: IToken, rule: string): Payload {
  const known = RULE_EXPECTS[rule];
  const expected =
    known ?? listOf(paths.filter((p) => p.length > 0).map((p) => describeExpected(p[0])));
  return { code: 'CNN1001', message: `expected ${expected}${afterPrevious(previous)}` };
}

export const messageProvider: IParserErrorMessageProvider = {
  buildMismatchTokenMessage: ({ expected, actual, previous, ruleName }) =>
    encode(mismatch(expected, actual, previous, ruleName), actual),
  buildNotAllInputParsedMessage: ({ firstRedundant }) => encode(TOP_LEVEL, firstRedundant),
  buildNoViableAltMessage: ({ expectedPathsPerAlt, actual, previous, ruleName }) =>
    encode(noViableAlt(expectedPathsPerAlt.flat(), previous, ruleName), actual[0]),
  buildEarlyExitMessage: ({ expectedIterationPaths, actual, previous, ruleName }) =>
    encode(noViableAlt(expectedIterationPaths, previous, ruleName), actual[0]),
};

// ---------------------------------------------------------------- exceptions → diagnostics

function decode(message: string): Payload {
  try {
    const p = JSON.parse(message) as Partial<Payload>;
    if ((p.code === 'CNN1001' || p.code === 'CNN1004') && typeof p.message === 'string') {
      const help = typeof p.help === 'string' ? p.help : undefined;
      return { code: p.code, message: p.message, opener: p.opener, topLevel: p.topLevel, help };
    }
  } catch {
    // not one of ours: keep chevrotain's wording
  }
  return { code: 'CNN1001', message };
}

export interface SyntaxInput {
  readonly file: string;
  readonly text: string;
  readonly errors: readonly IRecognitionException[];
  /** First tokens of statements that follow another statement without a separator. */
  readonly missingSeparators: readonly IToken[];
  /** Start offsets of the declarations that parsed, to keep one error per run of top-level junk. */
  readonly declStarts: readonly number[];
  /** Errors at or after this offset are consequences of a lexical error (unterminated comment). */
  readonly cutoff?: number;
}

export function syntaxDiagnostics(input: SyntaxInput): Diagnostic[] {
  const { file, text } = input;
  const spanOf = (t: IToken): Span =>
    isEof(t)
      ? { file, start: text.length, end: text.length }
      : { file, start: t.startOffset, end: t.startOffset + t.image.length };
  const out: Diagnostic[] = [];
  const seen = new Set<number>();
  const add = (d: Diagnostic & { span: Span }): void => {
    if (input.cutoff !== undefined && d.span.start >= input.cutoff) return;
    if (seen.has(d.span.start)) return;
    seen.add(d.span.start);
    out.push(d);
  };

  let lastTopLevel = -1;
  for (const e of input.errors) {
    const p = decode(e.message);
    const span = spanOf(e.token);
    if (p.topLevel) {
      const declBetween = input.declStarts.some((s) => s > lastTopLevel && s < span.start);
      const repeated = lastTopLevel >= 0 && !declBetween;
      lastTopLevel = span.start;
      if (repeated) continue;
    }
    const labels: Label[] =
      p.opener === undefined
        ? []
        : [{ span: { file, start: p.opener, end: p.opener + 1 }, message: 'opened here' }];
    add({ ...diag(p.code, p.message, { span, labels, help: p.help }), span });
  }
  for (const t of input.missingSeparators) {
    const span = spanOf(t);
    add({
      ...diag(
        'CNN1004',
        `expected a new line, \`,\` or \`;\` between statements, found ${describeFound(t)}`,
        { span, help: 'put each statement on its own line, or separate them with `,` or `;`' },
      ),
      span,
    });
  }
  if (input.errors.length >= MAX_SYNTAX_ERRORS && out.length > 0) {
    const last = out[out.length - 1];
    const note = `stopped after ${MAX_SYNTAX_ERRORS} syntax errors; the rest of the file was not checked`;
    out[out.length - 1] = { ...last, notes: [...last.notes, note] };
  }
  return out;
}
