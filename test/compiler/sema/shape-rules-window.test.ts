/** Shape rules of the sliding-window ops: conv2d, conv1d, depthwise, transposed conv and pools. */
import { describe, expect, it } from 'vitest';
import { analyze } from '../../../compiler/passes/analyze.js';
import { IrBuilder, spanOf } from '../../helpers/ir-builder.js';
import { analyseWith } from './analyze-helper.js';

type Build = (b: IrBuilder) => void;

describe('output shapes', () => {
  const cases: readonly (readonly [string, string, Build])[] = [
    [
      'conv 64 3x3 pad 1 keeps 224',
      '224x224x64',
      (b) => (b.input(224, 224, 3), b.conv(64, 3, { padding: 1 })),
    ],
    [
      'conv 64 7x7 /2 pad 3',
      '112x112x64',
      (b) => (b.input(224, 224, 3), b.conv(64, 7, { stride: 2, padding: 3 })),
    ],
    [
      'conv 11x11 /4 pad 2 (AlexNet)',
      '55x55x64',
      (b) => (b.input(224, 224, 3), b.conv(64, 11, { stride: 4, padding: 2 })),
    ],
    [
      'conv 96 11x11 /4 on 227',
      '55x55x96',
      (b) => (b.input(227, 227, 3), b.conv(96, 11, { stride: 4 })),
    ],
    [
      'conv same /2 on odd size',
      '113x113x8',
      (b) => (b.input(225, 225, 3), b.conv(8, 3, { stride: 2, padding: 'same' })),
    ],
    ['conv full', '12x12x8', (b) => (b.input(10, 10, 3), b.conv(8, 3, { padding: 'full' }))],
    [
      'conv asymmetric pads',
      '9x13x8',
      (b) => (b.input(10, 10, 3), b.conv(8, 3, { padding: [0, 1, 2, 3] })),
    ],
    [
      'conv asymmetric stride',
      '5x10x8',
      (b) => (b.input(11, 10, 3), b.conv(8, [3, 1], { stride: [2, 1] })),
    ],
    [
      'conv dilation 2 pad 2',
      '32x32x8',
      (b) => (b.input(32, 32, 3), b.conv(8, 3, { dilation: 2, padding: 2 })),
    ],
    [
      'conv groups 4',
      '8x8x64',
      (b) => (b.input(8, 8, 32), b.conv(64, 3, { groups: 4, padding: 1 })),
    ],
    ['conv1d 16 k5', '96x16', (b) => (b.input(100, 8), b.conv1d(16, 5))],
    [
      'conv1d /2 same',
      '51x16',
      (b) => (b.input(101, 8), b.conv1d(16, 3, { stride: 2, padding: 'same' })),
    ],
    [
      'depthwise 3x3 x2 same',
      '32x32x32',
      (b) => (b.input(32, 32, 16), b.depthwise(3, { padding: 'same', multiplier: 2 })),
    ],
    [
      'depthwise 3x3 /2 pad 1',
      '56x56x32',
      (b) => (b.input(112, 112, 32), b.depthwise(3, { stride: 2, padding: 1 })),
    ],
    [
      'transposed 3x3 /2 pad 1 op 1',
      '14x14x32',
      (b) => (b.input(7, 7, 64), b.transpose(32, 3, { stride: 2, padding: 1, outputPadding: 1 })),
    ],
    [
      'transposed 4x4 /2 pad 1',
      '8x8x256',
      (b) => (b.input(4, 4, 512), b.transpose(256, 4, { stride: 2, padding: 1 })),
    ],
    [
      'transposed same /2',
      '14x10x4',
      (b) => (b.input(7, 5, 8), b.transpose(4, 3, { stride: 2, padding: 'same' })),
    ],
    ['maxpool 2', '14x14x6', (b) => (b.input(28, 28, 6), b.maxpool(2))],
    [
      'maxpool 3 /2 pad 1',
      '56x56x64',
      (b) => (b.input(112, 112, 64), b.maxpool(3, { stride: 2, padding: 1 })),
    ],
    [
      'maxpool 3 /2 ceil (GoogLeNet)',
      '56x56x64',
      (b) => (b.input(112, 112, 64), b.maxpool(3, { stride: 2, ceil: true })),
    ],
    [
      'maxpool 2 /2 pad 1 ceil: last window rule',
      '3x3x1',
      (b) => (b.input(5, 5, 1), b.maxpool(2, { stride: 2, padding: 1, ceil: true })),
    ],
    [
      'maxpool 3 /2 on 13 (AlexNet)',
      '6x6x256',
      (b) => (b.input(13, 13, 256), b.maxpool(3, { stride: 2 })),
    ],
    ['avgpool 1-D', '50x8', (b) => (b.input(100, 8), b.avgpool([2]))],
    [
      'avgpool 3 /1 same',
      '28x28x6',
      (b) => (b.input(28, 28, 6), b.avgpool(3, { stride: 1, padding: 'same' })),
    ],
    ['global average pool', '512', (b) => (b.input(7, 7, 512), b.gap())],
    ['global max pool keeps dims', '1x1x512', (b) => (b.input(7, 7, 512), b.gmp(true))],
    ['global pool on a sequence', '1x8', (b) => (b.input(100, 8), b.gap(true))],
    ['adaptive avg pool 6x6', '6x6x256', (b) => (b.input(13, 13, 256), b.adaptiveAvg([6, 6]))],
    [
      'adaptive avg pool on a symbolic input',
      '7x7x3',
      (b) => (b.input('H', 'W', 3), b.adaptiveAvg([7, 7])),
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
  /** The node the primary span is on. */
  readonly at: number;
  /** Nodes that carry a secondary label. */
  readonly labels?: readonly number[];
  /** The node's shape when the diagnostic is a warning. */
  readonly shape?: string;
}

describe('diagnostics', () => {
  const cases: readonly ErrorCase[] = [
    {
      title: 'kernel larger than its input after a pool',
      build: (b) => (b.input(10, 10, 1), b.maxpool(2), b.conv(16, 7)),
      code: 'CNN3001',
      at: 2,
      labels: [1],
    },
    {
      title: 'kernel larger than the model input',
      build: (b) => (b.input(5, 5, 1), b.conv(16, 7)),
      code: 'CNN3001',
      at: 1,
      labels: [0],
    },
    {
      title: 'kernel larger along one axis only',
      build: (b) => (b.input(5, 50, 1), b.conv(16, 7)),
      code: 'CNN3001',
      at: 1,
      labels: [0],
    },
    {
      title: 'dilated kernel larger than its input',
      build: (b) => (b.input(4, 4, 1), b.conv(1, 3, { dilation: 2 })),
      code: 'CNN3001',
      at: 1,
      labels: [0],
    },
    {
      title: 'pool window larger than its input',
      build: (b) => (b.input(2, 2, 8), b.maxpool(3)),
      code: 'CNN3001',
      at: 1,
      labels: [0],
    },
    {
      title: 'conv1d window larger than its input',
      build: (b) => (b.input(4, 8), b.conv1d(8, 5)),
      code: 'CNN3001',
      at: 1,
      labels: [0],
    },
    {
      title: 'transposed conv padded away to nothing',
      build: (b) => (b.input(1, 1, 8), b.transpose(8, 1, { padding: 1 })),
      code: 'CNN3002',
      at: 1,
      labels: [0],
    },
    {
      title: 'stride drops a row (AlexNet at 224 without padding)',
      build: (b) => (b.input(224, 224, 3), b.conv(96, 11, { stride: 4 })),
      code: 'CNN3003',
      at: 1,
      labels: [0],
      shape: '54x54x96',
    },
    {
      title: 'pool 2x2 on an odd size drops a column',
      build: (b) => (b.input(28, 7, 1), b.conv(4, 1), b.maxpool(2)),
      code: 'CNN3003',
      at: 2,
      labels: [1],
      shape: '14x3x4',
    },
    {
      title: 'conv2d on a sequence',
      build: (b) => (b.input(100, 8), b.conv(16, 3)),
      code: 'CNN3009',
      at: 1,
      labels: [0],
    },
    {
      title: 'conv2d after dense',
      build: (b) => (b.input(10), b.dense(20), b.conv(16, 3)),
      code: 'CNN3009',
      at: 2,
      labels: [1],
    },
    {
      title: 'conv1d on an image',
      build: (b) => (b.input(28, 28, 1), b.conv1d(16, 3)),
      code: 'CNN3009',
      at: 1,
      labels: [0],
    },
    {
      title: 'depthwise on a vector',
      build: (b) => (b.input(10), b.depthwise(3)),
      code: 'CNN3009',
      at: 1,
      labels: [0],
    },
    {
      title: '1-D pool on an image',
      build: (b) => (b.input(28, 28, 1), b.maxpool([2])),
      code: 'CNN3009',
      at: 1,
      labels: [0],
    },
    {
      title: 'pool on a vector',
      build: (b) => (b.input(10), b.maxpool([2])),
      code: 'CNN3009',
      at: 1,
      labels: [0],
    },
    {
      title: 'global pool on a vector',
      build: (b) => (b.input(10), b.gap()),
      code: 'CNN3009',
      at: 1,
      labels: [0],
    },
    {
      title: 'adaptive pool with the wrong rank',
      build: (b) => (b.input(28, 28, 1), b.adaptiveAvg([4])),
      code: 'CNN3009',
      at: 1,
      labels: [0],
    },
    {
      title: 'groups do not divide the input channels',
      build: (b) => (b.input(8, 8, 64), b.conv(96, 3, { groups: 3 })),
      code: 'CNN3011',
      at: 1,
      labels: [0],
    },
    {
      title: 'groups do not divide the filters',
      build: (b) => (b.input(8, 8, 64), b.conv(30, 3, { groups: 4 })),
      code: 'CNN3011',
      at: 1,
      labels: [0],
    },
    {
      title: 'transposed conv groups',
      build: (b) => (b.input(8, 8, 6), b.transpose(4, 3, { groups: 3 })),
      code: 'CNN3011',
      at: 1,
      labels: [0],
    },
    {
      title: 'pool padding beyond half the window',
      build: (b) => (b.input(28, 28, 1), b.maxpool(3, { padding: 2 })),
      code: 'CNN3016',
      at: 1,
    },
    {
      title: 'pool with full padding',
      build: (b) => (b.input(28, 28, 1), b.avgpool(3, { padding: 'full' })),
      code: 'CNN3016',
      at: 1,
    },
  ];
  it.each(cases)('$title → $code', (c) => {
    const r = analyseWith(c.build);
    expect(r.codes).toEqual([c.code]);
    const d = r.result.diagnostics[0];
    expect(d.span).toEqual(spanOf(c.at));
    expect(d.labels.map((l) => l.span)).toEqual((c.labels ?? []).map(spanOf));
    expect(r.shape).toBe(c.shape ?? null);
  });

  it('conv padding is not limited to half the kernel', () => {
    expect(analyseWith((b) => (b.input(8, 8, 1), b.conv(1, 3, { padding: 3 }))).shape).toBe(
      '12x12x1',
    );
  });

  it('CNN3001 says what was found, with the arithmetic and a fix', () => {
    const d = analyseWith((b) => (b.input(10, 10, 1), b.maxpool(2), b.conv(16, 7))).result
      .diagnostics[0];
    expect(d.message).toBe('kernel 7x7 is larger than its 5x5 input');
    expect(d.labels[0].message).toBe('input shrinks to 5x5 here');
    expect(d.notes).toEqual(['out = floor((5 + 2·0 − 7) / 1) + 1 = −1']);
    expect(d.help).toBe('pad with `same`, or use a 5x5 kernel');
  });

  it('CNN3003 proposes an input size and a padding that divide evenly', () => {
    const d = analyseWith((b) => (b.input(224, 224, 3), b.conv(96, 11, { stride: 4 }))).result
      .diagnostics[0];
    expect(d.severity).toBe('warning');
    expect(d.message).toContain('1 row and 1 column');
    // Both fixes change the output size, and the help says so.
    expect(d.help).toBe(
      'use a 227x227 input (the output becomes 55x55), or pad 2 (the output becomes 55x55)',
    );
  });

  it('CNN3003 is not reported when only padding rows are dropped', () => {
    const r = analyseWith((b) => (b.input(224, 224, 3), b.conv(64, 11, { stride: 4, padding: 2 })));
    expect(r.codes).toEqual([]);
  });

  it('CNN3003 is not reported when the kernel is smaller than the stride', () => {
    const r = analyseWith((b) => (b.input(7, 7, 3), b.conv(8, 1, { stride: 2 })));
    expect(r.codes).toEqual([]);
    expect(r.shape).toBe('4x4x8');
  });

  it('CNN3003 is not reported in ceil mode', () => {
    const r = analyseWith((b) => (b.input(7, 7, 3), b.maxpool(2, { ceil: true })));
    expect(r.codes).toEqual([]);
    expect(r.shape).toBe('4x4x3');
  });

  it('explains each axis', () => {
    const b = new IrBuilder();
    b.input(224, 224, 3);
    b.conv(64, 11, { stride: 4, padding: 2 });
    expect(analyze(b.graph(), { explain: true }).explain.get(1)).toEqual([
      'height: pad 2 + 2; floor((224 + 2·2 − 11) / 4) + 1 = 55',
      'width: pad 2 + 2; floor((224 + 2·2 − 11) / 4) + 1 = 55',
    ]);
  });
});
