/**
 * Blocks that generalise (issue 12): statement `if`, `repeat 0`, built-in functions, `dims`
 * parameters, `in.features` on a flat input, and the notes that name the failing block call.
 */
import { describe as group, expect, it } from 'vitest';
import { formatShape } from '../../../compiler/sema/dim.js';
import { compile, model } from './helpers.js';

const out = (m: ReturnType<typeof model>) =>
  formatShape(m.graph.nodes[m.graph.outputs[0]].shape ?? [], m.env ?? undefined);
const ops = (m: ReturnType<typeof model>) => m.graph.nodes.map((n) => n.op);

/** MobileNetV2's inverted residual in one block: skip only when stride 1 and equal widths, no expansion when t = 1. */
const IR = `
block ir(cin: int, cout: int, s: int, t: int) {
  if s == 1 and cin == cout {
    residual { body(cin, cout, s, t) }
  } else {
    body(cin, cout, s, t)
  }
}
block body(cin: int, cout: int, s: int, t: int) {
  if t != 1 { conv cin * t 1x1 nobias, bn, relu6 }
  dwconv 3x3 /s pad 1 nobias, bn, relu6
  conv cout 1x1 nobias, bn
}
`;

group('statement if', () => {
  it.each([
    ['skip and no expansion', 'ir(16, 16, 1, 1)', 'add', 6, '8x8x16'],
    ['skip and expansion', 'ir(16, 16, 1, 6)', 'add', 9, '8x8x16'],
    ['no skip (stride 2)', 'ir(16, 16, 2, 6)', 'batch_norm', 8, '4x4x16'],
    ['no skip (widths differ)', 'ir(16, 24, 1, 1)', 'batch_norm', 5, '8x8x24'],
  ])('%s', (_title, call, last, nodes, shape) => {
    const m = model(`${IR}model M {\n  input 8x8x16\n  ${call}\n}\n`);
    expect(ops(m).at(-1)).toBe(last);
    expect(m.graph.nodes.length).toBe(nodes + 1);
    expect(out(m)).toBe(shape);
  });

  it('chains else if, and names layers the same whichever way it goes', () => {
    const src = (n: number) =>
      `model M {\n  input 8x8x1\n  let n = ${n}\n  if n == 1 { a: conv 2 1x1 } else if n == 2 { a: conv 3 1x1 } else { a: conv 4 1x1 }\n}\n`;
    expect([1, 2, 3].map((n) => out(model(src(n))))).toEqual(['8x8x2', '8x8x3', '8x8x4']);
    expect(model(src(2)).graph.nodes.map((n) => n.name)).toEqual(['input', 'a']);
  });

  it('a condition that is not a boolean is CNN2005 on the condition', () => {
    const r = compile('model M {\n  input 8x8x1\n  let t = 2\n  if t { relu }\n}\n');
    expect(r.diagnostics.map((d) => [d.code, d.span?.start])).toEqual([['CNN2005', 41]]);
  });
});

group('repeat 0 and in.features', () => {
  it('repeat 0 is an empty statement; a negative count is CNN2017', () => {
    const src = (n: string) =>
      `block stage(n: int) {\n  conv 4 1x1\n  repeat ${n} { conv 4 1x1 }\n}\nmodel M {\n  input 8x8x1\n  stage(1)\n}\n`;
    expect(model(src('n - 1')).graph.nodes.length).toBe(2);
    expect(compile(src('n - 2')).diagnostics.map((d) => d.code)).toEqual(['CNN2017']);
  });

  it('a block on a flat input reads its width as in.features or in.channels', () => {
    const m = model(
      'block mlp() {\n  dense in.features * 2, relu\n  dense in.channels\n}\nmodel M {\n  input 8x8x1\n  flatten\n  mlp()\n}\n',
    );
    expect(m.graph.nodes.map((n) => n.shape?.[0])).toEqual([8, 64, 128, 128, 64]);
  });
});

group('built-in functions and dims parameters', () => {
  it.each([
    ['min(4, 7, 2)', 2],
    ['max(8, 3)', 8],
    ['floor(7 / 2)', 3],
    ['ceil(7 / 2)', 4],
    ['round(2.5)', 2],
    ['round(3.5)', 4],
    // torchvision's _make_divisible(32 * 0.75, 8) = 24, and (10 * 0.5, 8) = 8
    ['max(8, floor(32 * 0.75 / 8 + 0.5) * 8)', 24],
    ['max(8, floor(10 * 0.5 / 8 + 0.5) * 8)', 8],
  ])('dense %s has %i units', (expr, units) => {
    expect(out(model(`model M {\n  input 4\n  dense ${expr}\n}\n`))).toBe(String(units));
  });

  it.each([
    ['min()', 'CNN2022'],
    ['floor(1, 2)', 'CNN2022'],
    ['max(1, true)', 'CNN2022'],
  ])('%s is %s', (expr, code) => {
    expect(
      compile(`model M {\n  input 4\n  dense ${expr}\n}\n`).diagnostics.map((d) => d.code),
    ).toEqual([code]);
  });

  it('a dims parameter takes 3x3, (3, 1) or one number', () => {
    const m = model(
      'block c(k: dims = 3x3) { conv 1 k }\nmodel M {\n  input 9x9x1\n  c()\n  c((3, 1))\n  c(5)\n}\n',
    );
    expect(out(m)).toBe('1x3x1');
    expect(
      compile(
        'block c(k: dims) { conv 1 k }\nmodel M {\n  input 9x9x1\n  c(true)\n}\n',
      ).diagnostics.map((d) => d.code),
    ).toEqual(['CNN2008']);
  });

  it('a block call is not a built-in call', () => {
    expect(out(model('block max(c: int) { dense c }\nmodel M {\n  input 4\n  max(3)\n}\n'))).toBe(
      '3',
    );
  });
});

group('diagnostics inside blocks and on attributes', () => {
  it('an error inside a block body names each call level, innermost first', () => {
    const r = compile(
      'block inner(c: int, s: int) {\n  conv c 3x3 /s\n}\nblock stage(c: int, s: int) {\n  inner(c, s)\n}\nmodel M {\n  input 32x32x3\n  stage(8, 1)\n  stage(16, 2)\n}\n',
    );
    const d = r.diagnostics.find((x) => x.code === 'CNN3003')!;
    expect(d.notes.slice(-2)).toEqual([
      'in the call `inner(c, s)` at line 5',
      'in the call `stage(16, 2)` at line 10',
    ]);
  });

  it('"takes:" lists each word once, with `pad`; ceil_mode suggests ceil', () => {
    const r = compile('model M {\n  input 8x8x1\n  conv 1 1x1 frob\n  maxpool 2 ceil_mode\n}\n');
    const [conv, pool] = r.diagnostics;
    expect(conv.help).toBe(
      'conv takes: same, valid, full, nobias, bias, pad, dilate, stride, padding, dilation, groups',
    );
    expect(pool.help).toBe('did you mean `ceil`?');
    expect(pool.edit?.text).toBe('ceil');
  });

  it("CNN3003 is silent when the dropped row is a zeropad's own padding", () => {
    const src = (n: number) => `model M {\n  input ${n}x${n}x1\n  zeropad 1\n  conv 4 3x3 /2\n}\n`;
    expect(compile(src(10)).diagnostics).toEqual([]);
    // 12 + 2 = 14: (14 − 3) mod 3 = 2 rows left over, one of them data.
    const d = compile(src(12).replace('/2', '/3')).diagnostics[0];
    expect(d.code).toBe('CNN3003');
    expect(d.message).toContain('last 1 row and 1 column');
    expect(d.labels[0].message).toBe('input grows to 14x14 here');
    expect(d.help).toBe(
      'make its input 15x15 (the output becomes 5x5), or pad 1 (the output becomes 5x5)',
    );
  });

  it('CNN3003 says nothing of the output size when a padding keeps it', () => {
    // 8x8, 5x5 /4 pad 2: (8 + 4 − 5) mod 4 = 3, less 2 of padding: 1 row dropped; pad 1 reads
    // every row and keeps the 2x2 output.
    const d = compile('model M {\n  input 8x8x1\n  conv 4 5x5 /4 pad 2\n}\n').diagnostics[0];
    expect(d?.code).toBe('CNN3003');
    expect(d.help).toBe('use a 9x9 input (the output becomes 3x3), or pad 1');
  });

  it('check validates the train block as cnnc train reads it, with a did-you-mean', () => {
    const r = compile('model M {\n  input 4\n  dense 2\n  train { optimzer adam, lr -5 }\n}\n');
    expect(r.diagnostics.map((d) => [d.code, d.help])).toEqual([
      ['CNN2002', 'did you mean `optimizer`?'],
      ['CNN2005', undefined],
    ]);
    expect(r.diagnostics[0].edit?.text).toBe('optimizer');
  });

  it("a reasoned cnnc-ignore hides its line's warning and is listed; others are reported", () => {
    const src = [
      'model M {',
      '  input 9x9x1',
      '  // cnnc-ignore CNN3003: the last row is padding in the original model',
      '  conv 4 2x2 /2',
      '  conv 4 3x3 /2 // cnnc-ignore CNN3007: not this one',
      '}',
      '',
    ].join('\n');
    const r = compile(src);
    expect(r.diagnostics.map((d) => [d.code, src.slice(d.span!.start, d.span!.end)])).toEqual([
      ['CNN3003', 'conv 4 3x3 /2'],
      ['CNN2102', '// cnnc-ignore CNN3007: not this one'],
    ]);
    expect(r.suppressions?.map((s) => [s.line, s.hidden, s.reason])).toEqual([
      [4, 1, 'the last row is padding in the original model'],
      [5, 0, 'not this one'],
    ]);
  });
});
