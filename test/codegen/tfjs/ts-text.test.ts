/**
 * ts-text.ts, the one escaping module for emitted TypeScript, and names.ts's tfjs layer names,
 * against hostile names (quotes, newlines, `*\/`, backticks, `${`, `__proto__`, bidi controls,
 * lone surrogates): string literals read back exactly (checked by TypeScript's own transpiler and
 * JavaScript's evaluation), comments stay on one line and inside their block, identifiers are
 * legal in strict mode, unreserved and distinct, and layer names are ones tfjs accepts.
 */
import * as vm from 'node:vm';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { LayerNamer, mangleLayerName } from '../../../compiler/codegen/tfjs/names.js';
import {
  isSafeTsName,
  mangleTsName,
  TS_GLOBALS,
  TS_KEYWORDS,
  tsComment,
  tsDocText,
  TsNamer,
  tsNumber,
  tsString,
} from '../../../compiler/codegen/ts-text.js';

const HOSTILE = [
  '',
  'plain',
  "a'b",
  'a"b',
  'back`tick',
  '${process.exit(1)}',
  '`${x}`',
  'back\\slash',
  'trailing\\',
  'new\nline',
  'carriage\rreturn',
  'tab\there',
  'nul\0byte',
  'line\u2028sep\u2029para\u0085nel',
  '*/ process.exit(1) /*',
  '/* open',
  '// not a comment',
  "'); process.exit(1); ('",
  '__proto__',
  'constructor',
  'toString',
  'naïve café',
  '中文名字',
  'emoji 😀',
  'lone \ud800 surrogate',
  'x'.repeat(500),
  'class',
  '\u202eright-to-left\u202c',
  '\u2066isolate\u2069',
];

/** Evaluates a JavaScript expression (TypeScript transpiled first) in a fresh context. */
function evaluate(tsExpression: string): unknown {
  const js = ts.transpileModule(`export const v = ${tsExpression};`, {
    compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022 },
  }).outputText;
  const exports: Record<string, unknown> = {};
  vm.runInNewContext(js, { exports });
  return exports.v;
}

describe('tsString', () => {
  it('writes printable ASCII only, single-quoted, with no template or bidi character left', () => {
    for (const s of HOSTILE) {
      const lit = tsString(s);
      expect(lit).toMatch(/^'[\x20-\x7e]*'$/);
      expect(lit).not.toMatch(/`/);
    }
    expect(tsString("a'b\\c\n")).toBe("'a\\'b\\\\c\\n'");
    expect(tsString('é😀\u2028')).toBe("'\\xe9\\u{1f600}\\u2028'");
  });

  it('reads back as the same string', () => {
    for (const s of HOSTILE) expect(evaluate(tsString(s)), JSON.stringify(s)).toBe(s);
  });

  it('keys a Map without touching the prototype: __proto__ stays a plain key', () => {
    const m = evaluate(`new Map([[${tsString('__proto__')}, 1]])`) as Map<string, number>;
    expect(m.get('__proto__')).toBe(1);
  });
});

describe('tsComment and tsDocText', () => {
  it('stay on one line of printable ASCII, and inside their block', () => {
    for (const s of HOSTILE) {
      expect(tsComment(s)).toMatch(/^[\x20-\x7e]*$/);
      expect(tsDocText(s)).toMatch(/^[\x20-\x7e]*$/);
      expect(tsDocText(s)).not.toContain('*/');
      // The text is a comment to JavaScript: nothing after it runs.
      expect(evaluate(`1 // ${tsComment(s)}\n`)).toBe(1);
      expect(evaluate(`/** ${tsDocText(s)} */ 2`)).toBe(2);
    }
  });
});

describe('identifiers', () => {
  it('keeps plain names and mangles the others by one rule', () => {
    expect(mangleTsName('conv1')).toBe('conv1');
    expect(mangleTsName('stage2.0.conv1')).toBe('stage2_0_conv1');
    expect(mangleTsName('class')).toBe('class_');
    expect(mangleTsName('__proto__')).toBe('m__proto__');
    expect(mangleTsName('0abc')).toBe('m0abc');
    expect(mangleTsName('tf')).toBe('tf_');
    expect(mangleTsName('x', new Set(['x']))).toBe('x_');
    expect(mangleTsName('naïve')).toBe('na_ve');
    expect(mangleTsName('L'.repeat(300))).toMatch(/^L{55}_[0-9a-f]{8}$/);
  });

  it('every mangled name is a legal, unreserved strict-mode binding', () => {
    const names = [...HOSTILE, ...TS_KEYWORDS, ...TS_GLOBALS, 'arguments', 'eval', 'yield'];
    for (const n of names) {
      const id = mangleTsName(n);
      expect(isSafeTsName(id), `${JSON.stringify(n)} → ${id}`).toBe(true);
      expect(
        () => new vm.Script(`'use strict'; let ${id} = 1; function f(${id}) {}`),
      ).not.toThrow();
    }
  });

  it('a namer gives distinct names, stable for the order asked', () => {
    const namer = new TsNamer(new Set(['model']));
    expect(['a.b', 'a_b', 'a-b', 'model', 'model', 'a.b'].map((n) => namer.name(n))).toEqual([
      'a_b',
      'a_b_2',
      'a_b_3',
      'model_',
      'model_',
      'a_b',
    ]);
  });
});

describe('tfjs layer names', () => {
  // tfjs's own check of weight names (tfjs-layers common.ts), with the layer's `/kernel`.
  const TENSOR_NAME = /^[A-Za-z0-9][-A-Za-z0-9._/]*$/;

  it('keep IR names, dots included', () => {
    for (const n of ['conv1', 'stage2.0.conv1', 'block_1_expand', 'a-b', '9x'])
      expect(mangleLayerName(n)).toBe(n);
  });

  it('are names tfjs accepts, never an Object.prototype property, and distinct', () => {
    const namer = new LayerNamer();
    const out = [...HOSTILE, 'hasOwnProperty', 'valueOf', 'a/b', 'a_b', 'a b'].map((n) =>
      namer.name(n),
    );
    for (const n of out) {
      expect(`${n}/kernel`).toMatch(TENSOR_NAME);
      expect(n).not.toContain('/');
      expect(Object.prototype.hasOwnProperty.call(Object.prototype, n), n).toBe(false);
    }
    expect(new Set(out).size).toBe(
      new Set([...HOSTILE, 'hasOwnProperty', 'valueOf', 'a/b', 'a_b', 'a b']).size,
    );
  });
});

describe('tsNumber', () => {
  it('writes literals that read back to the same double', () => {
    for (const n of [0, -0, 1, -3, 0.1, 1e-8, 1 / 3, 2 ** 60, 5e-324, NaN, Infinity, -Infinity])
      expect(Object.is(evaluate(tsNumber(n)), n), String(n)).toBe(true);
  });
});
