import { describe as group, expect, it } from 'vitest';
import { formatShape } from '../../../compiler/sema/dim.js';
import { codes, compile, model, names } from './helpers.js';

const shapeOf = (m: ReturnType<typeof model>, name: string) => {
  const n = m.graph.nodes.find((x) => x.name === name);
  if (!n) throw new Error(`no node ${name}`);
  return formatShape(n.shape ?? [], m.env ?? undefined);
};
const out = (m: ReturnType<typeof model>) =>
  formatShape(m.graph.nodes[m.graph.outputs[0]].shape ?? [], m.env ?? undefined);

group('letter patterns and let', () => {
  it('expands CRCRP and rebinds with `with`', () => {
    const m = model(`
model V {
  input 32x32x3
  let C = conv 32 3x3 same, R = relu, P = maxpool 2x2 /2
  CRCRP
  CRCRP with C = conv 64 3x3 same
  flatten, dense 10, softmax
}`);
    expect(m.graph.nodes.map((n) => n.op).slice(0, 6)).toEqual([
      'input',
      'conv2d',
      'activation',
      'conv2d',
      'activation',
      'max_pool',
    ]);
    expect(shapeOf(m, 'maxpool2')).toBe('8x8x64');
    expect(m.summary?.params.total).toBe(
      3 * 3 * 3 * 32 +
        32 +
        (3 * 3 * 32 * 32 + 32) +
        (3 * 3 * 32 * 64 + 64) +
        (3 * 3 * 64 * 64 + 64) +
        (8 * 8 * 64 * 10 + 10),
    );
  });

  it('binds values with let and uses them in expressions', () => {
    const m = model('model A {\n input 8x8x2\n let c = 3, d = c * 2\n conv d 1x1\n}');
    expect(out(m)).toBe('8x8x6');
  });

  it('binds the repeat index', () => {
    const m = model('model A {\n input 8x8x1\n repeat 3 as i { conv 4 * (i + 1) 3x3 same }\n}');
    expect(out(m)).toBe('8x8x12');
    expect(names(m.graph)).toEqual(['input', 'conv1', 'conv2', 'conv3']);
  });
});

group('blocks', () => {
  const basic = `
block basic(c: int, stride: int = 1) {
  residual {
    conv c 3x3 /stride pad 1 nobias, bn, relu
    conv c 3x3 pad 1 nobias, bn
  } shortcut when stride != 1 or in.channels != c {
    conv c 1x1 /stride nobias, bn
  }
  relu
}`;
  it('takes the projection shortcut only when the condition holds', () => {
    const m = model(
      `${basic}\nmodel R {\n input 32x32x64\n s: { basic(64); basic(128, 2); basic(c = 128) }\n}`,
    );
    const n = names(m.graph);
    expect(n.filter((x) => x.includes('shortcut'))).toEqual([
      's.1.shortcut.conv1',
      's.1.shortcut.bn1',
    ]);
    expect(out(m)).toBe('16x16x128');
  });

  it('evaluates defaults from earlier parameters', () => {
    const m = model(
      'block b(c: int, d: int = c * 2) { conv d 1x1 }\nmodel A {\n input 4x4x1\n b(3)\n}',
    );
    expect(out(m)).toBe('4x4x6');
  });

  it('reports arity, names and types of arguments', () => {
    const b = 'block b(c: int) { conv c 1x1 }\n';
    expect(codes(`${b}model A {\n input 4x4x1\n b()\n}`)).toContain('CNN2006');
    expect(codes(`${b}model A {\n input 4x4x1\n b(1, 2)\n}`)).toContain('CNN2006');
    expect(codes(`${b}model A {\n input 4x4x1\n b(e = 1)\n}`)).toContain('CNN2007');
    expect(codes(`${b}model A {\n input 4x4x1\n b(true)\n}`)).toContain('CNN2008');
  });

  it('reports recursion instead of looping', () => {
    expect(codes('block a(c: int) { a(c) }\nmodel A {\n input 4x4x1\n a(1)\n}')).toContain(
      'CNN2009',
    );
  });
});

group('derived models', () => {
  const base = `
model Base {
  input 32x32x3
  stem: { conv 8 3x3 same, bn, relu }
  body: { conv 16 3x3 /2 same, relu }
  head: { gap, dense 100, softmax }
}`;
  it('changes the input, freezes scopes and replaces the head', () => {
    const m = model(
      `${base}\nmodel D = Base {\n input 64x64x1\n freeze stem\n replace head { gap, dense 10, softmax }\n}`,
      'D',
    );
    expect(out(m)).toBe('10');
    const frozen = m.graph.nodes.filter((n) => n.frozen).map((n) => n.name);
    expect(frozen).toEqual(['stem.conv1', 'stem.bn1', 'stem.relu1']);
    expect(m.summary?.params.frozen).toBe(3 * 3 * 1 * 8 + 8 + 16);
    expect(shapeOf(m, 'body.conv1')).toBe('32x32x16');
  });

  it('freezes by range and glob, and unfreezes in order', () => {
    const m = model(`${base}\nmodel D = Base {\n freeze ..body\n unfreeze body.c*\n}`, 'D');
    expect(m.graph.nodes.filter((n) => n.frozen).map((n) => n.name)).toEqual([
      'stem.conv1',
      'stem.bn1',
      'stem.relu1',
      'body.relu1',
    ]);
  });

  it('appends statements', () => {
    const m = model(`${base}\nmodel D = Base {\n append { dense 5 }\n}`, 'D');
    expect(out(m)).toBe('5');
  });

  it('reports unknown bases, replace targets and freeze targets', () => {
    expect(codes(`${base}\nmodel D = Bsae {\n}`, { model: 'D' })).toContain('CNN2015');
    expect(
      codes(`${base}\nmodel D = Base {\n replace haed { dense 2 }\n}`, { model: 'D' }),
    ).toContain('CNN2021');
    expect(codes(`${base}\nmodel D = Base {\n freeze stme\n}`, { model: 'D' })).toContain(
      'CNN2014',
    );
  });

  it('derives from a stdlib model through an import', () => {
    const r = compile('import lenet\nmodel L = LeNet5 {\n freeze features\n}\n', { model: 'L' });
    expect(r.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    expect(r.models[0].summary?.params.total).toBe(61706);
  });
});

group('symbolic input sizes', () => {
  it('keeps sizes affine and derives the multiple', () => {
    const m = model(`
model F {
  input HxWx3
  conv 32 7x7 /2 pad 3, maxpool 3x3 /2 pad 1
  conv 64 3x3 /2 pad 1, conv 64 3x3 /2 pad 1, conv 64 3x3 /2 pad 1
  gap, dense 10
}`);
    expect(shapeOf(m, 'conv4')).toBe('H/32xW/32x64');
    const h = m.graph.symbols.find((s) => s.display === 'H');
    expect(h?.multipleOf).toBe(32);
    expect(out(m)).toBe('10');
  });
});

group('absurd and malformed attribute values', () => {
  it.each([
    ['conv 1e300 3x3', 'CNN2030'],
    ['flatten, dense 1e15', 'CNN2030'],
    ['conv 4 3x3 pad -1', 'CNN2030'],
    ['conv 4 3x3 (1 + 2)', 'CNN2006'],
    ['conv 4 3x3 dilation 0', 'CNN3002'],
    ['conv 4 (3, 3, 3)', 'CNN3009'],
    ['deconv 4 3x3 /2 outpad 2', 'CNN2030'],
    ['repeat 1.5 { relu }', 'CNN2005'],
  ])('`%s` gives %s', (stmt, code) => {
    expect(codes(`model M {\n  input 32x32x3\n  ${stmt}\n}\n`)).toContain(code);
  });
});
