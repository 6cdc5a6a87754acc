/**
 * Diagnostics whose help is a did-you-mean carry it as an edit (compiler/diagnostics SuggestedEdit):
 * its span is the misspelt word, and applying it makes the diagnostic go away.
 */
import { describe, expect, it } from 'vitest';
import { compileFile } from '../../compiler/program.js';
import { memoryHost, memPath } from '../helpers/memory-host.js';

const model = (body: string) => `model M {\n  input 8x8x4\n${body}\n}\n`;

const CASES: [string, string, string, string, string][] = [
  ['CNN2001', 'an unknown layer', model('  conb 4 3x3'), 'conb', 'conv'],
  ['CNN2002', 'an unknown attribute', model('  conv 4 3x3 padding 1 nobais'), 'nobais', 'nobias'],
  [
    'CNN2007',
    'an unknown named argument',
    `block b(c: int, stride: int = 1) {\n  conv c 3x3 /stride\n}\n${model('  b(4, strde = 2)')}`,
    'strde',
    'stride',
  ],
  [
    'CNN2015',
    'an unknown base model',
    `import lenet\nmodel D = LeNet {\n  input 32x32x1\n}\n`,
    'LeNet',
    'LeNet5',
  ],
  [
    'CNN2016',
    'an undefined name',
    `block b(chans: int) {\n  conv chan * 2 3x3\n}\n${model('  b(4)')}`,
    'chan',
    'chans',
  ],
  [
    'CNN2022',
    'an unknown member of in',
    `block b(c: int) {\n  conv in.chanels 3x3\n}\n${model('  b(4)')}`,
    'chanels',
    'channels',
  ],
  [
    'CNN4004',
    'an unknown budget metric',
    model('  conv 4 3x3\n  budget parms <= 1M'),
    'parms',
    'params',
  ],
];

describe('suggested edits', () => {
  it.each(CASES)('%s (%s)', (code, _what, text, word, replacement) => {
    const compile = (t: string) =>
      compileFile(memPath('main.cnn'), memoryHost({ 'main.cnn': t })).diagnostics;
    const d = compile(text).find((x) => x.code === code);
    expect(d?.edit).toBeDefined();
    expect(text.slice(d!.edit!.span.start, d!.edit!.span.end)).toBe(word);
    expect(d!.edit!.text).toBe(replacement);
    const fixed =
      text.slice(0, d!.edit!.span.start) + d!.edit!.text + text.slice(d!.edit!.span.end);
    expect(compile(fixed).filter((x) => x.code === code)).toEqual([]);
  });

  it('are absent when there is nothing close to suggest', () => {
    const d = compileFile(
      memPath('main.cnn'),
      memoryHost({ 'main.cnn': model('  zzzzzz 3x3') }),
    ).diagnostics;
    expect(d.find((x) => x.code === 'CNN2001')?.edit).toBeUndefined();
  });
});
