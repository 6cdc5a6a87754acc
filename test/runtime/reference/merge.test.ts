/** add, multiply and concat over one to three inputs: values and gradients. */
import { describe, expect, it } from 'vitest';
import {
  addKernel,
  concatKernel,
  multiplyKernel,
} from '../../../runtime/reference/kernels/merge.js';
import { cast, tensor } from '../../../runtime/reference/tensor.js';
import { gradCheck } from './gradcheck.js';
import { asKernel, ctxOf, maxDiff, opNode, randomTensor } from './op-node.js';

const add = asKernel(addKernel);
const mul = asKernel(multiplyKernel);
const cat = asKernel(concatKernel);

describe('add and multiply', () => {
  it.each(
    [1, 2, 3].flatMap((count) => (['add', 'multiply'] as const).map((op) => ({ op, count }))),
  )('$op of $count inputs', ({ op, count }) => {
    const xs = Array.from({ length: count }, (_, i) => randomTensor([2, 3, 2, 2], 10 + i));
    const node = opNode(op, {}, { inputs: count });
    const k = op === 'add' ? add : mul;
    const y = k(node, xs, {}, ctxOf(false, count)).output;
    const want = xs[0].data.map((_, j) =>
      xs.reduce(
        (acc, x) => (op === 'add' ? acc + x.data[j] : acc * x.data[j]),
        op === 'add' ? 0 : 1,
      ),
    );
    expect(maxDiff(y.data, want)).toBeLessThan(1e-15);
    const r = gradCheck(k, node, xs);
    expect(r.mismatches).toEqual([]);
    expect(r.checked).toBe(24 * count);
  });

  it('multiply gradients are right where another input is zero', () => {
    const a = tensor([0, 2, 3], [1, 3], 'float64');
    const b = tensor([4, 0, 6], [1, 3], 'float64');
    const r = mul(opNode('multiply', {}, { inputs: 2 }), [a, b], {}, ctxOf(false, 2));
    const [da, db] = r.backward(tensor([1, 1, 1], [1, 3], 'float64')).inputs;
    expect([...da!.data]).toEqual([4, 0, 6]);
    expect([...db!.data]).toEqual([0, 2, 3]);
  });

  it('add returns a separate gradient per input (the same node may feed two of them)', () => {
    const x = randomTensor([2, 2], 1);
    const r = add(opNode('add', {}, { inputs: 2 }), [x, x], {}, ctxOf(false, 2));
    const [d0, d1] = r.backward(randomTensor([2, 2], 2)).inputs;
    expect(d0!.data).not.toBe(d1!.data);
  });

  it('shape mismatches are our bug: they throw', () => {
    const node = opNode('add', {}, { inputs: 2 });
    expect(() =>
      add(node, [randomTensor([1, 3], 1), randomTensor([1, 4], 2)], {}, ctxOf(false, 2)),
    ).toThrow();
  });
});

describe('concat', () => {
  it.each([
    {
      shapes: [
        [2, 3, 3, 2],
        [2, 3, 3, 1],
        [2, 3, 3, 4],
      ],
    },
    {
      shapes: [
        [2, 5, 3],
        [2, 5, 2],
      ],
    },
    { shapes: [[3, 4]] },
  ])('on the last axis of $shapes', ({ shapes }) => {
    const xs = shapes.map((s, i) => randomTensor(s, 20 + i));
    const node = opNode('concat', { axis: -1 }, { inputs: xs.length });
    const y = cat(node, xs, {}, ctxOf(false, xs.length)).output;
    const widths = shapes.map((s) => s[s.length - 1]);
    const total = widths.reduce((a, b) => a + b);
    expect(y.shape).toEqual([...shapes[0].slice(0, -1), total]);
    const rows = y.data.length / total;
    const want: number[] = [];
    for (let r = 0; r < rows; r++)
      xs.forEach((x, i) => want.push(...x.data.slice(r * widths[i], (r + 1) * widths[i])));
    expect([...y.data]).toEqual(want);
    expect(gradCheck(cat, node, xs).mismatches).toEqual([]);
  });

  it('float32 in, float32 out; skips unwanted gradients', () => {
    const xs = [cast(randomTensor([2, 2], 1), 'float32'), cast(randomTensor([2, 3], 2), 'float32')];
    const node = opNode('concat', { axis: -1 }, { inputs: 2 });
    const r = cat(node, xs, {}, { ...ctxOf(false, 2), needInputGrad: [false, true] });
    expect(r.output.data).toBeInstanceOf(Float32Array);
    const [d0, d1] = r.backward(r.output).inputs;
    expect(d0).toBeNull();
    expect([...d1!.data]).toEqual([...xs[1].data]);
  });
});
