/**
 * One checkpoint format for both backends: a model trained on the reference executor evaluates on
 * tfjs wasm with the same loss and accuracy, and the other way round.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCnnc } from '../helpers/cli.js';

const QUICK = [
  '--data',
  'mnist-json',
  '--limit',
  '512',
  '--epochs',
  '2',
  '--batch',
  '32',
  '--optimizer',
  'adam',
  '--lr',
  '0.003',
  '--quiet',
];

interface Metrics {
  readonly loss: number;
  readonly accuracy: number;
}

describe.each([
  ['reference', 'wasm'],
  ['wasm', 'reference'],
])('trained on %s, evaluated on %s', (trainOn, evalOn) => {
  it('gives the same test loss and accuracy', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cnnc-xb-'));
    const report = path.join(dir, 'report.json');
    const t = await runCnnc([
      'train',
      'examples/lenet5.cnn',
      '--backend',
      trainOn,
      '--out',
      dir,
      '--report',
      report,
      ...QUICK,
    ]);
    expect(t.code, t.err).toBe(0);
    const trained = (JSON.parse(fs.readFileSync(report, 'utf8')) as { test: Metrics }).test;
    const e = await runCnnc([
      'evaluate',
      'examples/lenet5.cnn',
      '--backend',
      evalOn,
      '--weights',
      dir,
      '--data',
      'mnist-json',
      '--limit',
      '512',
      '--json',
    ]);
    expect(e.code, e.err).toBe(0);
    const other = (JSON.parse(e.out) as { test: Metrics }).test;
    expect(Math.abs(other.loss - trained.loss) / trained.loss).toBeLessThan(1e-4);
    expect(Math.abs(other.accuracy - trained.accuracy)).toBeLessThanOrEqual(1 / 512);
    expect(trained.accuracy).toBeGreaterThan(0.5);
  });
});
