/**
 * The sharded optimiser step of data-parallel wasm training (runtime/tfjs/sharded-optimizer.ts):
 * each replica sums and updates only the variables it owns and the replicas then exchange the new
 * weights. It must give the same bits as the replicated step (every replica updating every
 * weight): over steps of a model of more than SMALL floats (the collectives' reduce-scatter path),
 * with batch norm and dropout, for momentum, nesterov with weight decay, adam with a per-group lr
 * scale and rmsprop with global-norm clipping, on 2 and 3 threads, including a step with fewer
 * rows than threads (a replica sits it out): the same losses, the same weights on every replica
 * and the same optimiser state (gathered from the owners). A state saved on 2 threads resumes on
 * 1 and 3 threads to an uninterrupted run's losses. The workers run the compiled dist/.
 */
import type * as Tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileFile } from '../../../compiler/program.js';
import { DEFAULT_OPTIMIZER, type OptimizerConfig } from '../../../compiler/train/optimizers.js';
import { openEngine } from '../../../runtime/engines.js';
import { initBackend } from '../../../runtime/tfjs/backend.js';
import { SMALL } from '../../../runtime/tfjs/collective.js';
import { createDataParallelEngine } from '../../../runtime/tfjs/data-parallel.js';
import { ownersBySize, type ShardMode } from '../../../runtime/tfjs/sharded-optimizer.js';
import type { Engine, EngineOptions, OutputLoss } from '../../../runtime/train/engine.js';
import type { OptimizerState, SavedTensor } from '../../../runtime/train/optimizer-config.js';
import { memPath, memoryHost } from '../../helpers/memory-host.js';

// 8·8·8 · 160 + … ≈ 83K floats: more than SMALL, so the gradients take the reduce-scatter path.
const SOURCE = `
model Big {
  input 8x8x2
  conv 8 3x3 same, bn, relu
  flatten, dropout 0.3, dense 160, relu
  dense 5
}`;

const graph = compileFile(memPath('main.cnn'), memoryHost({ 'main.cnn': SOURCE })).models[0].graph;
let tf: typeof Tf;
const engines: Engine[] = [];
beforeAll(async () => {
  tf = (await initBackend('wasm')).tf;
});
afterAll(() => engines.forEach((e) => e.dispose()));

/** Deterministic batch `step` of n rows. */
function batch(step: number, n: number) {
  const data = Float32Array.from({ length: n * 8 * 8 * 2 }, (_, i) =>
    Math.sin(i * 0.37 + step * 1.3),
  );
  const y = Int32Array.from({ length: n }, (_, i) => (i * 7 + step * 3) % 5);
  return { x: { data, shape: [n, 8, 8, 2] }, y };
}

/** Rows of step s: 12, 10 (uneven on 3 threads), and 1 at step 3 (the other replicas sit out). */
const rowsOf = (s: number) => (s === 3 ? 1 : s % 3 === 2 ? 10 : 12);

async function parallel(threads: number, shard: ShardMode, extra: Partial<EngineOptions>) {
  const options: EngineOptions = { loss: 'categorical', seed: 5, threads, ...extra };
  const engine = await createDataParallelEngine(tf, graph, options, threads, shard);
  engines.push(engine);
  return engine;
}

async function train(engine: Engine, from: number, to: number): Promise<number[]> {
  const out: number[] = [];
  for (let s = from; s < to; s++) {
    const { x, y } = batch(s, rowsOf(s));
    out.push((await engine.trainStep(x, y, 0.02)).loss);
  }
  return out;
}

const bits = (a: Float32Array) => Array.from(new Uint32Array(a.buffer, a.byteOffset, a.length));
const tensorBits = (ts: readonly SavedTensor[]) => ts.map((t) => [t.name, t.shape, bits(t.data)]);
const stateBits = (s: OptimizerState | null) => s && { ...s, slots: tensorBits(s.slots) };

const optimizer = (name: OptimizerConfig['name'], more: Partial<OptimizerConfig> = {}) => ({
  ...DEFAULT_OPTIMIZER,
  name,
  ...more,
});

const CASES: { name: string; threads: number; options: Partial<EngineOptions> }[] = [
  { name: 'momentum', threads: 2, options: { optimizer: optimizer('momentum') } },
  {
    name: 'nesterov, weight decay',
    threads: 3,
    options: { optimizer: optimizer('nesterov', { weightDecay: 1e-3 }) },
  },
  {
    name: 'adam, an lr scale',
    threads: 2,
    options: { optimizer: optimizer('adam'), lrScales: new Map([['dense2/kernel', 0.5]]) },
  },
  {
    name: 'rmsprop, clip norm',
    threads: 3,
    options: { optimizer: optimizer('rmsprop'), clipNorm: 0.5 },
  },
];

describe('sharded optimiser step', () => {
  it('the model takes the reduce-scatter path; its variables are spread by size', () => {
    // conv1 kernel and bias, bn1 gamma and beta, dense1 kernel and bias, dense2 kernel and bias.
    const sizes = [144, 8, 8, 8, 81920, 160, 800, 5];
    expect(sizes.reduce((a, b) => a + b, 0)).toBeGreaterThan(SMALL);
    // The largest first, each to the replica that owns the fewest floats so far.
    expect(ownersBySize(sizes, 2)).toEqual([1, 1, 1, 1, 0, 1, 1, 1]);
    expect(ownersBySize(sizes, 3)).toEqual([2, 2, 2, 2, 0, 2, 1, 2]);
    expect(ownersBySize([4, 4, 3, 3, 2], 3)).toEqual([0, 1, 2, 2, 0]);
  });

  it.each(CASES)('gives the replicated step’s bits: $name, $threads threads', async (c) => {
    const runs = [];
    for (const mode of ['never', 'always'] as const) {
      const engine = await parallel(c.threads, mode, c.options);
      const losses = await train(engine, 0, 6);
      const replicas = await engine.replicaWeights();
      runs.push({ losses, replicas, state: engine.optimizerState() });
    }
    const [replicated, sharded] = runs;
    expect(sharded.losses).toEqual(replicated.losses);
    expect(replicated.losses.every(Number.isFinite)).toBe(true);
    expect(sharded.replicas).toHaveLength(c.threads);
    for (const weights of [...sharded.replicas, ...replicated.replicas])
      expect(tensorBits(weights)).toEqual(tensorBits(replicated.replicas[0]));
    expect(stateBits(sharded.state)).toEqual(stateBits(replicated.state));
    // Training moved the weights: a test of no update at all would pass the comparisons above.
    const before = (await parallel(c.threads, 'never', c.options)).readWeights();
    expect(tensorBits(before)).not.toEqual(tensorBits(replicated.replicas[0]));
  });

  it('gives the replicated step’s bits through trainStepOn (a loss outside the engine)', async () => {
    // Half the mean squared output, on the whole batch's outputs (the main thread's).
    const lossOf: OutputLoss = ([out]) => {
      const n = out.shape[0];
      let loss = 0;
      for (const v of out.data) loss += (v * v) / (2 * n);
      return { loss, grads: [out.data.map((v) => v / n)] };
    };
    const runs = [];
    for (const mode of ['never', 'always'] as const) {
      const engine = await parallel(2, mode, { optimizer: optimizer('momentum') });
      const losses: number[] = [];
      for (let s = 0; s < 5; s++) {
        const { x } = batch(s, rowsOf(s));
        losses.push((await engine.trainStepOn!(x, lossOf, 0.05)).loss);
      }
      runs.push({ losses, replicas: await engine.replicaWeights() });
    }
    const [replicated, sharded] = runs;
    expect(sharded.losses).toEqual(replicated.losses);
    expect(replicated.losses[4]).not.toEqual(replicated.losses[0]);
    for (const weights of [...sharded.replicas, ...replicated.replicas])
      expect(tensorBits(weights)).toEqual(tensorBits(replicated.replicas[0]));
  });

  it('a state saved on 2 threads resumes on 1 and 3 threads', async () => {
    const options: Partial<EngineOptions> = { optimizer: optimizer('adam') };
    const whole = await train(await parallel(2, 'always', options), 0, 8);
    const saved = await parallel(2, 'always', options);
    await train(saved, 0, 4);
    const [weights, state, draws] = [
      saved.readWeights(),
      saved.optimizerState()!,
      saved.randomDraws(),
    ];
    for (const threads of [1, 3]) {
      const engine =
        threads === 1
          ? (await openEngine('wasm', graph, { loss: 'categorical', seed: 5, threads, ...options }))
              .engine!
          : await parallel(threads, 'always', options);
      if (threads === 1) engines.push(engine);
      engine.writeWeights(weights);
      engine.setOptimizerState(state);
      engine.setRandomDraws(draws);
      const resumed = await train(engine, 4, 8);
      resumed.forEach((l, i) => expect(Math.abs(l - whole[4 + i])).toBeLessThanOrEqual(1e-5));
    }
  });
});
