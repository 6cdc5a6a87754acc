import { describe, expect, it } from 'vitest';
import { analyze } from '../../../compiler/passes/analyze.js';
import { verify } from '../../../compiler/ir/verify.js';
import { formatShape, smallestAdmissible } from '../../../compiler/sema/dim.js';
import { IrBuilder, spanOf } from '../../helpers/ir-builder.js';

function shapes(b: IrBuilder): (string | null)[] {
  const r = analyze(b.graph());
  return r.graph.nodes.map((n) => (n.shape ? formatShape(n.shape, r.env) : null));
}

describe('analyze', () => {
  it('fills shapes, weights, MACs and receptive fields on new nodes', () => {
    const b = new IrBuilder();
    b.input(28, 28, 1);
    b.conv(8, 3, { padding: 1 });
    const graph = b.graph();
    const r = analyze(graph);
    expect(r.graph).not.toBe(graph);
    expect(graph.nodes[1].shape).toBeUndefined();
    expect(r.graph.nodes[1]).toMatchObject({ shape: [28, 28, 8], macs: 28 * 28 * 8 * 9 });
    expect(r.graph.nodes[1].weights?.map((w) => w.name)).toEqual(['kernel', 'bias']);
    expect(r.graph.nodes[1].rf).toEqual({ size: [3, 3], jump: [1, 1], global: false });
    expect(verify(r.graph, 'analysis')).toEqual([]);
  });

  it('one mistake gives one error: consumers of an unknown shape are poisoned', () => {
    const b = new IrBuilder();
    b.input(5, 5, 1);
    b.conv(16, 7);
    b.conv(16, 3);
    b.flatten();
    b.dense(10);
    const r = analyze(b.graph());
    expect(r.diagnostics.map((d) => [d.code, d.span])).toEqual([['CNN3001', spanOf(1)]]);
    expect(r.graph.nodes.slice(1).map((n) => n.shape)).toEqual([null, null, null, null]);
  });

  it('a merge with one poisoned input is poisoned silently', () => {
    const b = new IrBuilder();
    const x = b.input(5, 5, 1);
    const bad = b.conv(1, 7);
    b.add([x, bad]);
    const r = analyze(b.graph());
    expect(r.diagnostics.map((d) => d.code)).toEqual(['CNN3001']);
    expect(r.graph.nodes[2].shape).toBeNull();
  });

  it('nodes the elaborator poisoned report nothing and poison their consumers', () => {
    const b = new IrBuilder();
    b.input(28, 28, 1);
    b.conv(8, 99);
    b.relu();
    const r = analyze(b.graph(undefined, { poisoned: [1] }));
    expect(r.diagnostics).toEqual([]);
    expect(r.graph.nodes.map((n) => n.shape)).toEqual([[28, 28, 1], null, null]);
  });

  it('reports an input that does not come before its node', () => {
    const b = new IrBuilder();
    b.input(28, 28, 1);
    b.relu({ from: 5 });
    const r = analyze(b.graph());
    expect(r.diagnostics.map((d) => d.code)).toEqual(['CNN9001']);
  });

  it('keeps warnings and goes on', () => {
    const b = new IrBuilder();
    b.input(224, 224, 3);
    b.conv(96, 11, { stride: 4 });
    b.relu();
    const r = analyze(b.graph());
    expect(r.diagnostics.map((d) => [d.code, d.severity])).toEqual([['CNN3003', 'warning']]);
    expect(r.graph.nodes[2].shape).toEqual([54, 54, 96]);
  });

  it('collects explain lines per node', () => {
    const b = new IrBuilder();
    b.input(7, 7, 512);
    b.flatten();
    expect(analyze(b.graph(), { explain: true }).explain.get(1)).toEqual(['7·7·512 = 25088']);
    expect(analyze(b.graph()).explain.size).toBe(0);
  });
});

describe('explain lines', () => {
  const cases: readonly (readonly [string, (b: IrBuilder) => void, readonly string[]])[] = [
    [
      'same padding on a symbolic size',
      (b) => (b.input('H', 'W', 3), b.conv(8, 3, { stride: 2, padding: 'same' })),
      [
        'height: same: total = max((H/2 − 1)·2 + 3 − H, 0) = 1 = 0 + 1; floor((H + 0 + 1 − 3) / 2) + 1 = H/2',
        'width: same: total = max((W/2 − 1)·2 + 3 − W, 0) = 1 = 0 + 1; floor((W + 0 + 1 − 3) / 2) + 1 = W/2',
      ],
    ],
    [
      'ceil-mode pool',
      (b) => (b.input(112, 112, 64), b.maxpool(3, { stride: 2, ceil: true })),
      ['height: ceil((112 + 2·0 − 3) / 2) + 1 = 56', 'width: ceil((112 + 2·0 − 3) / 2) + 1 = 56'],
    ],
    [
      'transposed conv',
      (b) => (b.input(7, 7, 8), b.transpose(4, 3, { stride: 2, padding: 1, outputPadding: 1 })),
      [
        'height: pad 1 + 1; (7 − 1)·2 − 2·1 + 1·(3 − 1) + 1 + 1 = 14',
        'width: pad 1 + 1; (7 − 1)·2 − 2·1 + 1·(3 − 1) + 1 + 1 = 14',
      ],
    ],
    [
      'conv1d',
      (b) => (b.input(100, 8), b.conv1d(16, 5)),
      ['length: floor((100 + 2·0 − 5) / 1) + 1 = 96'],
    ],
    ['flatten', (b) => (b.input(7, 7, 512), b.flatten()), ['7·7·512 = 25088']],
    [
      'flatten of a symbolic shape',
      (b) => (b.input('H', 'W', 3), b.flatten()),
      ['H·W·3: not known statically'],
    ],
    ['reshape', (b) => (b.input(512), b.reshape([1, 1, -1])), ['512 / 1 = 512 for the −1 axis']],
    ['dense', (b) => (b.input(512), b.dense(10)), ['512 inputs → 10 units']],
    ['global pool', (b) => (b.input(7, 7, 512), b.gap()), ['7x7 positions pooled into one']],
    [
      'concat',
      (b) => (b.input(4, 4, 16), b.conv(8, 1), b.concat([0, 1])),
      ['channels: 16 + 8 = 24'],
    ],
  ];
  it.each(cases)('%s', (_title, build, lines) => {
    const b = new IrBuilder();
    build(b);
    const r = analyze(b.graph(), { explain: true });
    expect(r.explain.get(b.nodes.length - 1)).toEqual(lines);
  });
});

describe('symbolic sizes', () => {
  it.each([
    ['pad 1', 1],
    ['same', 'same'],
  ] as const)('five stride-2 convs (%s) give H/32 with H a multiple of 32', (_title, padding) => {
    const b = new IrBuilder();
    b.input('H', 'W', 3);
    for (let i = 0; i < 5; i++) b.conv(64, 3, { stride: 2, padding });
    const r = analyze(b.graph());
    expect(r.diagnostics).toEqual([]);
    expect(formatShape(r.graph.nodes[5].shape ?? [], r.env)).toBe('H/32xW/32x64');
    const h = r.graph.symbols.find((s) => s.sym === 'H');
    expect(h).toMatchObject({ display: 'H', role: 'input height', multipleOf: 32 });
    expect(smallestAdmissible(r.env.info('H'))).toBe(32);
    expect(r.graph.symbols.find((s) => s.sym === 'W')).toMatchObject({
      role: 'input width',
      multipleOf: 32,
    });
  });

  it('a valid conv records a minimum size instead of an error', () => {
    const b = new IrBuilder();
    b.input('H', 'H', 3);
    b.conv(8, 7);
    b.conv(8, 3);
    const r = analyze(b.graph());
    expect(r.diagnostics).toEqual([]);
    expect(shapes(b)[2]).toBe('H-8xH-8x8');
    expect(r.env.info('H').min).toBe(9);
  });

  it('reports no dropped rows for a symbolic size', () => {
    const b = new IrBuilder();
    b.input('H', 'W', 3);
    b.conv(8, 11, { stride: 4 });
    const r = analyze(b.graph());
    expect(r.diagnostics).toEqual([]);
    expect(shapes(b)[1]).toBe('H/4-2xW/4-2x8');
    expect(r.env.info('H').multipleOf).toBe(4);
  });

  it('unknown sizes get one fresh symbol per axis, shown as ?', () => {
    const b = new IrBuilder();
    b.input(null, null, 3);
    b.maxpool(2);
    const r = analyze(b.graph());
    expect(shapes(b)).toEqual(['?x?x3', '?/2x?/2x3']);
    expect(r.graph.symbols.map((s) => [s.display, s.role])).toEqual([
      ['?', 'input height'],
      ['?', 'input width'],
    ]);
  });

  it('a concrete axis is still checked next to a symbolic one', () => {
    const b = new IrBuilder();
    b.input('H', 5, 3);
    b.conv(8, 7);
    const r = analyze(b.graph());
    expect(r.diagnostics.map((d) => d.code)).toEqual(['CNN3001']);
  });
});

describe('performance', () => {
  // Speed is measured by `npm run bench`, not asserted here (no timed tests).
  it('analyses a 10,000-node graph', () => {
    const b = new IrBuilder();
    let x = b.input(32, 32, 16);
    while (b.nodes.length < 10_000) {
      b.conv(16, 3, { padding: 1, from: x });
      b.bn();
      b.relu();
      const main = b.conv(16, 3, { padding: 1 });
      x = b.add([main, x]);
    }
    const r = analyze(b.graph());
    expect(r.diagnostics).toEqual([]);
    expect(r.graph.nodes.every((n) => n.shape !== null)).toBe(true);
  });
});
