/** Weights (TensorFlow.js layouts) and MACs of every op. */
import { describe, expect, it } from 'vitest';
import type { Weight } from '../../../compiler/ir/graph.js';
import { OP_KINDS } from '../../../compiler/ir/ops.js';
import { countWeights, macRules, weightRules } from '../../../compiler/sema/param-rules.js';
import type { IrBuilder } from '../../helpers/ir-builder.js';
import { analyseWith } from './analyze-helper.js';

type Build = (b: IrBuilder) => void;

/** `kernel[3,3,3,64] bias[64]`, buffers marked with `*`. */
function layout(weights: readonly Weight[] | undefined): string {
  return (weights ?? [])
    .map((w) => `${w.name}${w.kind === 'buffer' ? '*' : ''}[${w.shape.join(',')}]`)
    .join(' ');
}

describe('weights and MACs', () => {
  const cases: readonly (readonly [string, Build, string, number, number | null])[] = [
    // title, build, weights, params, macs
    [
      'conv 64 3x3 on 224x224x3',
      (b) => (b.input(224, 224, 3), b.conv(64, 3, { padding: 1 })),
      'kernel[3,3,3,64] bias[64]',
      1792,
      224 * 224 * 64 * 27,
    ],
    [
      'conv without bias',
      (b) => (b.input(8, 8, 16), b.conv(32, 1, { bias: false })),
      'kernel[1,1,16,32]',
      512,
      8 * 8 * 32 * 16,
    ],
    [
      'grouped conv',
      (b) => (b.input(8, 8, 32), b.conv(64, 3, { groups: 4, padding: 1 })),
      'kernel[3,3,8,64] bias[64]',
      4672,
      8 * 8 * 64 * 8 * 9,
    ],
    [
      'conv1d',
      (b) => (b.input(100, 8), b.conv1d(16, 5)),
      'kernel[5,8,16] bias[16]',
      656,
      96 * 16 * 8 * 5,
    ],
    [
      'depthwise x2',
      (b) => (b.input(32, 32, 16), b.depthwise(3, { padding: 1, multiplier: 2 })),
      'depthwise_kernel[3,3,16,2] bias[32]',
      320,
      32 * 32 * 32 * 9,
    ],
    [
      'depthwise without bias',
      (b) => (b.input(112, 112, 32), b.depthwise(3, { padding: 1, bias: false })),
      'depthwise_kernel[3,3,32,1]',
      288,
      112 * 112 * 32 * 9,
    ],
    [
      'transposed conv',
      (b) => (b.input(7, 7, 64), b.transpose(32, 3, { stride: 2, padding: 1, outputPadding: 1 })),
      'kernel[3,3,32,64] bias[32]',
      18464,
      7 * 7 * 64 * 32 * 9,
    ],
    [
      'grouped transposed conv',
      (b) => (b.input(4, 4, 8), b.transpose(4, 2, { stride: 2, groups: 2 })),
      'kernel[2,2,2,8] bias[4]',
      68,
      4 * 4 * 8 * 2 * 4,
    ],
    [
      'dense',
      (b) => (b.input(9216), b.dense(4096)),
      'kernel[9216,4096] bias[4096]',
      37752832,
      9216 * 4096,
    ],
    [
      'dense without bias',
      (b) => (b.input(10), b.dense(5, { bias: false })),
      'kernel[10,5]',
      50,
      50,
    ],
    [
      'batch norm',
      (b) => (b.input(8, 8, 64), b.bn()),
      'gamma[64] beta[64] moving_mean*[64] moving_variance*[64]',
      128,
      0,
    ],
    [
      'batch norm without affine',
      (b) => (b.input(8, 8, 64), b.bn({ affine: false })),
      'moving_mean*[64] moving_variance*[64]',
      0,
      0,
    ],
    ['maxpool', (b) => (b.input(8, 8, 64), b.maxpool(2)), '', 0, 0],
    ['global pool', (b) => (b.input(8, 8, 64), b.gap()), '', 0, 0],
    ['adaptive pool', (b) => (b.input(8, 8, 64), b.adaptiveAvg([2, 2])), '', 0, 0],
    ['flatten', (b) => (b.input(8, 8, 64), b.flatten()), '', 0, 0],
    ['reshape', (b) => (b.input(64), b.reshape([8, 8, 1])), '', 0, 0],
    ['zero padding', (b) => (b.input(8, 8, 64), b.zeroPad([1, 1, 1, 1])), '', 0, 0],
    ['dropout', (b) => (b.input(64), b.dropout()), '', 0, 0],
    ['lrn', (b) => (b.input(8, 8, 64), b.lrn()), '', 0, 0],
    ['activation', (b) => (b.input(8, 8, 64), b.relu()), '', 0, 0],
    ['add', (b) => (b.input(64), b.add([0, 0])), '', 0, 0],
    ['multiply', (b) => (b.input(64), b.multiply([0, 0])), '', 0, 0],
    ['concat', (b) => (b.input(64), b.concat([0, 0])), '', 0, 0],
    ['input', (b) => b.input(64), '', 0, 0],
    [
      'conv on a symbolic input: MACs unknown',
      (b) => (b.input('H', 'W', 3), b.conv(8, 3)),
      'kernel[3,3,3,8] bias[8]',
      224,
      null,
    ],
    [
      'transposed conv on a symbolic input',
      (b) => (b.input('H', 'W', 3), b.transpose(8, 2, { stride: 2 })),
      'kernel[2,2,8,3] bias[8]',
      104,
      null,
    ],
  ];
  it.each(cases)('%s', (_title, build, weights, params, macs) => {
    const r = analyseWith(build);
    expect(r.codes).toEqual([]);
    expect(layout(r.last.weights)).toBe(weights);
    expect(countWeights(r.last.weights ?? [])).toBe(params);
    expect(r.last.macs).toBe(macs);
  });

  it('counts buffers apart', () => {
    const r = analyseWith((b) => (b.input(8, 8, 64), b.bn()));
    expect(countWeights(r.last.weights ?? [], 'buffer')).toBe(128);
  });

  it('a poisoned node has no weights and unknown MACs', () => {
    const r = analyseWith((b) => (b.input(5, 5, 1), b.conv(8, 7), b.conv(8, 1)));
    expect(r.last.weights).toEqual([]);
    expect(r.last.macs).toBeNull();
  });

  it.each(OP_KINDS.map((op) => [op]))('%s has a weight rule and a MAC rule', (op) => {
    expect(typeof weightRules[op]).toBe('function');
    expect(typeof macRules[op]).toBe('function');
  });
});
