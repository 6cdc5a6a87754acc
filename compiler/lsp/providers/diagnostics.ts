/**
 * Diagnostics for the editor: the codes and spans of `cnnc check`, with the secondary labels, the
 * primary label, notes and help as related information, and a did-you-mean's edit as data for the
 * quick fix (code-actions.ts).
 */
import {
  DiagnosticSeverity,
  type Diagnostic as LspDiagnostic,
  type DiagnosticRelatedInformation,
  type Range,
} from 'vscode-languageserver';
import type { Diagnostic, Severity } from '../../diagnostics/diagnostic.js';
import type { Analysis } from '../analysis.js';

const SEVERITY: Record<Severity, DiagnosticSeverity> = {
  error: DiagnosticSeverity.Error,
  warning: DiagnosticSeverity.Warning,
  note: DiagnosticSeverity.Information,
};

/** What a diagnostic carries for its quick fix. */
export interface FixData {
  readonly edit?: { readonly range: Range; readonly newText: string };
  readonly help?: string;
}

export function lspDiagnostics(a: Analysis): LspDiagnostic[] {
  return a.diagnostics.map((d) => lspDiagnostic(a, d));
}

function lspDiagnostic(a: Analysis, d: Diagnostic): LspDiagnostic {
  const range = d.span
    ? a.range(d.span)
    : { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } };
  const here = { uri: a.uri, range };
  const related: DiagnosticRelatedInformation[] = [];
  if (d.spanLabel) related.push({ location: here, message: d.spanLabel });
  for (const l of d.labels) {
    const location = a.locate(l.span);
    if (location) related.push({ location, message: l.message });
  }
  for (const n of d.notes) related.push({ location: here, message: `note: ${n}` });
  if (d.help) related.push({ location: here, message: `help: ${d.help}` });
  const data: FixData = {
    ...(d.help ? { help: d.help } : {}),
    ...(d.edit && d.edit.span.file === a.display
      ? { edit: { range: a.range(d.edit.span), newText: d.edit.text } }
      : {}),
  };
  return {
    range,
    severity: SEVERITY[d.severity],
    code: d.code,
    source: 'cnnc',
    message: d.message,
    ...(related.length ? { relatedInformation: related } : {}),
    data,
  };
}
