/**
 * Activations: every ActivationFn against its textbook formula (GELU's Φ by numerical integration,
 * independent of erf.ts), gradients by finite differences away from the kinks, the derivative
 * conventions at the kinks (tfjs's), softmax stability, and erf itself.
 */
import { describe, expect, it } from 'vitest';
import type { ActivationAttrs } from '../../../compiler/ir/ops.js';
import { activationKernel } from '../../../runtime/reference/kernels/activation.js';
import { erf, normalCdf } from '../../../runtime/reference/kernels/erf.js';
import { cast, tensor } from '../../../runtime/reference/tensor.js';
import { gradCheck } from './gradcheck.js';
import { asKernel, awayFrom, ctxOf, maxDiff, opNode } from './op-node.js';

const act = asKernel(activationKernel);

/** ∫_a^b f by Simpson's rule with n (even) intervals. */
function simpson(f: (t: number) => number, a: number, b: number, n = 2000): number {
  const h = (b - a) / n;
  let s = f(a) + f(b);
  for (let i = 1; i < n; i++) s += (i % 2 ? 4 : 2) * f(a + i * h);
  return (s * h) / 3;
}

const phi = (t: number) => Math.exp(-0.5 * t * t) / Math.sqrt(2 * Math.PI);
const cdf = (x: number) => simpson(phi, -14, x, 4000);

interface ActCase {
  readonly attrs: ActivationAttrs;
  readonly kinks: readonly number[];
  readonly range: readonly [number, number];
  readonly f: (x: number) => number;
}

const CASES: readonly ActCase[] = [
  { attrs: { fn: 'relu' }, kinks: [0], range: [-3, 3], f: (x) => Math.max(0, x) },
  { attrs: { fn: 'relu6' }, kinks: [0, 6], range: [-2, 8], f: (x) => Math.min(6, Math.max(0, x)) },
  { attrs: { fn: 'leaky_relu' }, kinks: [0], range: [-3, 3], f: (x) => (x >= 0 ? x : 0.01 * x) },
  {
    attrs: { fn: 'leaky_relu', alpha: 0.2 },
    kinks: [0],
    range: [-3, 3],
    f: (x) => (x >= 0 ? x : 0.2 * x),
  },
  { attrs: { fn: 'elu' }, kinks: [0], range: [-3, 3], f: (x) => (x >= 0 ? x : Math.exp(x) - 1) },
  {
    attrs: { fn: 'elu', alpha: 0.5 },
    kinks: [0],
    range: [-3, 3],
    f: (x) => (x >= 0 ? x : 0.5 * (Math.exp(x) - 1)),
  },
  {
    attrs: { fn: 'tanh' },
    kinks: [],
    range: [-3, 3],
    f: (x) => (Math.exp(2 * x) - 1) / (Math.exp(2 * x) + 1),
  },
  { attrs: { fn: 'sigmoid' }, kinks: [], range: [-6, 6], f: (x) => 1 / (1 + Math.exp(-x)) },
  { attrs: { fn: 'linear' }, kinks: [], range: [-3, 3], f: (x) => x },
  { attrs: { fn: 'gelu' }, kinks: [], range: [-5, 5], f: (x) => x * cdf(x) },
];

const label = (a: ActivationAttrs) => (a.alpha === undefined ? a.fn : `${a.fn} alpha ${a.alpha}`);

describe('activation', () => {
  it.each(CASES.map((c) => ({ ...c, name: label(c.attrs) })))(
    '$name: forward values and finite-difference gradients',
    ({ attrs, kinks, range, f }) => {
      const node = opNode('activation', attrs);
      const x = awayFrom([2, 3, 4], 3, kinks, range[0], range[1]);
      const y = act(node, [x], {}, ctxOf()).output;
      expect(y.shape).toEqual(x.shape);
      expect(maxDiff(y.data, [...x.data].map(f))).toBeLessThan(1e-12);
      const r = gradCheck(act, node, [x]);
      expect(r.mismatches).toEqual([]);
      expect(r.checked).toBe(24);
      const y32 = act(node, [cast(x, 'float32')], {}, ctxOf()).output;
      expect(y32.data).toBeInstanceOf(Float32Array);
      expect(maxDiff(y32.data, y.data)).toBeLessThan(1e-5);
    },
  );

  it('softmax normalises over the last axis; its gradient matches finite differences', () => {
    const node = opNode('activation', { fn: 'softmax' });
    const x = awayFrom([3, 5], 9, [], -2, 2);
    const y = act(node, [x], {}, ctxOf()).output;
    for (let r = 0; r < 3; r++) {
      const row = [...x.data.slice(r * 5, r * 5 + 5)];
      const total = row.reduce((a, v) => a + Math.exp(v), 0);
      expect(
        maxDiff(
          y.data.slice(r * 5, r * 5 + 5),
          row.map((v) => Math.exp(v) / total),
        ),
      ).toBeLessThan(1e-15);
    }
    expect(gradCheck(act, node, [x]).mismatches).toEqual([]);
    const node4 = opNode('activation', { fn: 'softmax' });
    expect(gradCheck(act, node4, [awayFrom([2, 2, 2, 3], 4, [])]).mismatches).toEqual([]);
  });

  it('softmax is stable for huge logits', () => {
    const node = opNode('activation', { fn: 'softmax' });
    const big = act(node, [tensor([1000, 1001, 1002, -1000, -1001, -1002], [2, 3])], {}, ctxOf());
    const small = act(node, [tensor([0, 1, 2, 2, 1, 0], [2, 3])], {}, ctxOf());
    expect(maxDiff(big.output.data, small.output.data)).toBeLessThan(1e-7);
  });

  it.each([
    { fn: 'relu', x: 0, slope: 0 },
    { fn: 'relu6', x: 0, slope: 0 },
    { fn: 'relu6', x: 6, slope: 1 },
    { fn: 'leaky_relu', alpha: 0.3, x: 0, slope: 0.3 },
    { fn: 'elu', alpha: 0.7, x: 0, slope: 0.7 },
  ] as const)('derivative of $fn at its kink $x is $slope (tfjs)', ({ x, slope, ...attrs }) => {
    const r = act(opNode('activation', attrs), [tensor([x], [1, 1], 'float64')], {}, ctxOf());
    expect(r.backward(tensor([1], [1, 1], 'float64')).inputs[0]!.data[0]).toBeCloseTo(slope, 15);
  });

  it('linear returns the input; gradients are fresh buffers; unwanted gradients are null', () => {
    const x = tensor([1, -2, 3], [1, 3], 'float64');
    const dy = tensor([4, 5, 6], [1, 3], 'float64');
    const lin = act(opNode('activation', { fn: 'linear' }), [x], {}, ctxOf());
    const dx = lin.backward(dy).inputs[0]!;
    expect([...dx.data]).toEqual([4, 5, 6]);
    expect(dx.data).not.toBe(dy.data);
    const ctx = { ...ctxOf(), needInputGrad: [false] };
    expect(act(opNode('activation', { fn: 'tanh' }), [x], {}, ctx).backward(dy).inputs).toEqual([
      null,
    ]);
  });
});

describe('activation derivatives at kinks, from another engine (cnnc verify)', () => {
  // Largest |x| is 4, so the band around a kink is 1e-4 · 4 = 4e-4.
  const x = tensor([4, 2e-4, -2e-4, 3e-4, -1e-3, 6 - 1e-4, 0], [1, 7]);
  const dy = tensor([1, 1, 1, 1, 1, 1, 1], [1, 7]);
  const dxOf = (attrs: ActivationAttrs, other: number[] | null) => {
    let taken = 0;
    const ctx = {
      ...ctxOf(),
      branchInput: other ? Float32Array.from(other) : undefined,
      branchTaken: (n: number) => (taken += n),
    };
    const r = act(opNode('activation', attrs), [x], {}, ctx);
    return { dx: [...r.backward(dy).inputs[0]!.data], taken };
  };

  it('takes the other side only within rounding of a kink, and counts the changes', () => {
    // The other engine saw the two inputs near 0 on the other side, and -1e-3 (outside the band)
    // on the positive side: only the first two follow it.
    const other = [4, -1e-7, 1e-7, 3e-4, 5e-3, 6 - 1e-4, 0];
    expect(dxOf({ fn: 'relu' }, null)).toEqual({ dx: [1, 1, 0, 1, 0, 1, 0], taken: 0 });
    expect(dxOf({ fn: 'relu' }, other)).toEqual({ dx: [1, 0, 1, 1, 0, 1, 0], taken: 2 });
    expect(dxOf({ fn: 'leaky_relu', alpha: 0.5 }, other)).toEqual({
      dx: [1, 0.5, 1, 1, 0.5, 1, 0.5],
      taken: 2,
    });
  });

  it('applies to relu6 at 6 too, and not to smooth activations', () => {
    const other = [4, 2e-4, -2e-4, 3e-4, -1e-3, 6 + 1e-5, 0];
    expect(dxOf({ fn: 'relu6' }, other)).toEqual({ dx: [1, 1, 0, 1, 0, 0, 0], taken: 1 });
    const smooth = dxOf({ fn: 'tanh' }, [0, 0, 0, 0, 0, 0, 0]);
    expect(smooth.taken).toBe(0);
    expect(smooth.dx).toEqual(dxOf({ fn: 'tanh' }, null).dx);
  });
});

describe('erf', () => {
  const grid = Array.from({ length: 49 }, (_, i) => -6 + i * 0.25 + 0.01);

  it('matches 2/√π ∫₀ˣ e^(−t²) dt over [−6, 6] and is odd', () => {
    for (const x of grid) {
      const want = (2 / Math.sqrt(Math.PI)) * simpson((t) => Math.exp(-t * t), 0, x);
      expect(Math.abs(erf(x) - want)).toBeLessThan(1e-13);
      expect(erf(-x)).toBe(-erf(x));
    }
    expect(erf(0)).toBe(0);
    expect(erf(Infinity)).toBe(1);
    expect(Number.isNaN(erf(NaN))).toBe(true);
  });

  it('normalCdf keeps relative accuracy in the lower tail', () => {
    for (const x of [-12, -9, -7.5, -5, -3.6, -2]) {
      const want = simpson(phi, x - 12, x, 20000);
      expect(Math.abs(normalCdf(x) - want) / want).toBeLessThan(1e-10);
    }
  });
});
