/**
 * train.py of a model with several outputs (examples/two-heads.cnn: `main` and `aux`, trained with
 * `loss main categorical, aux categorical 0.3`): a short run on MNIST prints the test totals and a
 * line per output as `cnnc train` prints them, metrics.jsonl and --report carry each output's
 * metrics, the total loss is Σ weight · loss, and `cnnc evaluate` on the run folder (which holds
 * both heads' layers) measures what train.py measured. --output-loss and --output-weight override
 * the block's losses, and their mistakes are argparse errors.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCnnc } from '../../helpers/cli.js';
import { REPO } from '../../helpers/memory-host.js';
import { canTrain, emitPytorch, ok, SKIP_REASON, tempDir, trainPy } from './train-helpers.js';

const work = tempDir('train-outputs');
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

interface Metrics {
  readonly loss: number;
  readonly accuracy: number;
  readonly topK: { readonly k: number; readonly accuracy: number };
  readonly macroF1: number;
}
interface Evaluation extends Metrics {
  readonly count: number;
  readonly outputs: readonly (Metrics & { readonly name: string })[];
}

const LINE =
  /^ {2}output (\w+): loss \d+\.\d{4} · accuracy \d+\.\d\d% · top-5 \d+\.\d\d% · macro F1 \d\.\d{4}$/;

/** |a − b| / max(|b|, 1e-12). */
const rel = (a: number, b: number) => Math.abs(a - b) / Math.max(Math.abs(b), 1e-12);

describe.runIf(canTrain)('train.py with two outputs (examples/two-heads.cnn)', () => {
  const project = path.join(work, 'two-heads');
  beforeAll(async () => {
    const r = await emitPytorch('examples/two-heads.cnn', project);
    expect(r.err).not.toMatch(/CNN2136|error/);
    expect(r.code).toBe(0);
  }, 120_000);

  it('trains both heads on MNIST; cnnc evaluate on the run folder measures the same', async () => {
    const runDir = path.join(work, 'run');
    const report = path.join(work, 'report.json');
    // 200 images: 180 train (6 steps of 32, one epoch), 20 validation; 200 test.
    const args = ['--data', 'mnist', '--limit', '200', '--steps', '6', '--out', runDir];
    const run = ok(trainPy(project, [...args, '--report', report], 1, REPO));
    const lines = run.stdout.split('\n');
    const test = lines.findIndex((l) => l.startsWith('test: loss '));
    expect(test, run.stdout).toBeGreaterThanOrEqual(0);
    expect(lines[test]).toMatch(/\(200 images\)$/);
    expect(lines.slice(test + 1, test + 3).map((l) => LINE.exec(l)?.[1])).toEqual(['main', 'aux']);

    const r = JSON.parse(fs.readFileSync(report, 'utf8')) as { test: Evaluation };
    const [main, aux] = r.test.outputs;
    expect(r.test.outputs.map((o) => o.name)).toEqual(['main', 'aux']);
    // The totals: the training loss Σ weight · loss, the rest the first output's.
    expect(rel(r.test.loss, main.loss + 0.3 * aux.loss)).toBeLessThanOrEqual(1e-5);
    expect(r.test.accuracy).toBe(main.accuracy);
    expect(r.test.topK).toEqual(main.topK);
    expect(r.test.macroF1).toBe(main.macroF1);

    const log = fs.readFileSync(path.join(runDir, 'metrics.jsonl'), 'utf8').trim().split('\n');
    expect(log).toHaveLength(1);
    const epoch = JSON.parse(log[0]) as { validation: Evaluation };
    expect(epoch.validation.outputs.map((o) => o.name)).toEqual(['main', 'aux']);

    const evaluated = await runCnnc([
      'evaluate',
      'examples/two-heads.cnn',
      '--weights',
      runDir,
      '--data',
      'mnist',
      '--limit',
      '200',
    ]);
    expect(evaluated.code, evaluated.err).toBe(0);
    const printed = evaluated.out.split('\n').filter((l) => LINE.test(l));
    expect(printed.map((l) => LINE.exec(l)![1])).toEqual(['main', 'aux']);
    const json = await runCnnc([
      'evaluate',
      'examples/two-heads.cnn',
      '--weights',
      runDir,
      '--data',
      'mnist',
      '--limit',
      '200',
      '--json',
    ]);
    expect(json.code, json.err).toBe(0);
    const cnnc = (JSON.parse(json.out) as { test: Evaluation }).test;
    console.log(
      `two heads: train.py ${r.test.outputs.map((o) => `${o.name} ${(100 * o.accuracy).toFixed(1)}%`).join(', ')}; ` +
        `cnnc evaluate ${cnnc.outputs.map((o) => `${o.name} ${(100 * o.accuracy).toFixed(1)}%`).join(', ')}`,
    );
    expect(cnnc.outputs.map((o) => o.name)).toEqual(['main', 'aux']);
    expect(rel(cnnc.loss, r.test.loss)).toBeLessThanOrEqual(1e-3);
    cnnc.outputs.forEach((o, k) => {
      // Up to two borderline images of 200, where float rounding may pick another class.
      expect(Math.abs(o.accuracy - r.test.outputs[k].accuracy), o.name).toBeLessThanOrEqual(0.01);
      expect(rel(o.loss, r.test.outputs[k].loss), o.name).toBeLessThanOrEqual(1e-3);
    });
  }, 600_000);

  it("--output-loss and --output-weight replace the block's loss and weight of an output", () => {
    const report = path.join(work, 'override.json');
    const args = ['--data', 'mnist', '--limit', '64', '--steps', '1', '--validation', '0'];
    ok(
      trainPy(
        project,
        [
          ...args,
          '--output-weight',
          'aux=2',
          '--output-loss',
          'main=mse',
          '--out',
          path.join(work, 'override'),
          '--report',
          report,
          '--quiet',
        ],
        1,
        REPO,
      ),
    );
    const t = (JSON.parse(fs.readFileSync(report, 'utf8')) as { test: Evaluation }).test;
    const [main, aux] = t.outputs;
    expect(rel(t.loss, main.loss + 2 * aux.loss)).toBeLessThanOrEqual(1e-5);
    // mse of raw scores against one-hot labels, not a cross-entropy (ln 10 ≈ 2.3 at the start).
    expect(main.loss).toBeLessThan(1);
  }, 300_000);

  it.each([
    [
      '--output-loss',
      'axu=mse',
      "--output-loss: 'axu' is not an output of TwoHeads (its outputs: main, aux)",
    ],
    ['--output-weight', 'axu=2', "--output-weight: 'axu' is not an output of TwoHeads"],
    ['--output-loss', 'aux=hinge', "'hinge' is not one of"],
    ['--output-weight', 'aux=0', 'must be a positive number; found 0'],
    ['--output-weight', 'aux=-1', 'must be in 0..inf; found -1'],
    ['--output-loss', 'aux', "expects OUTPUT=VALUE; found 'aux'"],
  ])(
    '%s %s is a usage error',
    (flag, value, message) => {
      const r = trainPy(project, ['--data', 'mnist', flag, value], 1, REPO);
      expect(r.status).toBe(2);
      expect(r.stderr).toContain(message);
    },
    120_000,
  );
});

if (!canTrain) {
  describe('train.py with two outputs', () => {
    it.skip(SKIP_REASON, () => {});
  });
}
