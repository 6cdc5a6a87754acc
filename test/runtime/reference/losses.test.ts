/**
 * Losses of the reference executor (semantics of runtime/train/losses.ts): values against naive
 * formulas, gradients by finite differences (each loss wrapped as a one-output kernel for gradCheck),
 * log-sum-exp stability, binary clipping, k = 1 targets, and the prediction helpers.
 */
import { describe, expect, it } from 'vitest';
import type { Kernel } from '../../../runtime/reference/kernel.js';
import {
  binaryLoss,
  categoricalLoss,
  classScores,
  countCorrect,
  type LossFn,
  lossAndGrad,
  mseLoss,
  predictions,
} from '../../../runtime/reference/losses.js';
import { cast, type Tensor, tensor } from '../../../runtime/reference/tensor.js';
import { gradCheck } from './gradcheck.js';
import { maxDiff, opNode, randomTensor } from './op-node.js';

/** A loss as a kernel with output [loss], so gradCheck differentiates it. */
function lossKernel(fn: LossFn, labels: Int32Array): Kernel {
  return (_node, [x]) => {
    const r = fn(x, labels);
    return {
      output: tensor([r.loss], [1], 'float64'),
      backward: (dy) => ({
        inputs: [{ shape: r.grad.shape, data: r.grad.data.map((g) => g * dy.data[0]) }],
        weights: {},
      }),
    };
  };
}

const dummy = opNode('activation', { fn: 'linear' });

/** Targets: one-hot rows when k > 1, the label when k = 1. */
const targetOf = (k: number, label: number, j: number) => (k === 1 ? label : j === label ? 1 : 0);

function naive(kind: 'categorical' | 'binary' | 'mse', x: Tensor, labels: Int32Array): number {
  const n = x.shape[0];
  const k = x.data.length / n;
  let total = 0;
  for (let i = 0; i < n; i++) {
    const row = [...x.data.slice(i * k, (i + 1) * k)];
    if (kind === 'categorical') {
      const z = row.reduce((a, v) => a + Math.exp(v), 0);
      total -= row.reduce(
        (a, v, j) => a + targetOf(k, labels[i], j) * Math.log(Math.exp(v) / z),
        0,
      );
      continue;
    }
    row.forEach((v, j) => {
      const t = targetOf(k, labels[i], j);
      if (kind === 'mse') total += (v - t) ** 2;
      else {
        const p = Math.min(Math.max(v, 1e-7), 1 - 1e-7);
        total -= t * Math.log(p) + (1 - t) * Math.log(1 - p);
      }
    });
  }
  return kind === 'categorical' ? total / n : total / (n * k);
}

const FNS = { categorical: categoricalLoss, binary: binaryLoss, mse: mseLoss } as const;

describe('losses', () => {
  it.each([
    { kind: 'categorical', k: 5, labels: [0, 4, 2] },
    { kind: 'categorical', k: 1, labels: [1, 0] },
    { kind: 'binary', k: 1, labels: [1, 0, 1, 1] },
    { kind: 'binary', k: 3, labels: [2, 0, 1] },
    { kind: 'mse', k: 4, labels: [3, 1] },
    { kind: 'mse', k: 1, labels: [0, 1, 1] },
  ] as const)('$kind with $k outputs: value and gradient', ({ kind, k, labels }) => {
    const y = Int32Array.from(labels);
    const x =
      kind === 'binary'
        ? randomTensor([y.length, k], 3, 0.05, 0.95)
        : randomTensor([y.length, k], 3, -3, 3);
    const r = lossAndGrad(kind, x, y);
    expect(r.loss).toBeCloseTo(naive(kind, x, y), 12);
    expect(r.grad.shape).toEqual(x.shape);
    const check = gradCheck(lossKernel(FNS[kind], y), dummy, [x]);
    expect(check.mismatches).toEqual([]);
  });

  it('categorical cross-entropy is stable for huge logits (log-sum-exp)', () => {
    const x = tensor([1000, 0, -1000, -1000, 0, 1000], [2, 3], 'float64');
    const r = categoricalLoss(x, Int32Array.from([1, 2]));
    // Row 0: −log softmax₁ = log(e^1000 + 1 + e^-1000) ≈ 1000; row 1: ≈ log(1 + e^-1000 + e^-2000) ≈ 0.
    expect(r.loss).toBeCloseTo(1000 / 2, 9);
    expect([...r.grad.data].every(Number.isFinite)).toBe(true);
    expect(r.grad.data[0]).toBeCloseTo(1 / 2, 12);
    expect(r.grad.data[1]).toBeCloseTo(-1 / 2, 12);
  });

  it('binary cross-entropy clips probabilities to [1e-7, 1 − 1e-7], with no gradient outside', () => {
    const x = tensor([0, 1, 0.5], [3, 1], 'float64');
    const r = binaryLoss(x, Int32Array.from([1, 0, 1]));
    expect(r.loss).toBeCloseTo((-2 * Math.log(1e-7) - Math.log(0.5)) / 3, 9);
    expect(r.grad.data[0]).toBe(0);
    expect(r.grad.data[1]).toBe(0);
    expect(r.grad.data[2]).toBeCloseTo(-1 / 0.5 / 3, 12);
  });

  it('float32 outputs give float32 gradients and the same loss', () => {
    const x = randomTensor([4, 3], 7);
    const y = Int32Array.from([0, 1, 2, 1]);
    const r32 = mseLoss(cast(x, 'float32'), y);
    expect(r32.grad.data).toBeInstanceOf(Float32Array);
    expect(r32.loss).toBeCloseTo(mseLoss(x, y).loss, 6);
  });

  it('labels outside 0…k−1 or of the wrong count are the caller’s bug: they throw', () => {
    const x = randomTensor([2, 3], 1);
    expect(() => categoricalLoss(x, Int32Array.from([0, 3]))).toThrow(RangeError);
    expect(() => mseLoss(x, Int32Array.from([0]))).toThrow();
  });
});

describe('prediction helpers', () => {
  it('predictions: first argmax, or output > 0.5 for one output; countCorrect counts hits', () => {
    const x = tensor([0.1, 0.7, 0.7, 3, -1, 2], [2, 3]);
    expect([...predictions(x)]).toEqual([1, 0]);
    expect(countCorrect(x, Int32Array.from([1, 2]))).toBe(1);
    const p = tensor([0.2, 0.5, 0.9], [3, 1]);
    expect([...predictions(p)]).toEqual([0, 0, 1]);
    expect(countCorrect(p, Int32Array.from([0, 1, 1]))).toBe(2);
  });

  it('classScores: softmax of logits, outputs as they are, [1 − p, p] for one output', () => {
    const logits = tensor([1, 2, 3], [1, 3], 'float64');
    const z = Math.exp(1) + Math.exp(2) + Math.exp(3);
    const s = classScores(logits, true);
    expect(s.classes).toBe(3);
    expect(
      maxDiff(
        s.scores,
        [1, 2, 3].map((v) => Math.exp(v) / z),
      ),
    ).toBeLessThan(1e-7);
    expect([...classScores(logits, false).scores]).toEqual([1, 2, 3]);
    const one = classScores(tensor([0.25], [1, 1]), false);
    expect(one).toEqual({ scores: Float32Array.from([0.75, 0.25]), classes: 2 });
  });
});

describe('gradCheck sanity', () => {
  it('catches a wrong gradient (the loss harness can fail)', () => {
    const wrong: LossFn = (x, y) => {
      const r = mseLoss(x, y);
      return {
        loss: r.loss,
        grad: { shape: r.grad.shape, data: r.grad.data.map((g) => 1.01 * g) },
      };
    };
    const x = randomTensor([2, 3], 2);
    expect(
      gradCheck(lossKernel(wrong, Int32Array.from([0, 1])), dummy, [x]).mismatches.length,
    ).toBeGreaterThan(0);
  });
});
