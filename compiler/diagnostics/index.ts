/** The diagnostic model, the code catalog, source positions and the renderers. */
import type { Diagnostic } from './diagnostic.js';
import type { SourceMap } from './source-file.js';
import { renderGithub } from './render-github.js';
import { renderJson } from './render-json.js';
import { renderPretty } from './render-pretty.js';
import { renderSarif } from './render-sarif.js';
import { renderShort } from './render-short.js';

export type { DiagnosticCode } from './codes.js';
export { CODE_LIST, CODES } from './codes.js';
export type { Diagnostic, DiagnosticInit, Label, Result, Severity, Span } from './diagnostic.js';
export {
  countBySeverity,
  defaultSeverity,
  diag,
  hasErrors,
  joinSpans,
  sortDiagnostics,
} from './diagnostic.js';
export type { LineCol, SourceMap, SpanLocation } from './source-file.js';
export { SourceFile, locateSpan, sourceMapOf } from './source-file.js';
export type { PrettyOptions } from './render-pretty.js';
export { renderPretty, renderSummaryLine, shouldColor } from './render-pretty.js';
export { headline, renderShort } from './render-short.js';
export type { JsonDiagnostic, JsonLabel, JsonPosition } from './render-json.js';
export { renderJson, toJsonDiagnostics } from './render-json.js';
export type { SarifLog, SarifOptions } from './render-sarif.js';
export { SARIF_SCHEMA, renderSarif, toSarif } from './render-sarif.js';
export { escapeData, escapeProperty, githubCommand, renderGithub } from './render-github.js';

export type OutputFormat = 'pretty' | 'short' | 'json' | 'sarif' | 'github';

export const OUTPUT_FORMATS: readonly OutputFormat[] = [
  'pretty',
  'short',
  'json',
  'sarif',
  'github',
];

export interface RenderOptions {
  /** ANSI colour, for `pretty` only. */
  readonly color?: boolean;
  /** `tool.driver.version`, for `sarif` only. */
  readonly toolVersion?: string;
}

/** Renders diagnostics in one of the output formats; pure, the caller writes the string. */
export function renderDiagnostics(
  format: OutputFormat,
  diagnostics: readonly Diagnostic[],
  sources: SourceMap,
  opts: RenderOptions = {},
): string {
  switch (format) {
    case 'pretty':
      return renderPretty(diagnostics, sources, { color: opts.color ?? false });
    case 'short':
      return renderShort(diagnostics, sources);
    case 'json':
      return renderJson(diagnostics, sources);
    case 'sarif':
      return renderSarif(diagnostics, sources, { toolVersion: opts.toolVersion });
    case 'github':
      return renderGithub(diagnostics, sources);
    default:
      return assertNever(format);
  }
}

function assertNever(value: never): never {
  throw new Error(`unknown output format: ${String(value)}`);
}
