/**
 * Maps the UTF-16 offsets of a Span to 1-based lines and columns, only when a diagnostic is rendered.
 * Line breaks are `\n`, `\r\n` and a lone `\r`; columns count UTF-16 code units, as LSP and SARIF do.
 */
import type { Span } from './diagnostic.js';

export interface LineCol {
  /** 1-based line number. */
  readonly line: number;
  /** 1-based column, counted in UTF-16 code units. */
  readonly col: number;
}

/** Where a span starts and ends; `endLine`/`endCol` are the position just after the last unit. */
export interface SpanLocation {
  readonly file: string;
  readonly line: number;
  readonly col: number;
  readonly endLine: number;
  readonly endCol: number;
}

export class SourceFile {
  /** The display path spans use in `Span.file`, e.g. `lenet-bad.cnn` (never made absolute here). */
  readonly path: string;
  readonly text: string;
  /** Offset of the first unit of every line; `lineStarts[0]` is 0. */
  private readonly lineStarts: readonly number[];

  constructor(path: string, text: string) {
    this.path = path;
    this.text = text;
    this.lineStarts = computeLineStarts(text);
  }

  /** Number of lines; an empty file has one (empty) line, and so does the text after a final newline. */
  get lineCount(): number {
    return this.lineStarts.length;
  }

  /** Clamps an offset into [0, text.length]. */
  clampOffset(offset: number): number {
    if (!Number.isFinite(offset)) return offset > 0 ? this.text.length : 0;
    return Math.min(Math.max(Math.floor(offset), 0), this.text.length);
  }

  /** The line and column of an offset; offsets outside the text are clamped to it. */
  lineCol(offset: number): LineCol {
    const at = this.clampOffset(offset);
    const index = this.lineIndexOf(at);
    return { line: index + 1, col: at - this.lineStarts[index] + 1 };
  }

  /** The offset of a 1-based line and column, clamped to the line (including its terminator). */
  offsetAt(line: number, col: number): number {
    const index = this.clampLine(line) - 1;
    const start = this.lineStarts[index];
    const next = index + 1 < this.lineStarts.length ? this.lineStarts[index + 1] : this.text.length;
    return Math.min(start + Math.max(Math.floor(col) - 1, 0), next);
  }

  /** The offset of the first unit of a 1-based line (clamped to the file's lines). */
  lineStart(line: number): number {
    return this.lineStarts[this.clampLine(line) - 1];
  }

  /** The offset just past the last unit of a line, before its terminator. */
  lineEnd(line: number): number {
    const index = this.clampLine(line) - 1;
    let end = index + 1 < this.lineStarts.length ? this.lineStarts[index + 1] : this.text.length;
    if (end > this.lineStarts[index] && this.text[end - 1] === '\n') end--;
    if (end > this.lineStarts[index] && this.text[end - 1] === '\r') end--;
    return end;
  }

  /** The text of a 1-based line without its terminator (clamped to the file's lines). */
  lineText(line: number): string {
    return this.text.slice(this.lineStart(line), this.lineEnd(line));
  }

  /** Start and end positions of a span in this file. */
  locate(span: Span): SpanLocation {
    const start = this.lineCol(span.start);
    const end = this.lineCol(Math.max(span.end, span.start));
    return {
      file: span.file,
      line: start.line,
      col: start.col,
      endLine: end.line,
      endCol: end.col,
    };
  }

  private clampLine(line: number): number {
    return Math.min(Math.max(Math.floor(line), 1), this.lineStarts.length);
  }

  /** Binary search for the last line start <= offset. */
  private lineIndexOf(offset: number): number {
    let lo = 0;
    let hi = this.lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.lineStarts[mid] <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }
}

function computeLineStarts(text: string): number[] {
  const starts = [0];
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x0d) {
      if (text.charCodeAt(i + 1) === 0x0a) i++;
      starts.push(i + 1);
    } else if (c === 0x0a) {
      starts.push(i + 1);
    }
  }
  return starts;
}

/** Source files by the display path used in `Span.file`. */
export type SourceMap = ReadonlyMap<string, SourceFile>;

/** Builds a SourceMap from files, keyed by their display paths. */
export function sourceMapOf(files: Iterable<SourceFile>): SourceMap {
  const map = new Map<string, SourceFile>();
  for (const f of files) map.set(f.path, f);
  return map;
}

/** Locates a span through the map, or undefined when its file's text is not available. */
export function locateSpan(span: Span, sources: SourceMap): SpanLocation | undefined {
  return sources.get(span.file)?.locate(span);
}
