/**
 * Checkpoints and weights files as someone else wrote them (docs/security.md, "Weights and
 * checkpoints you download"): every reader accepts only regular files inside the checkpoint's or
 * model.json's folder, checks sizes before reading, and turns any malformed JSON into a
 * CheckpointError or WeightsError that names the file and the field — never a TypeError, CNN9001,
 * a hang on a FIFO or memory exhausted by /dev/zero.
 *
 * The cases that used to hang (a FIFO, /dev/zero) run the built CLI (dist/) in a child process with
 * a time limit, so that a hang fails the test instead of stalling the suite.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  CheckpointError,
  loadCheckpoint,
  saveCheckpoint,
  type CheckpointMeta,
} from '../../../runtime/train/checkpoint.js';
import { readWeightsFile, writeWeightsFile } from '../../../runtime/weights/files.js';
import { encodeNpy } from '../../../runtime/weights/npy.js';
import { WeightsError } from '../../../runtime/weights/tensor.js';
import { runCnnc } from '../../helpers/cli.js';
import { REPO } from '../../helpers/memory-host.js';

const CLI = path.join(REPO, 'dist/compiler/cli/main.js');
const SECRET = 'SECRET_WEIGHTS_e07a';

/** `model T { input 4, dense 2 }`: weights dense1/kernel [4, 2] and dense1/bias [2]. */
const MODEL = 'model T {\n  input 4\n  d: dense 2\n}\n';
const WEIGHTS = [
  { name: 'd/kernel', shape: [4, 2], data: Float32Array.from({ length: 8 }, (_, i) => i) },
  { name: 'd/bias', shape: [2], data: new Float32Array([0.5, -0.5]) },
];

const META: CheckpointMeta = {
  format: 'cnnc-checkpoint',
  version: 1,
  model: 'T',
  sourceHash: 's',
  irHash: 'i',
  weights: { 'd/kernel': [4, 2], 'd/bias': [2] },
  optimizer: null,
  epoch: 1,
  globalStep: 4,
  metrics: {},
};

let root = '';
let ck = '';
let outside = '';

beforeEach(() => {
  root = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'cnnc-hostile-weights-')));
  outside = path.join(root, 'outside');
  fs.mkdirSync(outside);
  // 40 bytes, the size weights.bin must have: a file that would load if its path were followed.
  fs.writeFileSync(path.join(outside, 'secret.txt'), SECRET.padEnd(40, '!'));
  fs.writeFileSync(path.join(root, 'model.cnn'), MODEL);
  ck = path.join(root, 'run', 'checkpoint');
  saveCheckpoint(ck, { meta: META, weights: WEIGHTS, optimizer: null });
});

afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

function editJson(file: string, edit: (json: Record<string, unknown>) => unknown): void {
  const json = JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>;
  fs.writeFileSync(file, JSON.stringify(edit(json)));
}

const setShardPath = (p: string) =>
  editJson(path.join(ck, 'model.json'), (j) => {
    (j.weightsManifest as { paths: string[] }[])[0].paths = [p];
    return j;
  });

/** `cnnc ARGS` from the built CLI in a child process: a hang is a failure after 20 s. */
function cnncChild(args: string[]) {
  const r = spawnSync(process.execPath, [CLI, ...args], {
    cwd: root,
    encoding: 'utf8',
    timeout: 20_000,
  });
  expect(r.error, `cnnc ${args.join(' ')} did not end within 20 s`).toBeUndefined();
  return { code: r.status, out: r.stdout, err: r.stderr };
}

describe('checkpoint shard paths stay inside the checkpoint', () => {
  it.each([
    ['a path up and out', '../../outside/secret.txt', /leaves the folder/],
    ['an absolute path', '/dev/zero', /is absolute/],
    ['an absolute path to a file', '<outside>/secret.txt', /is absolute/],
  ])('%s is refused before anything is read', (_what, p, message) => {
    setShardPath(p.replace('<outside>', outside));
    expect(() => loadCheckpoint(ck)).toThrow(CheckpointError);
    expect(() => loadCheckpoint(ck)).toThrow(message);
    expect(() => readWeightsFile(ck)).toThrow(WeightsError);
  });

  it.each(['cnnc.json', 'model.json'])('%s as a link out of the folder is refused', (name) => {
    fs.writeFileSync(path.join(outside, name), `root:${SECRET}\n`);
    fs.rmSync(path.join(ck, name));
    fs.symlinkSync(path.join(outside, name), path.join(ck, name));
    let message = '';
    try {
      loadCheckpoint(ck);
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toMatch(/leads outside .* through a symbolic link/);
    expect(message).not.toContain(SECRET);
  });

  it('a symbolic link out of the folder is refused', () => {
    fs.rmSync(path.join(ck, 'weights.bin'));
    fs.symlinkSync(path.join(outside, 'secret.txt'), path.join(ck, 'weights.bin'));
    expect(() => loadCheckpoint(ck)).toThrow(/leads outside .* through a symbolic link/);
  });

  it('cnnc weights convert does not copy a file from outside into its output', async () => {
    setShardPath('../../outside/secret.txt');
    const to = path.join(root, 'out.safetensors');
    const r = await runCnnc(
      ['weights', 'convert', 'model.cnn', '--from', 'run', '--to', 'out.safetensors'],
      root,
    );
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/model\.json: the path "\.\.\/\.\.\/outside\/secret\.txt" leaves/);
    expect(fs.existsSync(to)).toBe(false);
  });

  it.each(['evaluate', 'predict', 'run', 'train --resume'])(
    'cnnc %s refuses it through the shared loader',
    async (command) => {
      setShardPath('../../outside/secret.txt');
      fs.writeFileSync(path.join(root, 'x.npy'), encodeNpy([1, 4], new Float32Array(4)));
      const args: Record<string, string[]> = {
        evaluate: ['evaluate', 'model.cnn', '--weights', 'run', '--backend', 'reference'],
        predict: ['predict', 'model.cnn', '--weights', 'run', '--backend', 'reference', 'x.npy'],
        run: ['run', 'model.cnn', '--weights', 'run', '--input', 'x.npy', '--backend', 'reference'],
        'train --resume': [
          'train',
          'model.cnn',
          '--out',
          'run',
          '--resume',
          '--backend',
          'reference',
          '--data',
          'mnist-json',
          '--limit',
          '8',
        ],
      };
      const r = await runCnnc(args[command], root);
      expect(r.code).toBe(1);
      expect(r.err).toMatch(/leaves the folder/);
      expect(r.out + r.err).not.toContain(SECRET);
    },
  );
});

describe('only regular files of the expected size are read', () => {
  it('a FIFO as weights.bin fails at once instead of waiting for a writer', () => {
    fs.rmSync(path.join(ck, 'weights.bin'));
    execFileSync('mkfifo', [path.join(ck, 'weights.bin')]);
    const r = cnncChild(['weights', 'plan', 'model.cnn', '--from', 'run']);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/weights\.bin: a FIFO/);
    // In-process only once the child has shown it does not block.
    expect(() => loadCheckpoint(ck)).toThrow(/FIFO/);
  });

  it('a link to /dev/zero as weights.bin fails at once instead of filling memory', () => {
    fs.rmSync(path.join(ck, 'weights.bin'));
    fs.symlinkSync('/dev/zero', path.join(ck, 'weights.bin'));
    const r = cnncChild(['weights', 'plan', 'model.cnn', '--from', 'run']);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/weights\.bin/);
  });

  it.each([
    ['a .safetensors FIFO', 'w.safetensors', 'fifo', /a FIFO/],
    ['a .safetensors link to /dev/zero', 'w.safetensors', '/dev/zero', /a device/],
    ['a model.json FIFO', 'model.json', 'fifo', /a FIFO/],
  ])('%s named on the command line fails at once', (_what, name, kind, message) => {
    const file = path.join(root, name);
    if (kind === 'fifo') execFileSync('mkfifo', [file]);
    else fs.symlinkSync(kind, file);
    const r = cnncChild(['weights', 'plan', 'model.cnn', '--from', name]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(message);
  });

  it('an oversize shard is refused by its size, before it is read', () => {
    // 1.5 GiB of nothing (a sparse file): reading it would allocate 1.5 GiB.
    const shard = path.join(ck, 'weights.bin');
    fs.truncateSync(shard, 1.5 * 2 ** 30);
    const before = process.memoryUsage().arrayBuffers;
    expect(() => loadCheckpoint(ck)).toThrow(/1,610,612,736 bytes, expected 40/);
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(2 ** 28);
  });

  it('an oversize TensorFlow.js shard is refused by its size, before it is read', () => {
    const dir = path.join(root, 'tfjs');
    writeWeightsFile(dir, WEIGHTS);
    const [shard] = fs.readdirSync(dir).filter((f) => f.endsWith('.bin'));
    fs.truncateSync(path.join(dir, shard), 1.5 * 2 ** 30);
    const before = process.memoryUsage().arrayBuffers;
    expect(() => readWeightsFile(dir)).toThrow(/1,610,612,736 bytes, more than the 40 expected/);
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(2 ** 28);
  });

  it('a TensorFlow.js shard linked out of its folder is refused', () => {
    const dir = path.join(root, 'tfjs');
    writeWeightsFile(dir, WEIGHTS);
    const [shard] = fs.readdirSync(dir).filter((f) => f.endsWith('.bin'));
    fs.rmSync(path.join(dir, shard));
    fs.symlinkSync(path.join(outside, 'secret.txt'), path.join(dir, shard));
    expect(() => readWeightsFile(dir)).toThrow(/through a symbolic link/);
  });

  it('optimizer.bin is read the same way', () => {
    editJson(path.join(ck, 'cnnc.json'), (j) => ({
      ...j,
      optimizer: {
        config: { name: 'sgd' },
        step: 1,
        slots: [{ name: 'd/kernel/m', shape: [4, 2] }],
      },
    }));
    // 32 bytes, the size the slot needs, outside the checkpoint.
    fs.writeFileSync(path.join(outside, 'slots.bin'), SECRET.padEnd(32, '!'));
    fs.symlinkSync(path.join(outside, 'slots.bin'), path.join(ck, 'optimizer.bin'));
    expect(() => loadCheckpoint(ck)).toThrow(/"optimizer\.bin" leads outside/);
  });
});

describe('malformed checkpoint JSON is an error naming the file and the field', () => {
  const meta = (edit: (j: Record<string, unknown>) => unknown) => () =>
    editJson(path.join(ck, 'cnnc.json'), edit);
  const model = (edit: (j: Record<string, unknown>) => unknown) => () =>
    editJson(path.join(ck, 'model.json'), edit);
  const group = (edit: (g: Record<string, unknown>) => void) =>
    model((j) => {
      edit((j.weightsManifest as Record<string, unknown>[])[0]);
      return j;
    });
  it.each([
    ['cnnc.json is null', meta(() => null), /cnnc\.json: .*must be an object; found null/],
    ['cnnc.json is a list', meta(() => []), /cnnc\.json: .*must be an object/],
    ['model is a number', meta((j) => ({ ...j, model: 3 })), /cnnc\.json: model must be/],
    ['epoch is text', meta((j) => ({ ...j, epoch: 'x' })), /cnnc\.json: epoch must be/],
    ['epoch is negative', meta((j) => ({ ...j, epoch: -1 })), /cnnc\.json: epoch must be/],
    [
      'optimizer.config is null',
      meta((j) => ({ ...j, optimizer: { config: null, step: 1, slots: [] } })),
      /cnnc\.json: optimizer\.config must be an object/,
    ],
    [
      'a slot shape is text',
      meta((j) => ({
        ...j,
        optimizer: { config: { name: 'sgd' }, step: 1, slots: [{ name: 'm', shape: 'x' }] },
      })),
      /cnnc\.json: optimizer\.slots\[0\]\.shape must be/,
    ],
    ['rng is null', meta((j) => ({ ...j, rng: null })), /cnnc\.json: rng must be an object/],
    ['model.json is null', model(() => null), /model\.json: .*must be an object; found null/],
    [
      'weightsManifest is an object',
      model(() => ({ weightsManifest: {} })),
      /model\.json: weightsManifest must be a list/,
    ],
    [
      'a group without paths',
      group((g) => delete g.paths),
      /model\.json: weightsManifest\[0\]\.paths must be a list/,
    ],
    [
      'a group whose paths hold a number',
      group((g) => (g.paths = [7])),
      /model\.json: weightsManifest\[0\]\.paths\[0\] must be a string/,
    ],
    [
      'a group without weights',
      group((g) => (g.weights = null)),
      /model\.json: weightsManifest\[0\]\.weights must be a list/,
    ],
    [
      'a weight of negative shape',
      group((g) => ((g.weights as { shape: number[] }[])[0].shape = [-1, 4])),
      /model\.json: weightsManifest\[0\]\.weights\[0\]\.shape\[0\] must be a size/,
    ],
    [
      'a weight of fractional shape',
      group((g) => ((g.weights as { shape: number[] }[])[0].shape = [2.5, 4])),
      /model\.json: weightsManifest\[0\]\.weights\[0\]\.shape\[0\] must be a size/,
    ],
    [
      'a weight without a name',
      group((g) => ((g.weights as { name?: string }[])[0].name = undefined)),
      /model\.json: weightsManifest\[0\]\.weights\[0\]\.name must be a string/,
    ],
  ])('%s', (_what, damage, message) => {
    damage();
    let error: unknown;
    try {
      loadCheckpoint(ck);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(CheckpointError);
    expect((error as Error).message).toMatch(message);
  });

  it('cnnc evaluate says so instead of an internal error', async () => {
    fs.writeFileSync(path.join(ck, 'cnnc.json'), 'null');
    const r = await runCnnc(
      ['evaluate', 'model.cnn', '--weights', 'run', '--backend', 'reference'],
      root,
    );
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/^cnnc: error: .*cnnc\.json: .*must be an object; found null\n$/);
    expect(r.err + r.out).not.toContain('CNN9001');
  });
});
