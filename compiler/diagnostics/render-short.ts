/** One line per diagnostic, `file:line:col: error[CNN3001]: message`, for editors and grep. */
import type { Diagnostic } from './diagnostic.js';
import type { SourceMap } from './source-file.js';
import { visibleText } from './layout.js';
import { locateSpan } from './source-file.js';

export function renderShort(diagnostics: readonly Diagnostic[], sources: SourceMap): string {
  return diagnostics.map((d) => `${shortLocation(d, sources)}${headline(d)}\n`).join('');
}

/** `error[CNN3001]: message`. */
export function headline(d: Diagnostic): string {
  return `${d.severity}[${d.code}]: ${visibleText(d.message)}`;
}

/** `file:line:col: `, `file: ` when the text is not available, or nothing without a span. */
function shortLocation(d: Diagnostic, sources: SourceMap): string {
  if (d.span === undefined) return '';
  const at = locateSpan(d.span, sources);
  return at === undefined
    ? `${visibleText(d.span.file)}: `
    : `${visibleText(at.file)}:${at.line}:${at.col}: `;
}
