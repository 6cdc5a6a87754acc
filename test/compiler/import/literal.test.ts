/** The JSON / JavaScript-literal reader behind `cnnc import keras` and the nsfwjs loader. */
import { describe, expect, it } from 'vitest';
import {
  field,
  LiteralError,
  parseLiteral,
  parseLiteralAt,
  toPlain,
} from '../../../compiler/import/literal.js';

describe('reads JSON and minified JavaScript object literals', () => {
  it.each([
    [
      'JSON',
      '{"a": [1, -2.5, 3e-3], "b": {"c": null, "d": true}}',
      { a: [1, -2.5, 0.003], b: { c: null, d: true } },
    ],
    ['unquoted keys and !0/!1', '{a:!0,b:!1,$c_1:2}', { a: true, b: false, $c_1: 2 }],
    ['numbers without a leading digit', '[.5,-.25,+3,1E2,0x1f]', [0.5, -0.25, 3, 100, 31]],
    [
      'single quotes and escapes',
      `{'k':'it\\'s \\u00e9\\n\\x41',"q":"\\"\\\\"}`,
      { k: "it's é\nA", q: '"\\' },
    ],
    ['trailing commas and comments', '{a:[1,2,],/* c */ b:3, // d\n}', { a: [1, 2], b: 3 }],
    ['void 0 and undefined', '[void 0, undefined, NaN]', [null, null, NaN]],
    ['numeric keys', '{1:[2]}', { 1: [2] }],
  ])('%s', (_t, text, want) => {
    expect(toPlain(parseLiteral(text, 'f'))).toEqual(want);
  });

  it('keeps a key named __proto__ as an own property, as JSON.parse does', () => {
    const text = '{"__proto__": {"polluted": 1}, "a": 2}';
    const plain = toPlain(parseLiteral(text, 'f')) as Record<string, unknown>;
    expect(Object.getPrototypeOf(plain)).toBe(Object.prototype);
    expect(Object.keys(plain)).toEqual(['__proto__', 'a']);
    expect(plain).toEqual(JSON.parse(text));
    expect((plain as { polluted?: number }).polluted).toBeUndefined();
  });

  it('keeps spans of keys and values', () => {
    const text = '{ "name": "Conv1", "shape": [3, 3] }';
    const v = parseLiteral(text, 'model.json');
    const name = field(v, 'name')!;
    expect(text.slice(name.span.start, name.span.end)).toBe('"Conv1"');
    expect(name.span.file).toBe('model.json');
    const shape = field(v, 'shape')!;
    expect(text.slice(shape.span.start, shape.span.end)).toBe('[3, 3]');
  });

  it('reads one literal out of a bundle', () => {
    const text = '!function(e){a.exports={x:[1,2]}}(1);';
    const start = text.indexOf('{x');
    const { value, end } = parseLiteralAt(text, 'b.js', start);
    expect(toPlain(value)).toEqual({ x: [1, 2] });
    expect(text.slice(end)).toBe('}(1);');
  });
});

describe('refuses anything that is not a literal, with a span', () => {
  it.each([
    ['a call', '{a: f()}', '`f` is not a literal', 'f'],
    ['an unterminated string', '{"a": "b', 'unterminated string', '"b'],
    ['a missing colon', '{"a" 1}', 'expected `:`', '1'],
    ['text after the value', '{} x', 'unexpected text after the value', 'x'],
    ['an empty text', '  ', 'unexpected end of the text', ''],
    ['deep nesting', '['.repeat(300), 'nested more than 200 levels deep', '['],
  ])('%s', (_t, text, message, under) => {
    let error: unknown;
    try {
      parseLiteral(text, 'f');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(LiteralError);
    const e = error as LiteralError;
    expect(e.message).toBe(message);
    expect(text.slice(e.span.start, e.span.end)).toBe(under);
  });
});
