/**
 * Diagnostics as a JSON array for tools. Every object has the same keys in the same order; a value
 * that does not apply is null (a diagnostic without a span, a file whose text is not available).
 * Offsets are UTF-16 units; `endLine`/`endCol` are the position just after the span.
 */
import type { DiagnosticCode } from './codes.js';
import type { Diagnostic, Severity, Span } from './diagnostic.js';
import type { SourceMap } from './source-file.js';
import { locateSpan } from './source-file.js';

export interface JsonPosition {
  readonly file: string | null;
  readonly start: number | null;
  readonly end: number | null;
  readonly line: number | null;
  readonly col: number | null;
  readonly endLine: number | null;
  readonly endCol: number | null;
}

export interface JsonLabel extends JsonPosition {
  readonly message: string;
}

export interface JsonDiagnostic extends JsonPosition {
  readonly code: DiagnosticCode;
  readonly severity: Severity;
  readonly message: string;
  readonly spanLabel: string | null;
  readonly labels: readonly JsonLabel[];
  readonly notes: readonly string[];
  readonly help: string | null;
}

export function toJsonDiagnostics(
  diagnostics: readonly Diagnostic[],
  sources: SourceMap,
): JsonDiagnostic[] {
  return diagnostics.map((d) => ({
    code: d.code,
    severity: d.severity,
    message: d.message,
    ...position(d.span, sources),
    spanLabel: d.spanLabel ?? null,
    labels: d.labels.map((l) => ({ message: l.message, ...position(l.span, sources) })),
    notes: [...d.notes],
    help: d.help ?? null,
  }));
}

/** The array pretty-printed with two spaces, ending in a newline. */
export function renderJson(diagnostics: readonly Diagnostic[], sources: SourceMap): string {
  return `${JSON.stringify(toJsonDiagnostics(diagnostics, sources), null, 2)}\n`;
}

function position(span: Span | undefined, sources: SourceMap): JsonPosition {
  if (span === undefined) {
    return {
      file: null,
      start: null,
      end: null,
      line: null,
      col: null,
      endLine: null,
      endCol: null,
    };
  }
  const at = locateSpan(span, sources);
  return {
    file: span.file,
    start: span.start,
    end: span.end,
    line: at?.line ?? null,
    col: at?.col ?? null,
    endLine: at?.endLine ?? null,
    endCol: at?.endCol ?? null,
  };
}
