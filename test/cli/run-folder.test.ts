/**
 * The run folder of `cnnc train --out DIR` (docs/security.md): cnnc never deletes or truncates a
 * file it did not write, refuses a fresh run into a folder holding a run unless told to resume or
 * replace it, locks the folder against a second run, and recovers the checkpoint a run killed in
 * the middle of saving left behind. The kill is real: a child process with the test-only
 * CNNC_TEST_CRASH_AT hook (runtime/test-hooks.ts) dies by SIGKILL between saveCheckpoint's renames.
 */
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadCheckpoint } from '../../runtime/train/checkpoint.js';
import { runCnnc } from '../helpers/cli.js';
import { REPO } from '../helpers/memory-host.js';

const CLI = path.join(REPO, 'dist/compiler/cli/main.js');
/** 256 digits of the mnist package in batches of 64: 4 steps an epoch. */
const QUICK = ['--data', 'mnist-json', '--limit', '256', '--backend', 'wasm', '--quiet'];

const made: string[] = [];
afterAll(() => made.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

function setup(epochs = 1): { dir: string; file: string; out: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cnnc-run-folder-'));
  made.push(dir);
  const file = path.join(dir, 'tiny.cnn');
  fs.writeFileSync(
    file,
    `model Tiny {\n  input 28x28x1\n  conv 4 3x3 /2, relu\n  flatten\n  dense 10, softmax\n` +
      `  train { optimizer sgd lr 0.05, batch 64, validation 0, seed 3, epochs ${epochs} }\n}\n`,
  );
  return { dir, file, out: path.join(dir, 'run') };
}

const epochsOf = (out: string) =>
  fs
    .readFileSync(path.join(out, 'metrics.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => (JSON.parse(l) as { epoch: number }).epoch);

describe('cnnc train never deletes what it did not write', () => {
  it('refuses a checkpoint folder holding other files, before training', async () => {
    const { file, out } = setup();
    fs.mkdirSync(path.join(out, 'checkpoint'), { recursive: true });
    fs.writeFileSync(path.join(out, 'checkpoint', 'notes.txt'), 'keep me');
    fs.writeFileSync(path.join(out, 'metrics.jsonl'), '{"epoch": 1}\n');
    const r = await runCnnc(['train', file, ...QUICK, '--out', out]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(
      /will not replace .*checkpoint: it holds notes\.txt, which cnnc did not write/,
    );
    expect(r.out).not.toContain('data:');
    expect(fs.readFileSync(path.join(out, 'checkpoint', 'notes.txt'), 'utf8')).toBe('keep me');
    expect(fs.readFileSync(path.join(out, 'metrics.jsonl'), 'utf8')).toBe('{"epoch": 1}\n');
    // Not even when told to replace the run.
    const again = await runCnnc(['train', file, ...QUICK, '--out', out, '--overwrite']);
    expect(again.code).toBe(1);
    expect(fs.readFileSync(path.join(out, 'checkpoint', 'notes.txt'), 'utf8')).toBe('keep me');
  });

  it.each([
    ['a metrics.jsonl of other text', 'metrics.jsonl', 'my notes\n', /metrics\.jsonl: its lines/],
    [
      'a checkpoint that is a file',
      'checkpoint',
      'a file\n',
      /checkpoint: it is a regular file, not a checkpoint folder/,
    ],
  ])('refuses %s', async (_what, name, text, message) => {
    const { file, out } = setup();
    fs.mkdirSync(out, { recursive: true });
    fs.writeFileSync(path.join(out, name), text);
    const r = await runCnnc(['train', file, ...QUICK, '--out', out, '--overwrite']);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(message);
    expect(fs.readFileSync(path.join(out, name), 'utf8')).toBe(text);
  });

  it('refuses a fresh run into a run folder, and resumes or replaces it when told', async () => {
    const { file, out } = setup();
    expect((await runCnnc(['train', file, ...QUICK, '--out', out])).code).toBe(0);
    const before = fs.readFileSync(path.join(out, 'metrics.jsonl'), 'utf8');
    const fresh = await runCnnc(['train', file, ...QUICK, '--out', out]);
    expect(fresh.code).toBe(1);
    expect(fresh.err).toMatch(
      /holds a run \(a checkpoint of epoch 1\): continue it with --resume, replace it with --overwrite, or choose another --out/,
    );
    expect(fs.readFileSync(path.join(out, 'metrics.jsonl'), 'utf8')).toBe(before);
    const resumed = await runCnnc([
      'train',
      file,
      ...QUICK,
      '--out',
      out,
      '--resume',
      '--epochs',
      '2',
    ]);
    expect(resumed.code).toBe(0);
    expect(epochsOf(out)).toEqual([1, 2]);
    const replaced = await runCnnc(['train', file, ...QUICK, '--out', out, '--overwrite']);
    expect(replaced.code).toBe(0);
    expect(replaced.err).toMatch(/replacing the run/);
    expect(epochsOf(out)).toEqual([1]);
    expect(loadCheckpoint(path.join(out, 'checkpoint')).meta.epoch).toBe(1);
    expect(fs.readdirSync(out).sort()).toEqual(['checkpoint', 'metrics.jsonl']);
  });

  it('takes --resume and --overwrite as exclusive', async () => {
    const { file, out } = setup();
    const r = await runCnnc(['train', file, ...QUICK, '--out', out, '--resume', '--overwrite']);
    expect(r.code).toBe(2);
  });
});

describe('one run at a time in a run folder', () => {
  it('refuses a second cnnc train while the first holds the folder', async () => {
    const { file, out } = setup(200);
    const first = spawn(process.execPath, [CLI, 'train', file, ...QUICK, '--out', out], {
      stdio: 'ignore',
    });
    try {
      const lock = path.join(out, '.cnnc-lock');
      for (let i = 0; i < 600 && !fs.existsSync(lock); i++)
        await new Promise((r) => setTimeout(r, 50));
      expect(fs.existsSync(lock), 'the first run never took the lock').toBe(true);
      const second = await runCnnc(['train', file, ...QUICK, '--out', out, '--resume']);
      expect(second.code).toBe(1);
      expect(second.err).toMatch(
        new RegExp(
          `is in use by another run: cnnc train \\(process ${first.pid} on ${os.hostname()}`,
        ),
      );
      expect(fs.existsSync(lock)).toBe(true);
    } finally {
      first.kill('SIGKILL');
      await new Promise((r) => first.once('exit', r));
    }
  });

  it('takes over the lock of a process that no longer runs, with a note, and gives it back', async () => {
    const { file, out } = setup();
    const gone = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], {
      encoding: 'utf8',
    });
    const pid = Number(gone.stdout);
    fs.mkdirSync(out, { recursive: true });
    fs.writeFileSync(
      path.join(out, '.cnnc-lock'),
      JSON.stringify({ pid, host: os.hostname(), started: '2026-01-01T00:00:00.000Z' }),
    );
    const r = await runCnnc(['train', file, ...QUICK, '--out', out]);
    expect(r.code).toBe(0);
    expect(r.err).toContain(`took over the lock of ${out} from process ${pid}`);
    expect(fs.existsSync(path.join(out, '.cnnc-lock'))).toBe(false);
  });

  it('refuses the lock of a process that runs, and of another host', async () => {
    const { file, out } = setup();
    fs.mkdirSync(out, { recursive: true });
    const lock = path.join(out, '.cnnc-lock');
    for (const [holder, message] of [
      [
        { pid: process.pid, host: os.hostname(), by: 'train.py' },
        /in use by another run: train\.py \(process/,
      ],
      [{ pid: process.pid, host: os.hostname() }, /in use by another run: a run \(process/],
      [{ pid: 1, host: 'elsewhere.example' }, /on elsewhere\.example.*delete .*\.cnnc-lock/],
    ] as const) {
      fs.writeFileSync(lock, JSON.stringify({ ...holder, started: '2026-01-01T00:00:00.000Z' }));
      const r = await runCnnc(['train', file, ...QUICK, '--out', out]);
      expect(r.code).toBe(1);
      expect(r.err).toMatch(message);
      expect(fs.existsSync(lock)).toBe(true);
    }
  });
});

describe('a run killed between the two renames of a checkpoint save', () => {
  it('leaves .checkpoint.old-PID, which --resume recovers and resumes from', async () => {
    const { file, out } = setup(2);
    const crashed = spawnSync(process.execPath, [CLI, 'train', file, ...QUICK, '--out', out], {
      env: { ...process.env, CNNC_TEST_CRASH_AT: 'checkpoint-between-renames' },
      encoding: 'utf8',
      timeout: 120_000,
    });
    // Epoch 1 saved with no previous checkpoint (no rename away); epoch 2's save died.
    expect(crashed.signal).toBe('SIGKILL');
    const left = fs.readdirSync(out).sort();
    expect(left).toEqual([
      '.checkpoint.old-' + crashed.pid,
      '.checkpoint.tmp-' + crashed.pid,
      '.cnnc-lock',
      'metrics.jsonl',
    ]);
    expect(epochsOf(out)).toEqual([1]);
    // evaluate points the way.
    const ev = await runCnnc(['evaluate', file, '--weights', out, ...QUICK.slice(0, 4)]);
    expect(ev.err).toMatch(/left \.checkpoint\.old-\d+: cnnc train --resume --out .* recovers it/);
    // A leftover of an older crash, holding a file of the user's: never touched, not even its
    // checkpoint files, although its epoch is the latest.
    const mine = path.join(out, '.checkpoint.old-99');
    fs.cpSync(path.join(out, '.checkpoint.old-' + crashed.pid), mine, { recursive: true });
    const meta = JSON.parse(fs.readFileSync(path.join(mine, 'cnnc.json'), 'utf8'));
    fs.writeFileSync(path.join(mine, 'cnnc.json'), JSON.stringify({ ...meta, epoch: 9 }));
    fs.writeFileSync(path.join(mine, 'notes.txt'), 'mine');
    const kept = fs.readdirSync(mine).sort();

    const resumed = await runCnnc([
      'train',
      file,
      ...QUICK,
      '--out',
      out,
      '--resume',
      '--epochs',
      '3',
    ]);
    expect(resumed.code).toBe(0);
    expect(resumed.err).toMatch(new RegExp(`took over the lock .* from process ${crashed.pid}`));
    expect(resumed.err).toMatch(
      /recovered the checkpoint of epoch 1 from \.checkpoint\.old-\d+, left by a run that stopped while saving/,
    );
    expect(resumed.err).toContain(`left ${mine} in place: it holds files cnnc did not write`);
    expect(resumed.out).toMatch(/resuming from .* after epoch 1/);
    expect(fs.readdirSync(out).sort()).toEqual([
      '.checkpoint.old-99',
      'checkpoint',
      'metrics.jsonl',
    ]);
    expect(fs.readdirSync(mine).sort()).toEqual(kept);
    expect(loadCheckpoint(path.join(out, 'checkpoint')).meta.epoch).toBe(3);
    expect(epochsOf(out)).toEqual([1, 2, 3]);
  });

  it('says it put the checkpoint back also when the run is then refused', async () => {
    const { file, out } = setup();
    expect((await runCnnc(['train', file, ...QUICK, '--out', out])).code).toBe(0);
    // The state a save that died between its renames leaves (no checkpoint, its copy kept).
    fs.renameSync(path.join(out, 'checkpoint'), path.join(out, '.checkpoint.old-12345'));
    const refused = await runCnnc(['train', file, ...QUICK, '--out', out]);
    expect(refused.code).toBe(1);
    expect(refused.err).toMatch(
      /note: recovered the checkpoint of epoch 1 from \.checkpoint\.old-12345[^\n]*\n(.*\n)*.*holds a run \(a checkpoint of epoch 1\)/,
    );
    expect(fs.readdirSync(out).sort()).toEqual(['checkpoint', 'metrics.jsonl']);
  });
});
