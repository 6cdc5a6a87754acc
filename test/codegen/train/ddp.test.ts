/**
 * train.py under torchrun (2 processes, gloo on the CPU), the standard DistributedDataParallel
 * checks: N steps with batch B per process leave the weights of one process with batch 2B (≤ 1e-5
 * relative), for LeNet-5 (no batch norm) and for a model with batch norm under --sync-bn (without
 * it each process normalises its own half, and the weights differ; batch norm's small beta is held
 * to 1e-5 absolute, see below); and a run stopped part-way
 * (--steps) and continued with --resume ends where an uninterrupted run ends, augmentation on.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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

const work = tempDir('train-ddp');
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

const BN_MODEL = `model Norm {
  input 12x12x1
  conv 4 3x3 nobias
  bn
  relu
  conv 6 3x3 nobias
  bn
  relu
  gap
  dense 10, softmax
  train { optimizer momentum lr 0.02 weight_decay 0.001 seed 11 }
}
`;

describe.runIf(canTrain)('train.py under torchrun', () => {
  const lenet = path.join(work, 'lenet5');
  const norm = path.join(work, 'norm');
  let digits = '';
  let small = '';
  beforeAll(async () => {
    digits = writeIdxSet(path.join(work, 'digits'), {
      train: 128,
      test: 32,
      shape: [28, 28],
      classes: 10,
      seed: 1,
    });
    small = writeIdxSet(path.join(work, 'small'), {
      train: 128,
      test: 32,
      shape: [12, 12],
      classes: 10,
      seed: 2,
    });
    expect((await emitPytorch('examples/lenet5.cnn', lenet)).code).toBe(0);
    fs.writeFileSync(path.join(work, 'norm.cnn'), BN_MODEL);
    expect((await emitPytorch(path.join(work, 'norm.cnn'), norm)).code).toBe(0);
  });

  const run = (project: string, data: string, out: string, args: string[], processes = 1) =>
    ok(
      trainPy(
        project,
        ['--data', `idx:${data}`, '--validation', '0', '--quiet', '--out', out, ...args],
        processes,
      ),
    );

  it('LeNet-5: 2 processes with batch 16 give the weights of 1 with batch 32', () => {
    const one = path.join(work, 'lenet-1');
    const two = path.join(work, 'lenet-2');
    run(lenet, digits, one, ['--epochs', '2', '--batch', '32']);
    const r = run(lenet, digits, two, ['--epochs', '2', '--batch', '16'], 2);
    expect(r.stdout).toMatch(/2 processes \(gloo\), global batch 32/);
    const d = weightDifference(two, one);
    console.log(`DDP, LeNet-5: ${describeDifference(d)}`);
    expect(d.relative).toBeLessThanOrEqual(1e-5);
  });

  it('batch norm under --sync-bn: 2 processes with batch 16 give the weights of 1 with batch 32', () => {
    const one = path.join(work, 'norm-1');
    const two = path.join(work, 'norm-2');
    const apart = path.join(work, 'norm-apart');
    run(norm, small, one, ['--epochs', '2', '--batch', '32']);
    run(norm, small, two, ['--epochs', '2', '--batch', '16', '--sync-bn'], 2);
    run(norm, small, apart, ['--epochs', '2', '--batch', '16'], 2);
    const d = weightDifference(two, one);
    console.log(`DDP, batch norm with --sync-bn: ${describeDifference(d)}`);
    // The batch norms' beta is ~1e-3 after 8 steps, and float32 sums over the two halves round
    // differently from one sum over the whole batch by ~2e-8: relative to a tensor that small,
    // 1e-5. So tensors below 1 are held to 1e-5 absolute, the others to 1e-5 relative.
    expect(d.mixed).toBeLessThanOrEqual(1e-5);
    expect(weightDifference(apart, one).mixed).toBeGreaterThan(1e-4);
  });

  it('--resume under torchrun continues where --steps stopped, as an uninterrupted run', () => {
    const whole = path.join(work, 'whole');
    const parts = path.join(work, 'parts');
    const args = ['--epochs', '2', '--batch', '16', '--rotation', '10', '--translate', '0.1'];
    run(lenet, digits, whole, args, 2);
    const first = run(lenet, digits, parts, [...args, '--steps', '3'], 2);
    expect(first.stdout).toMatch(/stopped after step 3 \(--steps\), in epoch 1/);
    const second = run(lenet, digits, parts, [...args, '--resume'], 2);
    expect(second.stdout).toMatch(/resuming from .* after step 3 \(epoch 0\)/);
    const d = weightDifference(parts, whole);
    console.log(`resume under torchrun: ${describeDifference(d)}`);
    expect(d.relative).toBeLessThanOrEqual(1e-6);
    const log = fs.readFileSync(path.join(parts, 'metrics.jsonl'), 'utf8').trim().split('\n');
    expect(log.map((l) => (JSON.parse(l) as { epoch: number }).epoch)).toEqual([1, 2]);
  });
});

if (!canTrain) {
  describe('train.py under torchrun', () => {
    it.skip(SKIP_REASON, () => {});
  });
}
