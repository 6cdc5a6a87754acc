/**
 * The diagnostic model shared by every phase. Spans are byte offsets into a source file's text; line
 * and column are computed only when rendering (see source-file.ts).
 */
import type { DiagnosticCode } from './codes.js';

export type Severity = 'error' | 'warning' | 'note';

/** A half-open range [start, end) of UTF-16 offsets in the text of `file`. */
export interface Span {
  readonly file: string;
  readonly start: number;
  readonly end: number;
}

/**
 * A change a tool can make to do what a diagnostic's help says (`did you mean \`relu\`?`): replace the
 * text of `span` with `text`. Editors offer it as a quick fix.
 */
export interface SuggestedEdit {
  readonly span: Span;
  readonly text: string;
}

/** A secondary label: "input shrinks to 5x5 here". */
export interface Label {
  readonly span: Span;
  readonly message: string;
}

export interface Diagnostic {
  readonly code: DiagnosticCode;
  readonly severity: Severity;
  /** One line: what was expected and what was found, with the numbers. */
  readonly message: string;
  /** The primary span, underlined with `^`. Absent only for diagnostics about a whole run (CLI usage). */
  readonly span?: Span;
  /** What the primary underline says, e.g. "needs an input of at least 7x7". */
  readonly spanLabel?: string;
  readonly labels: readonly Label[];
  /** Derivations, e.g. `out = floor((5 + 2·0 − 7) / 1) + 1 = −1`. */
  readonly notes: readonly string[];
  /** How to fix it, e.g. "pad with `same`, or use a 5x5 kernel". */
  readonly help?: string;
  /** The help as an edit, where it is one (a did-you-mean). */
  readonly edit?: SuggestedEdit;
}

/** Every phase returns its value together with the diagnostics it produced. */
export interface Result<T> {
  readonly value: T;
  readonly diagnostics: readonly Diagnostic[];
}

export interface DiagnosticInit {
  span?: Span;
  spanLabel?: string;
  labels?: readonly Label[];
  notes?: readonly string[];
  help?: string;
  edit?: SuggestedEdit;
  severity?: Severity;
}

export function diag(code: DiagnosticCode, message: string, init: DiagnosticInit = {}): Diagnostic {
  return {
    code,
    severity: init.severity ?? defaultSeverity(code),
    message,
    span: init.span,
    spanLabel: init.spanLabel,
    labels: init.labels ?? [],
    notes: init.notes ?? [],
    help: init.help,
    ...(init.edit ? { edit: init.edit } : {}),
  };
}

import { CODES } from './codes.js';

export function defaultSeverity(code: DiagnosticCode): Severity {
  return CODES[code].severity;
}

export function hasErrors(diagnostics: readonly Diagnostic[]): boolean {
  return diagnostics.some((d) => d.severity === 'error');
}

export function countBySeverity(diagnostics: readonly Diagnostic[]): Record<Severity, number> {
  const counts: Record<Severity, number> = { error: 0, warning: 0, note: 0 };
  for (const d of diagnostics) counts[d.severity]++;
  return counts;
}

/** A span covering both a and b (same file). */
export function joinSpans(a: Span, b: Span): Span {
  return { file: a.file, start: Math.min(a.start, b.start), end: Math.max(a.end, b.end) };
}

/** Sort by file, then offset, then code, so output order is deterministic. */
export function sortDiagnostics(diagnostics: readonly Diagnostic[]): Diagnostic[] {
  return [...diagnostics].sort((a, b) => {
    const fa = a.span?.file ?? '';
    const fb = b.span?.file ?? '';
    if (fa !== fb) return fa < fb ? -1 : 1;
    const sa = a.span?.start ?? -1;
    const sb = b.span?.start ?? -1;
    if (sa !== sb) return sa - sb;
    return a.code < b.code ? -1 : a.code > b.code ? 1 : 0;
  });
}
