import { describe, expect, it } from 'vitest';
import type { Diagnostic } from '../../../compiler/diagnostics/diagnostic.js';
import { diag } from '../../../compiler/diagnostics/diagnostic.js';
import {
  renderPretty,
  renderSummaryLine,
  shouldColor,
} from '../../../compiler/diagnostics/render-pretty.js';
import { renderShort } from '../../../compiler/diagnostics/render-short.js';
import { SourceFile, sourceMapOf } from '../../../compiler/diagnostics/source-file.js';
import { expectBaseline } from '../../helpers/baseline.js';
import { ALL, CASES, SOURCES, STYLE_EXAMPLE } from './fixtures.js';

const plain = (diags: readonly Diagnostic[]): string =>
  renderPretty(diags, SOURCES, { color: false });

const stripAnsi = (text: string): string => text.replace(/\x1b\[[0-9;]*m/g, '');

describe('renderPretty', () => {
  it('prints the STYLE.md example exactly', () => {
    expect(plain(CASES['style-example'])).toBe(STYLE_EXAMPLE);
  });

  it.each(Object.keys(CASES))('golden: %s', (name) => {
    expectBaseline(`diagnostics/pretty/${name}.txt`, plain(CASES[name]));
  });

  it('separates diagnostics with one blank line', () => {
    const text = plain(ALL);
    expect(text).not.toMatch(/\n\n\n/);
    expect(text.split('\n\n')).toHaveLength(ALL.length);
  });

  it('prints nothing for no diagnostics', () => {
    expect(plain([])).toBe('');
  });

  it('expands tabs so that underlines line up', () => {
    const text = plain(CASES['same-line-labels']);
    expect(text).not.toContain('\t');
    const rows = text.split('\n');
    const source = rows.find((r) => r.startsWith('4│'));
    const under = rows.find((r) => r.includes('^^^'));
    expect(source?.indexOf('residual')).toBe(under?.indexOf('^'));
  });

  it('shows control characters as U+FFFD and keeps the columns', () => {
    const sources = sourceMapOf([new SourceFile('ctl.cnn', 'a\x1b[31mb conv')]);
    const d = diag('CNN1002', 'unknown character', {
      span: { file: 'ctl.cnn', start: 1, end: 2 },
    });
    const text = renderPretty([d], sources, { color: false });
    expect(text).not.toContain('\x1b');
    expect(text).toContain('1│ a\uFFFD[31mb conv\n');
    expect(text).toContain(' │  ^\n');
  });

  it('widens the gutter to the largest line number of any file', () => {
    const many = sourceMapOf([
      new SourceFile('long.cnn', Array.from({ length: 120 }, (_, i) => `l${i + 1}`).join('\n')),
    ]);
    const d = diag('CNN2016', 'undefined name', {
      span: { file: 'long.cnn', start: 0, end: 2 },
      labels: [{ span: { file: 'long.cnn', start: 466, end: 470 }, message: 'far away' }],
    });
    const rendered = renderPretty([d], many, { color: false });
    expect(rendered).toContain('  1│ l1\n');
    expect(rendered).toContain('\n...\n');
    expect(rendered).toMatch(/\n\d{3}│ l\d+\n/);
  });

  it('shows text-direction controls as U+FFFD, so the frame cannot be reordered', () => {
    const text = 'x // \u202euser\u2066 admin\u200f\u061c';
    const sources = sourceMapOf([new SourceFile('bidi.cnn', text)]);
    const d = diag('CNN1006', 'bidi', { span: { file: 'bidi.cnn', start: 5, end: 6 } });
    const out = renderPretty([d], sources, { color: false });
    expect(out).toMatch(/^1│ x \/\/ \uFFFDuser\uFFFD admin\uFFFD\uFFFD$/m);
    expect(out).not.toMatch(/[\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c]/);
    expect(out).toContain(' │      ^\n');
  });

  it('shows a window of a long line around its underline, not the whole line', () => {
    const line = `${'a'.repeat(5000)}BAD${'b'.repeat(5000)}`;
    const sources = sourceMapOf([new SourceFile('wide.cnn', `${line}\nnext`)]);
    const d = diag('CNN2016', 'undefined name', {
      span: { file: 'wide.cnn', start: 5000, end: 5003 },
      labels: [{ span: { file: 'wide.cnn', start: 9990, end: 9995 }, message: 'far right' }],
    });
    const rows = renderPretty([d], sources, { color: false }).split('\n');
    const shown = rows.find((r) => r.startsWith('1│'))!;
    expect(shown).toBe(`1│ …${'a'.repeat(60)}BAD${'b'.repeat(237)}…`);
    const caret = rows.find((r) => r.includes('^'))!;
    expect(caret.indexOf('^')).toBe(shown.indexOf('BAD'));
    expect(caret).toMatch(/ \^\^\^$/);
    // The label right of the window sits just past its end.
    const dash = rows.find((r) => r.includes('-'))!;
    expect(dash.indexOf('-')).toBe(shown.length);
    expect(rows.every((r) => r.length < 400)).toBe(true);
  });

  it('writes control and text-direction characters quoted in a message as escapes', () => {
    const sources = sourceMapOf([new SourceFile('m.cnn', 'import "x"\n')]);
    const d = diag('CNN2011', 'cannot find a\n::error file=x::injected\u202e\x1b[2J', {
      span: { file: 'm.cnn', start: 0, end: 10 },
      spanLabel: 'from \u2066here',
      notes: ['two\nlines\r'],
      help: 'b\u0007',
    });
    for (const text of [renderPretty([d], sources, { color: false }), renderShort([d], sources)]) {
      expect(text).not.toMatch(/^::/m);
      expect(text).not.toMatch(/[\x00-\x09\x0b-\x1f\u202a-\u202e\u2066-\u2069]/);
      expect(text).toContain('cannot find a\\n::error file=x::injected\\u{202e}\\u{1b}[2J');
    }
    const pretty = renderPretty([d], sources, { color: false });
    expect(pretty).toContain('from \\u{2066}here');
    expect(pretty).toContain(' = note: two\n         lines\\r\n');
    expect(pretty).toContain(' = help: b\\u{7}\n');
  });

  it('keeps a line of 300 units whole', () => {
    const line = 'c'.repeat(300);
    const sources = sourceMapOf([new SourceFile('w.cnn', line)]);
    const d = diag('CNN2016', 'x', { span: { file: 'w.cnn', start: 299, end: 300 } });
    expect(renderPretty([d], sources, { color: false })).toContain(`1│ ${line}\n`);
  });
});

describe('underline edge cases', () => {
  /** [name, text, start, end, expected rows after the header and blank gutter row] */
  const EDGES: readonly (readonly [string, string, number, number, readonly string[]])[] = [
    ['a span ending with its line break stays on its line', 'ab\ncd', 0, 3, ['1│ ab', ' │ ^^']],
    [
      'a span of only a line break gets one caret after the text',
      'ab\ncd',
      2,
      3,
      ['1│ ab', ' │   ^'],
    ],
    ['CRLF counts as one line break', 'ab\r\ncd', 0, 4, ['1│ ab', ' │ ^^']],
    ['a zero-width span gets one caret', 'ab', 1, 1, ['1│ ab', ' │  ^']],
    ['an end past the text is clamped', 'ab', 0, 99, ['1│ ab', ' │ ^^']],
    ['an empty file points at line 1', '', 0, 0, ['1│', ' │ ^']],
    [
      'a multi-line span marks its first and last lines',
      'ab\n  cd\nef',
      1,
      7,
      ['1│ ab', ' │  ^', '2│   cd', ' │   ^^ span from line 1 ends here'],
    ],
  ];

  it.each(EDGES)('%s', (_name, text, start, end, rows) => {
    const sources = sourceMapOf([new SourceFile('e.cnn', text)]);
    const d = diag('CNN1001', 'unexpected token', { span: { file: 'e.cnn', start, end } });
    const out = renderPretty([d], sources, { color: false }).split('\n');
    expect(out.slice(3, -1)).toEqual(rows);
  });
});

describe('colour', () => {
  it('adds ANSI escapes only when asked', () => {
    expect(plain(ALL)).not.toContain('\x1b[');
    const coloured = renderPretty(ALL, SOURCES, { color: true });
    expect(coloured).toContain('\x1b[');
  });

  it('changes nothing but the escapes', () => {
    expect(stripAnsi(renderPretty(ALL, SOURCES, { color: true }))).toBe(plain(ALL));
  });

  it('paints the severity and the primary underline in the severity colour', () => {
    const coloured = renderPretty(CASES['style-example'], SOURCES, { color: true });
    expect(coloured.startsWith('\x1b[1;31merror[CNN3001]\x1b[0m')).toBe(true);
    expect(coloured).toContain('\x1b[1;31m^^^^^^^^^^^\x1b[0m');
    expect(coloured).toContain('\x1b[36m---------\x1b[0m');
    const warning = renderPretty(CASES.warning, SOURCES, { color: true });
    expect(warning.startsWith('\x1b[1;33mwarning[CNN3003]')).toBe(true);
  });

  it.each([
    ['a TTY', true, true, {}],
    ['a pipe', false, false, {}],
    ['a stream without isTTY', false, undefined, {}],
    ['a TTY with NO_COLOR=1', false, true, { NO_COLOR: '1' }],
    ['a TTY with NO_COLOR empty (ignored, per no-color.org)', true, true, { NO_COLOR: '' }],
    ['a TTY with TERM=dumb', false, true, { TERM: 'dumb' }],
    ['a pipe with FORCE_COLOR=1', true, false, { FORCE_COLOR: '1' }],
    ['a TTY with FORCE_COLOR=0', false, true, { FORCE_COLOR: '0' }],
    ['NO_COLOR beats FORCE_COLOR', false, true, { NO_COLOR: '1', FORCE_COLOR: '1' }],
  ] as const)('shouldColor on %s is %s', (_name, expected, isTTY, env) => {
    const stream = isTTY === undefined ? {} : { isTTY };
    expect(shouldColor(stream, env)).toBe(expected);
  });
});

describe('renderSummaryLine', () => {
  const of = (...severities: ('error' | 'warning' | 'note')[]): Diagnostic[] =>
    severities.map((severity) => diag('CNN9001', 'x', { severity }));

  it.each([
    [[], 'no problems'],
    [['error'], '1 error'],
    [['error', 'error', 'warning'], '2 errors, 1 warning'],
    [['warning', 'warning'], '2 warnings'],
    [['note', 'error', 'note', 'warning'], '1 error, 1 warning, 2 notes'],
  ] as const)('%j → %s', (severities, expected) => {
    expect(renderSummaryLine(of(...severities))).toBe(expected);
  });
});
