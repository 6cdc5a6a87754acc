import { describe, expect, it } from 'vitest';
import {
  planProblems,
  planWeights,
  tensorsToLoad,
  type ExpectedWeight,
  type SourceTensor,
} from '../../../runtime/weights/plan.js';

const w = (name: string, shape: number[], frozen = false): ExpectedWeight => ({
  name,
  node: name.split('/')[0],
  shape,
  kind: name.endsWith('moving_mean') ? 'buffer' : 'param',
  frozen,
});
const t = (name: string, shape: number[], source: string | null = null): SourceTensor => ({
  name,
  shape,
  source,
  read: () => new Float32Array(shape.reduce((a, b) => a * b, 1)).fill(shape.length),
});

const MODEL = [
  w('conv/kernel', [3, 3, 1, 4]),
  w('conv/bias', [4]),
  w('bn/moving_mean', [4]),
  w('fc/kernel', [64, 10]),
  w('fc/bias', [10]),
];

describe('weights plan', () => {
  it('classifies every weight and every file tensor', () => {
    const plan = planWeights(
      MODEL,
      [
        t('conv/kernel', [3, 3, 1, 4], 'c.weight'),
        t('conv/bias', [4]),
        t('bn/moving_mean', [4]),
        t('fc/kernel', [64, 1000], 'fc.weight'),
        t('aux/kernel', [2, 2]),
      ],
      ['bn.num_batches_tracked'],
    );
    expect(
      plan.entries.map((e) => [e.status, e.name, e.modelShape, e.fileShape, e.source]),
    ).toEqual([
      ['loaded', 'conv/kernel', [3, 3, 1, 4], [3, 3, 1, 4], 'c.weight'],
      ['loaded', 'conv/bias', [4], [4], null],
      ['loaded', 'bn/moving_mean', [4], [4], null],
      ['mismatch', 'fc/kernel', [64, 10], [64, 1000], 'fc.weight'],
      ['missing', 'fc/bias', [10], null, null],
      ['unused', 'aux/kernel', null, [2, 2], null],
    ]);
    expect(plan.counts).toEqual({ loaded: 3, mismatch: 1, missing: 1, unused: 1 });
    expect(plan.ignored).toEqual(['bn.num_batches_tracked']);
    expect(plan.frozenReinitialised).toEqual([]);
  });

  const full = MODEL.map((m) => t(m.name, [...m.shape]));
  const withoutBias = full.filter((x) => x.name !== 'fc/bias');
  const wrongFc = full.map((x) => (x.name === 'fc/kernel' ? t(x.name, [64, 3]) : x));
  it.each([
    ['a full file', full, {}, []],
    ['a missing weight', withoutBias, {}, []],
    ['a missing weight, all required', withoutBias, { requireAll: true }, [/1 weight missing/]],
    ['… allowed partial', withoutBias, { requireAll: true, allowPartial: true }, []],
    ['a shape mismatch', wrongFc, {}, [/^1 shape mismatch \(--allow-partial/]],
    ['… allowed partial', wrongFc, { allowPartial: true }, []],
  ] as const)('%s: %j', (_, file, options, problems) => {
    const found = planProblems(planWeights(MODEL, file), options);
    expect(found.length).toBe(problems.length);
    problems.forEach((p, i) => expect(found[i]).toMatch(p));
  });

  it('refuses to re-initialise a frozen layer, even when partial loading is allowed', () => {
    const frozen = MODEL.map((m) => (m.node === 'fc' ? { ...m, frozen: true } : m));
    const plan = planWeights(
      frozen,
      wrongFc.filter((x) => x.name !== 'fc/bias'),
    );
    expect(plan.frozenReinitialised.map((e) => [e.name, e.status])).toEqual([
      ['fc/kernel', 'mismatch'],
      ['fc/bias', 'missing'],
    ]);
    const problems = planProblems(plan, { allowPartial: true });
    expect(problems).toHaveLength(2);
    expect(problems[0]).toMatch(/fc\/kernel is in the frozen layer fc but the file has 64x3/);
    expect(problems[1]).toMatch(/fc\/bias is in the frozen layer fc but the file does not have it/);
  });

  it('loads the file values of loaded weights only', () => {
    const plan = planWeights(MODEL, wrongFc);
    const loaded = tensorsToLoad(plan, wrongFc);
    expect(loaded.map((x) => x.name)).toEqual([
      'conv/kernel',
      'conv/bias',
      'bn/moving_mean',
      'fc/bias',
    ]);
    expect([...loaded[1].data]).toEqual([1, 1, 1, 1]);
  });
});
