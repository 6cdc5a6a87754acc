/**
 * A SARIF 2.1.0 log, for code-scanning services. One run; the driver lists the catalog entries of the
 * codes used (sorted); every result points at its rule. Paths stay relative as given, columns count
 * UTF-16 units (`columnKind`), and a region's end is the position just after the span.
 */
import type { DiagnosticCode } from './codes.js';
import type { Diagnostic, Severity, Span } from './diagnostic.js';
import type { SourceMap } from './source-file.js';
import { CODES } from './codes.js';
import { locateSpan } from './source-file.js';

export const SARIF_SCHEMA = 'https://json.schemastore.org/sarif-2.1.0.json';

export interface SarifOptions {
  /** `tool.driver.version`; left out when absent so that goldens do not change with releases. */
  readonly toolVersion?: string;
}

export interface SarifRegion {
  readonly startLine?: number;
  readonly startColumn?: number;
  readonly endLine?: number;
  readonly endColumn?: number;
  readonly charOffset?: number;
  readonly charLength?: number;
}

export interface SarifLocation {
  readonly id?: number;
  readonly physicalLocation: {
    readonly artifactLocation: { readonly uri: string };
    readonly region: SarifRegion;
  };
  readonly message?: { readonly text: string };
}

export interface SarifRule {
  readonly id: DiagnosticCode;
  readonly shortDescription: { readonly text: string };
  readonly defaultConfiguration: { readonly level: SarifLevel };
}

export interface SarifResult {
  readonly ruleId: DiagnosticCode;
  readonly ruleIndex: number;
  readonly level: SarifLevel;
  readonly message: { readonly text: string };
  readonly locations: readonly SarifLocation[];
  readonly relatedLocations?: readonly SarifLocation[];
}

export interface SarifLog {
  readonly $schema: string;
  readonly version: '2.1.0';
  readonly runs: readonly [
    {
      readonly tool: {
        readonly driver: {
          readonly name: 'cnnc';
          readonly version?: string;
          readonly rules: readonly SarifRule[];
        };
      };
      readonly columnKind: 'utf16CodeUnits';
      readonly results: readonly SarifResult[];
    },
  ];
}

export type SarifLevel = 'error' | 'warning' | 'note';

const LEVEL: Record<Severity, SarifLevel> = { error: 'error', warning: 'warning', note: 'note' };

export function toSarif(
  diagnostics: readonly Diagnostic[],
  sources: SourceMap,
  opts: SarifOptions = {},
): SarifLog {
  const used = [...new Set(diagnostics.map((d) => d.code))].sort();
  const rules: SarifRule[] = used.map((code) => ({
    id: code,
    shortDescription: { text: CODES[code].title },
    defaultConfiguration: { level: LEVEL[CODES[code].severity] },
  }));
  const results = diagnostics.map((d): SarifResult => {
    const related = d.labels.map((l, i) => location(l.span, sources, l.message, i + 1));
    return {
      ruleId: d.code,
      ruleIndex: used.indexOf(d.code),
      level: LEVEL[d.severity],
      message: { text: messageText(d) },
      locations: d.span === undefined ? [] : [location(d.span, sources, d.spanLabel)],
      ...(related.length > 0 ? { relatedLocations: related } : {}),
    };
  });
  const driver = {
    name: 'cnnc' as const,
    ...(opts.toolVersion === undefined ? {} : { version: opts.toolVersion }),
    rules,
  };
  return {
    $schema: SARIF_SCHEMA,
    version: '2.1.0',
    runs: [{ tool: { driver }, columnKind: 'utf16CodeUnits', results }],
  };
}

/** The log pretty-printed with two spaces, ending in a newline. */
export function renderSarif(
  diagnostics: readonly Diagnostic[],
  sources: SourceMap,
  opts: SarifOptions = {},
): string {
  return `${JSON.stringify(toSarif(diagnostics, sources, opts), null, 2)}\n`;
}

/** The message, then notes and help on their own lines, as viewers show only this text. */
function messageText(d: Diagnostic): string {
  const lines = [d.message, ...d.notes.map((n) => `note: ${n}`)];
  if (d.help !== undefined) lines.push(`help: ${d.help}`);
  return lines.join('\n');
}

function location(
  span: Span,
  sources: SourceMap,
  message: string | undefined,
  id?: number,
): SarifLocation {
  const at = locateSpan(span, sources);
  const region: SarifRegion =
    at === undefined
      ? { charOffset: span.start, charLength: Math.max(span.end - span.start, 0) }
      : { startLine: at.line, startColumn: at.col, endLine: at.endLine, endColumn: at.endCol };
  return {
    ...(id === undefined ? {} : { id }),
    physicalLocation: { artifactLocation: { uri: toUri(span.file) }, region },
    ...(message === undefined || message === '' ? {} : { message: { text: message } }),
  };
}

/** A relative URI reference for a display path: forward slashes, each segment percent-encoded. */
export function toUri(path: string): string {
  return path.replace(/\\/g, '/').split('/').map(encodeURIComponent).join('/');
}
