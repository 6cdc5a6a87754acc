import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { analyze } from '../../../compiler/passes/analyze.js';
import { summarize } from '../../../compiler/sema/metrics.js';
import { IrBuilder } from '../../helpers/ir-builder.js';
import { alexnet, lenet5, mobilenetV2, resnet, vgg16 } from './reference-models.js';

interface OracleModel {
  readonly model: string;
  readonly input: readonly number[];
  readonly output: readonly number[];
  readonly params: number;
  readonly buffers: number;
  readonly macs: number;
}

const oracle = JSON.parse(
  readFileSync(new URL('../../baselines/torchvision.json', import.meta.url), 'utf8'),
) as { readonly models: readonly OracleModel[] };

const MODELS: readonly (readonly [string, () => IrBuilder])[] = [
  ['LeNet5', lenet5],
  ['AlexNet', alexnet],
  ['VGG16', () => vgg16(false)],
  ['VGG16_BN', () => vgg16(true)],
  ['ResNet18', () => resnet('basic', [2, 2, 2, 2])],
  ['ResNet34', () => resnet('basic', [3, 4, 6, 3])],
  ['ResNet50', () => resnet('bottleneck', [3, 4, 6, 3])],
  ['ResNet152', () => resnet('bottleneck', [3, 8, 36, 3])],
  ['MobileNetV2', mobilenetV2],
];

describe('reference models match torchvision', () => {
  it.each(MODELS)('%s', (name, build) => {
    const expected = oracle.models.find((m) => m.model === name);
    if (!expected) throw new Error(`${name} is not in the oracle`);
    const r = analyze(build().graph());
    expect(r.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    const s = summarize(r.graph);
    expect(s.input).toEqual(expected.input);
    expect(s.output).toEqual(expected.output);
    expect(s.params.total).toBe(expected.params);
    expect(s.buffers).toBe(expected.buffers);
    expect(s.macs).toBe(expected.macs);
  });

  it('agrees with the figures in the brief', () => {
    const figures = (b: IrBuilder) => {
      const s = summarize(analyze(b.graph()).graph);
      return [s.params.total, s.macs];
    };
    expect(figures(alexnet())).toEqual([61_100_840, 714_188_480]);
    expect(figures(vgg16(false))).toEqual([138_357_544, 15_470_264_320]);
    expect(figures(resnet('basic', [2, 2, 2, 2]))).toEqual([11_689_512, 1_814_073_344]);
    expect(figures(lenet5())[0]).toBe(61_706);
  });
});

/** input 4x4x1 → conv 2 3x3 (2x2x2 = 8) → flatten (8) → dense 3 (3). */
function tiny(frozenConv: boolean): IrBuilder {
  const b = new IrBuilder();
  b.input(4, 4, 1);
  b.conv(2, 3, { frozen: frozenConv });
  b.flatten();
  b.dense(3);
  return b;
}

describe('summarize', () => {
  it('counts params, activations and training memory', () => {
    const s = summarize(analyze(tiny(false).graph()).graph, { batch: 10, optimizer: 'adam' });
    expect(s.params).toEqual({ total: 47, trainable: 47, frozen: 0 });
    expect(s.macs).toBe(8 * 9 + 8 * 3);
    expect(s.memory).toEqual({
      paramsBytes: 188,
      buffersBytes: 0,
      activationsPerSampleBytes: (8 + 8 + 3) * 4,
      inputPerSampleBytes: 64,
      training: {
        batch: 10,
        optimizer: 'adam',
        inputBytes: 640,
        activationsBytes: 760,
        parametersBytes: 188,
        gradientsBytes: 188,
        optimizerStateBytes: 376,
        totalBytes: 640 + 760 + 188 + 188 + 376,
      },
    });
  });

  it('frozen layers need no gradients or optimizer state', () => {
    const s = summarize(analyze(tiny(true).graph()).graph, { batch: 10, optimizer: 'adam' });
    expect(s.params).toEqual({ total: 47, trainable: 27, frozen: 20 });
    expect(s.memory.training.gradientsBytes).toBe(108);
    expect(s.memory.training.optimizerStateBytes).toBe(216);
  });

  it.each([
    ['sgd', 0],
    ['momentum', 188],
    ['rmsprop', 188],
    ['adam', 376],
  ] as const)('optimizer %s keeps %i bytes of state', (optimizer, bytes) => {
    const s = summarize(analyze(tiny(false).graph()).graph, { optimizer });
    expect(s.memory.training.optimizerStateBytes).toBe(bytes);
  });

  it('defaults to batch 1 and momentum', () => {
    const t = summarize(analyze(tiny(false).graph()).graph).memory.training;
    expect([t.batch, t.optimizer]).toEqual([1, 'momentum']);
  });

  it('counts batch-norm statistics as buffers', () => {
    const b = new IrBuilder();
    b.input(8, 8, 16);
    b.bn();
    const s = summarize(analyze(b.graph()).graph);
    expect([s.params.total, s.buffers, s.memory.buffersBytes]).toEqual([32, 32, 128]);
  });

  it('lists every layer', () => {
    const s = summarize(analyze(tiny(true).graph()).graph);
    expect(
      s.layers.map((l) => [l.name, l.op, l.shape, l.params, l.macs, l.frozen, l.spanStart]),
    ).toEqual([
      ['input0', 'input', [4, 4, 1], 0, 0, false, 0],
      ['conv2d1', 'conv2d', [2, 2, 2], 20, 72, true, 100],
      ['flatten2', 'flatten', [8], 0, 0, false, 200],
      ['dense3', 'dense', [3], 27, 24, false, 300],
    ]);
    expect(s.layers[1].rf).toEqual({ size: [3, 3], jump: [1, 1], global: false });
  });

  it('leaves sizes that depend on a symbolic input unknown', () => {
    const b = new IrBuilder();
    b.input('H', 'W', 3);
    b.conv(8, 3, { padding: 1 });
    b.gap();
    b.dense(10);
    const s = summarize(analyze(b.graph()).graph);
    expect(s.params.total).toBe(3 * 3 * 3 * 8 + 8 + 8 * 10 + 10);
    expect(s.macs).toBeNull();
    expect(s.memory.activationsPerSampleBytes).toBeNull();
    expect(s.memory.inputPerSampleBytes).toBeNull();
    expect(s.memory.training.totalBytes).toBeNull();
    expect(s.output).toEqual([10]);
  });
});
