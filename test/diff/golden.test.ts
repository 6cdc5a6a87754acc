/** Golden pretty, markdown and JSON reports of realistic edits, and what each must show. */
import { sumCounts } from '../../compiler/sema/count.js';
import { describe, expect, it } from 'vitest';
import { hasSemanticChange, renderMarkdown, renderPretty } from '../../compiler/diff/index.js';
import type { ModelDiff } from '../../compiler/diff/types.js';
import { expectBaseline } from '../helpers/baseline.js';
import { DIFF_CASES, runCase } from './cases.js';

const byName = new Map(DIFF_CASES.map((c) => [c.name, c]));
const only = (name: string): ModelDiff => {
  const report = runCase(byName.get(name)!);
  expect(report.files[0].models).toHaveLength(1);
  return report.files[0].models[0];
};

describe('golden reports', () => {
  it.each(DIFF_CASES.map((c) => c.name))('%s', (name) => {
    const report = runCase(byName.get(name)!);
    expect(hasSemanticChange(report)).toBe(true);
    expectBaseline(`diff/${name}.txt`, renderPretty(report));
    expectBaseline(`diff/${name}.md`, renderMarkdown(report));
    expectBaseline(`diff/${name}.json`, `${JSON.stringify(report, null, 2)}\n`);
  });
});

describe('what each edit shows', () => {
  it('widen a stage: attributes, moved shapes, and the file budget newly exceeded', () => {
    const m = only('widen-stage');
    expect(m.counts).toMatchObject({ added: 0, removed: 0, renamed: 0 });
    const conv = m.layers.find((l) => l.name === 'body.3.conv1')!;
    expect(conv.attrs).toEqual([{ name: 'filters', before: '64', after: '128' }]);
    expect(conv.what).toEqual(expect.arrayContaining(['attrs', 'shape', 'params', 'macs']));
    expect(m.totals.params.delta).toBeGreaterThan(0);
    const budget = m.budgets.find((b) => b.metric === 'params')!;
    expect(budget).toMatchObject({
      source: 'both files',
      status: 'newly exceeded',
      limit: 250_000,
    });
  });

  it('insert a block: its 14 layers added, the pool after it fed from it', () => {
    const m = only('insert-block');
    expect(m.counts).toMatchObject({ added: 14, removed: 0, renamed: 0 });
    expect(
      m.layers.filter((l) => l.change === 'added').every((l) => l.name.startsWith('inc3c.')),
    ).toBe(true);
    const pool = m.layers.find((l) => l.name === 'maxpool1')!;
    expect(pool.what).toEqual(expect.arrayContaining(['inputs', 'shape']));
  });

  it('rename a label: 14 layers paired by place, renamed, nothing else', () => {
    const m = only('rename-label');
    expect(m.counts).toEqual({ added: 0, removed: 0, changed: 14, renamed: 14 });
    expect(m.layers.every((l) => l.matchedBy === 'structure' && l.what.join() === 'renamed')).toBe(
      true,
    );
    expect(m.layers[0]).toMatchObject({ name: 'mixed3b.branch1.conv1' });
    expect(m.layers[0].before!.name).toBe('inc3b.branch1.conv1');
    for (const d of Object.values(m.totals)) expect(d.delta).toBe(0);
  });

  it('change a kernel: the attribute, the shapes it moves, and a command-line budget', () => {
    const m = only('change-kernel');
    const conv = m.layers.find((l) => l.name === 'conv2')!;
    expect(conv.attrs).toEqual([{ name: 'kernel', before: '5x5', after: '3x3' }]);
    expect(m.layers.map((l) => l.name)).toEqual([
      'conv2',
      'tanh2',
      'avgpool2',
      'flatten1',
      'dense1',
    ]);
    expect(m.budgets).toEqual([
      expect.objectContaining({
        metric: 'params',
        source: 'command line',
        status: 'newly exceeded',
      }),
    ]);
  });

  it('freeze a prefix: stage3 frozen, trainable parameters and memory down, parameters equal', () => {
    const m = only('freeze-prefix');
    expect(m.layers.length).toBeGreaterThan(0);
    expect(m.layers.every((l) => l.name.startsWith('stage3.') && l.what.join() === 'frozen')).toBe(
      true,
    );
    expect(m.totals.params.delta).toBe(0);
    const stage3 = sumCounts(m.layers.map((l) => l.deltas.trainable.delta ?? 0));
    expect(stage3).toBeLessThan(0);
    expect(m.totals.trainable.delta).toBe(stage3);
    expect(m.totals.memory.delta).toBe(sumCounts(m.layers.map((l) => l.deltas.memory.delta ?? 0)));
  });
});
