/** Shape rules of the ops without windows: input, dense, flatten, reshape, zero_pad, merges, ... */
import { describe, expect, it } from 'vitest';
import { spanOf } from '../../helpers/ir-builder.js';
import type { IrBuilder } from '../../helpers/ir-builder.js';
import { analyseWith } from './analyze-helper.js';

type Build = (b: IrBuilder) => void;

describe('output shapes', () => {
  const cases: readonly (readonly [string, string, Build])[] = [
    ['input image', '224x224x3', (b) => b.input(224, 224, 3)],
    ['input sequence', '100x8', (b) => b.input(100, 8)],
    ['input vector', '784', (b) => b.input(784)],
    ['symbolic input', 'HxWx3', (b) => b.input('H', 'W', 3)],
    ['square symbolic input', 'SxSx3', (b) => b.input('S', 'S', 3)],
    ['unknown input sizes', '?x?x3', (b) => b.input(null, null, 3)],
    ['dense', '1000', (b) => (b.input(4096), b.dense(1000))],
    ['flatten', '25088', (b) => (b.input(7, 7, 512), b.flatten())],
    ['flatten of a vector', '10', (b) => (b.input(10), b.flatten())],
    ['flatten of a symbolic shape is unknown', '?', (b) => (b.input('H', 'W', 3), b.flatten())],
    ['reshape', '7x7x512', (b) => (b.input(25088), b.reshape([7, 7, 512]))],
    ['reshape with one inferred axis', '7x7x512', (b) => (b.input(25088), b.reshape([7, 7, -1]))],
    ['reshape to a vector', '1024', (b) => (b.input(4, 4, 64), b.reshape([-1]))],
    ['zero padding 2-D', '30x32x1', (b) => (b.input(28, 28, 1), b.zeroPad([1, 1, 2, 2]))],
    ['zero padding 1-D', '103x8', (b) => (b.input(100, 8), b.zeroPad([1, 2]))],
    [
      'zero padding a symbolic size',
      'H+2xW+2x3',
      (b) => (b.input('H', 'W', 3), b.zeroPad([1, 1, 1, 1])),
    ],
    [
      'upsample by 2',
      '56x56x8',
      (b) => (b.input(28, 28, 8), b.upsample({ mode: 'nearest', scale: [2, 2] })),
    ],
    [
      'upsample by 2x3 of a symbolic size',
      '2Hx3Wx3',
      (b) => (b.input('H', 'W', 3), b.upsample({ mode: 'bilinear', scale: [2, 3] })),
    ],
    [
      'upsample to a size',
      '20x10x1',
      (b) => (b.input(14, 7, 1), b.upsample({ mode: 'nearest', size: [20, 10] })),
    ],
    ['dropout', '4096', (b) => (b.input(4096), b.dropout())],
    ['activation', '28x28x6', (b) => (b.input(28, 28, 6), b.relu())],
    ['batch norm', '28x28x6', (b) => (b.input(28, 28, 6), b.bn())],
    ['batch norm on a vector', '120', (b) => (b.input(120), b.bn())],
    ['lrn', '55x55x96', (b) => (b.input(55, 55, 96), b.lrn())],
    [
      'add',
      '28x28x64',
      (b) => {
        const x = b.input(28, 28, 64);
        b.relu();
        b.add([x, 1]);
      },
    ],
    [
      'multiply',
      '8',
      (b) => {
        const x = b.input(8);
        b.dense(8);
        b.multiply([x, 1]);
      },
    ],
    [
      'add of symbolic shapes',
      'H/2xW/2x8',
      (b) => {
        b.input('H', 'W', 3);
        const a = b.conv(8, 3, { stride: 2, padding: 1 });
        const c = b.conv(8, 1, { stride: 2, from: 0 });
        b.add([a, c]);
      },
    ],
    [
      'concat sums channels',
      '28x28x224',
      (b) => {
        const x = b.input(28, 28, 16);
        const a = b.conv(64, 1, { from: x });
        const c = b.conv(128, 3, { from: x, padding: 1 });
        const d = b.conv(32, 5, { from: x, padding: 2 });
        b.concat([a, c, d]);
      },
    ],
    [
      'concat of vectors',
      '30',
      (b) => {
        b.input(10);
        const a = b.dense(10);
        const c = b.dense(20, { from: 0 });
        b.concat([a, c]);
      },
    ],
  ];
  it.each(cases)('%s → %s', (_title, expected, build) => {
    const r = analyseWith(build);
    expect(r.codes).toEqual([]);
    expect(r.shape).toBe(expected);
  });
});

interface ErrorCase {
  readonly title: string;
  readonly build: Build;
  readonly code: string;
  readonly at: number;
  readonly labels?: readonly number[];
}

describe('diagnostics', () => {
  const cases: readonly ErrorCase[] = [
    { title: 'input size zero', build: (b) => b.input(0, 28, 1), code: 'CNN3013', at: 0 },
    { title: 'input size fractional', build: (b) => b.input(2.5, 28, 1), code: 'CNN3013', at: 0 },
    { title: 'symbolic channels', build: (b) => b.input('H', 'W', 'C'), code: 'CNN3013', at: 0 },
    { title: 'unknown channels', build: (b) => b.input(28, 28, null), code: 'CNN3013', at: 0 },
    { title: 'rank 4 input', build: (b) => b.input(2, 2, 2, 2), code: 'CNN3013', at: 0 },
    { title: 'rank 0 input', build: (b) => b.input(), code: 'CNN3013', at: 0 },
    {
      title: 'dense on an unflattened input',
      build: (b) => (b.input(7, 7, 512), b.dense(10)),
      code: 'CNN3006',
      at: 1,
      labels: [0],
    },
    {
      title: 'dense on a symbolic flatten',
      build: (b) => (b.input('H', 'W', 3), b.flatten(), b.dense(10)),
      code: 'CNN3010',
      at: 2,
      labels: [1],
    },
    {
      title: 'reshape changes the element count',
      build: (b) => (b.input(4096), b.reshape([7, 7, 512])),
      code: 'CNN3014',
      at: 1,
      labels: [0],
    },
    {
      title: 'reshape cannot infer the axis',
      build: (b) => (b.input(100), b.reshape([-1, 3])),
      code: 'CNN3014',
      at: 1,
      labels: [0],
    },
    {
      title: 'reshape infers two axes',
      build: (b) => (b.input(100), b.reshape([-1, -1])),
      code: 'CNN3014',
      at: 1,
      labels: [0],
    },
    {
      title: 'reshape of a symbolic shape',
      build: (b) => (b.input('H', 'W', 3), b.reshape([-1])),
      code: 'CNN3010',
      at: 1,
      labels: [0],
    },
    {
      title: 'zero padding with the wrong number of pads',
      build: (b) => (b.input(100, 8), b.zeroPad([1, 1, 1, 1])),
      code: 'CNN3009',
      at: 1,
      labels: [0],
    },
    {
      title: 'upsample of a sequence',
      build: (b) => (b.input(100, 8), b.upsample({ mode: 'nearest', scale: [2, 2] })),
      code: 'CNN3009',
      at: 1,
      labels: [0],
    },
    {
      title: 'add of different spatial sizes',
      build: (b) => {
        const x = b.input(28, 28, 64);
        b.conv(64, 3, { stride: 2, padding: 1 });
        b.add([1, x]);
      },
      code: 'CNN3004',
      at: 2,
      labels: [1, 0],
    },
    {
      title: 'add of different ranks',
      build: (b) => (b.input(10), b.reshape([2, 5]), b.add([0, 1])),
      code: 'CNN3004',
      at: 2,
      labels: [0, 1],
    },
    {
      title: 'multiply of provably different symbolic sizes',
      build: (b) => {
        b.input('H', 'H', 3);
        b.conv(3, 3, { from: 0 });
        b.multiply([0, 1]);
      },
      code: 'CNN3004',
      at: 2,
      labels: [0, 1],
    },
    {
      title: 'add of sizes that cannot be proven equal',
      build: (b) => {
        b.input('H', 'W', 3);
        b.input('W', 'H', 3);
        b.add([0, 1]);
      },
      code: 'CNN3012',
      at: 2,
      labels: [0, 1],
    },
    {
      title: 'concat of different spatial sizes',
      build: (b) => {
        const x = b.input(28, 28, 64);
        const a = b.conv(32, 3, { from: x, stride: 2, padding: 1 });
        b.concat([x, a]);
      },
      code: 'CNN3005',
      at: 2,
      labels: [0, 1],
    },
  ];
  it.each(cases)('$title → $code', (c) => {
    const r = analyseWith(c.build);
    expect(r.codes).toEqual([c.code]);
    const d = r.result.diagnostics[0];
    expect(d.span).toEqual(spanOf(c.at));
    expect(d.labels.map((l) => l.span)).toEqual((c.labels ?? []).map(spanOf));
    expect(r.shape).toBeNull();
  });

  it('dense on an unflattened input suggests flatten with the input count', () => {
    const d = analyseWith((b) => (b.input(7, 7, 512), b.dense(10))).result.diagnostics[0];
    expect(d.message).toBe('dense needs a flat input; got 7x7x512');
    expect(d.help).toBe('insert `flatten` (7·7·512 = 25088 inputs) or `gap`');
  });

  it('a residual mismatch suggests the projection shortcut', () => {
    const d = analyseWith((b) => {
      const x = b.input(28, 28, 64);
      b.conv(128, 3, { stride: 2, padding: 1 });
      b.add([1, x]);
    }).result.diagnostics[0];
    expect(d.message).toBe('cannot add 14x14x128 and 28x28x64');
    expect(d.help).toContain('`conv 128 1x1 /2`');
  });
});
