/**
 * Batch norm (training with batch statistics and moving-statistic updates, inference, frozen,
 * affine false) and local response norm: values against independent computations, gradients
 * against finite differences.
 */
import { describe, expect, it } from 'vitest';
import { batchNormKernel, lrnKernel } from '../../../runtime/reference/kernels/norm.js';
import { cast, type Tensor } from '../../../runtime/reference/tensor.js';
import { gradCheck } from './gradcheck.js';
import { asKernel, ctxOf, maxDiff, opNode, randomTensor } from './op-node.js';

const bn = asKernel(batchNormKernel);
const lrn = asKernel(lrnKernel);

interface BnCase {
  readonly name: string;
  readonly shape: readonly number[];
  readonly training: boolean;
  readonly frozen: boolean;
  readonly affine: boolean;
}

const BN_CASES: readonly BnCase[] = [
  { name: 'training', shape: [3, 4, 5, 3], training: true, frozen: false, affine: true },
  {
    name: 'training, affine false',
    shape: [2, 3, 3, 4],
    training: true,
    frozen: false,
    affine: false,
  },
  { name: 'training on [N, L, C]', shape: [4, 6, 2], training: true, frozen: false, affine: true },
  { name: 'training on [N, C]', shape: [5, 3], training: true, frozen: false, affine: true },
  { name: 'inference', shape: [2, 3, 4, 3], training: false, frozen: false, affine: true },
  {
    name: 'inference, affine false',
    shape: [2, 3, 4, 3],
    training: false,
    frozen: false,
    affine: false,
  },
  { name: 'frozen in training', shape: [2, 3, 4, 3], training: true, frozen: true, affine: true },
];

function bnSetup(c: BnCase, seed: number) {
  const C = c.shape[c.shape.length - 1];
  const x = randomTensor(c.shape, seed, -2, 3);
  const params: Record<string, Tensor> = c.affine
    ? { gamma: randomTensor([C], seed + 1, 0.5, 2), beta: randomTensor([C], seed + 2) }
    : {};
  const buffers = {
    moving_mean: randomTensor([C], seed + 3),
    moving_variance: randomTensor([C], seed + 4, 0.5, 2),
  };
  const node = opNode(
    'batch_norm',
    { epsilon: 1e-3, momentum: 0.1, affine: c.affine },
    { frozen: c.frozen },
  );
  return { C, x, params, buffers, node };
}

/** Per-channel values of an [..., C] tensor. */
function channel(x: Tensor, c: number): number[] {
  const C = x.shape[x.shape.length - 1];
  return Array.from({ length: x.data.length / C }, (_, i) => x.data[i * C + c]);
}

describe('batch_norm', () => {
  it.each(BN_CASES)('$name: forward and buffers against an independent computation', (c) => {
    const { C, x, params, buffers, node } = bnSetup(c, 21);
    const r = bn(node, [x], { ...params, ...buffers }, ctxOf(c.training));
    const batch = c.training && !c.frozen;
    for (let ch = 0; ch < C; ch++) {
      const v = channel(x, ch);
      const m = v.length;
      const mean = v.reduce((a, b) => a + b) / m;
      // Σx² / m − mean²: another formula for the biased variance.
      const biased = v.reduce((a, b) => a + b * b, 0) / m - mean * mean;
      const mu = batch ? mean : buffers.moving_mean.data[ch];
      const variance = batch ? biased : buffers.moving_variance.data[ch];
      const g = c.affine ? params.gamma.data[ch] : 1;
      const b = c.affine ? params.beta.data[ch] : 0;
      const want = v.map((val) => (g * (val - mu)) / Math.sqrt(variance + 1e-3) + b);
      expect(maxDiff(channel(r.output, ch), want)).toBeLessThan(1e-10);
      if (batch) {
        const unbiased = v.reduce((a, val) => a + (val - mean) ** 2, 0) / (m - 1);
        const mm = 0.9 * buffers.moving_mean.data[ch] + 0.1 * mean;
        const mv = 0.9 * buffers.moving_variance.data[ch] + 0.1 * unbiased;
        expect(r.buffers!.moving_mean.data[ch]).toBeCloseTo(mm, 12);
        expect(r.buffers!.moving_variance.data[ch]).toBeCloseTo(mv, 12);
      }
    }
    if (batch)
      expect(Object.keys(r.buffers ?? {}).sort()).toEqual(['moving_mean', 'moving_variance']);
    else expect(r.buffers).toBeUndefined();
  });

  it.each(BN_CASES)('$name: gradients match finite differences', (c) => {
    const { x, params, buffers, node } = bnSetup(c, 33);
    const r = gradCheck(bn, node, [x], params, buffers, { training: c.training });
    expect(r.mismatches).toEqual([]);
    expect(r.checked).toBe(x.data.length + 2 * (c.affine ? x.shape[x.shape.length - 1] : 0));
  });

  it('training output has zero mean and unit (biased) variance per channel before gamma/beta', () => {
    const c = BN_CASES[1];
    const { C, x, buffers, node } = bnSetup(c, 5);
    const y = bn(node, [x], buffers, ctxOf(true)).output;
    for (let ch = 0; ch < C; ch++) {
      const v = channel(y, ch);
      const mean = v.reduce((a, b) => a + b) / v.length;
      const variance = v.reduce((a, b) => a + (b - mean) ** 2, 0) / v.length;
      expect(Math.abs(mean)).toBeLessThan(1e-12);
      // Variance σ²/(σ² + ε) of the normalised values.
      const xv = channel(x, ch);
      const xm = xv.reduce((a, b) => a + b) / xv.length;
      const s2 = xv.reduce((a, b) => a + (b - xm) ** 2, 0) / xv.length;
      expect(variance).toBeCloseTo(s2 / (s2 + 1e-3), 12);
    }
  });

  it('float32 in, float32 out, agreeing with float64', () => {
    const c = BN_CASES[0];
    const { x, params, buffers, node } = bnSetup(c, 8);
    const w = { ...params, ...buffers };
    const w32 = Object.fromEntries(Object.entries(w).map(([k, t]) => [k, cast(t, 'float32')]));
    const r64 = bn(node, [x], w, ctxOf(true));
    const r32 = bn(node, [cast(x, 'float32')], w32, ctxOf(true));
    expect(r32.output.data).toBeInstanceOf(Float32Array);
    expect(maxDiff(r32.output.data, r64.output.data)).toBeLessThan(1e-5);
    expect(
      maxDiff(r32.buffers!.moving_variance.data, r64.buffers!.moving_variance.data),
    ).toBeLessThan(1e-5);
  });
});

describe('lrn', () => {
  const LRN = [
    { size: 5, channels: 7, alpha: 1e-1, beta: 0.75, k: 2 },
    { size: 4, channels: 7, alpha: 0.5, beta: 0.75, k: 1 },
    { size: 3, channels: 2, alpha: 0.3, beta: 0.5, k: 1 },
    { size: 6, channels: 3, alpha: 1, beta: 1.5, k: 0.5 },
    { size: 1, channels: 4, alpha: 0.2, beta: 0.75, k: 1 },
  ];

  it.each(LRN)('size $size over $channels channels', ({ size, channels, alpha, beta, k }) => {
    const node = opNode('lrn', { size, alpha, beta, k });
    const x = randomTensor([2, 3, 2, channels], 40 + size, -2, 2);
    const y = lrn(node, [x], {}, ctxOf()).output;
    const want: number[] = [];
    for (let i = 0; i < x.data.length; i += channels) {
      for (let c = 0; c < channels; c++) {
        let s = 0;
        for (let j = c - Math.floor(size / 2); j <= c + Math.floor((size - 1) / 2); j++) {
          if (j >= 0 && j < channels) s += x.data[i + j] ** 2;
        }
        want.push(x.data[i + c] / (k + (alpha / size) * s) ** beta);
      }
    }
    expect(maxDiff(y.data, want)).toBeLessThan(1e-12);
    expect(gradCheck(lrn, node, [x]).mismatches).toEqual([]);
  });

  it('works on [N, L, C] in float32', () => {
    const node = opNode('lrn', { size: 3, alpha: 1e-4, beta: 0.75, k: 2 });
    const x = randomTensor([2, 5, 4], 3);
    const y64 = lrn(node, [x], {}, ctxOf()).output;
    const y32 = lrn(node, [cast(x, 'float32')], {}, ctxOf()).output;
    expect(y32.data).toBeInstanceOf(Float32Array);
    expect(maxDiff(y32.data, y64.data)).toBeLessThan(1e-6);
  });
});
