/**
 * The emitted train.ts, run as a user runs it (tsc, then `node dist/train.js` in a child process)
 * on a small IDX data set written here: it honours the train block's frozen layers (their weights,
 * batch-norm statistics included, end as they started), gradual unfreezing (from its epoch on
 * they train), early stopping, per-layer rates, clipping, schedules and augmentation; it saves a checkpoint
 * after every epoch that is also a cnnc checkpoint (cnnc evaluate reads it); and its flags are
 * checked, a bad one being a usage error (exit 2) that names it; a second run into a run folder
 * is refused (exit 2), its files kept, unless --overwrite; a checkpoint that a save killed between
 * its two renames left in .checkpoint.old-PID is put back first, the leftovers of such saves
 * cleared unless they hold a user's file. A model with two outputs (one
 * ending in softmax) trains each with its loss and weight, prints a line per output as cnnc
 * evaluate does, and cnnc evaluate gives the same figures from its checkpoint.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rng } from '../../../runtime/data/dataset.js';
import { runCnnc } from '../../helpers/cli.js';
import { folderSnapshot } from '../../helpers/folder-snapshot.js';
import { REPO } from '../../helpers/memory-host.js';
import {
  emitTfjs,
  linkNodeModules,
  loadProject,
  transpile,
  type LoadedProject,
} from './tfjs-project.js';

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'cnnc-tfjs-train-'));
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

const MODELS = `
model Frozen {
  input 8x8x1
  stem: { conv 4 3x3 same, bn, relu }
  body: { conv 4 3x3 same, relu }
  gap
  head: dense 4, softmax
  freeze stem
  train {
    optimizer rmsprop lr 0.01 weight_decay 1e-4
    clip 1.0
    schedule step gamma 0.5 warmup 3
    batch 16, epochs 3, validation 0.25, seed 7
    lr head 0.05
    flip horizontal, rotation 10, brightness 0.1
  }
}

model Unfreezing {
  input 8x8x1
  stem: { conv 4 3x3 same, bn, relu }
  gap
  head: dense 4, softmax
  freeze stem
  train {
    optimizer adam lr 0.01, schedule cosine
    batch 16, epochs 3, validation 0.25, seed 7
    at epoch 2 unfreeze stem lr 0.001
  }
}

model Stopping {
  input 8x8x1
  conv 2 3x3, relu
  flatten
  dense 4
  train { optimizer sgd lr 0, epochs 6, batch 16, validation 0.25, early_stopping 1 }
}

model TwoHeads {
  input 8x8x1
  conv 4 3x3 same, bn, relu
  mid: maxpool 2x2
  output aux { flatten, dense 4, softmax }
  conv 4 3x3 same, relu
  gap
  fc: dense 4
  train {
    loss main categorical, aux categorical 0.3
    optimizer sgd lr 0.05 momentum 0.9
    batch 16, epochs 2, validation 0.25, seed 7, early_stopping 5
  }
}
`;

/** An IDX file of unsigned bytes. */
function idx(dims: readonly number[], bytes: Uint8Array): Buffer {
  const header = Buffer.alloc(4 + 4 * dims.length);
  header[2] = 0x08;
  header[3] = dims.length;
  dims.forEach((d, i) => header.writeUInt32BE(d, 4 + 4 * i));
  return Buffer.concat([header, Buffer.from(bytes)]);
}

/** 8x8 images of four classes: a bright quadrant per class, with noise. */
function writeData(dir: string): void {
  fs.mkdirSync(dir, { recursive: true });
  const random = rng(3);
  for (const [prefix, n] of [
    ['train', 96],
    ['t10k', 32],
  ] as const) {
    const images = new Uint8Array(n * 64);
    const labels = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      labels[i] = i % 4;
      for (let p = 0; p < 64; p++) {
        const quadrant = (Math.floor(p / 8) < 4 ? 0 : 2) + (p % 8 < 4 ? 0 : 1);
        images[i * 64 + p] = (quadrant === labels[i] ? 160 : 0) + Math.floor(random() * 60);
      }
    }
    fs.writeFileSync(path.join(dir, `${prefix}-images-idx3-ubyte`), idx([n, 8, 8], images));
    fs.writeFileSync(path.join(dir, `${prefix}-labels-idx1-ubyte`), idx([n], labels));
  }
}

const data = path.join(work, 'data');
const dir = path.join(work, 'project');
let project: LoadedProject;

function train(...args: string[]): { code: number | null; out: string; err: string } {
  const r = spawnSync(process.execPath, ['dist/train.js', '--data', `idx:${data}`, ...args], {
    cwd: dir,
    encoding: 'utf8',
    timeout: 300_000,
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

interface Report {
  readonly epochs: readonly Record<string, number>[];
  readonly test: {
    readonly loss: number;
    readonly accuracy: number;
    readonly images: number;
    readonly outputs: readonly { readonly name: string; readonly loss: number }[];
  };
}

/** The per-output lines (`  output NAME: loss L · accuracy A% · …`) as [name, loss, accuracy]. */
function outputLines(text: string): [string, number, number][] {
  return [
    ...text.matchAll(
      /^ {2}output (\w+): loss ([\d.]+) · accuracy ([\d.]+)% · top-5 [\d.]+% · macro F1 [\d.]+/gm,
    ),
  ].map((m) => [m[1], Number(m[2]), Number(m[3])]);
}

const report = (file: string) => JSON.parse(fs.readFileSync(file, 'utf8')) as Report;

/** Largest difference between a checkpoint's weights under `prefix` and a fresh build's (same seed). */
function changeFromStart(model: string, run: string, prefix: string, seed: number): number {
  const spec = project.MODELS.get(model)!;
  const start = spec.build({ seed });
  const saved = project.readWeightsFile(path.join(run, 'checkpoint'));
  let most = 0;
  start.weights.forEach((w) => {
    if (!w.originalName.startsWith(prefix)) return;
    const a = w.read().dataSync();
    const b = saved.get(w.originalName)!.data;
    for (let i = 0; i < a.length; i++) most = Math.max(most, Math.abs(a[i] - b[i]));
  });
  start.dispose();
  return most;
}

describe('the emitted train.ts', () => {
  beforeAll(async () => {
    writeData(data);
    const file = path.join(work, 'models.cnn');
    fs.writeFileSync(file, MODELS);
    const r = await emitTfjs(file, dir);
    if (r.code !== 0) throw new Error(r.err);
    linkNodeModules(dir);
    const tsc = spawnSync(process.execPath, [
      path.join(REPO, 'node_modules/typescript/bin/tsc'),
      '-p',
      dir,
    ]);
    if (tsc.status !== 0) throw new Error(String(tsc.stdout));
    project = await loadProject(transpile(dir));
    await project.useBackend('cpu');
  }, 300_000);

  it('keeps frozen layers (and their batch-norm statistics) as they start; the rest trains', async () => {
    const run = path.join(work, 'runs', 'frozen');
    const r = train('--model', 'Frozen', '--out', run, '--report', path.join(run, 'r.json'));
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/^epoch 3\/3 /m);
    expect(report(path.join(run, 'r.json')).epochs.length).toBe(3);
    expect(fs.readFileSync(path.join(run, 'metrics.jsonl'), 'utf8').trim().split('\n').length).toBe(
      3,
    );
    expect(changeFromStart('Frozen', run, 'stem.', 7)).toBe(0);
    expect(changeFromStart('Frozen', run, 'body.', 7)).toBeGreaterThan(1e-4);
    expect(changeFromStart('Frozen', run, 'head', 7)).toBeGreaterThan(1e-4);
    // The checkpoint is a cnnc checkpoint too.
    const evaluated = await runCnnc(
      [
        'evaluate',
        'models.cnn',
        '--model',
        'Frozen',
        '--weights',
        run,
        '--data',
        `idx:${data}`,
        '--backend',
        'reference',
      ],
      work,
    );
    expect(evaluated.code, evaluated.err).toBe(0);
    expect(evaluated.out).toMatch(/accuracy/);
  }, 300_000);

  it('unfreezes layers at the epoch the train block says', () => {
    const one = path.join(work, 'runs', 'unfreeze-1');
    expect(train('--model', 'Unfreezing', '--out', one, '--epochs', '1').code).toBe(0);
    expect(changeFromStart('Unfreezing', one, 'stem.', 7)).toBe(0);
    const three = path.join(work, 'runs', 'unfreeze-3');
    expect(train('--model', 'Unfreezing', '--out', three).code).toBe(0);
    expect(changeFromStart('Unfreezing', three, 'stem.', 7)).toBeGreaterThan(1e-5);
  }, 300_000);

  it('stops early when the validation loss stops improving', () => {
    const run = path.join(work, 'runs', 'stopping');
    const r = train('--model', 'Stopping', '--out', run, '--report', path.join(run, 'r.json'));
    expect(r.code, r.err).toBe(0);
    // lr 0: epoch 1 sets the best validation loss, epoch 2 does not improve on it (patience 1).
    expect(report(path.join(run, 'r.json')).epochs.length).toBe(2);
  }, 300_000);

  it('trains two outputs with their losses and weights, a line per output; cnnc evaluate agrees', async () => {
    const run = path.join(work, 'runs', 'two-heads');
    const r = train('--model', 'TwoHeads', '--out', run, '--report', path.join(run, 'r.json'));
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(
      /^epoch 2\/2 +val_loss [\d.]+ +val_main_loss [\d.]+ +val_aux_loss .* loss [\d.]+ +main_loss [\d.]+ +aux_loss [\d.]+ +main_categoricalAccuracy /m,
    );
    const rep = report(path.join(run, 'r.json'));
    // The training loss is main's plus 0.3 times aux's (their own, unweighted), in every epoch.
    for (const e of rep.epochs) {
      expect(e['loss']).toBeCloseTo(e['main_loss'] + 0.3 * e['aux_loss'], 4);
      expect(e['val_loss']).toBeCloseTo(e['val_main_loss'] + 0.3 * e['val_aux_loss'], 4);
    }
    expect(rep.test.outputs.map((o) => o.name)).toEqual(['main', 'aux']);
    expect(rep.test.loss).toBeCloseTo(rep.test.outputs[0].loss + 0.3 * rep.test.outputs[1].loss, 5);
    const lines = outputLines(r.out);
    expect(lines.map(([name]) => name)).toEqual(['main', 'aux']);
    // cnnc evaluates the checkpoint (every output's layers are in it) with the same figures.
    const evaluated = await runCnnc(
      [
        'evaluate',
        'models.cnn',
        '--model',
        'TwoHeads',
        '--weights',
        run,
        '--data',
        `idx:${data}`,
        '--backend',
        'reference',
      ],
      work,
    );
    expect(evaluated.code, evaluated.err).toBe(0);
    const cnnc = outputLines(evaluated.out);
    expect(cnnc.map(([name]) => name)).toEqual(['main', 'aux']);
    cnnc.forEach(([name, loss, accuracy], i) => {
      expect(Math.abs(loss - lines[i][1]), name).toBeLessThanOrEqual(2e-4);
      expect(accuracy, name).toBe(lines[i][2]);
    });
    // The flags override an output's loss and weight.
    const other = path.join(work, 'runs', 'two-heads-flags');
    const o = train(
      '--model',
      'TwoHeads',
      '--out',
      other,
      '--epochs',
      '1',
      '--output-loss',
      'aux=mse',
      '--output-weight',
      'aux=0.5',
      '--report',
      path.join(other, 'r.json'),
    );
    expect(o.code, o.err).toBe(0);
    const t = report(path.join(other, 'r.json')).test;
    expect(t.loss).toBeCloseTo(t.outputs[0].loss + 0.5 * t.outputs[1].loss, 5);
    // mse against one-hot targets of softmax outputs stays below 1; categorical cross-entropy here does not.
    expect(t.outputs[1].loss).toBeLessThan(0.5);
  }, 300_000);

  it('refuses a second run into a run folder, keeping the first; --overwrite replaces it', () => {
    const run = path.join(work, 'runs', 'again');
    const once = ['--model', 'Unfreezing', '--out', run, '--epochs', '1'];
    expect(train(...once).code).toBe(0);
    fs.writeFileSync(path.join(run, 'notes.txt'), 'mine\n');
    const first = folderSnapshot(run);
    expect([...first.keys()]).toEqual([
      'checkpoint/cnnc.json',
      'checkpoint/model.json',
      'checkpoint/weights.bin',
      'metrics.jsonl',
      'notes.txt',
    ]);
    // Another seed: a run that went ahead would leave other weights.
    const again = train(...once, '--seed', '9');
    expect(again.code).toBe(2);
    expect(again.err).toContain(
      `train.ts: ${run} holds a previous run (checkpoint/, metrics.jsonl): replace it with ` +
        '--overwrite, or choose another --out (train.ts cannot continue a run: it has no --resume)',
    );
    expect(folderSnapshot(run)).toEqual(first);
    // A file train.ts did not write in checkpoint/ is never replaced, --overwrite or not.
    const labels = path.join(run, 'checkpoint', 'labels.txt');
    fs.writeFileSync(labels, 'cat\n');
    const foreign = train(...once, '--overwrite');
    expect(foreign.code).toBe(2);
    expect(foreign.err).toContain(
      `will not replace the run in ${run}: ${path.join(run, 'checkpoint')} holds labels.txt, ` +
        'which train.ts did not write; move it away, or choose another --out',
    );
    expect(fs.readFileSync(labels, 'utf8')).toBe('cat\n');
    fs.rmSync(labels);
    expect(folderSnapshot(run)).toEqual(first);
    const replaced = train(...once, '--seed', '9', '--overwrite');
    expect(replaced.code, replaced.err).toBe(0);
    expect(replaced.out).toContain(
      `note: replacing the run in ${run} (--overwrite): removed checkpoint/, metrics.jsonl`,
    );
    const second = folderSnapshot(run);
    expect(second.get('notes.txt')?.toString()).toBe('mine\n');
    expect(second.get('checkpoint/weights.bin')).not.toEqual(first.get('checkpoint/weights.bin'));
    expect(fs.readFileSync(path.join(run, 'metrics.jsonl'), 'utf8').trim().split('\n').length).toBe(
      1,
    );
  }, 300_000);

  it('puts back a checkpoint a save left in .checkpoint.old-PID, clears leftovers, keeps foreign ones', () => {
    const run = path.join(work, 'runs', 'interrupted');
    const at = (name: string) => path.join(run, name);
    const once = ['--model', 'Unfreezing', '--out', run, '--epochs', '1'];
    expect(train(...once).code).toBe(0);
    const saved = folderSnapshot(run);
    // What a process killed between the two renames of io.ts's save leaves: the last epoch's
    // checkpoint in .checkpoint.old-PID, and another's half-written .checkpoint.tmp-PID; and a
    // later one holding a file of the user's, which is never touched.
    fs.renameSync(at('checkpoint'), at('.checkpoint.old-12345'));
    fs.mkdirSync(at('.checkpoint.tmp-12346'));
    fs.writeFileSync(at('.checkpoint.tmp-12346/weights.bin'), Buffer.alloc(12));
    fs.cpSync(at('.checkpoint.old-12345'), at('.checkpoint.old-99'), { recursive: true });
    const meta = JSON.parse(fs.readFileSync(at('.checkpoint.old-99/cnnc.json'), 'utf8'));
    fs.writeFileSync(at('.checkpoint.old-99/cnnc.json'), JSON.stringify({ ...meta, epoch: 9 }));
    fs.writeFileSync(at('.checkpoint.old-99/notes.txt'), 'mine\n');
    const foreign = folderSnapshot(at('.checkpoint.old-99'));

    // It recovers first, then refuses the folder, which holds the run again (no --resume).
    const r = train(...once);
    expect(r.code, r.err).toBe(2);
    expect(r.out).toContain(
      'note: recovered the checkpoint of epoch 1 from .checkpoint.old-12345, left by a run that ' +
        'stopped while saving',
    );
    expect(r.out).toContain(
      `note: left ${at('.checkpoint.old-99')} in place: it holds files train.ts did not write`,
    );
    expect(r.err).toContain(`train.ts: ${run} holds a previous run (checkpoint/, metrics.jsonl)`);
    expect(fs.readdirSync(run).sort()).toEqual([
      '.checkpoint.old-99',
      'checkpoint',
      'metrics.jsonl',
    ]);
    const runFiles = [...folderSnapshot(run)].filter(([f]) => !f.startsWith('.checkpoint'));
    expect(new Map(runFiles)).toEqual(saved);
    expect(folderSnapshot(at('.checkpoint.old-99'))).toEqual(foreign);

    // --weights on a folder where only such a leftover is says so.
    fs.renameSync(at('checkpoint'), at('.checkpoint.old-4321'));
    const w = train(
      '--model',
      'Unfreezing',
      '--out',
      path.join(work, 'runs', 'w'),
      '--weights',
      run,
    );
    expect(w.code).toBe(1);
    expect(w.err).toContain(
      `WeightsError: ${run}: expected a .safetensors file, a model.json, or a folder with ` +
        'model.json (a cnnc checkpoint); a run stopped while saving left .checkpoint.old-4321: ' +
        `renaming it to ${at('checkpoint')} recovers it`,
    );
    // A model with renamed layers gets no cnnc.json (writeCnncMeta): its save is put back too.
    fs.rmSync(at('.checkpoint.old-4321/cnnc.json'));
    expect(train(...once).out).toContain(
      'note: recovered the checkpoint in .checkpoint.old-4321 (no cnnc.json), left by a run that ' +
        'stopped while saving',
    );
    expect(fs.readdirSync(at('checkpoint')).sort()).toEqual(['model.json', 'weights.bin']);
  }, 300_000);

  it('refuses a run folder another run holds (its .cnnc-lock, as cnnc train takes it)', () => {
    const run = path.join(work, 'runs', 'locked');
    fs.mkdirSync(run, { recursive: true });
    const lock = path.join(run, '.cnnc-lock');
    const held = JSON.stringify({
      pid: process.pid,
      host: os.hostname(),
      started: 'then',
      by: 'cnnc train',
    });
    fs.writeFileSync(lock, held);
    const r = train('--model', 'Unfreezing', '--out', run, '--epochs', '1');
    expect(r.code).toBe(2);
    expect(r.err).toContain(
      `train.ts: ${run} is in use by another run: cnnc train (process ${process.pid} on ` +
        `${os.hostname()}, started then); wait for it to end or choose another --out`,
    );
    expect(fs.readdirSync(run)).toEqual(['.cnnc-lock']);
    expect(fs.readFileSync(lock, 'utf8')).toBe(held);
  });

  it.each([
    [
      ['--output-loss', 'main=hinge'],
      /--output-loss: "hinge" is not a loss: categorical, binary, mse/,
    ],
    [['--output-loss', 'mse'], /--output-loss takes NAME=VALUE; got "mse"/],
    [
      ['--output-weight', 'aux=2'],
      /--output-weight: the model has no output "aux"; its outputs: main/,
    ],
    [
      ['--output-weight', 'main=0'],
      /--output-weight: the weight of main must be a positive number; got "0"/,
    ],
    [['--epochs', '0'], /--epochs must be an integer of at least 1/],
    [['--lr', 'fast'], /--lr must be a number/],
    [['--optimizer', 'lion'], /--optimizer must be one of sgd, momentum/],
    [['--model', 'Nope'], /no model "Nope" in model.ts: Frozen, Unfreezing, Stopping/],
    [['--data', 'folder:photos'], /folder:DIR \(image folders\) needs an image decoder/],
    [['--backend', 'gpu'], /--backend must be one of wasm, cpu, tensorflow/],
    [['--bogus'], /Unknown option '--bogus'/],
    [['--resume'], /Unknown option '--resume'/],
  ])('refuses %j as a usage error', (args, message) => {
    const r = spawnSync(process.execPath, ['dist/train.js', ...args], {
      cwd: dir,
      encoding: 'utf8',
    });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(message);
  });
});
