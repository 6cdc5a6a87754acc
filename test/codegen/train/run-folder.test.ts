/**
 * train.py's run folder, as `cnnc train` keeps its own (test/cli/run-folder.test.ts): a second
 * fresh run into a folder that holds a run is a usage error that names the folder, what is in it
 * and the fixes, and leaves every file of the first run as it was (byte for byte); --overwrite
 * replaces the run and leaves other files alone; --resume continues it; the two together are
 * refused; files train.py did not write are never replaced; a folder another run holds (its
 * .cnnc-lock names a live process) is refused, a dead run's lock taken over, and the lock given back
 * at the end; a checkpoint that a save killed between its two renames left in .checkpoint.old-PID
 * is put back (the latest epoch's), the leftovers of such saves cleared unless they hold a user's
 * file, and --weights names such a leftover; and under torchrun the first process judges the folder for all (one message, every
 * process stops).
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { folderSnapshot as snapshot } from '../../helpers/folder-snapshot.js';
import {
  canTrain,
  emitPytorch,
  ok,
  PYTHON,
  SKIP_REASON,
  tempDir,
  trainPy,
  writeIdxSet,
} from './train-helpers.js';

const work = tempDir('train-run-folder');
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

const MODEL = `model Tiny {
  input 8x8x1
  conv 2 3x3, relu
  flatten
  dense 4
  train { optimizer sgd lr 0.05, epochs 1, batch 16, seed 5 }
}
`;

const epochsOf = (dir: string) =>
  fs
    .readFileSync(path.join(dir, 'metrics.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => (JSON.parse(l) as { epoch: number }).epoch);

const RUN_FILES = [
  'checkpoint/cnnc.json',
  'checkpoint/model.json',
  'checkpoint/weights.bin',
  'metrics.jsonl',
  'model.safetensors',
  'train-state.pt',
];

describe.runIf(canTrain)("train.py's run folder", () => {
  const project = path.join(work, 'tiny');
  let data = '';
  beforeAll(async () => {
    data = writeIdxSet(path.join(work, 'data'), {
      train: 48,
      test: 16,
      shape: [8, 8],
      classes: 4,
      seed: 1,
    });
    fs.writeFileSync(path.join(work, 'tiny.cnn'), MODEL);
    expect((await emitPytorch(path.join(work, 'tiny.cnn'), project)).code).toBe(0);
  });

  const run = (out: string, args: readonly string[] = [], processes = 1) =>
    trainPy(project, ['--data', `idx:${data}`, '--quiet', '--out', out, ...args], processes);

  it('refuses a second fresh run, keeps the first; --overwrite replaces it, --resume continues', () => {
    const out = path.join(work, 'runs', 'again');
    ok(run(out));
    fs.writeFileSync(path.join(out, 'notes.txt'), 'mine\n');
    const first = snapshot(out);
    expect([...first.keys()].sort()).toEqual([...RUN_FILES, 'notes.txt'].sort());

    // Another seed: a run that went ahead would leave other weights.
    const again = run(out, ['--seed', '9']);
    expect(again.status).toBe(1);
    expect(again.stderr).toContain(
      `train.py: error: ${out} holds a previous run (checkpoint/, model.safetensors, ` +
        'train-state.pt, metrics.jsonl): continue it with --resume, replace it with ' +
        '--overwrite, or choose another --out',
    );
    expect(snapshot(out)).toEqual(first);

    const both = run(out, ['--resume', '--overwrite']);
    expect(both.status).toBe(2);
    expect(both.stderr).toMatch(/argument --overwrite: not allowed with argument --resume/);
    expect(snapshot(out)).toEqual(first);

    const replaced = ok(run(out, ['--overwrite', '--seed', '9']));
    expect(replaced.stdout).toContain(
      `note: replacing the run in ${out} (--overwrite): removed checkpoint/, model.safetensors, ` +
        'train-state.pt, metrics.jsonl',
    );
    const second = snapshot(out);
    expect(second.get('notes.txt')?.toString()).toBe('mine\n');
    expect(second.get('checkpoint/weights.bin')).not.toEqual(first.get('checkpoint/weights.bin'));
    expect(epochsOf(out)).toEqual([1]);

    const resumed = ok(run(out, ['--resume', '--seed', '9', '--epochs', '2']));
    expect(resumed.stdout).toMatch(/resuming from .* after step 3 \(epoch 1\)/);
    expect(epochsOf(out)).toEqual([1, 2]);
    expect(fs.readFileSync(path.join(out, 'notes.txt'), 'utf8')).toBe('mine\n');
  });

  it('needs no flag for a missing or an empty folder, or one holding only other files', () => {
    const empty = path.join(work, 'runs', 'empty');
    fs.mkdirSync(empty, { recursive: true });
    ok(run(empty));
    ok(run(path.join(work, 'runs', 'missing', 'deeper')));
    const others = path.join(work, 'runs', 'others');
    fs.mkdirSync(others, { recursive: true });
    fs.writeFileSync(path.join(others, 'README'), 'data notes\n');
    ok(run(others));
    expect(fs.readFileSync(path.join(others, 'README'), 'utf8')).toBe('data notes\n');
  });

  it.each([
    [
      'a file of its own in checkpoint/',
      (out: string) => fs.writeFileSync(path.join(out, 'checkpoint', 'labels.txt'), 'cat\n'),
      ['--overwrite'],
      /will not replace the run in .*: .*checkpoint holds labels\.txt, which train\.py did not write; move it away, or choose another --out/,
    ],
    [
      'a metrics.jsonl that is no log of epochs',
      (out: string) => fs.writeFileSync(path.join(out, 'metrics.jsonl'), 'my own notes\n'),
      ['--overwrite'],
      /will not replace the run in .*: the lines of .*metrics\.jsonl are not epoch records/,
    ],
    [
      'no train-state.pt to resume from',
      (out: string) => fs.rmSync(path.join(out, 'train-state.pt')),
      ['--resume'],
      /--resume: .* holds checkpoint\/, model\.safetensors, metrics\.jsonl but no train-state\.pt to continue from; start afresh with --overwrite \(instead of --resume\), or choose another --out/,
    ],
  ])('refuses %s, leaving the folder as it was', (name, change, args, message) => {
    const out = path.join(work, 'runs', name.replace(/\W+/g, '-'));
    ok(run(out));
    change(out);
    const before = snapshot(out);
    const r = run(out, args);
    expect(r.status, r.stdout).toBe(1);
    expect(r.stderr).toMatch(message);
    expect(snapshot(out)).toEqual(before);
  });

  it('puts back a checkpoint a save left in .checkpoint.old-PID, clears leftovers, keeps foreign ones', () => {
    const out = path.join(work, 'runs', 'interrupted');
    ok(run(out));
    const saved = snapshot(out);
    // What a process killed between save_cnnc_checkpoint's two renames leaves: the last epoch's
    // checkpoint in .checkpoint.old-PID, and another's half-written .checkpoint.tmp-PID.
    const at = (name: string) => path.join(out, name);
    fs.renameSync(at('checkpoint'), at('.checkpoint.old-12345'));
    fs.mkdirSync(at('.checkpoint.tmp-12346'));
    fs.writeFileSync(at('.checkpoint.tmp-12346/weights.bin'), Buffer.alloc(12));
    // An older complete one (epoch 0), and one of a later epoch holding a file of the user's:
    // the latest epoch among checkpoints is put back, the user's folder never touched.
    fs.cpSync(at('.checkpoint.old-12345'), at('.checkpoint.old-7'), { recursive: true });
    const meta = JSON.parse(fs.readFileSync(at('.checkpoint.old-7/cnnc.json'), 'utf8'));
    fs.writeFileSync(at('.checkpoint.old-7/cnnc.json'), JSON.stringify({ ...meta, epoch: 0 }));
    fs.cpSync(at('.checkpoint.old-12345'), at('.checkpoint.old-99'), { recursive: true });
    fs.writeFileSync(at('.checkpoint.old-99/cnnc.json'), JSON.stringify({ ...meta, epoch: 9 }));
    fs.writeFileSync(at('.checkpoint.old-99/notes.txt'), 'mine\n');
    const foreign = snapshot(at('.checkpoint.old-99'));

    // A fresh run recovers it first, then refuses the folder, which now holds the run again.
    const refused = run(out);
    expect(refused.status).toBe(1);
    expect(refused.stdout).toContain(
      'note: recovered the checkpoint of epoch 1 from .checkpoint.old-12345, left by a run that ' +
        'stopped while saving',
    );
    expect(refused.stdout).toContain(
      `note: left ${at('.checkpoint.old-99')} in place: it holds files train.py did not write`,
    );
    expect(refused.stderr).toContain(`${out} holds a previous run (checkpoint/, model.safetensors`);
    expect(fs.readdirSync(out).sort()).toEqual([
      '.checkpoint.old-99',
      'checkpoint',
      'metrics.jsonl',
      'model.safetensors',
      'train-state.pt',
    ]);
    const runFiles = new Map([...snapshot(out)].filter(([f]) => !f.startsWith('.checkpoint')));
    expect(runFiles).toEqual(saved);
    expect(snapshot(at('.checkpoint.old-99'))).toEqual(foreign);

    // --resume continues from epoch 1; the user's folder stays, and says so again.
    fs.renameSync(at('checkpoint'), at('.checkpoint.old-12345'));
    const resumed = ok(run(out, ['--resume', '--epochs', '2']));
    expect(resumed.stdout).toContain(
      'note: recovered the checkpoint of epoch 1 from .checkpoint.old-12345',
    );
    expect(resumed.stdout).toMatch(/resuming from .* after step 3 \(epoch 1\)/);
    expect(epochsOf(out)).toEqual([1, 2]);
    expect(JSON.parse(fs.readFileSync(at('checkpoint/cnnc.json'), 'utf8')).epoch).toBe(2);
    expect(fs.readdirSync(out).filter((f) => f.startsWith('.checkpoint'))).toEqual([
      '.checkpoint.old-99',
    ]);
    expect(snapshot(at('.checkpoint.old-99'))).toEqual(foreign);
  });

  it('says where --weights finds only a checkpoint a stopped save left', () => {
    const source = path.join(work, 'runs', 'weights-source');
    ok(run(source));
    fs.renameSync(path.join(source, 'checkpoint'), path.join(source, '.checkpoint.old-4321'));
    const r = run(path.join(work, 'runs', 'weights-target'), ['--weights', source]);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(
      `train.py: error: ${source}: no cnnc checkpoint here (no cnnc.json in it or in ` +
        `checkpoint/); a run stopped while saving left .checkpoint.old-4321: renaming it to ` +
        `${path.join(source, 'checkpoint')} recovers it`,
    );
  });

  it('refuses a folder another run holds (.cnnc-lock, as cnnc train takes it); takes over a dead one', () => {
    const out = path.join(work, 'runs', 'locked');
    fs.mkdirSync(out, { recursive: true });
    const lock = path.join(out, '.cnnc-lock');
    const started = '2026-12-07T00:00:00.000Z';
    // This test's own process: one that runs.
    const held = JSON.stringify({ pid: process.pid, host: os.hostname(), started, by: 'train.ts' });
    fs.writeFileSync(lock, held);
    const r = run(out);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(
      `train.py: error: ${out} is in use by another run: train.ts (process ${process.pid} on ` +
        `${os.hostname()}, started ${started}); wait for it to end or choose another --out`,
    );
    expect(fs.readdirSync(out)).toEqual(['.cnnc-lock']);
    expect(fs.readFileSync(lock, 'utf8')).toBe(held);
    // A process that has ended.
    const ended = spawnSync(PYTHON, ['-c', 'import os; print(os.getpid())'], { encoding: 'utf8' });
    const pid = Number(ended.stdout.trim());
    fs.writeFileSync(lock, JSON.stringify({ pid, host: os.hostname(), started }));
    const taken = ok(run(out));
    expect(taken.stdout).toContain(
      `note: took over the lock of ${out} from process ${pid}, which no longer runs`,
    );
    // Given back when the run ends.
    expect(fs.existsSync(lock)).toBe(false);
  });

  it('under torchrun the first process judges the folder for every process', () => {
    const out = path.join(work, 'runs', 'torchrun');
    ok(run(out));
    const first = snapshot(out);
    const refused = run(out, [], 2);
    expect(refused.status).not.toBe(0);
    // One message (the first process's); the others stop without their own.
    const messages = `${refused.stdout}${refused.stderr}`.match(/holds a previous run/g) ?? [];
    expect(messages.length).toBe(1);
    expect(snapshot(out)).toEqual(first);
    const replaced = ok(run(out, ['--overwrite', '--seed', '9'], 2));
    expect(replaced.stdout).toMatch(/note: replacing the run in .* \(--overwrite\)/);
    expect(epochsOf(out)).toEqual([1]);
    expect(snapshot(out).get('checkpoint/weights.bin')).not.toEqual(
      first.get('checkpoint/weights.bin'),
    );
  });
});

if (!canTrain) {
  describe("train.py's run folder", () => {
    it.skip(SKIP_REASON, () => {});
  });
}
