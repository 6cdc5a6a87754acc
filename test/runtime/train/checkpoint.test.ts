import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  CheckpointError,
  loadCheckpoint,
  saveCheckpoint,
  weightDifferences,
  type Checkpoint,
} from '../../../runtime/train/checkpoint.js';
import { allWeights, trainableNamed } from '../../../runtime/tfjs/model.js';
import { Optimizer } from '../../../runtime/tfjs/optimizers.js';
import { DEFAULT_OPTIMIZER } from '../../../runtime/train/optimizer-config.js';
import { cpuTf, tinyModel } from './tiny-model.js';

async function checkpointOf(seed: number, epoch: number): Promise<Checkpoint> {
  const tf = await cpuTf();
  const model = tinyModel([4, 4, 1], 3, seed);
  const opt = new Optimizer(tf, DEFAULT_OPTIMIZER, trainableNamed(model));
  opt.apply(
    model.trainable.map((v) => tf.onesLike(v)),
    0.01,
  );
  const weights = allWeights(model).map(([name, v]) => ({
    name,
    shape: v.shape,
    data: v.dataSync() as Float32Array,
  }));
  const state = opt.getState();
  model.dispose();
  opt.dispose();
  return {
    meta: {
      format: 'cnnc-checkpoint',
      version: 1,
      model: 'Tiny',
      sourceHash: 's',
      irHash: 'i',
      weights: Object.fromEntries(weights.map((w) => [w.name, w.shape])),
      optimizer: {
        config: DEFAULT_OPTIMIZER,
        step: state.step,
        slots: state.slots.map((s) => ({ name: s.name, shape: s.shape })),
      },
      epoch,
      globalStep: epoch * 10,
      metrics: { accuracy: 0.5 },
    },
    weights,
    optimizer: state,
  };
}

describe('checkpoints', () => {
  it('write the TensorFlow.js weights format and read back bit for bit', async () => {
    const dir = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'cnnc-ck-')), 'checkpoint');
    const ck = await checkpointOf(1, 1);
    saveCheckpoint(dir, ck);
    expect(fs.readdirSync(dir).sort()).toEqual([
      'cnnc.json',
      'model.json',
      'optimizer.bin',
      'weights.bin',
    ]);
    const manifest = JSON.parse(fs.readFileSync(path.join(dir, 'model.json'), 'utf8'));
    expect(manifest.weightsManifest[0]).toEqual({
      paths: ['weights.bin'],
      weights: [
        { name: 'dense/kernel', shape: [16, 3], dtype: 'float32' },
        { name: 'dense/bias', shape: [3], dtype: 'float32' },
      ],
    });
    expect(fs.statSync(path.join(dir, 'weights.bin')).size).toBe((16 * 3 + 3) * 4);
    const back = loadCheckpoint(path.dirname(dir));
    expect(back.meta.epoch).toBe(1);
    expect(back.weights.map((w) => [...w.data])).toEqual(ck.weights.map((w) => [...w.data]));
    expect(back.optimizer?.step).toBe(1);
    expect(back.optimizer?.slots.map((s) => s.name)).toEqual([
      'dense/kernel/m',
      'dense/kernel/s',
      'dense/bias/m',
      'dense/bias/s',
    ]);
  });

  it('replace the previous checkpoint atomically and leave no temporary folders', async () => {
    const parent = fs.mkdtempSync(path.join(os.tmpdir(), 'cnnc-ck-'));
    const dir = path.join(parent, 'checkpoint');
    saveCheckpoint(dir, await checkpointOf(1, 1));
    saveCheckpoint(dir, await checkpointOf(2, 2));
    expect(fs.readdirSync(parent)).toEqual(['checkpoint']);
    expect(loadCheckpoint(dir).meta.epoch).toBe(2);
  });

  it('keep the previous checkpoint when a write fails', async () => {
    const parent = fs.mkdtempSync(path.join(os.tmpdir(), 'cnnc-ck-'));
    const dir = path.join(parent, 'checkpoint');
    saveCheckpoint(dir, await checkpointOf(1, 1));
    const bad = await checkpointOf(2, 2);
    // A weight whose data cannot be serialised stands in for a full disk.
    const broken = {
      ...bad,
      weights: [{ name: 'x', shape: [1], data: null as unknown as Float32Array }],
    };
    expect(() => saveCheckpoint(dir, broken)).toThrow(CheckpointError);
    expect(fs.readdirSync(parent)).toEqual(['checkpoint']);
    expect(loadCheckpoint(dir).meta.epoch).toBe(1);
  });

  it('report an unwritable location', async () => {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'cnnc-ck-')), 'file');
    fs.writeFileSync(file, '');
    expect(() => saveCheckpoint(path.join(file, 'checkpoint'), checkpointOfSync())).toThrow(
      /cannot write the checkpoint .*: (ENOTDIR|EEXIST)/,
    );
  });

  it('name the weights that differ from a model', () => {
    const diffs = weightDifferences(
      [
        { name: 'conv1/kernel', shape: [5, 5, 1, 6] },
        { name: 'dense1/kernel', shape: [400, 120] },
        { name: 'old/bias', shape: [3] },
      ],
      new Map([
        ['conv1/kernel', [5, 5, 1, 6]],
        ['dense1/kernel', [400, 64]],
        ['dense2/kernel', [64, 10]],
      ]),
    );
    expect(diffs).toEqual([
      'dense1/kernel: the checkpoint has 400x120, the model has 400x64',
      'dense2/kernel: missing from the checkpoint (the model has 64x10)',
      'old/bias: in the checkpoint (3) but not in the model',
    ]);
  });

  it('reject a folder without a checkpoint', () => {
    expect(() => loadCheckpoint(os.tmpdir())).toThrow(/no checkpoint here/);
  });
});

function checkpointOfSync(): Checkpoint {
  return {
    meta: {
      format: 'cnnc-checkpoint',
      version: 1,
      model: 'M',
      sourceHash: '',
      irHash: '',
      weights: {},
      optimizer: null,
      epoch: 0,
      globalStep: 0,
      metrics: null,
    },
    weights: [],
    optimizer: null,
  };
}
