/**
 * GitHub Actions workflow commands, one per diagnostic:
 *
 *   ::error file=lenet-bad.cnn,line=12,col=5,endLine=12,endColumn=16,title=CNN3001::kernel 7x7 ...
 *
 * Severities map to `error`, `warning` and `notice`. Columns are sent only for a span on one line
 * (annotations reject them otherwise); `endColumn` is exclusive, as in SARIF. Labels, notes and help
 * follow the message on lines of their own, the line breaks encoded as the Actions runner expects.
 */
import type { Diagnostic, Severity } from './diagnostic.js';
import type { SourceMap } from './source-file.js';
import { locateSpan } from './source-file.js';

const COMMAND: Record<Severity, string> = { error: 'error', warning: 'warning', note: 'notice' };

export function renderGithub(diagnostics: readonly Diagnostic[], sources: SourceMap): string {
  return diagnostics.map((d) => `${githubCommand(d, sources)}\n`).join('');
}

/** The workflow command for one diagnostic, without a line break. */
export function githubCommand(d: Diagnostic, sources: SourceMap): string {
  const props: [string, string | number][] = [];
  if (d.span !== undefined) {
    props.push(['file', d.span.file]);
    const at = locateSpan(d.span, sources);
    if (at !== undefined) {
      props.push(['line', at.line]);
      if (at.line === at.endLine) props.push(['col', at.col]);
      props.push(['endLine', at.endLine]);
      if (at.line === at.endLine) props.push(['endColumn', at.endCol]);
    }
  }
  props.push(['title', d.code]);
  const properties = props.map(([k, v]) => `${k}=${escapeProperty(String(v))}`).join(',');
  return `::${COMMAND[d.severity]} ${properties}::${escapeData(messageText(d, sources))}`;
}

function messageText(d: Diagnostic, sources: SourceMap): string {
  const lines = [d.message];
  if (d.spanLabel !== undefined && d.spanLabel !== '') lines.push(`here: ${d.spanLabel}`);
  for (const label of d.labels) {
    const at = locateSpan(label.span, sources);
    const where = at === undefined ? label.span.file : `${at.file}:${at.line}:${at.col}`;
    lines.push(`${where}: ${label.message}`);
  }
  for (const note of d.notes) lines.push(`note: ${note}`);
  if (d.help !== undefined) lines.push(`help: ${d.help}`);
  return lines.join('\n');
}

/** Escapes a command's message (actions/toolkit `escapeData`). */
export function escapeData(text: string): string {
  return text.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}

/** Escapes a command property value (actions/toolkit `escapeProperty`). */
export function escapeProperty(text: string): string {
  return escapeData(text).replace(/:/g, '%3A').replace(/,/g, '%2C');
}
