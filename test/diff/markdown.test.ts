/** The markdown report's escaping: paths and names from sources cannot break out of the comment. */
import { describe, expect, it } from 'vitest';
import { diffFile, diffReport, mdCode, mdText, renderMarkdown } from '../../compiler/diff/index.js';
import type { DiffReport } from '../../compiler/diff/types.js';
import { compileFile } from '../../compiler/program.js';
import { memoryHost, memPath } from '../helpers/memory-host.js';

describe('mdText and mdCode', () => {
  it.each([
    ['a|b', 'a\\|b', '`a\\|b`'],
    [
      '<script>alert(1)</script>',
      '&lt;script&gt;alert(1)&lt;/script&gt;',
      '`<script>alert(1)</script>`',
    ],
    [
      '*bold* _em_ [link](x) ~~s~~',
      '\\*bold\\* \\_em\\_ \\[link\\](x) \\~\\~s\\~\\~',
      '`*bold* _em_ [link](x) ~~s~~`',
    ],
    ['`tick` ``two``', '\\`tick\\` \\`\\`two\\`\\`', '``` `tick` ``two`` ```'],
    ['line\nbreak', 'line break', '`line break`'],
    ['a\u202Eb', 'a&lt;U+202E&gt;b', '`a<U+202E>b`'],
    ['&amp;', '&amp;amp;', '`&amp;`'],
  ])('%j', (raw, text, code) => {
    expect(mdText(raw)).toBe(text);
    expect(mdCode(raw)).toBe(code);
  });
});

describe('a hostile file path in the report', () => {
  it('stays inside its code span and its table cell', () => {
    const file = 'dir/`x` | <img src=x onerror=alert(1)>\u202E.cnn';
    const version = (units: number) => {
      const text = `model M {\n  input 4x4x1\n  flatten\n  dense ${units}\n}\n`;
      const r = compileFile(memPath(file), memoryHost({ [file]: text }));
      expect(r.diagnostics).toEqual([]);
      return { path: file, models: r.models.map((m) => ({ ...m, summary: m.summary! })) };
    };
    const report: DiffReport = diffReport(file, file, [
      diffFile(version(2), version(3), 'modified'),
    ]);
    const md = renderMarkdown(report);
    expect(md).not.toContain('\u202E');
    expect(md).toContain('### ``dir/`x` \\| <img src=x onerror=alert(1)><U+202E>.cnn`` (modified)');
    // Every table row keeps its cells: 4 in the totals table, 7 in the layers table.
    const rows = md.split('\n').filter((l) => l.startsWith('|'));
    expect(rows.length).toBeGreaterThan(8);
    for (const row of rows) expect([6, 9]).toContain(row.replace(/\\\|/g, '').split('|').length);
  });
});
