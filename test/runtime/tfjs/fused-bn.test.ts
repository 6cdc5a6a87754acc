// Batch norm in training as fused SIMD kernels on wasm (runtime/tfjs/simd-norm.ts, lower-norm.ts),
// against the unfused tfjs lowering on the cpu backend: the output, the running statistics and the
// gradients of x, gamma and beta must agree to float32 tolerance, for 4-D and 2-D inputs, channel
// counts that are and are not multiples of 4 (and above the kernels' chunk of 32), batches of 1 and
// 2, more rows than one summing block (64), and a large mean over small noise (the cancellation a
// one-pass variance suffers). A profile shows that the fused kernels, not tfjs's ops, ran on wasm;
// with the SIMD kernels off, wasm runs the unfused lowering.

import type * as Tf from '@tensorflow/tfjs';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { IrNode } from '../../../compiler/ir/graph.js';
import type { LowerContext } from '../../../runtime/tfjs/lower-context.js';
import { NO_FUSED_BIAS, WHOLE_BATCH } from '../../../runtime/tfjs/lower-context.js';
import { lowerBatchNorm, moveRunning } from '../../../runtime/tfjs/lower-norm.js';
import { BN_KERNELS } from '../../../runtime/tfjs/simd-norm.js';
import { loadCpuAndWasm, relErr, restoreSimdKernels, seeded } from './kernel-setup.js';

let tf: typeof Tf;

beforeAll(async () => {
  tf = await loadCpuAndWasm();
});

afterEach(restoreSimdKernels);

interface Case {
  readonly name: string;
  readonly shape: readonly number[];
  readonly affine: boolean;
  /** x = offset + scale·noise. */
  readonly offset: number;
  readonly scale: number;
}

const CASES: readonly Case[] = [
  { name: '4-D, C = 7', shape: [2, 5, 3, 7], affine: true, offset: 0, scale: 1 },
  { name: '4-D, C = 8, batch 1', shape: [1, 3, 3, 8], affine: true, offset: 0.5, scale: 2 },
  { name: '4-D, C = 70, 320 rows', shape: [5, 8, 8, 70], affine: true, offset: -1, scale: 3 },
  { name: '4-D, C = 3, no affine', shape: [3, 6, 7, 3], affine: false, offset: 0, scale: 1 },
  {
    name: '4-D, C = 36, x = 1000 + noise',
    shape: [4, 9, 5, 36],
    affine: true,
    offset: 1000,
    scale: 0.01,
  },
  { name: '2-D, C = 10', shape: [2, 10], affine: true, offset: 0, scale: 1 },
  { name: '2-D, C = 5, batch 1', shape: [1, 5], affine: true, offset: 0, scale: 1 },
  {
    name: '2-D, C = 33, 130 rows, no affine',
    shape: [130, 33],
    affine: false,
    offset: 3,
    scale: 1,
  },
];

interface Result {
  readonly y: Float32Array;
  readonly runningMean: Float32Array;
  readonly runningVar: Float32Array;
  /** d/dx, d/dgamma, d/dbeta of Σ y·w. */
  readonly grads: Float32Array[];
  readonly kernels: string[];
}

const node = (affine: boolean): IrNode<'batch_norm'> => ({
  id: 1,
  name: 'bn',
  op: 'batch_norm',
  attrs: { epsilon: 1e-5, momentum: 0.1, affine },
  inputs: [0],
  span: { file: 'test.cnn', start: 0, end: 0 },
  frozen: false,
});

/** One training forward and backward of the lowering on `backend`, two steps of running stats. */
async function run(backend: 'cpu' | 'wasm', c: Case): Promise<Result> {
  await tf.setBackend(backend);
  const C = c.shape[c.shape.length - 1];
  const size = c.shape.reduce((a, b) => a * b, 1);
  const weights = new Map<string, Tf.Variable>([
    ['moving_mean', tf.variable(tf.tensor1d(seeded(C, 3)), false)],
    ['moving_variance', tf.variable(tf.tensor1d(seeded(C, 4).map((v) => 1 + v / 2)), false)],
  ]);
  if (c.affine) {
    weights.set('gamma', tf.variable(tf.tensor1d(seeded(C, 5).map((v) => 1 + v))));
    weights.set('beta', tf.variable(tf.tensor1d(seeded(C, 6))));
  }
  const ctx: LowerContext = {
    tf,
    training: true,
    weight: (_, name) => weights.get(name),
    nextSeed: () => 0,
    shard: WHOLE_BATCH,
    fusedBias: NO_FUSED_BIAS,
  };
  const x = tf.variable(
    tf.tensor(
      seeded(size, 1).map((v) => c.offset + c.scale * v),
      [...c.shape],
    ),
  );
  const w = tf.tensor(seeded(size, 2), [...c.shape]);
  const bn = node(c.affine);
  const wrt = [x, ...['gamma', 'beta'].flatMap((n) => weights.get(n) ?? [])];
  const before = tf.memory().numTensors;
  let y = new Float32Array(0);
  let grads: Float32Array[] = [];
  const step = () => {
    const r = tf.variableGrads(() => {
      const out = lowerBatchNorm(ctx, bn, [x]);
      y = Float32Array.from(out.dataSync());
      return tf.sum(tf.mul(out, w));
    }, wrt);
    grads = wrt.map((v) => Float32Array.from(r.grads[v.name].dataSync()));
    tf.dispose([r.value, ...Object.values(r.grads)]);
  };
  step();
  const profile = await tf.profile(() => {
    step();
    return [];
  });
  expect(tf.memory().numTensors, 'tensors left behind').toBe(before);
  const result: Result = {
    y,
    runningMean: Float32Array.from(weights.get('moving_mean')!.dataSync()),
    runningVar: Float32Array.from(weights.get('moving_variance')!.dataSync()),
    grads,
    kernels: profile.kernels.map((k) => k.name),
  };
  tf.dispose([x, w, ...weights.values()]);
  return result;
}

/** The same two steps in float64, from the definitions (PyTorch's BatchNorm2d / 1d). */
function reference(c: Case): Result {
  const C = c.shape[c.shape.length - 1];
  const size = c.shape.reduce((a, b) => a * b, 1);
  const N = size / C;
  const x = seeded(size, 1).map((v) => c.offset + c.scale * v);
  const w = seeded(size, 2);
  const gamma = c.affine ? seeded(C, 5).map((v) => 1 + v) : new Float32Array(C).fill(1);
  const beta = c.affine ? seeded(C, 6) : new Float32Array(C);
  const rm = Array.from(seeded(C, 3), Number);
  const rv = Array.from(
    seeded(C, 4).map((v) => 1 + v / 2),
    Number,
  );
  const y = new Float32Array(size);
  const [dx, dg, db] = [new Float32Array(size), new Float32Array(C), new Float32Array(C)];
  for (let ch = 0; ch < C; ch++) {
    let m = 0;
    for (let i = ch; i < size; i += C) m += x[i] / N;
    let v = 0;
    for (let i = ch; i < size; i += C) v += (x[i] - m) ** 2 / N;
    const inv = 1 / Math.sqrt(v + Math.fround(1e-5));
    let [sdy, sdyx] = [0, 0];
    for (let i = ch; i < size; i += C) {
      y[i] = (x[i] - m) * inv * gamma[ch] + beta[ch];
      sdy += w[i];
      sdyx += w[i] * (x[i] - m) * inv;
    }
    for (let i = ch; i < size; i += C)
      dx[i] = ((gamma[ch] * inv) / N) * (N * w[i] - sdy - (x[i] - m) * inv * sdyx);
    [dg[ch], db[ch]] = [sdyx, sdy];
    for (let s = 0; s < 2; s++) {
      rm[ch] = 0.9 * rm[ch] + 0.1 * m;
      rv[ch] = 0.9 * rv[ch] + 0.1 * v * (N > 1 ? N / (N - 1) : 1);
    }
  }
  return {
    y,
    runningMean: Float32Array.from(rm),
    runningVar: Float32Array.from(rv),
    grads: c.affine ? [dx, dg, db] : [dx],
    kernels: [],
  };
}

/** Each result of `a` by name, with the same of `b`. */
function pairs(a: Result, b: Result): [string, Float32Array, Float32Array][] {
  return [
    ['y', a.y, b.y],
    ['running mean', a.runningMean, b.runningMean],
    ['running variance', a.runningVar, b.runningVar],
    ...a.grads.map((g, i): [string, Float32Array, Float32Array] => [
      ['dx', 'dgamma', 'dbeta'][i],
      g,
      b.grads[i],
    ]),
  ];
}

/** Relative error allowed against float64 (relErr: the largest difference over the largest value). */
const TOL = 1e-5;

describe('fused batch norm on wasm', () => {
  for (const c of CASES) {
    it(`${c.name}: the unfused lowering's outputs, running stats and gradients`, async () => {
      const unfused = await run('cpu', c);
      const fused = await run('wasm', c);
      const exact = reference(c);
      expect(fused.kernels).toContain(BN_KERNELS.moments);
      expect(fused.kernels).toContain(BN_KERNELS.grad);
      expect(fused.kernels).not.toContain('Mean');
      expect(fused.grads.length).toBe(unfused.grads.length);
      // Within float32 tolerance of the unfused lowering and of float64, give or take twice the
      // unfused lowering's own distance from float64 (at x = 1000 + noise, the float32 mean is
      // half an ulp of 1000 off, 0.5 % of the deviation, in either lowering).
      const floor = new Map(pairs(unfused, exact).map(([n, p, q]) => [n, relErr(p, q)]));
      const fromExact = new Map(pairs(fused, exact).map(([n, p, q]) => [n, relErr(p, q)]));
      for (const [name, got, want] of pairs(fused, unfused)) {
        const own = floor.get(name) ?? 0;
        expect(relErr(got, want), `${name} against the unfused`).toBeLessThan(TOL + 3 * own);
        expect(fromExact.get(name), `${name} against float64`).toBeLessThan(TOL + 2 * own);
      }
    });
  }

  it('runs the unfused lowering on wasm without the SIMD kernels', async () => {
    process.env['CNNC_NO_SIMD_KERNELS'] = '1';
    const got = await run('wasm', CASES[0]);
    expect(got.kernels).not.toContain(BN_KERNELS.moments);
    expect(got.kernels).toContain('Rsqrt');
  });

  it("moves the running statistics to the bits of the unfused lowering's tfjs ops", async () => {
    for (const backend of ['cpu', 'wasm'] as const) {
      await tf.setBackend(backend);
      const batch = seeded(37, 8).map((v) => 3 * v);
      for (const [momentum, factor] of [
        [0.1, 1],
        [0.01, 64 / 63],
        [0.3, 5 / 4],
      ]) {
        const running = tf.variable(tf.tensor1d(seeded(37, 9)), false);
        const want = tf.tidy(() =>
          tf.add(tf.mul(running, 1 - momentum), tf.mul(tf.tensor1d(batch), momentum * factor)),
        );
        moveRunning(tf, running, batch, momentum, factor);
        expect(Array.from(running.dataSync()), backend).toEqual(Array.from(want.dataSync()));
        tf.dispose([running, want]);
      }
    }
  });
});
