import { describe, expect, it } from 'vitest';
import { SourceFile, locateSpan, sourceMapOf } from '../../../compiler/diagnostics/source-file.js';

/** [name, text, offset, line, col] */
const POSITIONS: readonly (readonly [string, string, number, number, number])[] = [
  ['empty file, offset 0', '', 0, 1, 1],
  ['empty file, offset past the end', '', 5, 1, 1],
  ['first unit', 'abc', 0, 1, 1],
  ['last unit', 'abc', 2, 1, 3],
  ['end of file without newline', 'abc', 3, 1, 4],
  ['past the end is clamped', 'abc', 99, 1, 4],
  ['negative is clamped', 'abc', -3, 1, 1],
  ['fraction is floored', 'abc', 1.7, 1, 2],
  ['the newline belongs to its line', 'a\nb', 1, 1, 2],
  ['after \\n', 'a\nb', 2, 2, 1],
  ['end of file after a final newline', 'a\n', 2, 2, 1],
  ['\\r of \\r\\n', 'ab\r\ncd', 2, 1, 3],
  ['\\n of \\r\\n', 'ab\r\ncd', 3, 1, 4],
  ['after \\r\\n', 'ab\r\ncd', 4, 2, 1],
  ['lone \\r breaks a line', 'ab\rcd', 3, 2, 1],
  ['\\n\\r is two breaks', 'a\n\rb', 3, 3, 1],
  ['blank lines', '\n\n\nx', 3, 4, 1],
  ['column counts UTF-16 units', '😀x', 2, 1, 3],
  ['tabs are one unit', '\t\tx', 2, 1, 3],
  [
    'many lines, binary search',
    Array.from({ length: 500 }, (_, i) => `l${i}`).join('\n'),
    2003,
    423,
    4,
  ],
];

/** [name, text, lineCount, lines] */
const LINES: readonly (readonly [string, string, number, readonly string[]])[] = [
  ['empty', '', 1, ['']],
  ['one line', 'abc', 1, ['abc']],
  ['final newline adds an empty line', 'abc\n', 2, ['abc', '']],
  ['\\r\\n is stripped', 'a\r\nb\r\n', 3, ['a', 'b', '']],
  ['lone \\r', 'a\rb', 2, ['a', 'b']],
  ['mixed endings', 'a\nb\r\nc\rd', 4, ['a', 'b', 'c', 'd']],
  ['blank lines', '\n\n', 3, ['', '', '']],
];

describe('SourceFile', () => {
  it.each(POSITIONS)('lineCol: %s', (_name, text, offset, line, col) => {
    expect(new SourceFile('f.cnn', text).lineCol(offset)).toEqual({ line, col });
  });

  it.each(LINES)('lines: %s', (_name, text, count, expected) => {
    const file = new SourceFile('f.cnn', text);
    expect(file.lineCount).toBe(count);
    expect(Array.from({ length: count }, (_, i) => file.lineText(i + 1))).toEqual(expected);
  });

  it.each([
    [0, 'abc'],
    [-1, 'abc'],
    [3, 'def'],
    [99, 'def'],
  ])('lineText(%i) clamps to the file', (line, text) => {
    expect(new SourceFile('f.cnn', 'abc\ndef').lineText(line)).toBe(text);
  });

  it.each([
    ['lf', 'ab\ncd\n\nef'],
    ['crlf', 'ab\r\ncd\r\n\r\nef\r\n'],
    ['cr', 'ab\rcd\r'],
    ['astral', 'a😀\nb'],
  ])('offsetAt inverts lineCol at every offset (%s)', (_name, text) => {
    const file = new SourceFile('f.cnn', text);
    for (let offset = 0; offset <= text.length; offset++) {
      const { line, col } = file.lineCol(offset);
      expect(file.offsetAt(line, col)).toBe(offset);
    }
  });

  it('agrees with a linear scan on a long mixed text', () => {
    let text = '';
    let seed = 7;
    for (let i = 0; i < 3000; i++) {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      text += ['a', 'b', ' ', '\n', '\r\n', '\r', '\t'][seed % 7];
    }
    const file = new SourceFile('f.cnn', text);
    let line = 1;
    let col = 1;
    for (let offset = 0; offset <= text.length; offset++) {
      expect(file.lineCol(offset)).toEqual({ line, col });
      const c = text[offset];
      if (c === '\n' || (c === '\r' && text[offset + 1] !== '\n')) {
        line++;
        col = 1;
      } else {
        col++;
      }
    }
  });

  it('locates spans, including one at the end of the file', () => {
    const file = new SourceFile('f.cnn', 'model M {\n  conv 8 3x3\n');
    expect(file.locate({ file: 'f.cnn', start: 12, end: 22 })).toEqual({
      file: 'f.cnn',
      line: 2,
      col: 3,
      endLine: 2,
      endCol: 13,
    });
    expect(file.locate({ file: 'f.cnn', start: 23, end: 23 })).toEqual({
      file: 'f.cnn',
      line: 3,
      col: 1,
      endLine: 3,
      endCol: 1,
    });
  });

  it('maps display paths to files; a missing file locates nothing', () => {
    const sources = sourceMapOf([new SourceFile('a.cnn', 'x\ny'), new SourceFile('b.cnn', 'z')]);
    expect(locateSpan({ file: 'a.cnn', start: 2, end: 3 }, sources)).toMatchObject({ line: 2 });
    expect(locateSpan({ file: 'c.cnn', start: 0, end: 1 }, sources)).toBeUndefined();
  });
});
