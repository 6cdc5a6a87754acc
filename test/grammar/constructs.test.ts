/** Every construct of docs/language.md parses to the expected AST (important fields spot-checked). */
import { describe, expect, it } from 'vitest';
import { atoms, body, expr, parseClean, sexpr, showAtom, stmt, textOf } from './helpers.js';

describe('declarations', () => {
  it.each([
    ['import resnet', { kind: 'Import', target: { kind: 'Stdlib', name: 'resnet' } }],
    ['import "./x.cnn"', { kind: 'Import', target: { kind: 'Path', path: './x.cnn' } }],
    ['model A {}', { kind: 'Model', name: { name: 'A' }, body: [] }],
    [
      'model Digits = ResNet18 { input 64x64x1 }',
      { kind: 'Model', name: { name: 'Digits' }, base: { name: 'ResNet18' } },
    ],
    [
      'block b() { relu }',
      { kind: 'Block', name: { name: 'b' }, params: [], body: [{ kind: 'Simple' }] },
    ],
    [
      'block basic(c: int, stride: int = 1, r: float = 0.5, ok: bool, s: string = "x") {}',
      {
        kind: 'Block',
        params: [
          { name: { name: 'c' }, type: 'int' },
          { name: { name: 'stride' }, type: 'int', default: { kind: 'Number', value: 1 } },
          { name: { name: 'r' }, type: 'float', default: { value: 0.5 } },
          { name: { name: 'ok' }, type: 'bool' },
          { name: { name: 's' }, type: 'string', default: { kind: 'String', value: 'x' } },
        ],
      },
    ],
    [
      'block b(\n  c: int,\n  d: int\n) {\n}',
      { kind: 'Block', params: [{ name: { name: 'c' } }, { name: { name: 'd' } }] },
    ],
  ])('%s', (text, expected) => {
    const file = parseClean(text);
    expect(file.decls).toHaveLength(1);
    expect(file.decls[0]).toMatchObject(expected);
  });

  it('keeps declarations in source order, on one line or many', () => {
    const file = parseClean('\n\nimport a; model B {} block c() {}\n\nimport "d"\n');
    expect(file.decls.map((d) => d.kind)).toEqual(['Import', 'Model', 'Block', 'Import']);
    expect(file.kind).toBe('File');
    expect(file.file).toBe('test.cnn');
  });

  it('a block parameter default has the type span of its type', () => {
    const text = 'block b(c: int = 3) {}';
    const d = parseClean(text).decls[0];
    if (d.kind !== 'Block') throw new Error();
    expect(textOf(text, d.params[0].typeSpan)).toBe('int');
    expect(textOf(text, d.params[0].span)).toBe('c: int = 3');
    expect(textOf(text, d.span)).toBe(text);
  });
});

describe('simple statements and atoms', () => {
  it.each([
    ['conv 64 3x3', ['Value:64', 'Value:3x3']],
    [
      'conv 64 3x3 /2 pad 1 nobias',
      ['Value:64', 'Value:3x3', 'Stride:2', 'Value:pad', 'Value:1', 'Value:nobias'],
    ],
    [
      'conv 64 3 stride=2 dilation (1, 1)',
      ['Value:64', 'Value:3', 'Named:stride=2', 'Value:dilation', 'Value:(tuple 1 1)'],
    ],
    ['conv 8 * (i + 1) 3', ['Value:(* 8 (+ i 1))', 'Value:3']],
    ['basic(64)', ['Value:64']],
    ['basic(128, 2)', ['Value:(tuple 128 2)']],
    ['basic(c = 128)', ['Value:(tuple c=128)']],
    ['basic(c = 128, stride = 2)', ['Value:(tuple c=128 stride=2)']],
    ['input ?x?x3', ['Value:?x?x3']],
    ['dense c*2 + 1', ['Value:(+ (* c 2) 1)']],
    ['conv 3 -1', ['Value:(- 3 1)']],
    ['act "gelu" true', ['Value:"gelu"', 'Value:true']],
    ['conv a.b in.channels', ['Value:(. a b)', 'Value:(. in channels)']],
    ['conv if a then 1 else 2 3', ['Value:(if a 1 2)', 'Value:3']],
    ['flatten', []],
  ])('%s', (text, expected) => {
    expect(atoms(text).map(showAtom)).toEqual(expected);
  });

  it('splits statements on newlines, `,` and `;`', () => {
    const stmts = body('flatten, dense 10; softmax\n\n  relu\n,;\n gap');
    expect(stmts.map((s) => (s.kind === 'Simple' ? s.head.name : s.kind))).toEqual([
      'flatten', 'dense', 'softmax', 'relu', 'gap',
    ]); // prettier-ignore
  });

  it('keeps spans of statements and atoms', () => {
    const text = 'model M {\n  c1: conv 64 (3) /2 stride=1\n}';
    const s = parseClean(text).decls[0];
    if (s.kind !== 'Model' || s.body[0].kind !== 'Simple') throw new Error();
    const simple = s.body[0];
    expect(textOf(text, simple.span)).toBe('conv 64 (3) /2 stride=1');
    expect(textOf(text, simple.label?.span)).toBe('c1');
    expect(textOf(text, simple.head.span)).toBe('conv');
    expect(simple.atoms.map((a) => textOf(text, a.span))).toEqual(['64', '(3)', '/2', 'stride=1']);
    expect(simple.atoms.map((a) => textOf(text, a.value.span))).toEqual(['64', '3', '2', '1']);
  });

  it('letter patterns with `with` bindings', () => {
    const stmts = body('CRCRP with C = conv 64 3x3 same, R = relu\nflatten');
    // `flatten` on the next line is the model's second statement, not a binding
    expect(stmts).toHaveLength(2);
    expect(stmts[0]).toMatchObject({
      kind: 'Simple',
      head: { name: 'CRCRP' },
      atoms: [],
      with: [
        {
          name: { name: 'C' },
          value: { kind: 'Simple', head: { name: 'conv' }, atoms: [{}, {}, {}] },
        },
        { name: { name: 'R' }, value: { kind: 'Simple', head: { name: 'relu' }, atoms: [] } },
      ],
    });
  });
});

describe('labels', () => {
  it.each([
    ['c1: conv 3', 'Simple'],
    ['stem: { conv 3 }', 'Group'],
    ['r: repeat 2 { relu }', 'Repeat'],
    ['res: residual { relu }', 'Residual'],
    ['m: concat { branch { relu } }', 'Merge'],
  ])('%s', (text, kind) => {
    const s = stmt(text);
    expect(s.kind).toBe(kind);
    expect('label' in s && s.label?.name).toBe(text.split(':')[0]);
  });

  it('unlabelled statements have no label key', () => {
    expect('label' in stmt('conv 3')).toBe(false);
  });
});

describe('block statements', () => {
  it.each([
    [
      '{ conv 3, relu }',
      { kind: 'Group', body: [{ head: { name: 'conv' } }, { head: { name: 'relu' } }] },
    ],
    ['{\n\n conv 3\n\n}', { kind: 'Group', body: [{ head: { name: 'conv' } }] }],
    ['repeat 3 { relu }', { kind: 'Repeat', count: { value: 3 }, body: [{}] }],
    [
      'repeat n as i { conv 8 * (i + 1) 3 }',
      { kind: 'Repeat', count: { name: 'n' }, index: { name: 'i' } },
    ],
    ['residual { relu }', { kind: 'Residual', body: [{}] }],
    [
      'residual { relu } shortcut { conv 1 }',
      { kind: 'Residual', shortcut: { body: [{ head: { name: 'conv' } }] } },
    ],
    [
      'residual {\n relu\n}\n// a comment\n\nshortcut when stride != 1 or in.channels != c {\n conv c 1x1 /stride\n}',
      {
        kind: 'Residual',
        body: [{}],
        shortcut: {
          when: { kind: 'Binary', op: 'or' },
          body: [{ atoms: [{}, {}, { kind: 'Stride' }] }],
        },
      },
    ],
    [
      'concat { branch { relu } branch { conv 1 } }',
      { kind: 'Merge', op: 'concat', branches: [{ body: [{}] }, { body: [{}] }] },
    ],
    [
      'add {\n b1: branch { relu }\n\n branch { gap }\n}',
      { kind: 'Merge', op: 'add', branches: [{ label: { name: 'b1' } }, {}] },
    ],
    ['multiply { branch {} }', { kind: 'Merge', op: 'multiply', branches: [{ body: [] }] }],
    [
      'let C = conv 32 3x3 same, R = relu, P = maxpool 2x2 /2',
      {
        kind: 'Let',
        bindings: [
          { name: { name: 'C' } },
          { name: { name: 'R' } },
          { name: { name: 'P' }, value: { atoms: [{}, { kind: 'Stride' }] } },
        ],
      },
    ],
    [
      'let c2 = c * 2',
      { kind: 'Let', bindings: [{ value: { kind: 'Expr', expr: { kind: 'Binary', op: '*' } } }] },
    ],
    [
      'let k = 3',
      { kind: 'Let', bindings: [{ value: { kind: 'Expr', expr: { kind: 'Number', value: 3 } } }] },
    ],
    [
      'let S = { conv 3, relu }',
      { kind: 'Let', bindings: [{ value: { kind: 'Group', body: [{}, {}] } }] },
    ],
    [
      'freeze stem, stage1.0.conv1',
      { kind: 'Freeze', freeze: true, targets: [{ raw: 'stem' }, { raw: 'stage1.0.conv1' }] },
    ],
    ['unfreeze stage4', { kind: 'Freeze', freeze: false, targets: [{ raw: 'stage4' }] }],
    [
      'replace head { gap, dense 10 }',
      { kind: 'Replace', target: { raw: 'head' }, body: [{}, {}] },
    ],
    ['append { dropout 0.5 }', { kind: 'Append', body: [{ head: { name: 'dropout' } }] }],
    [
      'budget params <= 30M, macs < 5G, memory <= 2GiB',
      {
        kind: 'Budget',
        limits: [
          { metric: { name: 'params' }, op: '<=', value: { value: 30e6 } },
          { op: '<', value: { value: 5e9 } },
          { value: { value: 2 ** 31 } },
        ],
      },
    ],
    [
      'train { optimizer sgd lr 0.1 momentum 0.9 }',
      { kind: 'Train', body: [{ kind: 'Simple', head: { name: 'optimizer' } }] },
    ],
    [
      'train {\n optimizer adam\n lr 1e-3\n}',
      { kind: 'Train', body: [{ head: { name: 'optimizer' } }, { head: { name: 'lr' } }] },
    ],
  ])('%s', (text, expected) => {
    expect(stmt(text)).toMatchObject(expected);
  });

  it('a `let` list ends where the next statement starts', () => {
    expect(body('let a = 1, b = 2, relu').map((s) => s.kind)).toEqual(['Let', 'Simple']);
    expect(body('budget params <= 1M, relu').map((s) => s.kind)).toEqual(['Budget', 'Simple']);
  });

  it('block spans run from the keyword to the closing brace', () => {
    const text = 'model M {\n  stem: residual { relu }\n  shortcut { conv 1 }\n}';
    const m = parseClean(text).decls[0];
    if (m.kind !== 'Model' || m.body[0].kind !== 'Residual') throw new Error();
    expect(textOf(text, m.body[0].span)).toBe('residual { relu }\n  shortcut { conv 1 }');
    expect(textOf(text, m.body[0].shortcut?.span)).toBe('shortcut { conv 1 }');
    expect(textOf(text, m.span)).toBe(text);
  });
});

describe('freeze targets', () => {
  it.each([
    ['stem', 'stem'],
    ['stage2.0.conv1', 'stage2.0.conv1'],
    ['block_1*', 'block_1*'],
    ['..stage3', '..stage3'],
    ['stage2..stage3', 'stage2..stage3'],
    ['stage1.0.1', 'stage1.0.1'],
    ['*', '*'],
  ])('%s', (target, raw) => {
    const s = stmt(`freeze ${target}`);
    expect(s).toMatchObject({ kind: 'Freeze', targets: [{ raw }] });
  });
});

describe('expressions', () => {
  it.each([
    ['1 + 2 * 3', '(+ 1 (* 2 3))'],
    ['(1 + 2) * 3', '(* (+ 1 2) 3)'],
    ['1 - 2 - 3', '(- (- 1 2) 3)'],
    ['8 / 2 / 2', '(/ (/ 8 2) 2)'],
    ['c/2', '(/ c 2)'],
    ['7 % 4 * 2', '(* (% 7 4) 2)'],
    ['-a.b', '(neg (. a b))'],
    ['- -1', '(neg (neg 1))'],
    ['a - -1', '(- a (neg 1))'],
    ['in.channels != c', '(!= (. in channels) c)'],
    ['a < b', '(< a b)'],
    ['a <= b + 1', '(<= a (+ b 1))'],
    ['a > b', '(> a b)'],
    ['a >= b', '(>= a b)'],
    ['a == b', '(== a b)'],
    ['not a == b and c', '(and (not (== a b)) c)'],
    ['not not a', '(not (not a))'],
    ['a or b and c', '(or a (and b c))'],
    ['a and b or c and d', '(or (and a b) (and c d))'],
    ['a or b or c', '(or (or a b) c)'],
    ['if a then b else c + 1', '(if a b (+ c 1))'],
    ['if a then if b then 1 else 2 else 3', '(if a (if b 1 2) 3)'],
    ['(1, 2)', '(tuple 1 2)'],
    ['(1,)', '(tuple 1)'],
    ['()', '(tuple)'],
    ['(n = 2)', '(tuple n=2)'],
    ['((1))', '1'],
    ['(\n  1,\n  2\n)', '(tuple 1 2)'],
    ['((1, 2), 3)', '(tuple (tuple 1 2) 3)'],
    ['true', 'true'],
    ['"s"', '"s"'],
    ['HxWx3', 'HxWx3'],
    ['max(8, floor(c * w / 8 + 0.5) * 8)', '(max 8 (* (floor (+ (/ (* c w) 8) 0.5)) 8))'],
    ['-min(a, b).x + round(1)', '(+ (neg (. (min a b) x)) (round 1))'],
    ['max (1, 2)', '<error>'],
  ])('%s', (text, expected) => {
    if (expected === '<error>') {
      expect(() => expr(text)).toThrow();
      return;
    }
    expect(sexpr(expr(text))).toBe(expected);
  });

  it('keeps operator spans, parentheses included', () => {
    const text = 'block b(x: int = (a + b) * -c.d) {}';
    const d = parseClean(text).decls[0];
    const e = d.kind === 'Block' ? d.params[0].default : undefined;
    if (e?.kind !== 'Binary') throw new Error('not binary');
    expect(textOf(text, e.span)).toBe('(a + b) * -c.d');
    expect(textOf(text, e.left.span)).toBe('a + b');
    expect(textOf(text, e.right.span)).toBe('-c.d');
    expect(e.right).toMatchObject({ kind: 'Unary', op: '-', operand: { kind: 'Member' } });
  });

  it('dims literals', () => {
    expect(expr('HxWx3')).toMatchObject({
      kind: 'Dims',
      parts: [
        { kind: 'sym', name: 'H' },
        { kind: 'sym', name: 'W' },
        { kind: 'num', value: 3 },
      ],
    });
    expect(expr('?x224')).toMatchObject({
      parts: [{ kind: 'unknown' }, { kind: 'num', value: 224 }],
    });
  });
});
