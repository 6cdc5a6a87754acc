/**
 * The emitted LeNet-5 project trains on the full MNIST, as a user would run it: `cnnc compile
 * examples/lenet5.cnn --emit tfjs`, then tsc builds it and `node dist/train.js` trains with its
 * train block (nesterov lr 0.05, cosine, 3 epochs, seed 42) on the wasm backend, in a child
 * process. The test accuracy it reports is at least 98.5%, and its checkpoint folder is one cnnc
 * reads: `cnnc evaluate --weights` gives the same accuracy on the same weights. Seeded throughout,
 * so the figure does not vary between runs; it takes about two minutes on two cores.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCnnc } from '../../helpers/cli.js';
import { REPO } from '../../helpers/memory-host.js';
import { emitTfjs, linkNodeModules } from './tfjs-project.js';

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'cnnc-tfjs-mnist-'));
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

interface Report {
  readonly model: string;
  readonly backend: string;
  readonly epochs: readonly Record<string, number>[];
  readonly test: { readonly loss: number; readonly accuracy: number; readonly images: number };
  readonly seconds: number;
}

describe('the emitted LeNet-5 project on MNIST', () => {
  it('trains to at least 98.5% test accuracy, and cnnc evaluates its checkpoint alike', async () => {
    const dir = path.join(work, 'lenet5');
    const emitted = await emitTfjs('examples/lenet5.cnn', dir);
    expect(emitted.code, emitted.err).toBe(0);
    linkNodeModules(dir);
    const tsc = spawnSync(
      process.execPath,
      [path.join(REPO, 'node_modules/typescript/bin/tsc'), '-p', dir],
      { encoding: 'utf8' },
    );
    expect(tsc.status, `${tsc.stdout}${tsc.stderr}`).toBe(0);
    const run = path.join(work, 'runs', 'LeNet5');
    const report = path.join(work, 'report.json');
    const train = spawnSync(
      process.execPath,
      ['dist/train.js', '--out', run, '--report', report, '--quiet'],
      { cwd: dir, encoding: 'utf8', timeout: 1_500_000 },
    );
    expect(train.status, train.stderr).toBe(0);
    const r = JSON.parse(fs.readFileSync(report, 'utf8')) as Report;
    console.log(
      `emitted LeNet-5 on MNIST: test accuracy ${(100 * r.test.accuracy).toFixed(2)}% ` +
        `after ${r.epochs.length} epochs, ${r.seconds.toFixed(0)} s (${r.backend})`,
    );
    expect(r.test.images).toBe(10_000);
    expect(r.epochs.length).toBe(3);
    expect(r.test.accuracy).toBeGreaterThanOrEqual(0.985);
    // The checkpoint is a cnnc checkpoint as well: cnnc's own forward pass gives the same accuracy.
    expect(fs.readdirSync(path.join(run, 'checkpoint')).sort()).toEqual([
      'cnnc.json',
      'model.json',
      'weights.bin',
    ]);
    const evaluated = await runCnnc([
      'evaluate',
      'examples/lenet5.cnn',
      '--weights',
      run,
      '--json',
    ]);
    expect(evaluated.code, evaluated.err).toBe(0);
    expect(evaluated.err).not.toMatch(/different version/);
    const cnnc = (JSON.parse(evaluated.out) as { test: { accuracy: number; count: number } }).test;
    expect(cnnc.count).toBe(10_000);
    expect(Math.abs(cnnc.accuracy - r.test.accuracy)).toBeLessThanOrEqual(2 / 10_000);
  }, 1_800_000);
});
