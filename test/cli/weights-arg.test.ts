/**
 * `--weights` of evaluate, predict and verify takes a checkpoint folder or a weights file
 * (compiler/cli/load-weights.ts): a .safetensors file under cnnc's names (what the emitted
 * train.py writes as model.safetensors) gives the same results as the checkpoint it came from, and
 * a file whose weights do not fit the model is an error that lists them.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeSafetensors } from '../../runtime/weights/safetensors.js';
import { loadCheckpoint } from '../../runtime/train/checkpoint.js';
import { runCnnc } from '../helpers/cli.js';

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'cnnc-weights-arg-'));
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

describe('--weights takes a checkpoint or a .safetensors file', () => {
  const run = path.join(work, 'run');
  const file = path.join(work, 'lenet5.safetensors');
  const digits = path.join(work, 'digits.npy');
  beforeAll(async () => {
    const trained = await runCnnc([
      'train',
      'examples/lenet5.cnn',
      '--backend',
      'cpu',
      '--limit',
      '64',
      '--epochs',
      '1',
      '--out',
      run,
      '--quiet',
    ]);
    expect(trained.code, trained.err).toBe(0);
    const { weights } = loadCheckpoint(path.join(run, 'checkpoint'));
    fs.writeFileSync(file, encodeSafetensors(weights));
    const npy = new Uint8Array(128 + 2 * 28 * 28);
    const header = "{'descr': '|u1', 'fortran_order': False, 'shape': (2, 28, 28), }";
    npy.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0, 118, 0]);
    npy.set(new TextEncoder().encode(header.padEnd(117, ' ') + '\n'), 10);
    for (let i = 128; i < npy.length; i++) npy[i] = (i * 37) % 256;
    fs.writeFileSync(digits, npy);
  });

  const json = (out: string) => JSON.parse(out) as Record<string, unknown>;

  it('evaluate: the file gives the metrics of its checkpoint', async () => {
    const args = ['evaluate', 'examples/lenet5.cnn', '--backend', 'cpu', '--limit', '200'];
    const fromRun = await runCnnc([...args, '--weights', run, '--json']);
    const fromFile = await runCnnc([...args, '--weights', file, '--json']);
    expect(fromFile.code, fromFile.err).toBe(0);
    expect(json(fromFile.out).test).toEqual(json(fromRun.out).test);
    expect(json(fromFile.out).weights).toBe(path.relative(process.cwd(), file));
  });

  it('predict: the file gives the predictions of its checkpoint', async () => {
    const args = ['predict', 'examples/lenet5.cnn', digits, '--backend', 'cpu', '--json'];
    const fromRun = await runCnnc([...args, '--weights', run]);
    const fromFile = await runCnnc([...args, '--weights', file]);
    expect(fromFile.code, fromFile.err).toBe(0);
    expect(json(fromFile.out)).toEqual(json(fromRun.out));
  });

  it('verify: compares the backends at the weights of the file', async () => {
    const r = await runCnnc(['verify', 'examples/lenet5.cnn', '--weights', file, '--json']);
    expect(r.code, r.err).toBe(0);
    expect(json(r.out).ok).toBe(true);
    const seeded = await runCnnc(['verify', 'examples/lenet5.cnn', '--json']);
    expect(json(r.out).loss).not.toEqual(json(seeded.out).loss);
  });

  it('refuses a file whose weights do not fit the model, naming them', async () => {
    const { weights } = loadCheckpoint(path.join(run, 'checkpoint'));
    const bad = path.join(work, 'bad.safetensors');
    fs.writeFileSync(
      bad,
      encodeSafetensors(
        weights
          .filter((w) => w.name !== 'dense3/bias')
          .map((w) =>
            w.name === 'conv1/kernel' ? { ...w, shape: [5, 5, 6, 1], data: w.data } : w,
          ),
      ),
    );
    const r = await runCnnc(['evaluate', 'examples/lenet5.cnn', '--weights', bad]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/bad\.safetensors holds weights that do not fit LeNet5/);
    expect(r.err).toMatch(/conv1\/kernel: the checkpoint has 5x5x6x1, the model has 5x5x1x6/);
    expect(r.err).toMatch(/dense3\/bias: missing/);
  });
});
