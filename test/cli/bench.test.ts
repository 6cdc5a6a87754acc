import { describe, expect, it } from 'vitest';
import { runCnnc as cnnc } from '../helpers/cli.js';

interface BenchJson {
  readonly model: string;
  readonly backend: string;
  readonly batch: number;
  readonly steps: number;
  readonly threads: number;
  readonly train: { readonly imagesPerSecond: number };
  readonly infer: { readonly imagesPerSecond: number };
}

describe('cnnc bench', () => {
  it('prints one JSON object with train and inference images/s', async () => {
    const r = await cnnc([
      'bench',
      'examples/lenet5.cnn',
      '--backend',
      'cpu',
      '--batch',
      '4',
      '--steps',
      '2',
      '--warmup',
      '1',
      '--threads',
      '3',
      '--json',
    ]);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const lines = r.out.trim().split('\n');
    expect(lines).toHaveLength(1);
    const j = JSON.parse(lines[0]) as BenchJson;
    expect(j).toMatchObject({ model: 'LeNet5', backend: 'cpu', batch: 4, steps: 2, threads: 3 });
    expect(j.train.imagesPerSecond).toBeGreaterThan(0);
    expect(j.infer.imagesPerSecond).toBeGreaterThan(0);
    expect(Number.isFinite(j.train.imagesPerSecond)).toBe(true);
    expect(Number.isFinite(j.infer.imagesPerSecond)).toBe(true);
  });

  it('exits 2 on bad flags', async () => {
    const bad = await cnnc(['bench', 'examples/lenet5.cnn', '--steps', '0']);
    expect(bad.code).toBe(2);
    expect(bad.err).toContain('--steps');
    expect((await cnnc(['bench', 'examples/lenet5.cnn', '--backend', 'gpu'])).code).toBe(2);
    expect((await cnnc(['bench', 'examples/lenet5.cnn', '--nope'])).code).toBe(2);
    expect((await cnnc(['bench'])).code).toBe(2);
  });

  it('exits 1 with diagnostics for an unknown model', async () => {
    const r = await cnnc(['bench', 'examples/lenet5.cnn', '--model', 'Nope', '--backend', 'cpu']);
    expect(r.code).toBe(1);
    expect(r.err).toContain('Nope');
  });
});
