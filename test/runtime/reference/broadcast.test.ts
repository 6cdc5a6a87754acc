/**
 * Broadcasting merges (issue 12): add and multiply of a [C] or [1, 1, C] gate with an [H, W, C]
 * map, and highway's t·h + (1 − t)·x with a full or broadcast gate — values against a naive loop,
 * gradients against finite differences.
 */
import { describe, expect, it } from 'vitest';
import {
  addKernel,
  highwayKernel,
  multiplyKernel,
} from '../../../runtime/reference/kernels/merge.js';
import { gradCheck } from './gradcheck.js';
import { asKernel, ctxOf, maxDiff, opNode, randomTensor } from './op-node.js';

const add = asKernel(addKernel);
const mul = asKernel(multiplyKernel);
const highway = asKernel(highwayKernel);

/** Batch 2 of a 3x2 map with 4 channels; the index of (n, h, w, c), and of a gate's (n, c). */
const MAP = [2, 3, 2, 4];
const at = (n: number, h: number, w: number, c: number) => ((n * 3 + h) * 2 + w) * 4 + c;

describe('broadcasting add and multiply', () => {
  it.each([
    { gate: [2, 4], title: '[C]' },
    { gate: [2, 1, 1, 4], title: '[1, 1, C]' },
  ])('a $title gate times and plus an [H, W, C] map', ({ gate }) => {
    const x = randomTensor(MAP, 1);
    const g = randomTensor(gate, 2);
    for (const [k, op] of [
      [mul, 'multiply'],
      [add, 'add'],
    ] as const) {
      const node = opNode(op, {}, { inputs: 2 });
      const y = k(node, [x, g], {}, ctxOf(false, 2)).output;
      expect(y.shape).toEqual(MAP);
      const want: number[] = [];
      for (let n = 0; n < 2; n++)
        for (let h = 0; h < 3; h++)
          for (let w = 0; w < 2; w++)
            for (let c = 0; c < 4; c++) {
              const v = x.data[at(n, h, w, c)];
              const t = g.data[n * 4 + c];
              want.push(op === 'add' ? v + t : v * t);
            }
      expect(maxDiff(y.data, want)).toBeLessThan(1e-15);
      const r = gradCheck(k, node, [g, x]);
      expect(r.mismatches).toEqual([]);
      expect(r.checked).toBe(48 + 8);
    }
  });

  it('an [H, W, 1] map broadcast along the channels, three inputs', () => {
    const node = opNode('add', {}, { inputs: 3 });
    const xs = [randomTensor(MAP, 3), randomTensor([2, 3, 2, 1], 4), randomTensor([2, 4], 5)];
    const r = gradCheck(add, node, xs);
    expect(r.mismatches).toEqual([]);
    const m = gradCheck(mul, opNode('multiply', {}, { inputs: 3 }), xs);
    expect(m.mismatches).toEqual([]);
  });

  it('shapes that do not broadcast are our bug: they throw', () => {
    const node = opNode('add', {}, { inputs: 2 });
    expect(() =>
      add(node, [randomTensor(MAP, 1), randomTensor([2, 3], 2)], {}, ctxOf(false, 2)),
    ).toThrow();
  });
});

describe('highway', () => {
  it.each([
    { gate: MAP, title: 'a full gate' },
    { gate: [2, 4], title: 'a [C] gate' },
  ])('t·h + (1 − t)·x with $title', ({ gate }) => {
    const x = randomTensor(MAP, 6);
    const h = randomTensor(MAP, 7);
    const t = randomTensor(gate, 8, 0, 1);
    const node = opNode('highway', {}, { inputs: 3 });
    const y = highway(node, [x, h, t], {}, ctxOf(false, 3)).output;
    const want = x.data.map((v, i) => {
      const c = i % 4;
      const n = Math.floor(i / 24);
      const g = gate.length === 2 ? t.data[n * 4 + c] : t.data[i];
      return g * h.data[i] + (1 - g) * v;
    });
    expect(maxDiff(y.data, want)).toBeLessThan(1e-14);
    const r = gradCheck(highway, node, [x, h, t]);
    expect(r.mismatches).toEqual([]);
    expect(r.checked).toBe(48 + 48 + t.data.length);
  });
});
