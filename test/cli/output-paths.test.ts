/**
 * Every command with an output path prepares it the same way (runtime/safe-write.ts): a folder the
 * file system will not create fails at once with a message naming it (`/proc/x` used to hang in
 * Node 20's recursive mkdirSync), and only a regular file is ever replaced — a folder, a link or a
 * FIFO at the output path is refused and left as it was (`weights convert --to X.safetensors` used
 * to delete a folder X.safetensors recursively).
 *
 * The /proc cases run the built CLI (dist/) in a child process with a time limit, so that a hang
 * fails the test instead of stalling the suite.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { saveCheckpoint } from '../../runtime/train/checkpoint.js';
import { encodeNpy } from '../../runtime/weights/npy.js';
import { sequential } from '../compiler/import/keras-fixtures.js';
import { runCnnc } from '../helpers/cli.js';
import { REPO } from '../helpers/memory-host.js';

const CLI = path.join(REPO, 'dist/compiler/cli/main.js');
const QUICK = [
  '--data',
  'mnist-json',
  '--limit',
  '64',
  '--backend',
  'wasm',
  '--threads',
  '1',
  '--quiet',
];

let dir = '';

beforeAll(() => {
  dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'cnnc-outputs-')));
  fs.writeFileSync(path.join(dir, 'm.cnn'), 'model M {\n  input 4\n  d: dense 2\n}\n');
  fs.writeFileSync(
    path.join(dir, 'digits.cnn'),
    'model D {\n  input 28x28x1\n  flatten\n  dense 10, softmax\n' +
      '  train { optimizer sgd lr 0.05, batch 64, validation 0, epochs 1 }\n}\n',
  );
  saveCheckpoint(path.join(dir, 'w', 'checkpoint'), {
    meta: {
      format: 'cnnc-checkpoint',
      version: 1,
      model: 'M',
      sourceHash: 's',
      irHash: 'i',
      weights: { 'd/kernel': [4, 2], 'd/bias': [2] },
      optimizer: null,
      epoch: 1,
      globalStep: 1,
      metrics: {},
    },
    weights: [
      { name: 'd/kernel', shape: [4, 2], data: new Float32Array(8) },
      { name: 'd/bias', shape: [2], data: new Float32Array(2) },
    ],
    optimizer: null,
  });
  fs.writeFileSync(path.join(dir, 'x.npy'), encodeNpy([1, 4], new Float32Array(4)));
  fs.writeFileSync(
    path.join(dir, 'keras.json'),
    sequential([['Dense', { units: 2, batch_input_shape: [null, 4] }]]),
  );
});

afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** The commands with an output path, writing to `out` (a file name; a folder for tfjs weights). */
const COMMANDS: [string, (out: string) => string[]][] = [
  ['train --out', (out) => ['train', 'digits.cnn', ...QUICK, '--out', out]],
  ['train --report', (out) => ['train', 'digits.cnn', ...QUICK, '--out', 'r', '--report', out]],
  ['compile -o', (out) => ['compile', 'm.cnn', '--emit', 'ir', '-o', out]],
  [
    'weights convert --to .safetensors',
    (out) => ['weights', 'convert', 'm.cnn', '--from', 'w', '--to', `${out}.safetensors`],
  ],
  [
    'weights convert --to a folder',
    (out) => ['weights', 'convert', 'm.cnn', '--from', 'w', '--to', out],
  ],
  [
    'import keras -o',
    (out) => ['import', 'keras', 'keras.json', '-o', `${out}.cnn`, '--no-weights'],
  ],
  [
    'run --output',
    (out) => [
      'run',
      'm.cnn',
      '--weights',
      'w',
      '--input',
      'x.npy',
      '--backend',
      'cpu',
      '--output',
      out,
    ],
  ],
];

describe('an output location the file system will not create', () => {
  it.each(COMMANDS)('%s /proc/… fails at once, naming it', (_what, args) => {
    const target = `/proc/cnnc-no-such-${process.pid}/out`;
    const r = spawnSync(process.execPath, [CLI, ...args(target)], {
      cwd: dir,
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(r.error, 'the command did not end within 60 s').toBeUndefined();
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain(`/proc/cnnc-no-such-${process.pid}`);
    expect(r.stderr).not.toMatch(/CNN9001|\n\s+at /);
  });
});

describe('only a regular file is replaced', () => {
  it.each([
    [
      'a folder',
      (p: string) => {
        fs.mkdirSync(p);
        fs.writeFileSync(path.join(p, 'keep.txt'), 'keep me');
      },
      (p: string) => fs.readFileSync(path.join(p, 'keep.txt'), 'utf8') === 'keep me',
    ],
    [
      'a symbolic link to a file',
      (p: string) => {
        fs.writeFileSync(`${p}.target`, 'keep me');
        fs.symlinkSync(`${p}.target`, p);
      },
      (p: string) => fs.lstatSync(p).isSymbolicLink() && fs.readFileSync(p, 'utf8') === 'keep me',
    ],
    [
      'a symbolic link to a folder',
      (p: string) => {
        fs.mkdirSync(`${p}.target`);
        fs.symlinkSync(`${p}.target`, p);
      },
      (p: string) => fs.lstatSync(p).isSymbolicLink() && fs.statSync(p).isDirectory(),
    ],
  ])('%s at the output path is refused and left as it was', async (_what, make, intact) => {
    for (const [name, args] of COMMANDS) {
      if (name.startsWith('train --out') || name.endsWith('a folder')) continue;
      const base = fs.mkdtempSync(path.join(dir, 'out-'));
      const out = path.join(base, 'y');
      const target = args(out).find((a) => a.startsWith(out))!;
      make(target);
      const r = await runCnnc(args(out), dir);
      expect(r.code, `${name}: ${r.err}`).not.toBe(0);
      expect(r.err, name).toMatch(/will not replace .*: it is a/);
      expect(r.out, name).not.toMatch(/^data:/m);
      expect(intact(target), name).toBe(true);
    }
  });

  it('writes into a device such as /dev/null, never replacing it', async () => {
    for (const args of [
      ['compile', 'm.cnn', '--emit', 'ir', '-o', '/dev/null'],
      [
        'run',
        'm.cnn',
        '--weights',
        'w',
        '--input',
        'x.npy',
        '--backend',
        'cpu',
        '--output',
        '/dev/null',
      ],
    ]) {
      const r = await runCnnc(args, dir);
      expect(r.code, r.err).toBe(0);
      expect(fs.statSync('/dev/null').isCharacterDevice()).toBe(true);
    }
  });

  it('replaces a regular file it may replace', async () => {
    const out = path.join(dir, 'again.safetensors');
    fs.writeFileSync(out, 'old');
    const r = await runCnnc(['weights', 'convert', 'm.cnn', '--from', 'w', '--to', out], dir);
    expect(r.code).toBe(0);
    expect(fs.statSync(out).size).toBeGreaterThan(3);
  });

  it('a weights folder that is a file, or holds other files, is refused', async () => {
    const file = path.join(dir, 'not-a-folder');
    fs.writeFileSync(file, 'keep me');
    const r = await runCnnc(['weights', 'convert', 'm.cnn', '--from', 'w', '--to', file], dir);
    expect(r.err).toMatch(/will not replace .*: it is a regular file, not a weights folder/);
    expect(fs.readFileSync(file, 'utf8')).toBe('keep me');
  });

  it('creates missing folders on the way', async () => {
    const out = path.join(dir, 'new', 'deeper', 'ir.json');
    const r = await runCnnc(['compile', 'm.cnn', '--emit', 'ir', '-o', out], dir);
    expect(r.code).toBe(0);
    expect(JSON.parse(fs.readFileSync(out, 'utf8')).model).toBe('M');
  });
});
