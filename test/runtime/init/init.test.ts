/** Weight initialisation schemes: distributions, zero biases, determinism and independence of streams. */
import { describe, expect, it } from 'vitest';
import type { Node, Weight } from '../../../compiler/ir/graph.js';
import { initialValue, type InitScheme } from '../../../runtime/init.js';

function convNode(
  kh: number,
  kw: number,
  cin: number,
  cout: number,
): { node: Node; kernel: Weight; bias: Weight } {
  const kernel: Weight = { name: 'kernel', shape: [kh, kw, cin, cout], kind: 'param' };
  const bias: Weight = { name: 'bias', shape: [cout], kind: 'param' };
  const node = {
    id: 1,
    name: 'conv1',
    op: 'conv2d',
    attrs: {
      filters: cout,
      kernel: [kh, kw],
      stride: [1, 1],
      dilation: [1, 1],
      padding: { mode: 'valid' },
      groups: 1,
      bias: true,
    },
    inputs: [0],
    span: { file: 't.cnn', start: 0, end: 1 },
    frozen: false,
    weights: [kernel, bias],
  } as Node;
  return { node, kernel, bias };
}

function stats(x: Float32Array): { mean: number; std: number; min: number; max: number } {
  let s = 0;
  let min = Infinity;
  let max = -Infinity;
  for (const v of x) {
    s += v;
    min = Math.min(min, v);
    max = Math.max(max, v);
  }
  const mean = s / x.length;
  let q = 0;
  for (const v of x) q += (v - mean) ** 2;
  return { mean, std: Math.sqrt(q / x.length), min, max };
}

describe('initialisation schemes', () => {
  const { node, kernel, bias } = convNode(3, 3, 64, 128); // fan_in 576, Keras fan_out 1152
  const fanIn = 576;

  it.each([
    // scheme, expected std of the kernel, expected bound (null: unbounded), bias all zero
    ['default', 1 / Math.sqrt(fanIn) / Math.sqrt(3), 1 / Math.sqrt(fanIn), false],
    ['he', Math.sqrt(2 / fanIn), null, true],
    ['glorot', Math.sqrt(6 / (576 + 1152)) / Math.sqrt(3), Math.sqrt(6 / (576 + 1152)), true],
  ] as const)('%s: kernel std %f, bound %s', (scheme, std, bound, zeroBias) => {
    const k = stats(initialValue(node, kernel, 7, scheme as InitScheme));
    expect(Math.abs(k.mean)).toBeLessThan(0.02 * std * 10);
    expect(k.std / std).toBeGreaterThan(0.97);
    expect(k.std / std).toBeLessThan(1.03);
    if (bound !== null) {
      expect(k.max).toBeLessThanOrEqual(bound);
      expect(k.min).toBeGreaterThanOrEqual(-bound);
      expect(k.max).toBeGreaterThan(0.99 * bound);
    }
    const b = initialValue(node, bias, 7, scheme as InitScheme);
    expect(b.every((v) => v === 0)).toBe(zeroBias);
  });

  it('is deterministic for a seed and differs between seeds and weights', () => {
    const a = initialValue(node, kernel, 1, 'he');
    expect(initialValue(node, kernel, 1, 'he')).toEqual(a);
    expect(initialValue(node, kernel, 2, 'he')).not.toEqual(a);
  });
});
