/**
 * The human renderer: a code frame in the style of codespan-reporting.
 *
 *   error[CNN3001]: kernel 7x7 is larger than its 5x5 input
 *     ┌─ lenet-bad.cnn:12:5
 *     │
 *   10│     maxpool 2
 *     │     --------- input shrinks to 5x5 here
 *   12│     conv 16 7x7
 *     │     ^^^^^^^^^^^ needs an input of at least 7x7
 *     │
 *     = note: out = floor((5 + 2·0 − 7) / 1) + 1 = −1
 *     = help: pad with `same`, or use a 5x5 kernel
 *
 * The primary span is underlined with `^`, labels with `-`, one row per underline. Each file gets its
 * own `┌─` header (the primary's first); lines are sorted and groups of lines far apart are separated
 * by `...`. Pure: colour is chosen by the caller (see shouldColor).
 */
import type { Diagnostic, Severity, Span } from './diagnostic.js';
import type { SourceFile, SourceMap } from './source-file.js';
import { countBySeverity } from './diagnostic.js';
import { layoutLine, toDisplayCol, visibleText } from './layout.js';

export interface PrettyOptions {
  /** Emit ANSI colour escapes. Pass `shouldColor(process.stderr, process.env)`. */
  readonly color: boolean;
}

/** Lines further apart than this (in line numbers) get a `...` row between them. */
const ELLIPSIS_GAP = 2;

/**
 * Whether a stream should get colour: never when NO_COLOR is set and non-empty (no-color.org) or
 * TERM is `dumb`; always when FORCE_COLOR is set to anything but `0`/`false`; otherwise on a TTY.
 */
export function shouldColor(
  stream: { readonly isTTY?: boolean },
  env: Readonly<Record<string, string | undefined>>,
): boolean {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  const force = env.FORCE_COLOR;
  if (force !== undefined) return force !== '0' && force !== 'false';
  if (env.TERM === 'dumb') return false;
  return stream.isTTY === true;
}

/** `2 errors, 1 warning`, `1 note`, or `no problems` (no trailing newline). */
export function renderSummaryLine(diagnostics: readonly Diagnostic[]): string {
  const counts = countBySeverity(diagnostics);
  const parts: string[] = [];
  for (const severity of ['error', 'warning', 'note'] as const) {
    const n = counts[severity];
    if (n > 0) parts.push(`${n} ${severity}${n === 1 ? '' : 's'}`);
  }
  return parts.length === 0 ? 'no problems' : parts.join(', ');
}

/** Renders each diagnostic as a code frame; frames are separated by a blank line. */
export function renderPretty(
  diagnostics: readonly Diagnostic[],
  sources: SourceMap,
  opts: PrettyOptions,
): string {
  const paint = painter(opts.color);
  return diagnostics.map((d) => renderOne(d, sources, paint)).join('\n');
}

type Style = 'error' | 'warning' | 'note' | 'help' | 'bold' | 'gutter' | 'secondary';

const ANSI: Record<Style, string> = {
  error: '\x1b[1;31m',
  warning: '\x1b[1;33m',
  note: '\x1b[1;32m',
  help: '\x1b[1;36m',
  bold: '\x1b[1m',
  gutter: '\x1b[34m',
  secondary: '\x1b[36m',
};

type Paint = (style: Style, text: string) => string;

function painter(color: boolean): Paint {
  if (!color) return (_style, text) => text;
  return (style, text) => (text === '' ? '' : `${ANSI[style]}${text}\x1b[0m`);
}

/**
 * One underline on one line, in 1-based UTF-16 columns (end exclusive; a column past the text
 * stands for the line break).
 */
interface Mark {
  readonly line: number;
  readonly from: number;
  readonly to: number;
  readonly primary: boolean;
  readonly message: string;
  /** Position in the diagnostic, to keep the sort stable. */
  readonly order: number;
}

/**
 * A line longer than this (in UTF-16 units) is shown as a window of this many units around its
 * first underline, with `…` where it is cut: a file of one 8 MiB line would otherwise be printed
 * whole under every diagnostic in it.
 */
export const MAX_SHOWN_UNITS = 300;
/** Units shown before the first underline of a cut line. */
const CONTEXT_UNITS = 60;

interface Section {
  readonly file: string;
  readonly source: SourceFile | undefined;
  /** The spans of this file in diagnostic order; the first one names the header's position. */
  readonly spans: { readonly span: Span; readonly primary: boolean; readonly message: string }[];
}

/** The diagnostic's texts made visible (layout.ts visibleText): they may quote the input. */
function visibleDiagnostic(d: Diagnostic): Diagnostic {
  const text = (s: string) => visibleText(s, true);
  return {
    ...d,
    message: visibleText(d.message),
    spanLabel: d.spanLabel === undefined ? undefined : text(d.spanLabel),
    labels: d.labels.map((l) => ({ span: l.span, message: text(l.message) })),
    notes: d.notes.map(text),
    help: d.help === undefined ? undefined : text(d.help),
  };
}

function renderOne(raw: Diagnostic, sources: SourceMap, paint: Paint): string {
  const d = visibleDiagnostic(raw);
  const out: string[] = [
    `${paint(d.severity, `${d.severity}[${d.code}]`)}${paint('bold', `: ${d.message}`)}`,
  ];
  const sections = collectSections(d, sources);
  const marksBySection = sections.map(marksOf);
  const maxLine = Math.max(0, ...marksBySection.flat().map((m) => m.line));
  const pad = ' '.repeat(Math.max(1, String(maxLine).length));
  const bar = `${pad}${paint('gutter', '│')}`;

  sections.forEach((section, i) => {
    if (i > 0) out.push(bar);
    out.push(`${pad}${paint('gutter', '┌─')} ${headerLocation(section)}`);
    out.push(bar);
    if (section.source === undefined) {
      for (const s of section.spans) {
        const marker = paint(markStyle(s.primary, d.severity), s.primary ? '^' : '-');
        out.push(`${bar} ${marker}${s.message === '' ? '' : ` ${s.message}`}`);
      }
    } else {
      out.push(...renderLines(section.source, marksBySection[i], pad, d.severity, paint));
    }
  });

  const trailers = [
    ...d.notes.map((n) => ['note', n] as const),
    ...(d.help === undefined ? [] : [['help', d.help] as const]),
  ];
  if (trailers.length > 0 && sections.length > 0) out.push(bar);
  for (const [kind, text] of trailers) {
    const [first, ...rest] = text.split('\n');
    const style: Style = kind === 'note' ? 'bold' : 'help';
    out.push(`${pad}${paint('gutter', '=')} ${paint(style, kind)}: ${first}`);
    for (const line of rest) out.push(`${pad}${' '.repeat(`= ${kind}: `.length)}${line}`);
  }
  return out.map((line) => `${line}\n`).join('');
}

function collectSections(d: Diagnostic, sources: SourceMap): Section[] {
  const sections = new Map<string, Section>();
  const add = (span: Span, primary: boolean, message: string): void => {
    let section = sections.get(span.file);
    if (section === undefined) {
      section = { file: span.file, source: sources.get(span.file), spans: [] };
      sections.set(span.file, section);
    }
    section.spans.push({ span, primary, message });
  };
  if (d.span !== undefined) add(d.span, true, d.spanLabel ?? '');
  for (const label of d.labels) add(label.span, false, label.message);
  return [...sections.values()];
}

function headerLocation(section: Section): string {
  const first = section.spans[0].span;
  const file = visibleText(section.file);
  if (section.source === undefined) return file;
  const { line, col } = section.source.lineCol(first.start);
  return `${file}:${line}:${col}`;
}

function markStyle(primary: boolean, severity: Severity): Style {
  return primary ? severity : 'secondary';
}

/** Turns each span of a section into one mark, or two for a span over several lines. */
function marksOf(section: Section): Mark[] {
  const source = section.source;
  if (source === undefined) return [];
  const marks: Mark[] = [];
  section.spans.forEach(({ span, primary, message }, i) => {
    const push = (line: number, from: number, to: number, text: string, order: number): void => {
      marks.push({ line, from, to: Math.max(to, from + 1), primary, message: text, order });
    };
    const startOffset = source.clampOffset(span.start);
    const endOffset = Math.max(source.clampOffset(span.end), startOffset);
    const start = source.lineCol(startOffset);
    // The last unit the span covers decides its last line, so a span ending just after a line
    // break stays on its line.
    const last = endOffset > startOffset ? source.lineCol(endOffset - 1) : start;
    const startLength = source.lineText(start.line).length;
    if (last.line === start.line) {
      // A span of only a line break gets one caret after the text; otherwise stop at the text's end.
      push(start.line, start.col, Math.min(last.col + 1, startLength + 1), message, i * 2);
      return;
    }
    // Over several lines: underline the rest of the first line with the message, and the last line
    // from its indentation to the span's end, saying where it began.
    push(start.line, start.col, startLength + 1, message, i * 2);
    const lastText = source.lineText(last.line);
    const indent = lastText.length - lastText.trimStart().length;
    const lastFrom = Math.min(indent + 1, last.col);
    const lastTo = Math.min(last.col + 1, lastText.length + 1);
    push(last.line, lastFrom, lastTo, `span from line ${start.line} ends here`, i * 2 + 1);
  });
  return marks;
}

/**
 * What of a line is shown, and the display column of each of its UTF-16 columns: the whole line,
 * or a window of MAX_SHOWN_UNITS around its first mark.
 */
function lineView(
  text: string,
  marks: readonly Mark[],
): { shown: string; col: (c: number) => number } {
  let lo = 0;
  let hi = text.length;
  if (text.length > MAX_SHOWN_UNITS) {
    const first = Math.min(...marks.map((m) => m.from)) - 1;
    lo = Math.max(0, Math.min(first - CONTEXT_UNITS, text.length - MAX_SHOWN_UNITS));
    if (lo > 0 && isLowSurrogate(text.charCodeAt(lo))) lo--;
    hi = Math.min(text.length, lo + MAX_SHOWN_UNITS);
    if (hi < text.length && isLowSurrogate(text.charCodeAt(hi))) hi++;
  }
  const layout = layoutLine(text.slice(lo, hi));
  const before = lo > 0 ? '…' : '';
  const after = hi < text.length ? '…' : '';
  const width = layout.cols[layout.cols.length - 1];
  return {
    shown: `${before}${layout.shown}${after}`,
    // Columns left of the window show at its start; right of it, just past its end.
    col: (c) => {
      if (c - 1 < lo) return 0;
      if (c - 1 > hi && after) return before.length + width + 1;
      return before.length + toDisplayCol(layout, c - lo);
    },
  };
}

function isLowSurrogate(unit: number): boolean {
  return unit >= 0xdc00 && unit <= 0xdfff;
}

function renderLines(
  source: SourceFile,
  marks: readonly Mark[],
  pad: string,
  severity: Severity,
  paint: Paint,
): string[] {
  const out: string[] = [];
  const bar = `${pad}${paint('gutter', '│')}`;
  const lines = [...new Set(marks.map((m) => m.line))].sort((a, b) => a - b);
  let previous: number | undefined;
  for (const line of lines) {
    if (previous !== undefined && line - previous > ELLIPSIS_GAP) out.push('...');
    previous = line;
    const onLine = marks.filter((m) => m.line === line);
    const view = lineView(source.lineText(line), onLine);
    const shown = view.shown.trimEnd();
    const number = paint('gutter', `${String(line).padStart(pad.length)}│`);
    out.push(shown === '' ? number : `${number} ${shown}`);
    const placed = onLine
      .map((m) => {
        const start = view.col(m.from);
        return { m, start, end: Math.max(view.col(m.to), start + 1) };
      })
      .sort(
        (a, b) =>
          a.start - b.start || Number(b.m.primary) - Number(a.m.primary) || a.m.order - b.m.order,
      );
    for (const { m, start, end } of placed) {
      const style = markStyle(m.primary, severity);
      const underline = (m.primary ? '^' : '-').repeat(end - start);
      const [first, ...rest] = m.message.split('\n');
      const text = first === '' ? '' : ` ${paint(style, first)}`;
      out.push(`${bar} ${' '.repeat(start)}${paint(style, underline)}${text}`);
      for (const more of rest) out.push(`${bar} ${' '.repeat(end + 1)}${paint(style, more)}`);
    }
  }
  return out;
}
