/** Dense: forward against a naive dot product, gradients of input, kernel and bias. */
import { describe, expect, it } from 'vitest';
import { denseKernel } from '../../../runtime/reference/kernels/dense.js';
import { cast, type Tensor } from '../../../runtime/reference/tensor.js';
import { gradCheck } from './gradcheck.js';
import { asKernel, ctxOf, maxDiff, opNode, randomTensor } from './op-node.js';

const dense = asKernel(denseKernel);

describe('dense', () => {
  it.each([
    { n: 3, fanIn: 5, units: 4, bias: true },
    { n: 2, fanIn: 7, units: 1, bias: false },
    { n: 1, fanIn: 1, units: 6, bias: true },
  ])('[$n, $fanIn] · [$fanIn, $units], bias $bias', ({ n, fanIn, units, bias }) => {
    const node = opNode('dense', { units, bias });
    const x = randomTensor([n, fanIn], 1);
    const params: Record<string, Tensor> = { kernel: randomTensor([fanIn, units], 2) };
    if (bias) params.bias = randomTensor([units], 3);
    const y = dense(node, [x], params, ctxOf()).output;
    expect(y.shape).toEqual([n, units]);
    const want: number[] = [];
    for (let r = 0; r < n; r++) {
      for (let j = 0; j < units; j++) {
        let s = bias ? params.bias.data[j] : 0;
        for (let i = 0; i < fanIn; i++)
          s += x.data[r * fanIn + i] * params.kernel.data[i * units + j];
        want.push(s);
      }
    }
    expect(maxDiff(y.data, want)).toBeLessThan(1e-14);
    const r = gradCheck(dense, node, [x], params);
    expect(r.mismatches).toEqual([]);
    expect(r.checked).toBe(n * fanIn + fanIn * units + (bias ? units : 0));
  });

  it('float32 in, float32 out; no input gradient when it is not wanted', () => {
    const node = opNode('dense', { units: 3, bias: true });
    const x = randomTensor([2, 4], 5);
    const w = { kernel: randomTensor([4, 3], 6), bias: randomTensor([3], 7) };
    const w32 = { kernel: cast(w.kernel, 'float32'), bias: cast(w.bias, 'float32') };
    const r64 = dense(node, [x], w, ctxOf());
    const r32 = dense(node, [cast(x, 'float32')], w32, { ...ctxOf(), needInputGrad: [false] });
    expect(r32.output.data).toBeInstanceOf(Float32Array);
    expect(maxDiff(r32.output.data, r64.output.data)).toBeLessThan(1e-6);
    const g = r32.backward(r32.output);
    expect(g.inputs).toEqual([null]);
    expect(Object.keys(g.weights).sort()).toEqual(['bias', 'kernel']);
  });

  it.each([
    { rows: 13, fanIn: 37, units: 11 },
    { rows: 130, fanIn: 150, units: 9 },
  ])('float32 (packed GEMM) agrees with float64 loops: [$rows, $fanIn] · [$fanIn, $units]', (c) => {
    const node = opNode('dense', { units: c.units, bias: true });
    const x = randomTensor([c.rows, c.fanIn], 8);
    const w = { kernel: randomTensor([c.fanIn, c.units], 9), bias: randomTensor([c.units], 10) };
    const dy = randomTensor([c.rows, c.units], 11);
    const f32 = (t: Tensor) => cast(t, 'float32');
    const r64 = dense(node, [x], w, ctxOf());
    const r32 = dense(node, [f32(x)], { kernel: f32(w.kernel), bias: f32(w.bias) }, ctxOf());
    expect(r32.output.data).toBeInstanceOf(Float32Array);
    expect(maxDiff(r32.output.data, r64.output.data)).toBeLessThan(1e-5);
    const g64 = r64.backward(dy);
    const g32 = r32.backward(f32(dy));
    expect(maxDiff(g32.inputs[0]!.data, g64.inputs[0]!.data)).toBeLessThan(1e-5);
    expect(maxDiff(g32.weights.kernel.data, g64.weights.kernel.data)).toBeLessThan(1e-4);
    expect(maxDiff(g32.weights.bias.data, g64.weights.bias.data)).toBeLessThan(1e-4);
  });

  it('rejects a kernel that does not fit the input', () => {
    const node = opNode('dense', { units: 3, bias: false });
    expect(() =>
      dense(node, [randomTensor([2, 4], 1)], { kernel: randomTensor([5, 3], 2) }, ctxOf()),
    ).toThrow(/does not fit/);
  });
});
