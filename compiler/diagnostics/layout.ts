/**
 * How a source line looks in a terminal: tabs expanded to stops of four, control characters and
 * text-direction controls (bidi.ts: printed raw, they would reorder the frame) shown as U+FFFD, East Asian wide characters and emoji two columns, combining marks none. Columns in spans
 * count UTF-16 units; the code frame needs display columns, so each unit is mapped to the display
 * column it starts at. The width table is a small approximation of wcwidth, enough for comments and
 * strings in .cnn files.
 */

import { isBidiControl } from './bidi.js';

export const TAB_WIDTH = 4;

export interface LineLayout {
  /** The line as printed. */
  readonly shown: string;
  /** `cols[i]` is the 0-based display column of UTF-16 unit `i`; `cols[text.length]` is the width. */
  readonly cols: readonly number[];
}

export function layoutLine(text: string): LineLayout {
  let shown = '';
  const cols: number[] = [];
  let col = 0;
  for (let i = 0; i < text.length;) {
    const cp = text.codePointAt(i) ?? 0;
    const units = cp > 0xffff ? 2 : 1;
    for (let u = 0; u < units; u++) cols.push(col);
    if (cp === 0x09) {
      const width = TAB_WIDTH - (col % TAB_WIDTH);
      shown += ' '.repeat(width);
      col += width;
    } else if (cp < 0x20 || (cp >= 0x7f && cp < 0xa0) || isBidiControl(cp)) {
      shown += '\uFFFD';
      col += 1;
    } else {
      shown += text.slice(i, i + units);
      col += charWidth(cp);
    }
    i += units;
  }
  cols.push(col);
  return { shown, cols };
}

/** C0 and C1 controls, DEL, line and paragraph separators, and text-direction controls. */
const INVISIBLE =
  /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

/**
 * Text of a diagnostic for a terminal or a CI log, where it may quote names and paths from the
 * input: every control character and text-direction control is written as an escape (`\n`,
 * `\u{1b}`, `\u{202e}`), so that a quoted name cannot start a line of its own (a GitHub Actions
 * runner reads a line starting `::` as a command), move the cursor or reorder the line. With
 * `lines`, a line break stays (notes and labels are printed line by line, each indented).
 */
export function visibleText(text: string, lines = false): string {
  return text.replace(INVISIBLE, (c) => {
    if (lines && c === '\n') return c;
    if (c === '\n') return '\\n';
    if (c === '\t') return '\\t';
    if (c === '\r') return '\\r';
    return `\\u{${c.charCodeAt(0).toString(16)}}`;
  });
}

/** The 0-based display column of a 1-based UTF-16 column; past the text, one column per unit. */
export function toDisplayCol(layout: LineLayout, col: number): number {
  const index = Math.max(col - 1, 0);
  const length = layout.cols.length - 1;
  return index <= length ? layout.cols[index] : layout.cols[length] + (index - length);
}

const ZERO_WIDTH: readonly (readonly [number, number])[] = [
  [0x0300, 0x036f],
  [0x1ab0, 0x1aff],
  [0x1dc0, 0x1dff],
  [0x200b, 0x200f],
  [0x20d0, 0x20ff],
  [0xfe00, 0xfe0f],
  [0xfe20, 0xfe2f],
];

const WIDE: readonly (readonly [number, number])[] = [
  [0x1100, 0x115f],
  [0x2e80, 0x303e],
  [0x3041, 0x33ff],
  [0x3400, 0x4dbf],
  [0x4e00, 0x9fff],
  [0xa000, 0xa4cf],
  [0xac00, 0xd7a3],
  [0xf900, 0xfaff],
  [0xfe30, 0xfe4f],
  [0xff00, 0xff60],
  [0xffe0, 0xffe6],
  [0x1f300, 0x1f64f],
  [0x1f680, 0x1f6ff],
  [0x1f900, 0x1f9ff],
  [0x1fa70, 0x1faff],
  [0x20000, 0x3fffd],
];

/** Terminal columns taken by a printable code point: 0, 1 or 2. */
export function charWidth(cp: number): number {
  if (inRanges(cp, ZERO_WIDTH)) return 0;
  return inRanges(cp, WIDE) ? 2 : 1;
}

function inRanges(cp: number, ranges: readonly (readonly [number, number])[]): boolean {
  return ranges.some(([lo, hi]) => cp >= lo && cp <= hi);
}
