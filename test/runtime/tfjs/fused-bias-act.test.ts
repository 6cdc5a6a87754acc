// A bias and the activation after it as one op (runtime/tfjs/fused-bias-act.ts), against the
// unfused ops on the same wasm backend: the output and both gradients must be the same bits, over
// shapes whose rows are and are not a multiple of the kernels' blocks and whose channels are and
// are not a multiple of 4, with zeros, negatives and NaN among the values. Lowering fuses a conv or
// dense layer with the relu or tanh that alone reads it, and a training step profile shows the
// fused kernels running in place of Add, Relu and their gradients.

import type * as Tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { compileFile } from '../../../compiler/program.js';
import {
  BIAS_ACT,
  BIAS_ACT_GRAD,
  biasActivation,
  biasActivationFuses,
  type BiasActivation,
} from '../../../runtime/tfjs/fused-bias-act.js';
import { lowerGraph } from '../../../runtime/tfjs/lower.js';
import { memPath, memoryHost } from '../../helpers/memory-host.js';
import { differing, loadCpuAndWasm, relErr, seeded } from './kernel-setup.js';

let tf: typeof Tf;

beforeAll(async () => {
  tf = await loadCpuAndWasm();
});

const size = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);

/** z = act(y + b), and the gradients of Σ z·r with respect to y and b. */
function run(fused: boolean, fn: BiasActivation, shape: number[]) {
  const C = shape[shape.length - 1];
  const yv = seeded(size(shape), 1).map((v, i) => (i % 97 === 5 ? 0 : i === 11 ? NaN : 3 * v));
  return tf.tidy(() => {
    const y = tf.tensor(yv, shape);
    const b = tf.tensor(seeded(C, 2), [C]);
    const r = tf.tensor(seeded(size(shape), 3), shape);
    const f = (yi: Tf.Tensor, bi: Tf.Tensor) =>
      fused
        ? biasActivation(tf, yi, bi, fn)
        : fn === 'relu'
          ? tf.relu(tf.add(yi, bi))
          : tf.tanh(tf.add(yi, bi));
    const z = f(y, b);
    const [dy, db] = tf.grads((yi: Tf.Tensor, bi: Tf.Tensor) => tf.sum(tf.mul(f(yi, bi), r)))([
      y,
      b,
    ]);
    return { z: z.dataSync().slice(), dy: dy.dataSync().slice(), db: db.dataSync().slice() };
  });
}

describe('bias and activation as one op', () => {
  it.each([
    ['relu', [2, 9, 7, 37]],
    ['relu', [3, 65, 8]],
    ['relu', [64, 120]],
    ['relu', [5, 3]],
    ['tanh', [2, 9, 7, 37]],
    ['tanh', [130, 84]],
    ['tanh', [1, 1, 1, 4]],
  ] as [BiasActivation, number[]][])('%s on %j: the unfused ops’ bits', async (fn, shape) => {
    await tf.setBackend('wasm');
    expect(biasActivationFuses(tf)).toBe(true);
    const before = tf.memory().numTensors;
    const fused = run(true, fn, shape);
    const plain = run(false, fn, shape);
    expect(tf.memory().numTensors).toBe(before);
    expect(differing(fused.z, plain.z)).toEqual([]);
    expect(differing(fused.dy, plain.dy)).toEqual([]);
    expect(differing(fused.db, plain.db)).toEqual([]);
  });

  it('does not fuse on the cpu backend', async () => {
    await tf.setBackend('cpu');
    expect(biasActivationFuses(tf)).toBe(false);
  });
});

const SOURCE = `
model Fused {
  input 8x8x3
  conv 12 3x3 same, relu
  maxpool 2
  conv 6 3x3, tanh
  flatten
  dense 10, relu
  dense 5
}`;

describe('lowering', () => {
  it('fuses each conv and dense with its relu or tanh, and trains as the cpu backend does', async () => {
    const graph = compileFile(memPath('main.cnn'), memoryHost({ 'main.cnn': SOURCE })).models[0]
      .graph;
    const x = seeded(4 * 8 * 8 * 3, 4);
    const step = async (backend: 'cpu' | 'wasm') => {
      await tf.setBackend(backend);
      const model = lowerGraph(tf, graph, { seed: 7 });
      const xt = tf.tensor(x, [4, 8, 8, 3]);
      let grads: Float32Array[] = [];
      const profile = await tf.profile(() => {
        const { value, grads: g } = tf.variableGrads(
          () => tf.sum(tf.square(model.logits(xt, true))),
          [...model.trainable],
        );
        grads = [value, ...model.trainable.map((v) => g[v.name])].map((t) =>
          t.dataSync<'float32'>().slice(),
        );
        tf.dispose([value, ...Object.values(g)]);
        return [];
      });
      xt.dispose();
      model.dispose();
      return { kernels: profile.kernels.map((k) => k.name), grads };
    };
    const wasm = await step('wasm');
    const cpu = await step('cpu');
    expect(wasm.kernels.filter((k) => k === BIAS_ACT)).toHaveLength(3);
    expect(wasm.kernels.filter((k) => k === BIAS_ACT_GRAD)).toHaveLength(3);
    expect(wasm.kernels).not.toContain('Relu');
    expect(wasm.kernels).not.toContain('Tanh');
    expect(wasm.grads).toHaveLength(cpu.grads.length);
    for (let i = 0; i < cpu.grads.length; i++)
      expect(relErr(wasm.grads[i], cpu.grads[i])).toBeLessThan(1e-4);
  });
});
