/**
 * python-text.ts, the one escaping module for emitted Python: string literals that Python reads back
 * exactly, comments that stay on one line, identifiers that are legal, unshadowed and distinct. The
 * round trips are checked by /usr/bin/python3 itself (no torch needed).
 */
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import {
  mangleName,
  MODULE_DICT_ATTRS,
  NN_MODULE_ATTRS,
  PY_BUILTINS,
  pyComment,
  pyDocText,
  pyFloat,
  PyNamer,
  pyNumber,
  pyString,
  pyStringPieces,
} from '../../compiler/codegen/python-text.js';
import { PYTHON } from './torch.js';

const hasPython = spawnSync(PYTHON, ['-c', 'pass'], { stdio: 'ignore' }).status === 0;

const HOSTILE = [
  '',
  'plain',
  'a"b',
  "a'b",
  '"""',
  "'''",
  'back\\slash',
  'trailing\\',
  'new\nline',
  'carriage\rreturn',
  'tab\there',
  'nul\0byte',
  'form\ffeed\vvtab',
  'line\u2028sep\u2029para\u0085nel',
  '__import__("os").system("echo pwned")',
  '"); import os; os.system("x"); ("',
  '# not a comment',
  '{braces} and %s and {0}',
  'naïve café',
  '中文名字',
  'emoji 😀',
  'lone \ud800 surrogate',
  'x'.repeat(500),
  'class',
  '\u202eright-to-left',
];

/** Runs Python on a JSON value and returns what it prints. */
function python(code: string, input: unknown): string {
  const r = spawnSync(PYTHON, ['-c', code], { input: JSON.stringify(input), encoding: 'utf8' });
  if (r.status !== 0) throw new Error(r.stderr);
  return r.stdout;
}

describe('pyString', () => {
  it('writes printable ASCII only, double-quoted', () => {
    for (const s of HOSTILE) expect(pyString(s)).toMatch(/^"[\x20-\x7e]*"$/);
    expect(pyString('a"b\\c\n')).toBe('"a\\"b\\\\c\\n"');
    expect(pyString('é😀')).toBe('"\\xe9\\U0001f600"');
  });

  it.runIf(hasPython)('reads back in Python as the same string', () => {
    const literals = HOSTILE.map(pyString);
    const out = python(
      'import ast, json, sys\n' +
        'cases = json.load(sys.stdin)\n' +
        'print(json.dumps([ast.literal_eval(lit) == s for s, lit in cases]))',
      HOSTILE.map((s, i) => [s, literals[i]]),
    );
    expect(JSON.parse(out)).toEqual(HOSTILE.map(() => true));
  });
});

describe('pyStringPieces', () => {
  const texts = [
    ...HOSTILE,
    'words '.repeat(40),
    'recovered the checkpoint of epoch {epoch} from x',
  ];

  it('cuts at spaces into literals within the width (a longer word alone)', () => {
    for (const s of texts)
      for (const piece of pyStringPieces(s, 40))
        expect(piece.length <= 40 || !piece.slice(1, -1).includes(' ')).toBe(true);
    expect(pyStringPieces('aaa bbb ccc', 10)).toEqual(['"aaa bbb "', '"ccc"']);
  });

  it.runIf(hasPython)('reads back in Python, concatenated, as the same string', () => {
    const out = python(
      'import ast, json, sys\n' +
        'cases = json.load(sys.stdin)\n' +
        'print(json.dumps([ast.literal_eval("(" + " ".join(p) + ")") == s for s, p in cases]))',
      texts.map((s) => [s, pyStringPieces(s, 40)]),
    );
    expect(JSON.parse(out)).toEqual(texts.map(() => true));
  });
});

describe('pyComment and pyDocText', () => {
  it('stay on one line of printable ASCII', () => {
    for (const s of HOSTILE) {
      expect(pyComment(s)).toMatch(/^[\x20-\x7e]*$/);
      expect(pyDocText(s)).toMatch(/^[\x20-\x7e]*$/);
    }
    expect(pyComment('a\nb')).toBe('a\\nb');
  });

  it.runIf(hasPython)('cannot end a comment or a docstring, in Python', () => {
    const source = HOSTILE.map(
      (s, i) => `# ${pyComment(s)}\ndef f${i}():\n    """${pyDocText(s)}"""\n    return ${i}\n`,
    ).join('');
    const out = python(
      'import ast, json, sys\n' +
        'tree = ast.parse(json.load(sys.stdin))\n' +
        'print(json.dumps([type(n).__name__ for n in tree.body]))',
      source,
    );
    expect(JSON.parse(out)).toEqual(HOSTILE.map(() => 'FunctionDef'));
  });
});

describe('identifiers', () => {
  it('keeps safe names and mangles the others by one rule', () => {
    expect(mangleName('conv1')).toBe('conv1');
    expect(mangleName('class')).toBe('class_');
    expect(mangleName('None')).toBe('None_');
    expect(mangleName('match')).toBe('match_');
    expect(mangleName('_')).toBe('m_');
    expect(mangleName('__import__')).toBe('m__import__');
    expect(mangleName('__init__')).toBe('m__init__');
    expect(mangleName('_private')).toBe('m_private');
    expect(mangleName('0abc')).toBe('m0abc');
    expect(mangleName('conv-1')).toBe('conv_1');
    expect(mangleName('naïve')).toBe('na_ve');
    expect(mangleName('中文')).toBe('m__');
    expect(mangleName('')).toBe('m');
    expect(mangleName('forward', NN_MODULE_ATTRS)).toBe('forward_');
    expect(mangleName('keys', MODULE_DICT_ATTRS)).toBe('keys_');
    expect(mangleName('super', PY_BUILTINS)).toBe('super_');
    const long = mangleName('L'.repeat(300));
    expect(long.length).toBeLessThanOrEqual(64);
    expect(long).toBe(mangleName('L'.repeat(300)));
    expect(long).not.toBe(mangleName(`${'L'.repeat(299)}M`));
  });

  it('gives names that collide after mangling distinct identifiers, stably', () => {
    const namer = new PyNamer(NN_MODULE_ATTRS);
    const names = [
      'conv_1',
      'conv-1',
      'conv.1',
      'class',
      'class_',
      'forward',
      'forward_',
      'conv_1',
    ];
    expect(names.map((n) => namer.name(n))).toEqual([
      'conv_1',
      'conv_1_2',
      'conv_1_3',
      'class_',
      'class__2',
      'forward_',
      'forward__2',
      'conv_1',
    ]);
    const claimed = new PyNamer();
    claimed.claim('x');
    expect(claimed.name('x')).toBe('x_2');
  });

  it.runIf(hasPython)(
    'are identifiers Python accepts as names and attributes, never keywords or dunders',
    () => {
      const originals = [...HOSTILE, 'if', 'lambda', 'type', 'case', 'print', 'eval', '__class__'];
      const namer = new PyNamer(new Set([...PY_BUILTINS, ...NN_MODULE_ATTRS]));
      const idents = originals.map((o) => namer.name(o));
      expect(new Set(idents).size).toBe(idents.length);
      const out = python(
        'import json, keyword, sys\n' +
          'names = json.load(sys.stdin)\n' +
          'src = "class C:\\n    pass\\nc = C()\\n" + "".join(f"{n} = 1\\nc.{n} = 1\\n" for n in names)\n' +
          'compile(src, "names", "exec")\n' +
          'print(json.dumps([n.isidentifier() and not keyword.iskeyword(n) and not keyword.issoftkeyword(n)' +
          ' and not n.startswith("_") and n.isascii() for n in names]))',
        idents,
      );
      expect(JSON.parse(out)).toEqual(idents.map(() => true));
    },
  );
});

describe('numbers', () => {
  it('are ints or floats that Python reads back exactly', () => {
    expect(pyNumber(3)).toBe('3');
    expect(pyFloat(1)).toBe('1.0');
    expect(pyFloat(1e-5)).toBe('0.00001');
    expect(pyFloat(1e-7)).toBe('1e-7');
    expect(pyFloat(0.1)).toBe('0.1');
    expect(pyNumber(-Infinity)).toBe('float("-inf")');
  });
});
