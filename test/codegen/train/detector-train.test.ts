/**
 * The emitted project trains a detector: train.py runs examples/detection/shapes-detector.cnn for a
 * few steps on a tiny generated shapes set (`cnnc data shapes`), prints COCO's numbers on its test
 * split, goes on with --resume to the weights of an uninterrupted run, and `cnnc evaluate` loads
 * its run folder and reports the same numbers (up to the two engines' float differences); under
 * torchrun two processes train as one with their global batch. The multi-scale example (two yolo
 * heads) trains for an epoch, and `cnnc evaluate` of its run gives train.py's numbers. A detector with
 * `features cache`, which cnnc train refuses, is left out of train.py (CNN6061).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadCheckpoint } from '../../../runtime/train/checkpoint.js';
import { runCnnc } from '../../helpers/cli.js';
import {
  canTrain,
  emitPytorch,
  ok,
  SKIP_REASON,
  tempDir,
  trainPy,
  weightDifference,
} from './train-helpers.js';

const work = tempDir('detector-train');
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));
const MODEL = 'examples/detection/shapes-detector.cnn';
const MULTI_SCALE = 'examples/detection/shapes-multiscale.cnn';

describe.runIf(canTrain)('train.py of a detector', () => {
  const project = path.join(work, 'project');
  const data = path.join(work, 'shapes');
  beforeAll(async () => {
    const shapes = ['data', 'shapes', '--out', data, '--train', '64', '--test', '16'];
    expect((await runCnnc([...shapes, '--size', '96', '--seed', '1'])).code).toBe(0);
    expect((await emitPytorch(MODEL, project)).code).toBe(0);
  }, 300_000);

  it('trains on coco:DIR, reports COCO numbers, resumes, and cnnc evaluate reads its run', async () => {
    const run = path.join(work, 'run');
    const report = path.join(work, 'report.json');
    const common = ['--data', `coco:${data}`, '--batch', '16', '--out', run, '--seed', '3'];
    const first = ok(trainPy(project, [...common, '--steps', '2']));
    expect(first.stdout).toMatch(/data: coco:shapes\/train, 64 train, 16 test/);
    expect(first.stdout).toMatch(/stopped after step 2 \(--steps\), in epoch 1/);
    expect(first.stdout).toMatch(/Average Precision {2}\(AP\) @\[ IoU=0\.50:0\.95 \| area= {3}all/);
    const second = ok(
      trainPy(project, [...common, '--steps', '5', '--resume', '--report', report]),
    );
    expect(second.stdout).toMatch(/resuming from .* after step 2 \(epoch 0\)/);
    expect(second.stdout).toMatch(/epoch 1\/10: loss \d+\.\d+/);
    // Stopped mid-epoch and resumed (augmentation skips the draws of the images done), the run
    // ends with the weights of one that was not interrupted.
    const straight = path.join(work, 'straight');
    ok(trainPy(project, [...common, '--steps', '5', '--out', straight]));
    expect(
      weightDifference(path.join(run, 'checkpoint'), path.join(straight, 'checkpoint')).relative,
    ).toBe(0);
    const r = JSON.parse(fs.readFileSync(report, 'utf8')) as {
      steps: number;
      test: { map: number; map50: number; stats: number[] };
    };
    expect(r.steps).toBe(5);
    expect(r.test.stats).toHaveLength(12);
    const ck = loadCheckpoint(path.join(run, 'checkpoint'));
    expect(ck.meta.classes?.names).toEqual(['circle', 'square', 'triangle']);
    expect(ck.meta.epoch).toBe(1);
    const lines = fs.readFileSync(path.join(run, 'metrics.jsonl'), 'utf8').trim().split('\n');
    expect(JSON.parse(lines[lines.length - 1]).train.loss).toBeGreaterThan(0);

    const ev = await runCnnc([
      'evaluate',
      MODEL,
      '--weights',
      run,
      '--data',
      `coco:${data}`,
      '--backend',
      'cpu',
      '--json',
    ]);
    expect(ev.err).toBe('');
    expect(ev.code).toBe(0);
    const coco = (JSON.parse(ev.out) as { coco: { images: number; map: number; map50: number } })
      .coco;
    expect(coco.images).toBe(16);
    expect(Math.abs(coco.map - r.test.map)).toBeLessThanOrEqual(0.02);
    expect(Math.abs(coco.map50 - r.test.map50)).toBeLessThanOrEqual(0.02);
  }, 600_000);

  it('trains the multi-scale example (two heads) for an epoch, and cnnc evaluate reads its run', async () => {
    const multi = path.join(work, 'multi');
    const run = path.join(work, 'multi-run');
    const report = path.join(work, 'multi-report.json');
    expect((await emitPytorch(MULTI_SCALE, multi)).code).toBe(0);
    const trained = ok(
      trainPy(multi, [
        ...['--data', `coco:${data}`, '--batch', '16', '--epochs', '1', '--seed', '3'],
        ...['--out', run, '--report', report],
      ]),
    );
    expect(trained.stdout).toMatch(/epoch 1\/1: loss \d+\.\d+/);
    const r = JSON.parse(fs.readFileSync(report, 'utf8')) as {
      steps: number;
      test: { stats: number[] };
    };
    expect(r.steps).toBe(4);
    const ev = await runCnnc([
      ...['evaluate', MULTI_SCALE, '--weights', run, '--data', `coco:${data}`],
      ...['--backend', 'cpu', '--json'],
    ]);
    expect(ev.err).toBe('');
    expect(ev.code).toBe(0);
    const coco = (JSON.parse(ev.out) as { coco: { images: number; stats: number[] } }).coco;
    expect(coco.images).toBe(16);
    // Both decode the two heads' boxes together before NMS, and read the heads in the same order:
    // the same 12 numbers (measured equal to the last digit; some are above 0 after 4 steps).
    expect(Math.max(...coco.stats)).toBeGreaterThan(0);
    coco.stats.forEach((v, k) =>
      expect(Math.abs(v - r.test.stats[k]), `stat ${k}`).toBeLessThanOrEqual(1e-3),
    );
  }, 600_000);

  it('under torchrun: 2 processes with batch 8 give the weights of 1 with batch 16', () => {
    // No augmentation (each process draws its own), batch norm over the global batch, and SGD
    // (Adam's first steps move a weight by ±lr whatever the size of its gradient, so a gradient
    // of ~0 summed in another order could move it the other way).
    const common = ['--data', `coco:${data}`, '--seed', '3', '--steps', '3', '--sync-bn'];
    common.push('--optimizer', 'momentum', '--lr', '0.01');
    const plain = [...common, '--flip', 'none', '--zoom', '0', '--translate', '0'];
    const one = path.join(work, 'ddp-one');
    const two = path.join(work, 'ddp-two');
    ok(trainPy(project, [...plain, '--batch', '16', '--out', one]));
    const r = ok(trainPy(project, [...plain, '--batch', '8', '--out', two], 2));
    expect(r.stdout).toMatch(/2 processes \(gloo\), global batch 16/);
    const ck = (dir: string) => path.join(dir, 'checkpoint');
    // Rounding (measured 1.5e-5: batch norm's backward cancels, and sums in another order),
    // against a real difference: batch norm over each process's half (measured 1.3e-2).
    expect(weightDifference(ck(two), ck(one)).mixed).toBeLessThanOrEqual(1e-4);
    const apart = path.join(work, 'ddp-apart');
    const halves = plain.filter((a) => a !== '--sync-bn');
    ok(trainPy(project, [...halves, '--batch', '8', '--out', apart], 2));
    expect(weightDifference(ck(apart), ck(one)).mixed).toBeGreaterThan(1e-3);
  }, 600_000);
});

describe('a detector with `features cache`', () => {
  const detector = (settings: string) =>
    `model Cached {\n  input 8x8x1\n  stem: conv 4 3x3 same\n  conv 8 1x1\n  yolo 3 boxes 1\n` +
    `  freeze stem\n  train { loss yolo${settings} }\n}\n`;

  it('is left out of train.py (CNN6061), as cnnc train refuses it; model.py still has it', async () => {
    const file = path.join(work, 'cached.cnn');
    fs.writeFileSync(file, detector(', features cache'));
    const cached = path.join(work, 'cached');
    const r = await emitPytorch(file, cached);
    expect(r.code, r.err).toBe(0);
    expect(r.err).toMatch(/warning\[CNN6061\]: train.py leaves Cached out/);
    expect(fs.existsSync(path.join(cached, 'train.py'))).toBe(false);
    expect(fs.readFileSync(path.join(cached, 'model.py'), 'utf8')).toMatch(/^class Cached\b/m);
    // Without the setting the same detector trains.
    fs.writeFileSync(file, detector(''));
    const plain = path.join(work, 'plain');
    const p = await emitPytorch(file, plain);
    expect(p.code, p.err).toBe(0);
    expect(p.err).not.toMatch(/CNN6061/);
    expect(fs.existsSync(path.join(plain, 'train.py'))).toBe(true);
  });
});

describe.skipIf(canTrain)('train.py of a detector', () => {
  it.skip(SKIP_REASON, () => {});
});
