/**
 * The emitted optimizer.ts applies cnnc's update rules: for every optimiser, with weight decay,
 * global-norm clipping and per-variable rate multipliers, a few steps of its CnncOptimizer (as
 * model.fit drives it: applyGradients on named gradients) leave the variables where cnnc's own
 * optimiser (runtime/tfjs/optimizers.ts, with the engine's clipping) leaves them; and its
 * learningRate is cnnc's schedule (runtime/train/schedules.ts) exactly.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rng } from '../../../runtime/data/dataset.js';
import { clipByGlobalNorm, Optimizer } from '../../../runtime/tfjs/optimizers.js';
import {
  DEFAULT_OPTIMIZER,
  OPTIMIZERS,
  type OptimizerName,
} from '../../../runtime/train/optimizer-config.js';
import { learningRate as cnncRate, SCHEDULES } from '../../../runtime/train/schedules.js';
import { relativeError } from '../compare.js';
import { emitTfjs, transpile } from './tfjs-project.js';

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'cnnc-tfjs-optimizer-'));
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

interface Settings {
  optimizer: OptimizerName;
  lr: number;
  momentum: number;
  beta1: number;
  beta2: number;
  rho: number;
  epsilon: number;
  weightDecay: number;
  schedule: { kind: string; gamma: number; every: number; minLr: number; warmup: number };
  clip: number | null;
}

interface EmittedOptimizer {
  learningRate: number;
  scales: ReadonlyMap<string, number>;
  applyGradients(g: Record<string, tf.Tensor>): void;
  dispose(): void;
}

let emitted: {
  CnncOptimizer: new (s: Settings) => EmittedOptimizer;
  learningRate: (s: Settings, step: number, perEpoch: number, total: number) => number;
};

beforeAll(async () => {
  const dir = path.join(work, 'lenet5');
  const r = await emitTfjs('examples/lenet5.cnn', dir);
  if (r.code !== 0) throw new Error(r.err);
  emitted = await import(pathToFileURL(path.join(transpile(dir), 'optimizer.js')).href);
  await tf.setBackend('cpu');
}, 120_000);

const SHAPES = [[3, 3, 2, 4], [4], [5, 3]];

function random(shape: number[], seed: number): tf.Tensor {
  const r = rng(seed);
  const n = shape.reduce((a, b) => a * b, 1);
  return tf.tensor(
    Float32Array.from({ length: n }, () => 2 * r() - 1),
    shape,
  );
}

const CASES = OPTIMIZERS.flatMap((name) => [
  { name, weightDecay: 0, clip: null as number | null, scaled: false },
  { name, weightDecay: 0.01, clip: 0.5, scaled: true },
]);

describe("the emitted optimizer.ts against cnnc's optimisers", () => {
  it.each(CASES)(
    '$name, weight decay $weightDecay, clip $clip, per-variable rates $scaled',
    (c) => {
      const config = { ...DEFAULT_OPTIMIZER, name: c.name, weightDecay: c.weightDecay };
      const ours = SHAPES.map((s, i) =>
        tf.variable(random(s, i + 1), true, `ours${c.name}${c.clip}/w${i}`),
      );
      const theirs = SHAPES.map((s, i) =>
        tf.variable(random(s, i + 1), true, `cnnc${c.name}${c.clip}/w${i}`),
      );
      const scales = new Map(
        c.scaled
          ? [
              [1, 0.25],
              [2, 3],
            ]
          : [],
      );
      const reference = new Optimizer(
        tf,
        config,
        theirs.map((v, i) => ({ name: `p${i}`, variable: v })),
        new Map([...scales].map(([i, k]) => [`p${i}`, k])),
      );
      const optimizer = new emitted.CnncOptimizer({
        optimizer: c.name,
        lr: 0.1,
        momentum: config.momentum,
        beta1: config.beta1,
        beta2: config.beta2,
        rho: config.rho,
        epsilon: config.epsilon,
        weightDecay: c.weightDecay,
        schedule: { kind: 'constant', gamma: 0.1, every: 1, minLr: 0, warmup: 0 },
        clip: c.clip,
      });
      optimizer.scales = new Map([...scales].map(([i, k]) => [ours[i].name, k]));
      for (let step = 0; step < 4; step++) {
        const lr = 0.1 / (step + 1);
        const grads = SHAPES.map((s, i) => random(s, 100 * step + i));
        optimizer.learningRate = lr;
        optimizer.applyGradients(Object.fromEntries(ours.map((v, i) => [v.name, grads[i]])));
        const list = c.clip === null ? grads : clipByGlobalNorm(tf, grads, c.clip).grads;
        reference.apply(list, lr);
      }
      ours.forEach((v, i) => {
        const err = relativeError(v.dataSync(), theirs[i].dataSync());
        expect(err, `variable ${i}`).toBeLessThanOrEqual(1e-6);
      });
      optimizer.dispose();
      reference.dispose();
    },
  );

  it.each(SCHEDULES)('the %s schedule with warm-up gives cnnc train rates', (kind) => {
    const schedule = { kind, gamma: 0.5, every: 2, minLr: 0.001, warmup: 7 };
    const s = { lr: 0.1, schedule } as unknown as Settings;
    for (const step of [0, 3, 6, 7, 20, 59, 99, 100])
      expect(emitted.learningRate(s, step, 20, 100)).toBe(
        cnncRate(0.1, { kind, gamma: 0.5, every: 2, minLr: 0.001, warmupSteps: 7 }, step, 20, 100),
      );
  });
});
