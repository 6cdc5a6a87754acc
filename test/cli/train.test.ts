import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCnnc as cnnc } from '../helpers/cli.js';
import { REPO } from '../helpers/memory-host.js';

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'cnnc-train-'));
const QUICK = [
  '--data',
  'mnist-json',
  '--limit',
  '256',
  '--batch',
  '64',
  '--backend',
  'wasm',
  '--quiet',
];

describe('cnnc train, evaluate and predict', () => {
  const out = path.join(tmp(), 'run');
  const report = path.join(out, '..', 'report.json');

  it('trains, checkpoints, resumes, evaluates and predicts', async () => {
    const first = await cnnc([
      'train',
      'examples/lenet5.cnn',
      ...QUICK,
      '--epochs',
      '1',
      '--out',
      out,
      '--report',
      report,
    ]);
    expect(first.err).toBe('');
    expect(first.code).toBe(0);
    expect(first.out).toMatch(/^LeNet5 · 61,706 params \(61,706 trainable\) · backend wasm/);
    expect(first.out).toMatch(/test: loss [\d.]+ · accuracy [\d.]+%/);
    expect(fs.readdirSync(path.join(out, 'checkpoint')).sort()).toEqual([
      'cnnc.json',
      'model.json',
      'optimizer.bin',
      'weights.bin',
    ]);
    expect(fs.readdirSync(out).sort()).toEqual(['checkpoint', 'metrics.jsonl']);
    const r1 = JSON.parse(fs.readFileSync(report, 'utf8'));
    expect(r1).toMatchObject({ model: 'LeNet5', backend: { name: 'wasm' }, epochs: 1 });
    expect(r1.test.count).toBe(256);
    expect(r1.imagesPerSecond).toBeGreaterThan(0);

    // The checkpoint reloads to the same outputs: evaluate gives the same test figures.
    const ev = await cnnc([
      'evaluate',
      'examples/lenet5.cnn',
      '--weights',
      out,
      '--data',
      'mnist-json',
      '--limit',
      '256',
      '--json',
    ]);
    expect(ev.code).toBe(0);
    const e = JSON.parse(ev.out);
    expect(e.test.accuracy).toBe(r1.test.accuracy);
    expect(e.test.loss).toBeCloseTo(r1.test.loss, 5);

    // Resume continues with epoch 2 and lowers the training loss.
    const second = await cnnc([
      'train',
      'examples/lenet5.cnn',
      ...QUICK,
      '--epochs',
      '2',
      '--out',
      out,
      '--resume',
    ]);
    expect(second.code).toBe(0);
    expect(second.out).toMatch(/resuming from .* after epoch 1/);
    const log = fs
      .readFileSync(path.join(out, 'metrics.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(log.map((l) => l.epoch)).toEqual([1, 2]);
    expect(log[1].train.loss).toBeLessThan(log[0].train.loss);
    const meta = JSON.parse(fs.readFileSync(path.join(out, 'checkpoint', 'cnnc.json'), 'utf8'));
    expect(meta).toMatchObject({ model: 'LeNet5', epoch: 2, optimizer: { step: 2 * 4 } });

    // predict: a .npy digit (28x28 uint8, zero-padded to 32x32).
    const npy = path.join(out, '..', 'digit.npy');
    let header = "{'descr': '|u1', 'fortran_order': False, 'shape': (28, 28), }";
    header += `${' '.repeat(63 - ((10 + header.length) % 64))}\n`;
    const head = Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0, header.length, 0]);
    fs.writeFileSync(npy, Buffer.concat([head, Buffer.from(header), Buffer.alloc(28 * 28, 0)]));
    const pr = await cnnc([
      'predict',
      'examples/lenet5.cnn',
      '--weights',
      out,
      npy,
      '--top',
      '2',
      '--json',
    ]);
    expect(pr.code).toBe(0);
    const p = JSON.parse(pr.out);
    expect(p.predictions).toHaveLength(1);
    expect(p.predictions[0].top).toHaveLength(2);
    const sum = p.predictions[0].top[0].probability + p.predictions[0].top[1].probability;
    expect(sum).toBeLessThanOrEqual(1 + 1e-6);

    // A checkpoint of another model is rejected, naming the weights that differ.
    const other = path.join(out, '..', 'other.cnn');
    fs.writeFileSync(
      other,
      fs
        .readFileSync(path.join(REPO, 'examples/lenet5.cnn'), 'utf8')
        .replace('dense 84, tanh', 'dense 64, tanh'),
    );
    const bad = await cnnc([
      'evaluate',
      other,
      '--weights',
      out,
      '--data',
      'mnist-json',
      '--limit',
      '16',
    ]);
    expect(bad.code).toBe(1);
    expect(bad.err).toMatch(/holds weights of LeNet5, which do not fit LeNet5/);
    expect(bad.err).toMatch(/kernel: the checkpoint has 120x84, the model has 120x64/);
    expect(bad.err).toMatch(/bias: the checkpoint has 84, the model has 64/);
  });

  it.each([
    [
      'an unknown option',
      ['train', 'examples/lenet5.cnn', '--frobnicate'],
      2,
      /unknown option --frobnicate/,
    ],
    [
      'an unknown backend',
      ['train', 'examples/lenet5.cnn', '--backend', 'gpu'],
      2,
      /--backend must be one of/,
    ],
    [
      'a bad optimizer',
      ['train', 'examples/lenet5.cnn', '--optimizer', 'lion'],
      2,
      /--optimizer must be one of/,
    ],
    [
      'evaluate without weights',
      ['evaluate', 'examples/lenet5.cnn'],
      2,
      /--weights DIR is required/,
    ],
    [
      'a missing checkpoint',
      ['evaluate', 'examples/lenet5.cnn', '--weights', os.tmpdir(), '--backend', 'cpu'],
      1,
      /no checkpoint here/,
    ],
    ['a missing file', ['train', 'examples/nope.cnn'], 1, /CNN2011/],
    [
      'a missing data folder',
      // Its own --out: the default, runs/LeNet5 in the checkout, may hold the README's main job,
      // which the run-folder check (before any data is read) refuses first.
      [
        'train',
        'examples/lenet5.cnn',
        '--data',
        'idx:/nonexistent',
        '--backend',
        'cpu',
        '--out',
        path.join(tmp(), 'run'),
      ],
      1,
      /no such directory/,
    ],
    [
      'PNG input',
      ['predict', 'examples/lenet5.cnn', '--weights', os.tmpdir(), 'x.png', '--backend', 'cpu'],
      1,
      /no checkpoint here|PNG/,
    ],
  ])('fails on %s', async (_, args, code, message) => {
    const r = await cnnc(args);
    expect(r.code).toBe(code);
    expect(r.err).toMatch(message);
  });

  it('reports train-block mistakes as diagnostics', async () => {
    const file = path.join(tmp(), 'm.cnn');
    fs.writeFileSync(
      file,
      'model M {\n  input 28x28x1\n  flatten\n  dense 10\n  train { optimizr adam, lr -1 }\n}\n',
    );
    const r = await cnnc(['train', file, '--backend', 'cpu']);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/CNN2002/);
    expect(r.err).toMatch(/unknown training setting `optimizr`/);
    expect(r.err).toMatch(/CNN2005/);
  });

  it('prints help', async () => {
    const r = await cnnc(['train', '--help']);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/usage: cnnc train FILE/);
  });
});
