import { beforeAll, describe, expect, it } from 'vitest';
import { take, type Dataset } from '../../../runtime/data/dataset.js';
import { loadMnistJson } from '../../../runtime/data/mnist.js';
import { evaluate } from '../../../runtime/train/evaluate.js';
import { fit, type LoopConfig } from '../../../runtime/train/loop.js';
import { createTfjsEngine } from '../../../runtime/tfjs/engine.js';
import {
  DEFAULT_OPTIMIZER,
  OPTIMIZERS,
  type OptimizerName,
} from '../../../runtime/train/optimizer-config.js';
import { DEFAULT_SCHEDULE } from '../../../runtime/train/schedules.js';
import { cpuTf, tinyModel } from './tiny-model.js';

const CONFIG: LoopConfig = {
  epochs: 2,
  batchSize: 64,
  lr: 1e-2,
  schedule: DEFAULT_SCHEDULE,
  clipNorm: null,
  loss: 'categorical',
  seed: 42,
  earlyStopping: null,
  topK: 3,
};

let train: Dataset;
let test: Dataset;
beforeAll(() => {
  const d = loadMnistJson();
  train = take(d.train, 1024);
  test = take(d.test, 500);
});

async function run(name: OptimizerName, lr: number, extra: Partial<LoopConfig> = {}) {
  const tf = await cpuTf();
  const config = { ...CONFIG, lr, ...extra };
  const engine = createTfjsEngine(tf, tinyModel([28, 28, 1], 10), 'cpu', {
    loss: config.loss,
    optimizer: { ...DEFAULT_OPTIMIZER, name },
    clipNorm: config.clipNorm,
    seed: config.seed,
  });
  const losses: number[] = [];
  const result = await fit(engine, train, config, {
    validation: test,
    onStep: (p) => losses.push(p.loss),
  });
  const final = await evaluate(engine, test, { batchSize: 256, topK: 3 });
  engine.dispose();
  return { result, losses, final };
}

describe('the training loop', () => {
  it.each(
    OPTIMIZERS.map((o) => [o, o === 'sgd' || o === 'momentum' || o === 'nesterov' ? 0.1 : 1e-2]),
  )('%s lowers the loss and learns digits', async (name, lr) => {
    const { result, final } = await run(name as OptimizerName, lr as number);
    expect(result.epochs).toHaveLength(2);
    expect(result.nonFinite).toBeNull();
    expect(result.epochs[1].train.loss).toBeLessThan(result.epochs[0].train.loss);
    expect(final.accuracy).toBeGreaterThan(0.7);
    expect(final.topK.accuracy).toBeGreaterThanOrEqual(final.accuracy);
    expect(result.epochs[1].validation?.accuracy).toBeCloseTo(final.accuracy, 6);
  });

  it('is deterministic for a seed', async () => {
    const a = await run('adam', 1e-2, { epochs: 1 });
    const b = await run('adam', 1e-2, { epochs: 1 });
    expect(a.losses).toEqual(b.losses);
  });

  it('stops at a non-finite loss and names the step', async () => {
    const images = train.images.slice();
    images[100 * 784 + 300] = NaN;
    const clean = train;
    train = { ...train, images };
    const { result } = await run('sgd', 0.1, { epochs: 2 }).finally(() => (train = clean));
    expect(result.nonFinite).not.toBeNull();
    expect(result.nonFinite!.globalStep).toBeGreaterThan(0);
    expect(result.epochs.length).toBeLessThan(2);
  });

  it('stops early when the validation loss stops improving', async () => {
    const { result } = await run('sgd', 0, {
      epochs: 5,
      earlyStopping: { patience: 2, minDelta: 0 },
    });
    expect(result.stoppedEarly).toBe(true);
    expect(result.epochs).toHaveLength(3);
  });

  it('clips gradients and still learns', async () => {
    const { result } = await run('sgd', 0.1, { clipNorm: 0.5 });
    expect(result.epochs[1].train.loss).toBeLessThan(result.epochs[0].train.loss);
  });
});
