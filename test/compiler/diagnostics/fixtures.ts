/**
 * Hand-built sources and diagnostics shared by the renderer goldens. Spans are found by searching the
 * text, so editing a source moves its spans with it.
 */
import type { Diagnostic, Span } from '../../../compiler/diagnostics/diagnostic.js';
import type { SourceMap } from '../../../compiler/diagnostics/source-file.js';
import { diag } from '../../../compiler/diagnostics/diagnostic.js';
import { SourceFile, sourceMapOf } from '../../../compiler/diagnostics/source-file.js';

const lines = (...ls: string[]): string => ls.join('\n');

export const FILES: Readonly<Record<string, string>> = {
  'lenet-bad.cnn': lines(
    '// A LeNet whose last conv does not fit its input.',
    'model LeNetBad {',
    '    input 28x28x1',
    '    conv 6 5x5, relu        // 24x24x6',
    '    maxpool 2               // 12x12x6',
    '    conv 16 3x3, relu       // 10x10x16',
    '',
    '    // shrink once more',
    '    conv 16 1x1',
    '    maxpool 2',
    '    relu',
    '    conv 16 7x7',
    '    flatten',
    '    dense 10, softmax',
    '}',
    '',
  ),
  'residual.cnn': lines(
    '// Résumé: a residual stage — the shapes do not match',
    'model Res {',
    '\tinput 28x28x32',
    '\tresidual { conv 64 3x3 /2 } shortcut { conv 32 1x1 }',
    '\tlet tag = "🎯"; conv 8 3x3 /3',
    '}',
    '',
  ),
  'main.cnn': lines(
    'import "layers.cnn"',
    '',
    'block basic(c: int) {',
    '    conv c 3x3, same',
    '    relu',
    '}',
    '',
    'model M {',
    '    input 32x32x3',
    '    basic(16)',
    '}',
    '',
  ),
  'layers.cnn': lines('// shared layers', 'block basic(c: int) {', '    conv c 3x3', '}', ''),
  'recursive.cnn': lines(
    'block tower(n: int) {',
    '    conv 8 3x3',
    '    tower(n - 1)',
    '}',
    '',
    'model T {',
    '    input 16x16x1',
    '    tower(3)',
    '}',
    '',
  ),
  'eof.cnn': lines('model M {', '    input 8x8x1', ''),
  'eof-no-newline.cnn': lines('model M {', '    input 8x8x1'),
  'syntax.cnn': lines('model S {', '    input 8x8x1', '    dense(10 relu)', '}', ''),
  'symbolic.cnn': lines('model Sym {', '    input HxWx3', '    conv 8 7x7', '}', ''),
  'crlf.cnn': 'model C {\r\n    input 8x8x1\r\n    conv 8 9x9\r\n}\r\n',
};

export const SOURCES: SourceMap = sourceMapOf(
  Object.entries(FILES).map(([path, text]) => new SourceFile(path, text)),
);

/** The span of the `nth` (0-based) occurrence of `needle` in `file`. */
export function spanOf(file: string, needle: string, nth = 0): Span {
  const text = FILES[file];
  let start = -1;
  for (let i = 0; i <= nth; i++) {
    start = text.indexOf(needle, start + 1);
    if (start < 0) throw new Error(`fixture: "${needle}" #${nth} not in ${file}`);
  }
  return { file, start, end: start + needle.length };
}

/** A zero-width span just after the `nth` occurrence of `needle` (or at the end when omitted). */
export function pointAfter(file: string, needle?: string, nth = 0): Span {
  const at = needle === undefined ? FILES[file].length : spanOf(file, needle, nth).end;
  return { file, start: at, end: at };
}

/** The span from the start of `from` to the end of `to` (searched from there). */
export function spanFromTo(file: string, from: string, to: string): Span {
  const start = spanOf(file, from).start;
  const end = FILES[file].indexOf(to, start) + to.length;
  return { file, start, end };
}

/** The example from docs STYLE.md, character for character. */
export const STYLE_EXAMPLE = [
  'error[CNN3001]: kernel 7x7 is larger than its 5x5 input',
  '  ┌─ lenet-bad.cnn:12:5',
  '  │',
  '10│     maxpool 2',
  '  │     --------- input shrinks to 5x5 here',
  '12│     conv 16 7x7',
  '  │     ^^^^^^^^^^^ needs an input of at least 7x7',
  '  │',
  '  = note: out = floor((5 + 2·0 − 7) / 1) + 1 = −1',
  '  = help: pad with `same`, or use a 5x5 kernel',
  '',
].join('\n');

export const CASES: Readonly<Record<string, readonly Diagnostic[]>> = {
  'style-example': [
    diag('CNN3001', 'kernel 7x7 is larger than its 5x5 input', {
      span: spanOf('lenet-bad.cnn', 'conv 16 7x7'),
      spanLabel: 'needs an input of at least 7x7',
      labels: [
        { span: spanOf('lenet-bad.cnn', 'maxpool 2', 1), message: 'input shrinks to 5x5 here' },
      ],
      notes: ['out = floor((5 + 2·0 − 7) / 1) + 1 = −1'],
      help: 'pad with `same`, or use a 5x5 kernel',
    }),
  ],
  'same-line-labels': [
    diag('CNN3004', 'residual adds 14x14x64 to 28x28x32', {
      span: spanOf('residual.cnn', 'residual {'),
      spanLabel: 'the two paths must have the same shape',
      labels: [
        { span: spanOf('residual.cnn', 'shortcut { conv 32 1x1 }'), message: 'gives 28x28x32' },
        { span: spanOf('residual.cnn', 'conv 64 3x3 /2'), message: 'gives 14x14x64' },
      ],
      help: 'give the shortcut `conv 64 1x1 /2`',
    }),
  ],
  'multi-file': [
    diag('CNN2012', 'block `basic` is defined twice', {
      span: spanOf('main.cnn', 'basic'),
      spanLabel: 'second definition',
      labels: [
        { span: spanOf('layers.cnn', 'basic'), message: 'first defined here' },
        { span: spanOf('main.cnn', 'import "layers.cnn"'), message: 'imported here' },
      ],
      help: 'rename one of them',
    }),
  ],
  'multi-line-span': [
    diag('CNN2009', 'block `tower` calls itself', {
      span: spanFromTo('recursive.cnn', 'block tower', '}'),
      spanLabel: 'this block',
      labels: [
        { span: spanOf('recursive.cnn', 'tower(n - 1)'), message: 'calls `tower` again' },
        { span: spanOf('recursive.cnn', 'tower(3)'), message: 'expanded from here' },
      ],
      notes: ['blocks are expanded at compile time, so they cannot recurse'],
      help: 'use `repeat n { ... }`',
    }),
  ],
  'eof-span': [
    diag('CNN1004', 'expected `}` to close `model M`, found the end of the file', {
      span: pointAfter('eof.cnn'),
      labels: [{ span: spanOf('eof.cnn', '{'), message: 'opened here' }],
    }),
    diag('CNN1004', 'expected `}` to close `model M`, found the end of the file', {
      span: pointAfter('eof-no-newline.cnn'),
      spanLabel: 'expected `}`',
    }),
  ],
  'zero-width': [
    diag('CNN1004', 'expected `,` or `)` after `10`, found `relu`', {
      span: pointAfter('syntax.cnn', '10'),
      spanLabel: 'expected `,` or `)`',
      labels: [{ span: spanOf('syntax.cnn', '('), message: 'to close this `(`' }],
    }),
  ],
  warning: [
    diag('CNN3003', 'stride 3 does not divide 28 − 3 = 25 evenly; the last column is dropped', {
      span: spanOf('residual.cnn', '/3'),
      spanLabel: 'stride 3',
      notes: ['out = floor((28 + 2·0 − 3) / 3) + 1 = 9, covering 27 of 28 columns'],
    }),
  ],
  note: [
    diag('CNN3018', 'the input needs H >= 7 and W >= 7', {
      span: spanOf('symbolic.cnn', 'HxWx3'),
      spanLabel: 'H and W are symbolic',
      labels: [{ span: spanOf('symbolic.cnn', 'conv 8 7x7'), message: 'needs at least 7x7' }],
    }),
  ],
  'no-span': [
    diag('CNN2015', 'no model `ResNet05` in stdlib/resnet.cnn', {
      notes: ['a file can define several models', '`--model` picks one of them'],
      help: 'did you mean `ResNet50`?',
    }),
  ],
  'missing-source': [
    diag('CNN9001', 'internal compiler error: lowering produced no output', {
      span: { file: 'generated.cnn', start: 3, end: 9 },
      spanLabel: 'while lowering this',
    }),
  ],
  crlf: [
    diag('CNN3001', 'kernel 9x9 is larger than its 8x8 input', {
      span: spanOf('crlf.cnn', 'conv 8 9x9'),
      spanLabel: 'needs an input of at least 9x9',
      labels: [{ span: spanOf('crlf.cnn', 'input 8x8x1'), message: 'input is 8x8' }],
      notes: ['multi-line notes\nkeep their indentation'],
    }),
  ],
};

/** Every case in order, for renderers that print them all into one golden. */
export const ALL: readonly Diagnostic[] = Object.values(CASES).flat();
