import { describe, expect, it } from 'vitest';
import { WARMUP, warmUp } from '../../compiler/cli/bench.js';
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
    const warm = await cnnc(['bench', 'examples/lenet5.cnn', '--warmup', '-1']);
    expect(warm.code).toBe(2);
    expect(warm.err).toContain('--warmup expects 0 or a positive integer; got "-1"');
    expect((await cnnc(['bench', 'examples/lenet5.cnn', '--backend', 'gpu'])).code).toBe(2);
    expect((await cnnc(['bench', 'examples/lenet5.cnn', '--nope'])).code).toBe(2);
    expect((await cnnc(['bench'])).code).toBe(2);
  });

  it('exits 1 with diagnostics for an unknown model', async () => {
    const r = await cnnc(['bench', 'examples/lenet5.cnn', '--model', 'Nope', '--backend', 'cpu']);
    expect(r.code).toBe(1);
    expect(r.err).toContain('Nope');
  });

  describe('warm-up', () => {
    /** warmUp on a fake clock where every step takes `perStep` seconds; the chunks it ran. */
    async function chunks(given: number | null, perStep: number) {
      let t = 0;
      const ran: number[] = [];
      const done = await warmUp(
        given,
        async (n) => {
          ran.push(n);
          t += n * perStep;
        },
        () => t,
      );
      return { done, ran };
    }

    it('runs the steps it is given, none for 0', async () => {
      expect(await chunks(7, 1)).toEqual({ done: 7, ran: [7] });
      expect(await chunks(0, 1)).toEqual({ done: 0, ran: [] });
    });

    it('by default stops at WARMUP.steps on a fast model', async () => {
      const { done, ran } = await chunks(null, 0.001);
      expect(done).toBe(WARMUP.steps);
      expect(ran.reduce((a, b) => a + b, 0)).toBe(WARMUP.steps);
      expect(Math.max(...ran)).toBeLessThanOrEqual(WARMUP.chunk);
    });

    it('by default stops after WARMUP.seconds on a slow model, and runs at least WARMUP.atLeast', async () => {
      // 3 steps, then chunks until WARMUP.seconds have passed.
      const slow = await chunks(null, 0.5);
      const rounds = Math.ceil((WARMUP.seconds - WARMUP.atLeast * 0.5) / (WARMUP.chunk * 0.5));
      expect(slow.done).toBe(WARMUP.atLeast + rounds * WARMUP.chunk);
      const glacial = await chunks(null, 60);
      expect(glacial).toEqual({ done: WARMUP.atLeast, ran: [WARMUP.atLeast] });
    });
  });
});
