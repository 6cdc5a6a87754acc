/**
 * Training-step parity: the emitted train.py and `cnnc train --backend reference` (cnnc's own
 * executor, which defines the semantics) start from the same initial weights (both draw cnnc's for
 * the seed), read the same IDX data, shuffle it the same way and take the same optimiser steps, so
 * their checkpoints agree to float rounding: ≤ 1e-5 relative (max |Δ| / max |w| per tensor).
 *
 * Cases: one step of SGD with momentum and weight decay (the batch is the whole set); four steps of
 * Adam with clipping, warm-up and a cosine schedule; a frozen prefix (its batch norm in eval mode)
 * with two learning-rate groups; and gradual unfreezing (`at epoch 2 unfreeze`), which keeps Adam's
 * step count going for the layers that start training in the second phase. A model with two
 * outputs trains on the sum of weight * loss: one step with categorical losses (both outputs end in
 * a softmax, trained from their logits), and four where one softmax output is trained with mse on
 * its probabilities beside the other's logits.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCnnc } from '../../helpers/cli.js';
import {
  canTrain,
  describeDifference,
  emitPytorch,
  ok,
  SKIP_REASON,
  tempDir,
  trainPy,
  weightDifference,
  writeIdxSet,
} from './train-helpers.js';

const body = `  input 12x12x1
  conv1: conv 4 3x3 nobias
  bn1: bn
  relu
  conv2: conv 6 3x3, relu
  maxpool 2x2 /2
  flatten
  fc: dense 10, softmax`;

// Two outputs, both ending in a softmax: an auxiliary head on the pooled features beside the main
// path (the weighted losses' gradients meet in conv1 and bn1).
const twoHeads = `  input 12x12x1
  conv1: conv 4 3x3 nobias
  bn1: bn
  relu
  maxpool 2x2 /2
  output aux { flatten, dense 10, softmax }
  conv2: conv 6 3x3, relu
  flatten
  fc: dense 10, softmax`;

// 64 training images, 16 of them held out for validation: 48 train, in batches of 12 (4 steps an
// epoch) or of 48 (1 step).
const CASES = [
  {
    name: 'one step of sgd with momentum and weight decay',
    train: 'optimizer momentum lr 0.1 momentum 0.9 weight_decay 0.01\n    batch 48 epochs 1',
  },
  {
    name: 'four steps of adam with clipping, warm-up and a cosine schedule',
    train:
      'optimizer adam lr 0.01 weight_decay 0.001 batch 12 epochs 1\n    clip 0.5 warmup 2 schedule cosine',
  },
  {
    name: 'a frozen prefix and two learning-rate groups',
    freeze: 'freeze conv1, bn1',
    train: 'optimizer nesterov lr 0.05 batch 12 epochs 1\n    lr conv2 0.01, fc 0.2',
  },
  {
    name: 'gradual unfreezing with adam',
    freeze: 'freeze conv1, bn1',
    train:
      'optimizer adam lr 0.01 batch 12 epochs 2\n    at epoch 2 unfreeze conv1 lr 0.001\n    at epoch 2 unfreeze bn1',
  },
  {
    name: 'two outputs with weighted categorical losses, one step of sgd with momentum',
    body: twoHeads,
    train:
      'loss main categorical, aux categorical 0.3\n    optimizer momentum lr 0.1 momentum 0.9\n    batch 48 epochs 1',
  },
  {
    name: 'two outputs, a softmax trained with mse beside one trained from its logits',
    body: twoHeads,
    train:
      'loss main categorical 0.7, aux mse 2.5\n    optimizer momentum lr 0.1 momentum 0.9\n    batch 12 epochs 1',
  },
];

const work = tempDir('train-step');
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

describe.skipIf(!canTrain)('train.py steps as cnnc train --backend reference', () => {
  const data = writeIdxSet(path.join(work, 'data'), {
    train: 64,
    test: 16,
    shape: [12, 12],
    classes: 10,
    seed: 5,
  });

  it.each(CASES)('$name', async (c) => {
    const dir = path.join(work, c.name.replace(/\W+/g, '-'));
    const file = path.join(dir, 'step.cnn');
    fs.mkdirSync(dir, { recursive: true });
    const freeze = c.freeze ? `  ${c.freeze}\n` : '';
    const train = `  train {\n    ${c.train}\n    validation 0.25 seed 7\n  }\n`;
    fs.writeFileSync(file, `model Step {\n${c.body ?? body}\n${freeze}${train}}\n`);
    const project = path.join(dir, 'torch');
    const emitted = await emitPytorch(file, project);
    expect(emitted.err).not.toMatch(/error/);
    const flags = ['--data', `idx:${data}`, '--quiet'];
    const cnnc = await runCnnc([
      'train',
      file,
      '--backend',
      'reference',
      ...flags,
      '--out',
      path.join(dir, 'cnnc'),
    ]);
    expect(cnnc.code, cnnc.err).toBe(0);
    ok(trainPy(project, [...flags, '--out', path.join(dir, 'torch-run')]));
    const d = weightDifference(path.join(dir, 'torch-run'), path.join(dir, 'cnnc'));
    console.log(`step parity, ${c.name}: ${describeDifference(d)}`);
    expect(d.relative).toBeLessThanOrEqual(1e-5);
  });
});

if (!canTrain) {
  describe('train.py step parity', () => {
    it.skip(SKIP_REASON, () => {});
  });
}
