/** Syntax errors: codes and spans (the text under the primary span), recovery, several per run. */
import { describe, expect, it } from 'vitest';
import { MAX_EXPR_DEPTH } from '../../grammar/cst-expr.js';
import { MAX_NESTING } from '../../grammar/lexer.js';
import { MAX_SYNTAX_ERRORS } from '../../grammar/syntax-diagnostics.js';
import { allSpans, codesAndText, parse } from './helpers.js';

describe('one error, its code and span', () => {
  it.each([
    ['stray token in a body', 'model A {\n  conv 3 )\n  relu\n}', [['CNN1001', ')']]],
    ['declaration junk', 'conv 3\nmodel A {}', [['CNN1001', 'conv']]],
    ['junk after a declaration', 'model A {} }', [['CNN1001', '}']]],
    ['missing model name', 'model { relu }', [['CNN1004', '{']]],
    ['missing base name', 'model A = { relu }', [['CNN1004', '{']]],
    ['missing `:` in a parameter', 'block b(c int) {}', [['CNN1004', 'int']]],
    ['unknown parameter type', 'block b(c: tensor) {}', [['CNN1021', 'tensor']]],
    [
      'statement if in the expression form',
      'model A {\n if c then relu else bn\n}',
      [['CNN1020', 'then']],
    ],
    ['statement if without braces', 'model A {\n if c relu\n}', [['CNN1020', 'relu']]],
    ['missing `)` in a tuple', 'model A { conv (3, 3 relu }', [['CNN1004', 'relu']]],
    ['missing separator', 'model A { conv 3 { relu } }', [['CNN1004', '{']]],
    ['statement in concat', 'model A { concat { conv 3 } }', [['CNN1001', 'conv 3']]],
    [
      'block in train',
      'model A { train { repeat 2 { relu } } }',
      [['CNN1001', 'repeat 2 { relu }']],
    ],
    ['attributes after an expression', 'model A { let x = 3 4 }', [['CNN1001', '3']]],
    ['label without statement', 'model A { a: }', [['CNN1001', '}']]],
    ['label before let', 'model A { x: let y = 2 }', [['CNN1001', 'let']]],
    ['operator without operand', 'model A { conv 3 + }', [['CNN1001', '}']]],
    ['named atom without value', 'model A { conv 3 stride= }', [['CNN1001', '}']]],
    ['statement starting with a divide', 'model A {\n  conv 3\n  / 2\n}', [['CNN1001', '/']]],
    ['assignment without let', 'model A { x = 3 }', [['CNN1001', '=']]],
    ['statements instead of a branch', 'model A { concat { b: relu {} } }', [['CNN1001', 'relu']]],
    ['comparisons do not chain', 'block b(x: bool = 1 < 2 < 3) {}', [['CNN1004', '<']]],
    ['import without target', 'import\nmodel A {}', [['CNN1001', '\n']]],
  ])('%s', (_name, text, expected) => {
    expect(codesAndText(text, parse(text).diagnostics)).toEqual(expected);
  });

  it.each([
    ['model A {\n  conv 3\n', true],
    ['model A {\n  residual {\n    conv 3\n  }\n  relu\n', true],
    ['import', false],
    ['model A { conv (3,', false],
  ])('at end of file: a zero-width span at the end (%j)', (text, closesBlock) => {
    const [d, ...rest] = parse(text).diagnostics;
    expect(rest).toEqual([]);
    expect(d.span).toEqual({ file: 'test.cnn', start: text.length, end: text.length });
    if (closesBlock) {
      expect(d.code).toBe('CNN1004');
      expect(d.labels.map((l) => text.slice(l.span.start, l.span.end))).toEqual(['{']);
    }
  });

  it('points at the unclosed `{` of the innermost open block', () => {
    const text = 'model A {\n  stem: {\n    conv 3\n';
    const [d] = parse(text).diagnostics;
    expect(d.code).toBe('CNN1004');
    expect(d.labels[0].span.start).toBe(text.indexOf('{', text.indexOf('stem')));
  });

  it('an unclosed block before the next model costs one error', () => {
    const text = 'model A {\n  conv 3\nmodel B { relu }';
    const r = parse(text);
    expect(codesAndText(text, r.diagnostics)).toEqual([['CNN1004', 'model']]);
    expect(r.value.decls.map((d) => d.kind === 'Model' && d.name.name)).toEqual(['A', 'B']);
  });
});

describe('several errors in one run', () => {
  it('reports a bad statement in each of two models and keeps both models', () => {
    const text = 'model A {\n  conv 3 )\n  relu\n}\nmodel B {\n  dense =\n  relu\n}\n';
    const r = parse(text);
    expect(codesAndText(text, r.diagnostics)).toEqual([
      ['CNN1001', ')'],
      ['CNN1001', '='],
    ]);
    expect(r.value.decls).toMatchObject([
      { name: { name: 'A' }, body: [{ head: { name: 'conv' } }, { head: { name: 'relu' } }] },
      { name: { name: 'B' }, body: [{ head: { name: 'dense' } }, { head: { name: 'relu' } }] },
    ]);
  });

  it('mixes lexical and syntax errors, in source order', () => {
    const text = 'model A {\n  conv 5s\n  pool @ 2\n  dense (1, 2\n}\nmodel { }\n';
    expect(codesAndText(text, parse(text).diagnostics)).toEqual([
      ['CNN1005', '5s'],
      ['CNN1002', '@'],
      ['CNN1004', '}'],
      ['CNN1004', '{'],
    ]);
  });

  it('keeps the statements around an error in the same block', () => {
    const text = 'model A {\n  conv 3\n  ) (\n  relu\n}';
    const r = parse(text);
    expect(r.diagnostics.map((d) => d.code)).toEqual(['CNN1001']);
    expect(r.value.decls[0]).toMatchObject({
      body: [{ head: { name: 'conv' } }, { head: { name: 'relu' } }],
    });
  });

  it(`stops after ${MAX_SYNTAX_ERRORS} errors`, () => {
    const text = `model A {${' a:'.repeat(MAX_SYNTAX_ERRORS * 3)} }`;
    const r = parse(text);
    expect(r.diagnostics.length).toBeLessThanOrEqual(MAX_SYNTAX_ERRORS + 1);
    expect(r.diagnostics.at(-1)?.notes.join(' ')).toMatch(/stopped/);
  });
});

describe('limits', () => {
  it.each([
    [
      'parentheses',
      `model A { conv ${'('.repeat(MAX_NESTING + 5)}1${')'.repeat(MAX_NESTING + 5)} }`,
      '(',
    ],
    ['braces', `model A ${'{ '.repeat(MAX_NESTING + 5)}${'}'.repeat(MAX_NESTING + 5)}`, '{'],
    [
      'if',
      `model A { conv ${'if a then '.repeat(MAX_NESTING + 5)}1${' else 2'.repeat(MAX_NESTING + 5)} }`,
      'if',
    ],
  ])('nesting deeper than the limit is CNN1001 (%s)', (_name, text, at) => {
    const r = parse(text);
    expect(r.diagnostics.map((d) => d.code)).toEqual(['CNN1001']);
    expect(codesAndText(text, r.diagnostics)[0][1]).toBe(at[0]);
  });

  it.each([
    [
      'deep but within the limit',
      `model A { conv ${'('.repeat(MAX_NESTING - 5)}1${')'.repeat(MAX_NESTING - 5)} }`,
    ],
    ['a minus chain at the depth limit', `model A { conv ${'-'.repeat(MAX_EXPR_DEPTH - 1)}1 }`],
    ['a sum at the depth limit', `model A { conv 1${' + 1'.repeat(MAX_EXPR_DEPTH - 1)} }`],
  ])('%s parses without a stack overflow', (_name, text) => {
    expect(parse(text).diagnostics).toEqual([]);
  });

  it.each([
    ['long minus chain', `model A { conv ${'-'.repeat(20000)}1 }`, '-'],
    ['long not chain', `model A { conv ${'not '.repeat(20000)}x }`, 'not'],
    ['long sum', `model A { conv 1${' + 1'.repeat(20000)} }`, '1 + 1'],
    ['long difference', `model A { conv 4${'-4'.repeat(10000)} }`, '4-4'],
    ['long product', `model A { conv 1${'*1'.repeat(20000)} }`, '1*1'],
    [
      'long conjunction',
      `model A { conv if true${' and true'.repeat(20000)} then 1 else 2 }`,
      'true and',
    ],
    ['long member chain', `model A { conv in${'.x'.repeat(20000)} }`, 'in.x'],
    [
      'sums nested in parentheses',
      `model A { conv ${'('.repeat(90)}1${' + 1 + 1 + 1)'.repeat(90)} }`,
      '((',
    ],
  ])('%s deeper than MAX_EXPR_DEPTH is CNN1008, once', (_name, text, at) => {
    const r = parse(text);
    expect(r.diagnostics.map((d) => d.code)).toEqual(['CNN1008']);
    expect(codesAndText(text, r.diagnostics)[0][1].startsWith(at)).toBe(true);
  });

  it.each([
    ['junk', '} ) ( , '.repeat(5000)],
    [
      'random text',
      Array.from({ length: 20000 }, (_, i) => String.fromCharCode((i * 7919 + 13) % 0x3000)).join(
        '',
      ),
    ],
    ['unclosed models', 'model A {\n'.repeat(500)],
    ['labels only', `model A {${' a:'.repeat(5000)} }`],
  ])('gives up quickly on %s', (_name, text) => {
    const start = performance.now();
    const r = parse(text);
    expect(performance.now() - start).toBeLessThan(3000);
    expect(r.diagnostics.length).toBeGreaterThan(0);
    expect(r.diagnostics.map((d) => d.code).filter((c) => !/^CNN1\d{3}$/.test(c))).toEqual([]);
    for (const s of [...allSpans(r.value), ...r.diagnostics.map((d) => d.span!)]) {
      expect(s.start >= 0 && s.start <= s.end && s.end <= text.length).toBe(true);
    }
  });
});
