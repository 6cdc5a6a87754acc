/**
 * Names from a Keras model.json reach the generated .cnn only through compiler/codegen/cnn-text.ts:
 * whatever they hold, the text parses back to exactly the imported model, with no second model, no
 * hidden text and the same layers; names that change are reported (CNN2035).
 */
import { describe, expect, it } from 'vitest';
import {
  cnnComment,
  cnnIdentifier,
  cnnIdentifiers,
  cnnString,
  isCnnIdentifier,
} from '../../../compiler/codegen/cnn-text.js';
import { importKeras } from '../../../compiler/import/index.js';
import { compileFile } from '../../../compiler/program.js';
import { lex } from '../../../grammar/lexer.js';
import { StringLiteral, stringValue } from '../../../grammar/tokens.js';
import { memoryHost, memPath } from '../../helpers/memory-host.js';
import { functional, input, L } from './keras-fixtures.js';

const INJECTION = 'm`\nmodel Injected { input 4, dense 99 }\n// ';

const HOSTILE = [
  INJECTION,
  'say "hi"',
  'two\nlines',
  'cr\rlf\r\n',
  'ends */ a comment',
  'a // comment',
  'back`tick',
  'evil\u202eexe.txt',
  'isolate\u2066x\u2069',
  'mark\u200f',
  'café',
  '层',
  'model',
  'in',
  'residual',
  'HxW',
  '3x3',
  '1e4',
  'a-b',
  'a.b',
  'a_b',
  '',
  '\u2028',
] as const;

/** A functional model: an input, then one Dense layer per name, and an Add of the last two. */
function model(names: readonly string[], modelName = 'm'): string {
  const layers = [input('x', [4])];
  let prev = 'x';
  for (const [i, name] of names.entries()) {
    layers.push(L('Dense', name, { units: 4 + (i % 3), use_bias: true }, [prev]));
    prev = name;
  }
  const json = JSON.parse(functional(layers, 'x', prev)) as {
    modelTopology: { model_config: { config: { name: string } } };
  };
  json.modelTopology.model_config.config.name = modelName;
  return JSON.stringify(json);
}

function reimport(text: string, file = 'model.json') {
  const r = importKeras(text, { file, cnnFile: 'model.cnn' });
  expect(r.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  expect(r.source).not.toBeNull();
  // The text compiles on its own to one model, the imported one, with no warnings of its own.
  const again = compileFile(memPath('model.cnn'), memoryHost({ 'model.cnn': r.source! }));
  expect(again.diagnostics).toEqual([]);
  expect(again.models.map((m) => m.graph.model)).toEqual([r.model]);
  const g = again.models[0].graph;
  expect(g.nodes.map((n) => [n.name, n.op, n.shape])).toEqual(
    r.graph!.nodes.map((n) => [n.name, n.op, n.shape]),
  );
  return r;
}

describe('hostile Keras names', () => {
  it('a model name cannot inject a second model', () => {
    const r = reimport(model(['d1', 'd2'], INJECTION));
    expect(r.source).not.toMatch(/^model Injected/m);
    expect(r.model).toBe(cnnIdentifier(INJECTION));
    expect(isCnnIdentifier(r.model)).toBe(true);
    const renamed = r.diagnostics.filter((d) => d.code === 'CNN2035');
    expect(renamed.map((d) => d.message)).toEqual([
      `Keras model \`${INJECTION}\` is named \`${r.model}\` in the .cnn file`,
    ]);
    // The Keras name is quoted in the header comment, on one line.
    const header = r.source!.split('\n').slice(0, 2).join('\n');
    expect(header).toContain('m` model Injected { input 4, dense 99 } //');
  });

  it('layer names of every kind get distinct labels and the layers of the model', () => {
    const names = HOSTILE.filter((n) => n !== '');
    const r = reimport(model(names));
    const labels = [...r.layers.values()].map((ids) => ids[0]);
    expect(new Set(labels).size).toBe(labels.length);
    // Every Dense layer is one dense node, in order.
    expect(names.map((n) => r.layers.get(n)?.length)).toEqual(names.map(() => 1));
    // A name that is an identifier and not a keyword stays; the rest are reported.
    const renamed = r.diagnostics.filter((d) => d.code === 'CNN2035').map((d) => d.message);
    for (const n of names)
      expect(renamed.some((m) => m.startsWith(`Keras layer \`${n}\``))).toBe(!isCnnIdentifier(n));
    expect(r.layers.get('a_b')).toEqual(['a_b']);
    expect(r.layers.get('a-b')).toEqual(['a_b_2']);
    expect(r.layers.get('a.b')).toEqual(['a_b_3']);
  });

  it('a file name with a line break stays in its comment', () => {
    const r = reimport(model(['d1']), 'x\nmodel Injected { input 4 }\n.json');
    expect(r.source).not.toMatch(/^model Injected/m);
  });

  it('a merge named to break its comment stays in it', () => {
    const layers = [
      input('in', [4]),
      L('Dense', 'a', { units: 4 }, ['in']),
      L('Dense', 'b', { units: 4 }, ['in']),
      L('Add', 'sum\nmodel Injected { input 4 }\n', {}, ['a', 'b']),
    ];
    const r = reimport(functional(layers, 'in', 'sum\nmodel Injected { input 4 }\n'));
    expect(r.source).not.toMatch(/^model Injected/m);
  });

  it.each([['constructor'], ['toString'], ['__proto__'], ['hasOwnProperty']])(
    'a layer class or activation called %s has no counterpart (not an internal error)',
    (word) => {
      const layers = [
        input('in', [4]),
        L(word, 'x', {}, ['in']),
        L('Dense', 'y', { units: 2, activation: word }, ['x']),
      ];
      const r = importKeras(functional(layers, 'in', 'y'), { file: 'm.json' });
      const codes = r.diagnostics.map((d) => d.code);
      expect(codes).toEqual(['CNN2032', 'CNN2033']);
    },
  );
});

describe('cnn-text', () => {
  it('knows identifiers as the lexer does', () => {
    expect(['conv1', '_x', 'stage2_0', 'relu'].every(isCnnIdentifier)).toBe(true);
    expect(['model', 'in', 'HxW', 'Hx3', '3x3', 'a-b', '', 'é'].some(isCnnIdentifier)).toBe(false);
  });

  it('maps names to distinct identifiers, stably', () => {
    const names = ['x', 'x-1', 'x_1', 'x.1', 'model', 'model_', 'in'];
    const ids = cnnIdentifiers(names);
    expect([...ids.values()]).toEqual(['x', 'x_1_2', 'x_1', 'x_1_3', 'model__2', 'model_', 'in_']);
    expect(cnnIdentifiers(names)).toEqual(ids);
    expect([...ids.values()].every(isCnnIdentifier)).toBe(true);
    expect(cnnIdentifier('HxW')).toBe('HxW_');
  });

  it.each(HOSTILE.map((h) => [JSON.stringify(h), h]))(
    'a comment holding %s stays one comment without hidden text',
    (_shown, text) => {
      const line = `// ${cnnComment(text)}\nmodel M { input 4 }\n`;
      const r = lex(line, 'c.cnn');
      expect(r.diagnostics).toEqual([]);
      expect(r.tokens.map((t) => t.image)).toEqual(['model', 'M', '{', 'input', '4', '}', '\n']);
      expect(cnnComment(text)).not.toContain('*/');
    },
  );

  it.each(HOSTILE.map((h) => [JSON.stringify(h), h]))(
    'a string holding %s is one literal',
    (_shown, text) => {
      const literal = cnnString(text);
      const r = lex(literal, 's.cnn');
      expect(r.diagnostics).toEqual([]);
      expect(r.tokens.map((t) => t.tokenType)).toEqual([StringLiteral]);
      const back = stringValue(literal, true);
      // Exact, but for the characters no literal may hold (they become U+FFFD).
      expect(back).toBe(text.replace(/[\r\u2028\u202e\u2066\u2069\u200f]/g, '\uFFFD'));
    },
  );
});
