/**
 * Finite-difference gradient checks (float64) of the four convolution kernels over their attribute
 * tables (conv-cases.ts): strides 1/2/3, every padding mode including asymmetric explicit pads,
 * dilation 2, groups 2, bias on and off, depthwise multipliers 1 and 2, transposed output padding.
 */
import { describe, expect, it } from 'vitest';
import { gradCheck } from './gradcheck.js';
import {
  conv1dInstances,
  conv2dInstances,
  depthwiseInstances,
  transposeInstances,
  type ConvInstance,
} from './conv-setup.js';

const titled = (xs: ConvInstance[]) => xs.map((c) => [c.title, c] as const);

describe.each([
  ['conv2d', conv2dInstances()],
  ['conv1d', conv1dInstances()],
  ['depthwise_conv2d', depthwiseInstances()],
  ['conv2d_transpose', transposeInstances()],
])('%s gradients', (_op, instances) => {
  it.each(titled(instances))('%s', (_t, c) => {
    const r = gradCheck(c.kernel, c.node, [c.x], c.params);
    expect(r.mismatches).toEqual([]);
    // Every element of the input and of each weight was differenced.
    const total = c.x.data.length + Object.values(c.params).reduce((s, t) => s + t.data.length, 0);
    expect(r.checked).toBe(total);
  });
});
