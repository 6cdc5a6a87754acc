import { describe, expect, it } from 'vitest';
import { OP_KINDS } from '../../../compiler/ir/ops.js';
import type { ReceptiveField } from '../../../compiler/ir/graph.js';
import { rfRules } from '../../../compiler/sema/receptive-field.js';
import type { IrBuilder } from '../../helpers/ir-builder.js';
import { analyseWith } from './analyze-helper.js';

type Build = (b: IrBuilder) => void;

function rf(size: readonly number[], jump: readonly number[], global = false): ReceptiveField {
  return { size, jump, global };
}

function basicBlock(b: IrBuilder, filters: number, stride: number): void {
  const x = b.nodes.length - 1;
  b.conv(filters, 3, { stride, padding: 1, bias: false });
  b.bn();
  b.relu();
  b.conv(filters, 3, { padding: 1, bias: false });
  const main = b.bn();
  let shortcut = x;
  if (stride !== 1) {
    b.conv(filters, 1, { stride, bias: false, from: x });
    shortcut = b.bn();
  }
  b.add([main, shortcut]);
  b.relu();
}

describe('receptive field', () => {
  const cases: readonly (readonly [string, Build, ReceptiveField])[] = [
    ['input', (b) => b.input(32, 32, 3), rf([1, 1], [1, 1])],
    ['input vector', (b) => b.input(10), rf([], [])],
    ['one 3x3 conv', (b) => (b.input(32, 32, 3), b.conv(8, 3)), rf([3, 3], [1, 1])],
    [
      'three 3x3 convs = 7',
      (b) => (b.input(32, 32, 3), b.conv(8, 3), b.conv(8, 3), b.conv(8, 3)),
      rf([7, 7], [1, 1]),
    ],
    [
      'dilated 3x3 = 5',
      (b) => (b.input(32, 32, 3), b.conv(8, 3, { dilation: 2 })),
      rf([5, 5], [1, 1]),
    ],
    [
      'stem 7x7 /2 + maxpool 3 /2',
      (b) => (
        b.input(224, 224, 3),
        b.conv(64, 7, { stride: 2, padding: 3 }),
        b.maxpool(3, { stride: 2, padding: 1 })
      ),
      rf([11, 11], [4, 4]),
    ],
    ['asymmetric kernel', (b) => (b.input(32, 32, 3), b.conv(8, [1, 7])), rf([1, 7], [1, 1])],
    [
      'conv1d',
      (b) => (b.input(101, 8), b.conv1d(8, 5, { stride: 2 }), b.conv1d(8, 3)),
      rf([9], [2]),
    ],
    [
      'elementwise ops keep it',
      (b) => (
        b.input(32, 32, 3),
        b.conv(8, 3),
        b.bn(),
        b.relu(),
        b.dropout(),
        b.zeroPad([1, 1, 1, 1])
      ),
      rf([3, 3], [1, 1]),
    ],
    [
      'transposed conv divides the jump',
      (b) => (b.input(32, 32, 3), b.conv(8, 2, { stride: 2 }), b.transpose(8, 2, { stride: 2 })),
      rf([2, 2], [1, 1]),
    ],
    [
      'transposed 3x3 /2 reads two positions',
      (b) => (b.input(32, 32, 3), b.conv(8, 2, { stride: 2 }), b.transpose(8, 3, { stride: 2 })),
      rf([4, 4], [1, 1]),
    ],
    [
      'transposed conv on the input: fractional jump',
      (b) => (b.input(8, 8, 3), b.transpose(8, 4, { stride: 2 })),
      rf([2, 2], [0.5, 0.5]),
    ],
    [
      'merge takes the largest',
      (b) => {
        b.input(32, 32, 3);
        const a = b.conv(8, 3, { padding: 1 });
        const c = b.conv(8, 5, { padding: 2, from: 0 });
        b.add([a, c]);
      },
      rf([5, 5], [1, 1]),
    ],
    [
      'adaptive pool window',
      (b) => (b.input(13, 13, 256), b.adaptiveAvg([6, 6])),
      rf([3, 3], [13 / 6, 13 / 6]),
    ],
    [
      'adaptive pool to 1 is global',
      (b) => (b.input(13, 13, 256), b.adaptiveAvg([1, 1])),
      rf([1, 1], [1, 1], true),
    ],
    ['global pool', (b) => (b.input(7, 7, 8), b.conv(8, 3), b.gap()), rf([3, 3], [1, 1], true)],
    ['flatten', (b) => (b.input(7, 7, 8), b.flatten()), rf([1, 1], [1, 1], true)],
    ['dense', (b) => (b.input(10), b.dense(5)), rf([], [], true)],
    [
      'global stays global',
      (b) => (b.input(7, 7, 8), b.gap(true), b.conv(8, 1)),
      rf([1, 1], [1, 1], true),
    ],
    [
      'ResNet-18 = 435',
      (b) => {
        b.input(224, 224, 3);
        b.conv(64, 7, { stride: 2, padding: 3 });
        b.maxpool(3, { stride: 2, padding: 1 });
        for (const [filters, stride] of [
          [64, 1],
          [64, 1],
          [128, 2],
          [128, 1],
          [256, 2],
          [256, 1],
          [512, 2],
          [512, 1],
        ]) {
          basicBlock(b, filters, stride);
        }
      },
      rf([435, 435], [32, 32]),
    ],
  ];
  it.each(cases)('%s', (_title, build, expected) => {
    const r = analyseWith(build);
    expect(r.codes).toEqual([]);
    expect(r.last.rf).toEqual(expected);
  });

  it('is unknown for an adaptive pool on a symbolic input', () => {
    expect(analyseWith((b) => (b.input('H', 'W', 3), b.adaptiveAvg([7, 7]))).last.rf).toBeNull();
  });

  it('is null for a poisoned node', () => {
    expect(analyseWith((b) => (b.input(5, 5, 1), b.conv(8, 7))).last.rf).toBeNull();
  });

  it.each(OP_KINDS.map((op) => [op]))('%s has a rule', (op) => {
    expect(typeof rfRules[op]).toBe('function');
  });
});
