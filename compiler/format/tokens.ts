/**
 * The text of a run of tokens in canonical spacing: one space between tokens, none inside
 * parentheses, before `,` `:` `)`, around `.`, after a unary `-` or a stride slash (`3x3 /2`), around
 * the `=` of a named attribute (`stride=2`) or before a call's `(` written against its name
 * (`basic(64)`); layer targets and patterns are kept as written. Comments among the tokens stay
 * where they are; a `//` comment ends the line and the tokens go on indented on the next one.
 *
 * Adding or removing space here never changes the tokens the lexer sees: the only token whose
 * meaning depends on spacing, the stride slash, is printed with a space before it and none after,
 * and a dividing slash gets spaces on both sides.
 */
import { tokenAt, type FmtComment, type Source, type Tok } from './source.js';

/** One printed line of a token run; `cont` is true for the lines a `//` comment forced. */
export interface RunLine {
  readonly text: string;
  readonly cont: boolean;
}

type Piece = { readonly tok: Tok } | { readonly comment: FmtComment };

function isComment(p: Piece): p is { readonly comment: FmtComment } {
  return 'comment' in p;
}

export function printTokens(
  src: Source,
  from: number,
  to: number,
  comments: readonly FmtComment[],
): RunLine[] {
  const pieces: Piece[] = [];
  for (let i = tokenAt(src, from); i < src.toks.length && src.toks[i].start < to; i++) {
    const t = src.toks[i];
    const rawEnd = src.raw.get(t.start);
    if (rawEnd !== undefined) {
      pieces.push({
        tok: { kind: 'other', start: t.start, end: rawEnd, image: src.text.slice(t.start, rawEnd) },
      });
      while (i + 1 < src.toks.length && src.toks[i + 1].start < rawEnd) i++;
    } else pieces.push({ tok: t });
  }
  for (const c of comments) {
    if (c.span.start < from || c.span.start >= to) continue;
    c.printed = true;
    const at = pieces.findIndex((p) => !isComment(p) && p.tok.start > c.span.start);
    pieces.splice(at < 0 ? pieces.length : at, 0, { comment: c });
  }
  const lines: RunLine[] = [];
  let line = '';
  let cont = false;
  let prev: Piece | undefined;
  let unaryPrev = false;
  for (const p of pieces) {
    if (isComment(p)) {
      const c = p.comment;
      if (prev && !(prev && !isComment(prev) && prev.tok.kind === 'lparen') && line !== '')
        line += ' ';
      if (c.kind === 'LineComment') {
        lines.push({ text: line + c.text.trimEnd(), cont });
        line = '';
        cont = true;
        prev = undefined;
      } else {
        line += c.text;
        prev = p;
      }
      continue;
    }
    const t = p.tok;
    if (prev !== undefined && line !== '') {
      if (isComment(prev)) {
        if (t.kind !== 'rparen' && t.kind !== 'comma') line += ' ';
      } else if (spaceBetween(src, prev.tok, t, unaryPrev)) line += ' ';
    }
    line += t.image;
    unaryPrev = t.kind === 'minus' && src.negations.has(t.start);
    prev = p;
  }
  if (line !== '' || lines.length === 0) lines.push({ text: line, cont });
  return lines;
}

function spaceBetween(src: Source, prev: Tok, next: Tok, prevIsUnary: boolean): boolean {
  if (next.kind === 'rparen' || next.kind === 'comma' || next.kind === 'colon') return false;
  if (prev.kind === 'lparen' || prev.kind === 'stride' || prevIsUnary) return false;
  if (prev.kind === 'dot' || next.kind === 'dot') return false;
  if (src.glueBefore.has(next.start) || src.glueAfter.has(prev.start)) return false;
  if (next.kind === 'lparen' && prev.kind === 'operand' && prev.end === next.start) return false;
  return true;
}
