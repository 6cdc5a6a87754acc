/**
 * Text → tokens, plus the lexical diagnostics (CNN1002 unknown character, CNN1003 unterminated string
 * or comment, CNN1005 malformed number). Never throws: unknown characters are reported and skipped,
 * malformed literals are kept as tokens so the parser sees what the user meant.
 *
 * After chevrotain's lexer, one pass over the tokens:
 * - collapses runs of newlines into one (blank and comment-only lines vanish) and drops leading ones;
 * - drops newlines inside parentheses (a `{` or `}` closes any parentheses left open, so one missing
 *   `)` cannot swallow the line structure of the rest of the file);
 * - stops at MAX_NESTING levels of `(`, `{` and `if` (closed by `)`, `}`, `else`), so that absurd
 *   inputs cannot overflow the parser's stack.
 */
import { Lexer } from './chevrotain.js';
import type { ILexingError, IToken } from 'chevrotain';
import { diag } from '../compiler/diagnostics/diagnostic.js';
import type { Diagnostic, Span } from '../compiler/diagnostics/diagnostic.js';
import { BIDI_CONTROLS, BIDI_PATTERN } from '../compiler/diagnostics/bidi.js';
import { MAX_SYNTAX_ERRORS } from './syntax-diagnostics.js';
import type { Comment } from './ast.js';
import * as T from './tokens.js';

/** `validate`: run chevrotain's checks of the token definitions; see `checkTokens`. */
function buildLexer(validate: boolean): InstanceType<typeof Lexer> {
  return new Lexer([...T.ALL_TOKENS], {
    positionTracking: 'onlyOffset',
    ensureOptimizations: true,
    skipValidations: !validate,
  });
}

// The checks cost time on every start of the compiler; test/grammar runs them.
const lexer = buildLexer(false);

/** Build the lexer again with chevrotain's checks on; throws on a bad token definition. For tests. */
export function checkTokens(): void {
  buildLexer(true);
}

/** Deeper nesting is reported (CNN1001) and the rest of the file is not parsed. */
export const MAX_NESTING = 100;

export interface LexResult {
  readonly tokens: IToken[];
  readonly diagnostics: Diagnostic[];
  /** Where the token stream was cut short (unterminated comment, too deep); parse errors after it are noise. */
  readonly cutoff?: number;
  /** The comments, in source order; the parser never sees them (the formatter does). */
  readonly comments: readonly Comment[];
}

export function lex(text: string, file: string): LexResult {
  const raw = lexer.tokenize(text);
  const diagnostics: Diagnostic[] = [];
  const span = (start: number, end: number): Span => ({ file, start, end });
  let cutoff: number | undefined;

  for (const e of raw.errors.slice(0, MAX_SYNTAX_ERRORS))
    diagnostics.push(unknownCharacters(text, e, span));
  if (raw.errors.length > MAX_SYNTAX_ERRORS) {
    const last = diagnostics[diagnostics.length - 1];
    const more = raw.errors.length - MAX_SYNTAX_ERRORS;
    const note = `${more.toLocaleString('en-US')} more runs of unknown characters are not reported`;
    diagnostics[diagnostics.length - 1] = { ...last, notes: [...last.notes, note] };
  }
  for (const t of raw.groups['unterminated'] ?? []) {
    cutoff = t.startOffset;
    diagnostics.push(
      diag('CNN1003', 'unterminated block comment: expected `*/` before the end of the file', {
        span: span(t.startOffset, t.startOffset + 2),
        spanLabel: 'comment starts here',
        help: 'close the comment with `*/`',
      }),
    );
  }

  const tokens: IToken[] = [];
  let parenDepth = 0;
  let nesting = 0;
  for (const t of raw.tokens) {
    const type = t.tokenType;
    if (type === T.Newline) {
      if (parenDepth > 0 || tokens.length === 0) continue;
      if (tokens[tokens.length - 1].tokenType === T.Newline) continue;
    } else if (type === T.LParen || type === T.LBrace || type === T.If) {
      if (type !== T.If) parenDepth = type === T.LParen ? parenDepth + 1 : 0;
      if (++nesting > MAX_NESTING) {
        cutoff = Math.min(cutoff ?? Infinity, t.startOffset);
        diagnostics.push(
          diag(
            'CNN1001',
            `nesting is deeper than ${MAX_NESTING} levels of \`(\`, \`{\` and \`if\``,
            {
              span: span(t.startOffset, t.startOffset + 1),
              notes: ['the rest of the file is not parsed'],
            },
          ),
        );
        break;
      }
    } else if (type === T.RParen || type === T.RBrace || type === T.Else) {
      if (type !== T.Else) parenDepth = type === T.RParen ? Math.max(0, parenDepth - 1) : 0;
      nesting = Math.max(0, nesting - 1);
    } else if (type === T.BadNumber) {
      diagnostics.push(malformedNumber(t, span));
    } else if (type === T.UnterminatedString) {
      diagnostics.push(
        diag('CNN1003', 'unterminated string: expected `"` before the end of the line', {
          span: span(t.startOffset, tokenEnd(t)),
          help: 'close the string with `"`; strings cannot span lines',
        }),
      );
    }
    tokens.push(t);
  }
  for (const d of bidiWarnings(text, raw.tokens, raw.errors, span)) diagnostics.push(d);
  const comments = (raw.groups['comments'] ?? []).map((t): Comment => ({
    kind: t.tokenType === T.LineComment ? 'LineComment' : 'BlockComment',
    text: t.image,
    span: span(t.startOffset, tokenEnd(t)),
  }));
  return { tokens, diagnostics, cutoff, comments };
}

/** Text-direction warnings past this many in one file are summed up in one. */
const MAX_BIDI_WARNINGS = 20;

/**
 * CNN1006 for each text-direction control character in a comment or string (one outside them is
 * an unknown character, CNN1002, already).
 */
function bidiWarnings(
  text: string,
  tokens: readonly IToken[],
  errors: readonly ILexingError[],
  span: (s: number, e: number) => Span,
): Diagnostic[] {
  const out: Diagnostic[] = [];
  let more = 0;
  let t = 0;
  let e = 0;
  for (const m of text.matchAll(BIDI_PATTERN)) {
    const at = m.index;
    while (e < errors.length && errors[e].offset + errors[e].length <= at) e++;
    if (e < errors.length && errors[e].offset <= at) continue;
    while (t < tokens.length && tokenEnd(tokens[t]) <= at) t++;
    const inString = t < tokens.length && tokens[t].startOffset <= at;
    if (out.length === MAX_BIDI_WARNINGS) {
      more++;
      continue;
    }
    const cp = text.charCodeAt(at);
    const c = BIDI_CONTROLS.get(cp)!;
    const code = `U+${cp.toString(16).toUpperCase().padStart(4, '0')}`;
    out.push(
      diag('CNN1006', `invisible ${code} ${c.name} in a ${inString ? 'string' : 'comment'}`, {
        span: span(at, at + 1),
        spanLabel: `it ${c.effect}`,
        notes: [
          'text-direction controls make code read differently on screen from what the compiler sees (the "Trojan Source" attack)',
        ],
        help: 'remove it; if the text needs a direction, write it without control characters',
      }),
    );
  }
  if (more > 0) {
    const last = out[out.length - 1];
    out.push(
      diag('CNN1006', `${more} more text-direction control characters in this file`, {
        span: last.span,
        help: 'remove them all',
      }),
    );
  }
  return out;
}

/** Exclusive end offset of a lexed token ('onlyOffset' tracking leaves `endOffset` unset). */
export function tokenEnd(t: IToken): number {
  return t.startOffset + t.image.length;
}

function malformedNumber(t: IToken, span: (s: number, e: number) => Span): Diagnostic {
  const isDims = /^(?:(?:\d+|\?|[A-Z])x)+(?:\d+|\?|[A-Z])/.test(t.image);
  return diag(
    'CNN1005',
    isDims
      ? `malformed dimensions \`${t.image}\`: a dimension literal cannot be followed by letters or digits`
      : `malformed number \`${t.image}\`: expected a number, optionally with a suffix (K, M, G, T, KiB, MiB, GiB, TiB, KB, MB, GB, TB, B)`,
    {
      span: span(t.startOffset, tokenEnd(t)),
      help: isDims
        ? 'separate it from what follows with a space'
        : 'separate the number from the name with a space',
    },
  );
}

const HELP_FOR_CHAR: Readonly<Record<string, string>> = {
  '\u201c': 'use a straight double quote `"`',
  '\u201d': 'use a straight double quote `"`',
  '\u2212': 'use the ASCII minus `-`',
  '\u00d7': 'write dimensions with a lowercase `x`, like `3x3`',
  '!': 'did you mean `!=` or `not`?',
  '?': 'write `?` only inside a dimension literal, like `?x?x3`',
};

function unknownCharacters(
  text: string,
  e: ILexingError,
  span: (s: number, e: number) => Span,
): Diagnostic {
  const chars = Array.from(text.slice(e.offset, e.offset + e.length));
  const shown = chars.map(showChar).join(' ');
  const help = chars.map((c) => HELP_FOR_CHAR[c]).find((h) => h !== undefined);
  return diag(
    'CNN1002',
    chars.length === 1 ? `unknown character ${shown}` : `unknown characters ${shown}`,
    { span: span(e.offset, e.offset + e.length), help },
  );
}

function showChar(c: string): string {
  const code = c.codePointAt(0) ?? 0;
  if (code < 0x20 || code === 0x7f || (code >= 0x80 && code <= 0xa0) || /\s/.test(c)) {
    return `U+${code.toString(16).toUpperCase().padStart(4, '0')}`;
  }
  return c === '`' ? '"`"' : `\`${c}\``;
}
