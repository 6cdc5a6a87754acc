/**
 * Per-line suppression: `// cnnc-ignore CNN3003: reason` on the line of a statement, or on a line of
 * its own just above it, hides that statement's warnings and notes with these codes. A reason is
 * required; errors cannot be hidden. A suppression without a reason (CNN2101), one that hides
 * nothing (CNN2102) and one naming a code that is unknown or an error (CNN2103) are reported in
 * their turn, so `--strict` stays honest: a reasoned suppression of a warning the file really has is
 * the only way a warning leaves the output. `cnnc check --list-suppressions` lists them.
 */
import { lex } from '../grammar/lexer.js';
import { CODES, type DiagnosticCode } from './diagnostics/codes.js';
import { diag, type Diagnostic, type Span } from './diagnostics/diagnostic.js';

export interface Suppression {
  readonly codes: readonly DiagnosticCode[];
  readonly reason: string;
  /** The comment. */
  readonly span: Span;
  /** 1-based line the suppression applies to. */
  readonly line: number;
  /** How many diagnostics it hid. */
  readonly hidden: number;
}

const MARKER = /^\/\/\s*cnnc-ignore\b(.*)$/;

interface Pending {
  codes: DiagnosticCode[];
  reason: string;
  span: Span;
  line: number;
  from: number;
  to: number;
  hidden: number;
}

/**
 * The diagnostics left after the suppressions in `sources`, plus the suppressions' own. `checkUnused`:
 * report suppressions that hid nothing in `entry` (off when only some models were compiled).
 */
export function applySuppressions(
  diagnostics: readonly Diagnostic[],
  sources: ReadonlyMap<string, string>,
  entry: string | undefined,
  checkUnused: boolean,
): { diagnostics: Diagnostic[]; suppressions: Suppression[] } {
  const pending: Pending[] = [];
  const own: Diagnostic[] = [];
  for (const [file, text] of sources) {
    if (!text.includes('cnnc-ignore')) continue;
    for (const c of lex(text, file).comments) {
      const m = MARKER.exec(c.text);
      if (!m) continue;
      const p = parse(m[1], c.span, text, own);
      if (p) pending.push(p);
    }
  }
  if (pending.length === 0) return { diagnostics: [...diagnostics, ...own], suppressions: [] };
  const kept: Diagnostic[] = [];
  for (const d of diagnostics) {
    const s =
      d.severity !== 'error' && d.span
        ? pending.find(
            (p) =>
              p.span.file === d.span!.file &&
              d.span!.start >= p.from &&
              d.span!.start < p.to &&
              p.codes.includes(d.code),
          )
        : undefined;
    if (s) s.hidden++;
    else kept.push(d);
  }
  for (const p of pending) {
    if (p.hidden === 0 && checkUnused && p.span.file === entry)
      own.push(
        diag('CNN2102', `this suppression of ${p.codes.join(', ')} hides nothing`, {
          span: p.span,
          help: 'remove it: the line it applies to has no such warning (any more)',
        }),
      );
  }
  const suppressions = pending.map(({ codes, reason, span, line, hidden }) => ({
    codes,
    reason,
    span,
    line,
    hidden,
  }));
  return { diagnostics: [...kept, ...own], suppressions };
}

/** `CNN3003, CNN3007: reason` → a pending suppression, or undefined (reported). */
function parse(rest: string, span: Span, text: string, out: Diagnostic[]): Pending | undefined {
  const colon = rest.indexOf(':');
  const list = colon < 0 ? rest : rest.slice(0, colon);
  const reason = colon < 0 ? '' : rest.slice(colon + 1).trim();
  const codes: DiagnosticCode[] = [];
  for (const word of list.split(/[\s,]+/).filter(Boolean)) {
    const code = Object.hasOwn(CODES, word) ? (word as DiagnosticCode) : undefined;
    if (!code || CODES[code].severity === 'error') {
      out.push(
        diag('CNN2103', `\`${word}\` cannot be suppressed`, {
          span,
          help: code
            ? 'errors cannot be suppressed; fix the file'
            : 'name a warning or note code, e.g. `// cnnc-ignore CNN3003: reason`',
        }),
      );
      return undefined;
    }
    codes.push(code);
  }
  if (codes.length === 0 || reason === '') {
    out.push(
      diag('CNN2101', 'a suppression needs a code and a reason', {
        span,
        help: 'write `// cnnc-ignore CNN3003: why this warning is expected here`',
      }),
    );
    return undefined;
  }
  // Alone on its line: it applies to the next line; after a statement: to its own line.
  const lineStart = text.lastIndexOf('\n', span.start - 1) + 1;
  const alone = text.slice(lineStart, span.start).trim() === '';
  const lineEnd = (at: number) => {
    const i = text.indexOf('\n', at);
    return i < 0 ? text.length : i;
  };
  const from = alone ? Math.min(lineEnd(span.start) + 1, text.length) : lineStart;
  const to = lineEnd(from);
  let line = 1;
  for (let i = text.indexOf('\n'); i >= 0 && i < from; i = text.indexOf('\n', i + 1)) line++;
  return { codes, reason, span, line, from, to, hidden: 0 };
}
