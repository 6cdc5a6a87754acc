import { describe, expect, it } from 'vitest';
import { lex } from '../../grammar/lexer.js';
import { numberValue, stringValue } from '../../grammar/tokens.js';
import { atoms, codesAndText, FILE, parse, sexpr } from './helpers.js';

/** `Type:image` for each token, newlines as `NL`. */
function tokens(text: string): string[] {
  return lex(text, FILE).tokens.map((t) =>
    t.tokenType.name === 'Newline' ? 'NL' : `${t.tokenType.name}:${t.image}`,
  );
}

describe('dims vs numbers vs identifiers', () => {
  it.each([
    ['5x5', ['Dims:5x5']],
    ['224x224x3', ['Dims:224x224x3']],
    ['?x?x3', ['Dims:?x?x3']],
    ['HxWx3', ['Dims:HxWx3']],
    ['HxW', ['Dims:HxW']],
    ['1x1x1x1', ['Dims:1x1x1x1']],
    ['maxpool', ['Identifier:maxpool']],
    ['MixNet', ['Identifier:MixNet']],
    ['Hx', ['Identifier:Hx']],
    ['x3', ['Identifier:x3']],
    ['HxWx3y', ['Identifier:HxWx3y']],
    ['conv3x3', ['Identifier:conv3x3']],
    ['block_13_expand_relu', ['Identifier:block_13_expand_relu']],
    ['_x', ['Identifier:_x']],
    ['64', ['NumberLiteral:64']],
    ['3x3 /2', ['Dims:3x3', 'StrideSlash:/', 'NumberLiteral:2']],
  ])('%s', (text, expected) => {
    expect(tokens(text)).toEqual(expected);
  });
});

describe('keywords', () => {
  it.each([
    ['in int index', ['Kw_in:in', 'Kw_int:int', 'Identifier:index']],
    ['model models', ['Kw_model:model', 'Identifier:models']],
    [
      'add adder concat concatenate',
      ['Kw_add:add', 'Identifier:adder', 'Kw_concat:concat', 'Identifier:concatenate'],
    ],
    [
      'string strings not notes',
      ['Kw_string:string', 'Identifier:strings', 'Kw_not:not', 'Identifier:notes'],
    ],
    ['true false True', ['Kw_true:true', 'Kw_false:false', 'Identifier:True']],
    ['conv relu', ['Identifier:conv', 'Identifier:relu']],
  ])('%s', (text, expected) => {
    expect(tokens(text)).toEqual(expected);
  });
});

describe('stride slash vs divide', () => {
  it.each([
    ['c/2', ['Identifier:c', 'Slash:/', 'NumberLiteral:2']],
    ['c / 2', ['Identifier:c', 'Slash:/', 'NumberLiteral:2']],
    ['c/ 2', ['Identifier:c', 'Slash:/', 'NumberLiteral:2']],
    ['c /2', ['Identifier:c', 'StrideSlash:/', 'NumberLiteral:2']],
    ['/2', ['StrideSlash:/', 'NumberLiteral:2']],
    ['(/2', ['LParen:(', 'StrideSlash:/', 'NumberLiteral:2']],
    [',/s', ['Comma:,', 'StrideSlash:/', 'Identifier:s']],
    ['c\t/(s)', ['Identifier:c', 'StrideSlash:/', 'LParen:(', 'Identifier:s', 'RParen:)']],
    ['3x3/2', ['Dims:3x3', 'Slash:/', 'NumberLiteral:2']],
  ])('%j', (text, expected) => {
    expect(tokens(text)).toEqual(expected);
  });

  it.each([
    ['conv c 3x3 /2', ['Value:c', 'Value:3x3', 'Stride:2']],
    ['conv c 3x3 /stride', ['Value:c', 'Value:3x3', 'Stride:stride']],
    ['conv c/2 3x3', ['Value:(/ c 2)', 'Value:3x3']],
    ['conv c / 2 3x3', ['Value:(/ c 2)', 'Value:3x3']],
    ['conv c /2 3x3', ['Value:c', 'Stride:2', 'Value:3x3']],
    ['maxpool 3x3 /1 same', ['Value:3x3', 'Stride:1', 'Value:same']],
    ['conv 8 /(s * 2)', ['Value:8', 'Stride:(* s 2)']],
    ['conv 8 /-1', ['Value:8', 'Stride:(neg 1)']],
  ])('as atoms: %s', (text, expected) => {
    expect(atoms(text).map((a) => `${a.kind}:${sexpr(a.value)}`)).toEqual(expected);
  });
});

describe('number literals', () => {
  it.each([
    ['6', 6],
    ['0.5', 0.5],
    ['1e-4', 1e-4],
    ['2E3', 2000],
    ['30M', 30e6],
    ['5G', 5e9],
    ['1K', 1e3],
    ['3T', 3e12],
    ['1.5M', 1.5e6],
    ['0.1M', 100000],
    ['1KiB', 1024],
    ['4MiB', 4 * 2 ** 20],
    ['2GiB', 2 * 2 ** 30],
    ['1TiB', 2 ** 40],
    ['2KB', 2000],
    ['3MB', 3e6],
    ['1GB', 1e9],
    ['1TB', 1e12],
    ['7B', 7],
  ])('%s = %d', (raw, value) => {
    expect(numberValue(raw)).toBe(value);
    const [atom] = atoms(`x ${raw}`);
    expect(atom.value).toMatchObject({ kind: 'Number', value, raw });
  });
});

describe('strings', () => {
  it.each([
    ['"./layers.cnn"', './layers.cnn'],
    ['"a\\"b"', 'a"b'],
    ['"a\\\\b"', 'a\\b'],
    ['"a\\nb"', 'a\nb'],
    ['""', ''],
  ])('%s', (image, value) => {
    expect(tokens(image)).toEqual([`StringLiteral:${image}`]);
    expect(stringValue(image, true)).toBe(value);
  });
});

describe('newlines and comments', () => {
  it.each([
    ['a\nb', ['Identifier:a', 'NL', 'Identifier:b']],
    ['a\n\n\n\nb', ['Identifier:a', 'NL', 'Identifier:b']],
    ['a\r\n\r\nb\rc', ['Identifier:a', 'NL', 'Identifier:b', 'NL', 'Identifier:c']],
    ['a // one\n  // two\n\n/* three */\n b', ['Identifier:a', 'NL', 'Identifier:b']],
    ['a /* x\n y */ b', ['Identifier:a', 'Identifier:b']],
    ['\n\n// lead\na', ['Identifier:a']],
    [
      'f(1,\n 2\n)',
      ['Identifier:f', 'LParen:(', 'NumberLiteral:1', 'Comma:,', 'NumberLiteral:2', 'RParen:)'],
    ],
    ['{\n a\n}', ['LBrace:{', 'NL', 'Identifier:a', 'NL', 'RBrace:}']],
    ['f(1\n{\n', ['Identifier:f', 'LParen:(', 'NumberLiteral:1', 'LBrace:{', 'NL']],
    ['a;b,c', ['Identifier:a', 'Semicolon:;', 'Identifier:b', 'Comma:,', 'Identifier:c']],
  ])('%j', (text, expected) => {
    expect(tokens(text)).toEqual(expected);
  });
});

describe('lexical errors', () => {
  it.each([
    ['unknown character', 'model M { conv 3 @ relu }', [['CNN1002', '@']]],
    ['unknown characters in a run', 'model M { conv 3 #$ }', [['CNN1002', '#$']]],
    ['non-ASCII letter', 'model M { café }', [['CNN1002', 'é']]],
    ['NUL', 'model M {\0}', [['CNN1002', '\0']]],
    ['lone question mark', 'model M { conv ? }', [['CNN1002', '?']]],
    ['unterminated string', 'import "abc\nmodel M {}', [['CNN1003', '"abc']]],
    ['unterminated comment', 'model M { conv 3 /* never closed\n}', [['CNN1003', '/*']]],
    ['number glued to letters', 'model M { dropout 5s }', [['CNN1005', '5s']]],
    ['dims glued to letters', 'model M { conv 3x3q }', [['CNN1005', '3x3q']]],
    ['unknown suffix', 'model M { budget params <= 30Q }', [['CNN1005', '30Q']]],
  ])('%s', (_name, text, expected) => {
    const r = parse(text);
    expect(codesAndText(text, r.diagnostics)).toEqual(expected);
  });

  it('keeps lexing after an unknown character', () => {
    const r = parse('model M { conv 3 @ relu }');
    expect(r.value.decls[0]).toMatchObject({
      body: [
        {
          kind: 'Simple',
          head: { name: 'conv' },
          atoms: [{ value: { value: 3 } }, { value: { name: 'relu' } }],
        },
      ],
    });
  });

  it('parses a malformed number as its numeric prefix', () => {
    const r = parse('model M { dropout 5s }');
    expect(r.value.decls[0]).toMatchObject({
      body: [{ atoms: [{ value: { kind: 'Number', value: 5, raw: '5s' } }] }],
    });
  });
});

describe('text-direction controls (CNN1006)', () => {
  const warnings = (text: string) =>
    lex(text, FILE)
      .diagnostics.filter((d) => d.code === 'CNN1006')
      .map((d) => [text.slice(d.span!.start, d.span!.end), d.message]);

  it.each([
    ['\u202a', 'LEFT-TO-RIGHT EMBEDDING'],
    ['\u202b', 'RIGHT-TO-LEFT EMBEDDING'],
    ['\u202c', 'POP DIRECTIONAL FORMATTING'],
    ['\u202d', 'LEFT-TO-RIGHT OVERRIDE'],
    ['\u202e', 'RIGHT-TO-LEFT OVERRIDE'],
    ['\u2066', 'LEFT-TO-RIGHT ISOLATE'],
    ['\u2067', 'RIGHT-TO-LEFT ISOLATE'],
    ['\u2068', 'FIRST STRONG ISOLATE'],
    ['\u2069', 'POP DIRECTIONAL ISOLATE'],
    ['\u200e', 'LEFT-TO-RIGHT MARK'],
    ['\u200f', 'RIGHT-TO-LEFT MARK'],
    ['\u061c', 'ARABIC LETTER MARK'],
  ])('%s in a comment and in a string is named at its place', (c, name) => {
    const code = `U+${c.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}`;
    expect(warnings(`relu // a${c}b\n`)).toEqual([[c, `invisible ${code} ${name} in a comment`]]);
    expect(warnings(`/* x\n${c} */ relu`)).toEqual([[c, `invisible ${code} ${name} in a comment`]]);
    expect(warnings(`import "a${c}.cnn"`)).toEqual([[c, `invisible ${code} ${name} in a string`]]);
  });

  it('leaves one outside comments and strings to CNN1002', () => {
    const r = lex('relu \u202e conv', FILE);
    expect(r.diagnostics.map((d) => d.code)).toEqual(['CNN1002']);
  });

  it('sums up past 20 in a file', () => {
    const r = lex(`// ${'\u202e'.repeat(25)}\n`, FILE);
    const found = r.diagnostics.filter((d) => d.code === 'CNN1006');
    expect(found).toHaveLength(21);
    expect(found[20].message).toBe('5 more text-direction control characters in this file');
  });

  it('does not mind other non-ASCII text', () => {
    expect(warnings('// café 层 \u200b\nrelu "naïve"')).toEqual([]);
  });
});
