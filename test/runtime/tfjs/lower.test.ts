/**
 * The tfjs lowering on whole models, on tfjs's cpu backend (the wasm backend takes other paths
 * through conv2d): one model of each stdlib family, at a small input and with a small classifier,
 * runs a forward pass of the IR's output shape and, where the cpu backend is fast enough, one SGD
 * step of a cross-entropy on its logits that changes every trainable variable and nothing frozen.
 * test/stdlib/train-step.test.ts trains all 19 stdlib models on wasm.
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Graph } from '../../../compiler/ir/graph.js';
import { compileFile } from '../../../compiler/program.js';
import { lowerGraph } from '../../../runtime/tfjs/lower.js';
import type { LoweredModel } from '../../../runtime/tfjs/lower.js';
import { memPath, memoryHost } from '../../helpers/memory-host.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

function compileGraph(source: string, model = 'Small'): Graph {
  const r = compileFile(memPath('main.cnn'), memoryHost({ 'main.cnn': source }), { model });
  const errors = r.diagnostics.filter((d) => d.severity === 'error');
  expect(errors.map((d) => `${d.code} ${d.message}`)).toEqual([]);
  return r.models[0].graph;
}

function derived(module: string, base: string, body: string): string {
  return `import ${module}\nmodel Small = ${base} {\n${body}\n}\n`;
}

const smallHead = (label: string, flat: boolean) =>
  `replace ${label} { ${flat ? '' : 'adaptiveavgpool 7x7, flatten, '}dense 16, relu, dropout 0.5, dense 10 }`;

interface Case {
  readonly module: string;
  readonly model: string;
  readonly body: string;
  /**
   * Train too. The cpu backend is slow (Slice, Transpose and convolution gradients), so only the
   * smaller models train (ResNet18 in the frozen-layer test below) and the rest only run forward.
   */
  readonly train: boolean;
}

const resnet = (model: string, train: boolean): Case => ({
  module: 'resnet',
  model,
  body: `input ${train ? 32 : 16}x${train ? 32 : 16}x3\nreplace head { gap, dense 10 }`,
  train,
});
const vgg = (model: string, train: boolean): Case => ({
  module: 'vgg',
  model,
  body: `input 32x32x3\n${smallHead('classifier', false)}`,
  train,
});
const alex = (model: string, input: string, train: boolean): Case => ({
  module: 'alexnet',
  model,
  body: `input ${input}\n${smallHead('classifier', true)}`,
  train,
});

const CASES: readonly Case[] = [
  { module: 'lenet', model: 'LeNet5', body: 'append { softmax }', train: true },
  alex('AlexNetOneGPU', '67x67x3', false), // groups, LRN
  vgg('VGG11_BN', false),
  resnet('ResNet50', false), // bottlenecks, projection shortcuts
  {
    module: 'inception',
    model: 'GoogLeNet',
    body: 'input 32x32x3\nreplace head { gap, dropout 0.2, dense 10 }',
    train: true,
  },
  {
    module: 'mobilenet',
    model: 'MobileNetV2',
    body: 'input 32x32x3\nreplace predictions { dense 10 }',
    train: true,
  },
];

function batchFor(m: LoweredModel, n: number): tf.Tensor {
  return tf.randomUniform([n, ...m.inputShape], -1, 1, 'float32', 7);
}

function snapshot(vars: Iterable<tf.Variable>): Map<tf.Variable, Float32Array> {
  const out = new Map<tf.Variable, Float32Array>();
  for (const v of vars) out.set(v, Float32Array.from(v.dataSync() as Float32Array));
  return out;
}

function same(a: Float32Array, b: Float32Array): boolean {
  return a.length === b.length && a.every((x, i) => Object.is(x, b[i]));
}

/** One SGD step of softmax cross-entropy on the logits. */
function trainStep(m: LoweredModel, x: tf.Tensor, classes: number, lr = 0.1): void {
  const labels = tf.oneHot(tf.tensor1d([1, 3].slice(0, x.shape[0]), 'int32'), classes);
  const { grads, value } = tf.variableGrads(
    () => tf.losses.softmaxCrossEntropy(labels, m.logits(x, true)) as tf.Scalar,
    [...m.trainable],
  );
  expect(Number.isFinite(value.dataSync()[0])).toBe(true);
  tf.tidy(() => {
    for (const v of m.trainable) v.assign(tf.sub(v, tf.mul(grads[v.name], lr)));
  });
  tf.dispose([labels, value, ...Object.values(grads)]);
}

function outputShape(g: Graph): number[] {
  return (g.nodes[g.outputs[0]].shape ?? []).map((d) => (typeof d === 'number' ? d : -1));
}

describe('one stdlib model of each family on the cpu backend', () => {
  it.each(CASES)(
    '$model: forward (and training step: $train)',
    ({ module, model, body, train }) => {
      const graph = compileGraph(derived(module, model, body));
      const m = lowerGraph(tf, graph, { seed: 1 });
      try {
        const x = batchFor(m, train ? 2 : 1);
        const y = m.apply(x, false);
        expect(y.shape).toEqual([x.shape[0], ...outputShape(graph)]);
        expect(Array.from(y.dataSync()).every(Number.isFinite)).toBe(true);
        y.dispose();
        if (!train) return;
        const before = snapshot([...m.params.values(), ...m.buffers.values()]);
        trainStep(m, x, outputShape(graph)[0]);
        const changed = (v: tf.Variable) => !same(before.get(v)!, v.dataSync() as Float32Array);
        const stuck = m.trainable.filter((v) => !changed(v)).map((v) => v.name);
        expect(stuck).toEqual([]);
        x.dispose();
      } finally {
        m.dispose();
      }
    },
  );
});

describe('frozen layers, seeds and memory', () => {
  const FROZEN = derived(
    'resnet',
    'ResNet18',
    'input 16x16x3\nfreeze stem, stage1\nreplace head { gap, dense 10 }',
  );

  it('a training step moves no frozen weight or statistic, and every other one', () => {
    const graph = compileGraph(FROZEN);
    const m = lowerGraph(tf, graph, { seed: 3 });
    try {
      const frozen = (key: string) => key.startsWith('stem.') || key.startsWith('stage1.');
      expect(m.trainable.length).toBe([...m.params.keys()].filter((k) => !frozen(k)).length);
      for (const [key, v] of m.params) expect(v.trainable).toBe(!frozen(key));
      const all = [...m.params, ...m.buffers];
      const before = snapshot(all.map(([, v]) => v));
      const x = batchFor(m, 2);
      trainStep(m, x, 10);
      x.dispose();
      const moved = all
        .filter(([, v]) => !same(before.get(v)!, v.dataSync() as Float32Array))
        .map(([k]) => k);
      expect(moved.filter(frozen)).toEqual([]);
      expect(moved.sort()).toEqual(
        all
          .map(([k]) => k)
          .filter((k) => !frozen(k))
          .sort(),
      );
    } finally {
      m.dispose();
    }
  });

  it('moves running statistics the PyTorch way', () => {
    const graph = compileGraph('model Small {\n  input 2x2x1\n  bn momentum 0.25\n}\n');
    const m = lowerGraph(tf, graph);
    try {
      const x = tf.tensor4d([1, 2, 3, 4, 5, 6, 7, 8], [2, 2, 2, 1]);
      tf.dispose(m.apply(x, true));
      // batch mean 4.5, unbiased variance 42 / 7 = 6.
      expect(m.buffers.get('bn1/moving_mean')!.dataSync()[0]).toBeCloseTo(0.25 * 4.5, 5);
      expect(m.buffers.get('bn1/moving_variance')!.dataSync()[0]).toBeCloseTo(0.75 + 0.25 * 6, 5);
      const y = m.apply(x, true).dataSync();
      // normalised with the biased variance 5.25
      expect(y[0]).toBeCloseTo((1 - 4.5) / Math.sqrt(5.25 + 1e-5), 4);
      const z = m.apply(x, false).dataSync();
      const mean = m.buffers.get('bn1/moving_mean')!.dataSync()[0];
      const variance = m.buffers.get('bn1/moving_variance')!.dataSync()[0];
      expect(z[7]).toBeCloseTo((8 - mean) / Math.sqrt(variance + 1e-5), 4);
      x.dispose();
    } finally {
      m.dispose();
    }
  });

  it('initialises deterministically from the seed, with PyTorch bounds, and leaks no tensors', () => {
    const graph = compileGraph(derived('lenet', 'LeNet5', 'append { softmax }'));
    const start = tf.memory().numTensors;
    const a = lowerGraph(tf, graph, { seed: 5 });
    const b = lowerGraph(tf, graph, { seed: 5 });
    const c = lowerGraph(tf, graph, { seed: 6 });
    const kernel = (m: LoweredModel) => m.params.get('features.conv1/kernel')!.dataSync();
    expect(Array.from(kernel(a))).toEqual(Array.from(kernel(b)));
    expect(Array.from(kernel(a))).not.toEqual(Array.from(kernel(c)));
    // conv1: fan_in = 5·5·1, bound 1/5; fc1: fan_in 400, bound 1/20.
    expect(Math.max(...Array.from(kernel(a)).map(Math.abs))).toBeLessThanOrEqual(0.2);
    const fc1 = Array.from(a.params.get('classifier.fc1/kernel')!.dataSync()).map(Math.abs);
    expect(Math.max(...fc1)).toBeLessThanOrEqual(0.05);
    expect(Math.max(...fc1)).toBeGreaterThan(0.045);
    expect(a.endsInSoftmax).toBe(true);
    expect(a.inputShape).toEqual([32, 32, 1]);
    const x = batchFor(a, 2);
    const held = tf.memory().numTensors;
    const p = a.apply(x, true);
    const l = a.logits(x, false);
    expect(tf.memory().numTensors).toBe(held + 2);
    const sums = tf.tidy(() => Array.from(p.sum(1).dataSync()));
    expect(sums.map((v) => Math.round(v * 1e4))).toEqual([1e4, 1e4]);
    expect(l.shape).toEqual([2, 10]);
    tf.dispose([x, p, l]);
    for (const m of [a, b, c]) m.dispose();
    expect(tf.memory().numTensors).toBe(start);
  });

  it('continues the dropout stream where a checkpoint left it', () => {
    const graph = compileGraph(
      'model Small {\n  input 8\n  dense 64\n  dropout 0.5\n  dropout 0.3\n}\n',
    );
    const x = tf.ones([2, 8]);
    const masks = (m: LoweredModel, calls: number) =>
      Array.from({ length: calls }, () => {
        const y = m.apply(x, true);
        const kept = Array.from(y.dataSync())
          .map((v) => (v === 0 ? 0 : 1))
          .join('');
        y.dispose();
        return kept;
      });
    const run = lowerGraph(tf, graph, { seed: 4 });
    const first = masks(run, 2);
    expect(run.randomDraws()).toBe(4); // two dropout nodes, two training passes
    tf.dispose(run.apply(x, false)); // inference draws nothing
    expect(run.randomDraws()).toBe(4);
    const later = masks(run, 2);
    // A resumed run: a fresh model of the same seed, told how far the stream went.
    const resumed = lowerGraph(tf, graph, { seed: 4 });
    resumed.setRandomDraws(4);
    expect(masks(resumed, 2)).toEqual(later);
    // Without it, the stream would start over and repeat the first masks.
    const restarted = lowerGraph(tf, graph, { seed: 4 });
    expect(masks(restarted, 2)).toEqual(first);
    expect(later).not.toEqual(first);
    expect(() => resumed.setRandomDraws(-1)).toThrow(/bad count/);
    for (const m of [run, resumed, restarted]) m.dispose();
    x.dispose();
  });
});
