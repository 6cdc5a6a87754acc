/**
 * Data-parallel wasm training (runtime/tfjs/data-parallel.ts) must not depend on the thread count
 * beyond float32 summation order: 1, 2 and 3 threads give the same losses to 1e-5 over 20 steps of
 * a model with batch norm and dropout (batch norm sees the whole batch; each row draws its own
 * dropout mask), including a batch that does not split evenly. Inference splits rows the same way.
 * The workers run the compiled dist/ (npm test builds it first).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { compileFile } from '../../../compiler/program.js';
import { DEFAULT_OPTIMIZER } from '../../../compiler/train/optimizers.js';
import { openEngine } from '../../../runtime/engines.js';
import type { Engine } from '../../../runtime/train/engine.js';
import { memPath, memoryHost } from '../../helpers/memory-host.js';

const SOURCE = `
model Par {
  input 8x8x2
  conv 6 3x3 same, bn, relu
  maxpool 2
  conv 4 3x3 same, bn, relu
  flatten, dropout 0.3, dense 5
}`;

const STEPS = 20;
/** Loss tolerance: float32 sums in another order over 20 momentum steps. */
const TOLERANCE = 1e-5;
const graph = compileFile(memPath('main.cnn'), memoryHost({ 'main.cnn': SOURCE })).models[0].graph;

/** Deterministic batch `step` of n rows (values in [-1, 1), labels 0..4). */
function batch(step: number, n: number) {
  const data = Float32Array.from({ length: n * 8 * 8 * 2 }, (_, i) =>
    Math.sin(i * 0.37 + step * 1.3),
  );
  const y = Int32Array.from({ length: n }, (_, i) => (i * 7 + step * 3) % 5);
  return { x: { data, shape: [n, 8, 8, 2] }, y };
}

const engines: Engine[] = [];
afterAll(() => engines.forEach((e) => e.dispose()));

async function open(threads: number): Promise<{ engine: Engine; detail: string }> {
  const { engine, detail } = await openEngine('wasm', graph, {
    loss: 'categorical',
    optimizer: { ...DEFAULT_OPTIMIZER, name: 'momentum' },
    seed: 11,
    threads,
  });
  if (engine === null) throw new Error('no engine');
  engines.push(engine);
  return { engine, detail };
}

async function losses(engine: Engine): Promise<number[]> {
  const out: number[] = [];
  // Batches of 12 (4 + 4 + 4 on three threads), every fifth one of 10 (3 + 3 + 4), and two with
  // fewer rows than threads (2: a replica sits the step out; 1: only replica 0 trains), after
  // which every replica must hold the same weights, optimiser state and dropout stream again.
  const rows = (s: number) => (s === 7 ? 2 : s === 13 ? 1 : s % 5 === 4 ? 10 : 12);
  for (let s = 0; s < STEPS; s++) {
    const { x, y } = batch(s, rows(s));
    out.push((await engine.trainStep(x, y, 0.05)).loss);
  }
  return out;
}

describe('data-parallel wasm', () => {
  it('1, 2 and 3 threads train to the same losses', async () => {
    const runs = [];
    for (const threads of [1, 2, 3]) {
      const { engine, detail } = await open(threads);
      if (threads > 1) expect(detail).toContain(`${threads} threads, data-parallel`);
      runs.push({ losses: await losses(engine), weights: engine.readWeights() });
    }
    const [one, ...more] = runs;
    expect(one.losses.every(Number.isFinite)).toBe(true);
    // Training moved: the last loss differs from the first.
    expect(Math.abs(one.losses[STEPS - 1] - one.losses[0])).toBeGreaterThan(1e-3);
    for (const run of more) {
      run.losses.forEach((l, i) =>
        expect(Math.abs(l - one.losses[i])).toBeLessThanOrEqual(TOLERANCE),
      );
      // Batch norm's moving statistics moved with the whole batch's statistics too.
      run.weights.forEach((w, i) => {
        const ref = one.weights[i].data;
        const diff = w.data.reduce((m, v, j) => Math.max(m, Math.abs(v - ref[j])), 0);
        expect(diff, w.name).toBeLessThanOrEqual(1e-4);
      });
    }
  });

  it('inference splits rows over the threads and gathers them in order', async () => {
    const { engine: a } = await open(1);
    const { engine: b } = await open(3);
    const { x, y } = batch(99, 7);
    const [fa, fb] = [await a.forward(x), await b.forward(x)];
    expect(fb.shape).toEqual(fa.shape);
    fa.data.forEach((v, i) => expect(Math.abs(v - fb.data[i])).toBeLessThanOrEqual(1e-5));
    const [ea, eb] = [await a.evalBatch(x, y), await b.evalBatch(x, y)];
    expect(Math.abs(ea.loss - eb.loss)).toBeLessThanOrEqual(1e-5);
    expect(eb.scores.length).toBe(ea.scores.length);
  });
});
