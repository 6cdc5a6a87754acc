import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import {
  argmaxRows,
  confusionMatrix,
  reportFromConfusion,
  topK,
  topKAccuracy,
} from '../../../runtime/train/metrics.js';
import { DEFAULT_OPTIMIZER } from '../../../runtime/train/optimizer-config.js';
import { Optimizer, clipByGlobalNorm } from '../../../runtime/tfjs/optimizers.js';
import { DEFAULT_SCHEDULE, learningRate } from '../../../runtime/train/schedules.js';
import { cpuTf } from './tiny-model.js';

describe('classification metrics', () => {
  // true class per row, predicted per column
  const confusion = [
    [5, 1, 0],
    [2, 3, 0],
    [0, 0, 0],
  ];

  it('computes accuracy, precision, recall and F1 from a confusion matrix', () => {
    const r = reportFromConfusion(confusion);
    expect(r.count).toBe(11);
    expect(r.accuracy).toBeCloseTo(8 / 11, 12);
    expect(r.perClass[0].precision).toBeCloseTo(5 / 7, 12);
    expect(r.perClass[0].recall).toBeCloseTo(5 / 6, 12);
    expect(r.perClass[0].f1).toBeCloseTo((2 * (5 / 7) * (5 / 6)) / (5 / 7 + 5 / 6), 12);
    expect(r.perClass[1]).toMatchObject({ precision: 0.75, recall: 0.6, support: 5 });
    expect(r.perClass[2]).toEqual({ precision: 0, recall: 0, f1: 0, support: 0 });
    // class 2 never occurs: macro averages are over classes 0 and 1
    expect(r.macro.recall).toBeCloseTo((5 / 6 + 0.6) / 2, 12);
  });

  it('builds the confusion matrix from labels and predictions', () => {
    expect(confusionMatrix([0, 0, 1, 2], [0, 1, 1, 0], 3)).toEqual([
      [1, 1, 0],
      [0, 1, 0],
      [1, 0, 0],
    ]);
  });

  it.each([
    [1, 0.5],
    [2, 1],
  ])('top-%i accuracy', (k, expected) => {
    const scores = [0.1, 0.7, 0.2, 0.6, 0.3, 0.1];
    expect(topKAccuracy(scores, [2, 0], 3, k)).toBe(k === 1 ? 0.5 : expected);
    expect([...argmaxRows(scores, 3)]).toEqual([1, 0]);
    expect(topK([0.1, 0.7, 0.2], 2).map((t) => t.cls)).toEqual([1, 2]);
  });
});

describe('learning-rate schedules', () => {
  it.each([
    ['constant', {}, 250, 0.1],
    ['step', { gamma: 0.5, every: 1 }, 250, 0.025],
    ['exponential', { gamma: 0.5 }, 150, 0.1 * Math.pow(0.5, 1.5)],
    ['cosine', {}, 150, 0.05],
    ['cosine', { minLr: 0.01 }, 300, 0.01],
    ['constant', { warmupSteps: 10 }, 4, 0.05],
  ] as const)('%s %o at step %i', (kind, extra, step, expected) => {
    const lr = learningRate(0.1, { ...DEFAULT_SCHEDULE, kind, ...extra }, step, 100, 300);
    expect(lr).toBeCloseTo(expected, 12);
  });
});

describe('optimizers', () => {
  // One parameter w = 1 with gradient 0.5 (and weight decay 0.1 → g' = 0.6), two steps.
  it.each([
    ['sgd', 1 - 0.1 * 0.6 - 0.1 * (0.6 - 0.006)],
    ['momentum', NaN],
    ['adam', 1 - 0.1 - 0.1],
  ] as const)('%s follows its update rule', async (name, expected) => {
    const t = await cpuTf();
    const w = t.variable(t.scalar(1));
    const opt = new Optimizer(t, { ...DEFAULT_OPTIMIZER, name, weightDecay: 0.1 }, [
      { name: 'w', variable: w },
    ]);
    const step = () => {
      const g = t.tidy(() => t.scalar(0.5).add(0)); // constant gradient 0.5
      opt.apply([g], 0.1);
      g.dispose();
    };
    step();
    const w1 = w.dataSync()[0];
    step();
    const w2 = w.dataSync()[0];
    if (name === 'momentum') {
      // v1 = 0.6, w1 = 0.94; g2' = 0.5 + 0.094 = 0.594, v2 = 0.54 + 0.594 = 1.134, w2 = 0.94 − 0.1134
      expect(w1).toBeCloseTo(0.94, 6);
      expect(w2).toBeCloseTo(0.94 - 0.1134, 6);
    } else if (name === 'adam') {
      // Adam's first steps move by about lr whatever the gradient's size (bias-corrected m/√v ≈ 1)
      expect(w1).toBeCloseTo(0.9, 5);
      expect(w2).toBeCloseTo(expected, 4);
    } else {
      expect(w2).toBeCloseTo(expected, 6);
    }
    expect(opt.getState().step).toBe(2);
    opt.dispose();
    w.dispose();
  });

  it('clips by global norm', async () => {
    const t = await cpuTf();
    const grads = [t.tensor1d([3, 0]), t.tensor1d([0, 4])];
    const { grads: clipped, norm } = clipByGlobalNorm(t, grads, 1);
    expect(norm).toBeCloseTo(5, 6);
    expect([...clipped[0].dataSync(), ...clipped[1].dataSync()].map((v) => +v.toFixed(6))).toEqual([
      0.6, 0, 0, 0.8,
    ]);
    tf.dispose([...grads, ...clipped]);
  });
});
