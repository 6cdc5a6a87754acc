/** flatten, reshape, zero_pad, dropout and the input node: values and gradients. */
import { describe, expect, it } from 'vitest';
import {
  dropoutKernel,
  flattenKernel,
  inputKernel,
  reshapeKernel,
  zeroPadKernel,
} from '../../../runtime/reference/kernels/shape.js';
import { cast, tensor } from '../../../runtime/reference/tensor.js';
import { gradCheck } from './gradcheck.js';
import { asKernel, at4, ctxOf, maxDiff, opNode, randomTensor } from './op-node.js';

describe('flatten and reshape', () => {
  it('flatten keeps the row-major NHWC order', () => {
    const x = randomTensor([2, 3, 2, 4], 1);
    const k = asKernel(flattenKernel);
    const node = opNode('flatten', {});
    const y = k(node, [x], {}, ctxOf()).output;
    expect(y.shape).toEqual([2, 24]);
    for (let n = 0; n < 2; n++)
      for (let h = 0; h < 3; h++)
        for (let w = 0; w < 2; w++)
          for (let c = 0; c < 4; c++)
            expect(y.data[n * 24 + (h * 2 + w) * 4 + c]).toBe(x.data[at4(x.shape, n, h, w, c)]);
    expect(gradCheck(k, node, [x]).mismatches).toEqual([]);
  });

  it.each([
    { from: [2, 12], to: [3, 4], want: [2, 3, 4] },
    { from: [2, 3, 4], to: [-1, 2], want: [2, 6, 2] },
    { from: [1, 2, 2, 3], to: [4, -1], want: [1, 4, 3] },
  ])('reshape [$from] to [$to]', ({ from, to, want }) => {
    const k = asKernel(reshapeKernel);
    const node = opNode('reshape', { shape: to });
    const x = randomTensor(from, 2);
    const y = k(node, [x], {}, ctxOf()).output;
    expect(y.shape).toEqual(want);
    expect([...y.data]).toEqual([...x.data]);
    const r = gradCheck(k, node, [x]);
    expect(r.mismatches).toEqual([]);
  });

  it('reshape to a size that does not fit is our bug: it throws', () => {
    const node = opNode('reshape', { shape: [5, -1] });
    expect(() => asKernel(reshapeKernel)(node, [randomTensor([1, 12], 1)], {}, ctxOf())).toThrow();
  });

  it('gradients are fresh buffers (never the dy the executor passed in)', () => {
    const x = randomTensor([2, 6], 3);
    const dy = randomTensor([2, 6], 4);
    for (const [k, node] of [
      [asKernel(flattenKernel), opNode('flatten', {})],
      [asKernel(inputKernel), opNode('input', { shape: [6] })],
    ] as const) {
      const dx = k(node, [x], {}, ctxOf()).backward(dy).inputs[0]!;
      expect([...dx.data]).toEqual([...dy.data]);
      expect(dx.data).not.toBe(dy.data);
    }
  });
});

describe('zero_pad', () => {
  it.each([
    { shape: [2, 3, 4, 2], pads: [1, 2, 0, 3] },
    { shape: [1, 2, 2, 3], pads: [0, 0, 2, 1] },
    { shape: [2, 5, 3], pads: [2, 1] },
  ])('[$shape] pads [$pads]', ({ shape, pads }) => {
    const k = asKernel(zeroPadKernel);
    const node = opNode('zero_pad', { pads });
    const x = randomTensor(shape, 5);
    const y = k(node, [x], {}, ctxOf()).output;
    const s4 = shape.length === 4 ? shape : [shape[0], 1, shape[1], shape[2]];
    const p = shape.length === 4 ? pads : [0, 0, ...pads];
    const o4 = [s4[0], s4[1] + p[0] + p[1], s4[2] + p[2] + p[3], s4[3]];
    expect(y.shape).toEqual(shape.length === 4 ? o4 : [o4[0], o4[2], o4[3]]);
    for (let n = 0; n < o4[0]; n++)
      for (let h = 0; h < o4[1]; h++)
        for (let w = 0; w < o4[2]; w++)
          for (let c = 0; c < o4[3]; c++) {
            const [ih, iw] = [h - p[0], w - p[2]];
            const inside = ih >= 0 && ih < s4[1] && iw >= 0 && iw < s4[2];
            const want = inside ? x.data[at4(s4, n, ih, iw, c)] : 0;
            expect(y.data[at4(o4, n, h, w, c)]).toBe(want);
          }
    expect(gradCheck(k, node, [x]).mismatches).toEqual([]);
  });
});

describe('dropout', () => {
  const k = asKernel(dropoutKernel);

  it('is the identity in inference and at rate 0', () => {
    const x = randomTensor([4, 5], 1);
    expect(k(opNode('dropout', { rate: 0.5 }), [x], {}, ctxOf(false)).output.data).toBe(x.data);
    expect(k(opNode('dropout', { rate: 0 }), [x], {}, ctxOf(true)).output.data).toBe(x.data);
  });

  it('in training keeps each value with probability 1 − rate, scaled by 1 / (1 − rate)', () => {
    const rate = 0.3;
    const x = randomTensor([50, 40], 2, 0.5, 1.5);
    const y = k(opNode('dropout', { rate }), [x], {}, ctxOf(true, 1, 9)).output;
    let kept = 0;
    for (let i = 0; i < x.data.length; i++) {
      if (y.data[i] === 0) continue;
      kept++;
      expect(y.data[i]).toBeCloseTo(x.data[i] / (1 - rate), 12);
    }
    // 2000 Bernoulli(0.7) draws: mean 1400, standard deviation ~20.5.
    expect(Math.abs(kept - 1400)).toBeLessThan(100);
  });

  it('its training gradient matches finite differences (the same mask on every pass)', () => {
    const node = opNode('dropout', { rate: 0.4 });
    const r = gradCheck(k, node, [randomTensor([3, 7], 4)], {}, {}, { training: true });
    expect(r.mismatches).toEqual([]);
  });

  it('rate 1 drops everything; float32 stays float32', () => {
    const x = cast(randomTensor([2, 3], 5, 1, 2), 'float32');
    const r = k(opNode('dropout', { rate: 1 }), [x], {}, ctxOf(true));
    expect(r.output.data).toBeInstanceOf(Float32Array);
    expect(maxDiff(r.output.data, new Float32Array(6))).toBe(0);
    expect(
      maxDiff(r.backward(tensor([1, 1, 1, 1, 1, 1], [2, 3])).inputs[0]!.data, new Float32Array(6)),
    ).toBe(0);
  });
});
