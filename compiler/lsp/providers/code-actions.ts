/**
 * Quick fixes: a diagnostic whose help is an edit (`did you mean \`relu\`?`, compiler/diagnostics
 * SuggestedEdit) offers to apply it.
 */
import {
  CodeActionKind,
  type CodeAction,
  type CodeActionParams,
  type Diagnostic as LspDiagnostic,
} from 'vscode-languageserver';
import type { Analysis } from '../analysis.js';
import { lspDiagnostics, type FixData } from './diagnostics.js';

export function codeActions(a: Analysis, params: CodeActionParams): CodeAction[] {
  // The client sends back the diagnostics it has; without their data, ours are recomputed.
  const given = params.context.diagnostics.filter((d) => d.source === 'cnnc');
  const diagnostics = given.some((d) => d.data !== undefined)
    ? given
    : lspDiagnostics(a).filter((d) => overlaps(d, params));
  const out: CodeAction[] = [];
  for (const d of diagnostics) {
    const data = d.data as FixData | undefined;
    if (!data?.edit) continue;
    out.push({
      title: `Change to \`${data.edit.newText}\``,
      kind: CodeActionKind.QuickFix,
      diagnostics: [d],
      isPreferred: true,
      edit: { changes: { [a.uri]: [data.edit] } },
    });
  }
  return out;
}

function overlaps(d: LspDiagnostic, params: CodeActionParams): boolean {
  const r = params.range;
  const before = (x: { line: number; character: number }, y: { line: number; character: number }) =>
    x.line < y.line || (x.line === y.line && x.character <= y.character);
  return before(d.range.start, r.end) && before(r.start, d.range.end);
}
