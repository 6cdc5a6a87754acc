/**
 * Data-parallel wasm (runtime/tfjs/data-parallel.ts) on the models that are more than one output
 * and a label loss: a detector, which trains through trainStepOn (the yolo loss runs on the main
 * thread on the whole batch's gathered outputs, and each replica back-propagates its rows of the
 * gradient: output-exchange.ts), and a model with two outputs and a weighted loss per output.
 * With batch norm and dropout, batches that split unevenly and batches of fewer rows than
 * threads, 1, 2 and 3 threads give the same losses to 1e-5 over 12 steps and the same weights to
 * 1e-4; inference gathers every output, and each output's scores and loss, in row order;
 * gradientsOn (cnnc verify) gives one thread's gradients and leaves every replica with the batch
 * norm statistics it updated; a model whose output size follows from a symbolic input size trains
 * through trainStepOn alike. The workers run the compiled dist/ (npm test builds it first).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { yoloHeadsOf } from '../../../compiler/ir/yolo-heads.js';
import { compileFile } from '../../../compiler/program.js';
import { DEFAULT_OPTIMIZER } from '../../../compiler/train/optimizers.js';
import { yoloLoss } from '../../../runtime/detection/yolo.js';
import { openEngine } from '../../../runtime/engines.js';
import type { Engine, EngineOptions, Images } from '../../../runtime/train/engine.js';
import type { SavedTensor } from '../../../runtime/train/optimizer-config.js';
import { memPath, memoryHost } from '../../helpers/memory-host.js';

// 16x16 input → a 4x4 grid; 2 anchors of (5 + 2 classes) channels.
const DETECTOR = `
model Det {
  input 16x16x3
  conv 6 3x3 stride 2 same, bn, relu
  dropout 0.2
  conv 8 3x3 stride 2 same, bn, relu
  conv 14 1x1
  yolo 2 anchors (4, 4, 8, 8) stride 4
}`;

// The auxiliary head branches off after `mid`; dropout on both paths.
const TWO_HEADS = `
model Two {
  input 8x8x2
  conv 6 3x3 same, bn, relu
  mid: maxpool 2
  output aux { flatten, dropout 0.25, dense 5 }
  conv 4 3x3 same, bn, relu
  gap
  dropout 0.3
  dense 5
}`;

const STEPS = 12;
/** Loss tolerance: float32 sums in another order over 12 momentum steps. */
const TOLERANCE = 1e-5;
const THREADS = [1, 2, 3];

function graphOf(source: string) {
  return compileFile(memPath('main.cnn'), memoryHost({ 'main.cnn': source })).models[0].graph;
}

/**
 * Rows of step s: 6 (2 + 2 + 2 on three threads), 5 (1 + 2 + 2), and 2 and 1, fewer rows than
 * threads (a replica sits the step out, then every replica must hold the same state again).
 */
const rowsOf = (s: number) => (s === 4 ? 2 : s === 8 ? 1 : s % 3 === 2 ? 5 : 6);

/** Deterministic images of step `step`: n rows of `sample` shape, values in [-1, 1]. */
function images(step: number, n: number, sample: readonly number[]): Images {
  const per = sample.reduce((a, b) => a * b, 1);
  const data = Float32Array.from({ length: n * per }, (_, i) => Math.sin(i * 0.37 + step * 1.3));
  return { data, shape: [n, ...sample] };
}

const engines: Engine[] = [];
afterAll(() => engines.forEach((e) => e.dispose()));

async function open(source: string, threads: number, extra: Partial<EngineOptions> = {}) {
  const { engine, detail } = await openEngine('wasm', graphOf(source), {
    loss: 'categorical',
    optimizer: { ...DEFAULT_OPTIMIZER, name: 'momentum' },
    seed: 13,
    threads,
    ...extra,
  });
  if (engine === null) throw new Error('no engine');
  engines.push(engine);
  // Fails while runtime/engines.ts opens these models on one thread.
  if (threads > 1) expect(detail).toContain(`${threads} threads, data-parallel`);
  return engine;
}

function expectSameRuns(runs: { losses: number[]; weights: SavedTensor[] }[]) {
  const [one, ...more] = runs;
  expect(one.losses.every(Number.isFinite)).toBe(true);
  // Training moved: the last loss differs from the first.
  expect(Math.abs(one.losses[STEPS - 1] - one.losses[0])).toBeGreaterThan(1e-3);
  for (const run of more) {
    run.losses.forEach((l, i) =>
      expect(Math.abs(l - one.losses[i]), `step ${i}`).toBeLessThanOrEqual(TOLERANCE),
    );
    // Batch norm's moving statistics too.
    run.weights.forEach((w, i) => {
      const ref = one.weights[i].data;
      const diff = w.data.reduce((m, v, j) => Math.max(m, Math.abs(v - ref[j])), 0);
      expect(diff, w.name).toBeLessThanOrEqual(1e-4);
    });
  }
}

function maxDiff(a: Float32Array, b: Float32Array): number {
  expect(b.length).toBe(a.length);
  return a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), 0);
}

describe('data-parallel wasm of a detector', () => {
  const head = yoloHeadsOf(graphOf(DETECTOR))![0];
  /** The one head's loss in the form trainStepOn takes: every output, a gradient for each. */
  const lossOf =
    (n: number, truths: Parameters<typeof yoloLoss>[3], seen?: number[][]) =>
    ([out]: readonly Images[]) => {
      seen?.push([...out.shape]);
      const r = yoloLoss(head, out.data, n, truths, { lambdaCoord: 5, lambdaNoobj: 0.5 });
      return { loss: r.loss, grads: [r.grad] };
    };

  /** Ground truth of row i of step s: a box in the 16x16 image and its class. */
  const truthsOf = (s: number, n: number) =>
    Array.from({ length: n }, (_, i) => [
      {
        box: [
          (i * 5 + s * 3) % 10,
          (i * 3 + s * 7) % 10,
          3 + ((i + s) % 5),
          3 + ((i * 2 + s) % 5),
        ] as const,
        label: (i + s) % 2,
      },
    ]);

  it('1, 2 and 3 threads train to the same losses, the loss seeing the whole batch', async () => {
    expect(head.grid).toEqual([4, 4]);
    const runs = [];
    for (const threads of THREADS) {
      const engine = await open(DETECTOR, threads, { loss: 'mse' });
      const losses: number[] = [];
      const seen: number[][] = [];
      for (let s = 0; s < STEPS; s++) {
        const n = rowsOf(s);
        const truths = truthsOf(s, n);
        const r = await engine.trainStepOn!(
          images(s, n, [16, 16, 3]),
          lossOf(n, truths, seen),
          0.01,
        );
        losses.push(r.loss);
      }
      // The loss ran once a step, on every row of the batch in the model's output layout.
      expect(seen).toEqual(Array.from({ length: STEPS }, (_, s) => [rowsOf(s), 4, 4, 14]));
      runs.push({ losses, weights: engine.readWeights() });
    }
    expectSameRuns(runs);
  });

  it('inference gathers the grid in row order', async () => {
    const a = await open(DETECTOR, 1, { loss: 'mse' });
    const b = await open(DETECTOR, 3, { loss: 'mse' });
    const x = images(99, 7, [16, 16, 3]);
    const [fa, fb] = [await a.forward(x), await b.forward(x)];
    expect(fb.shape).toEqual([7, 4, 4, 14]);
    expect(maxDiff(fa.data, fb.data)).toBeLessThanOrEqual(1e-5);

    // gradientsOn (cnnc verify) in training mode: the same gradients, and batch norm's moving
    // statistics, which it updates, reach every replica (the next inference splits over them).
    const truths = truthsOf(5, 7);
    const loss = lossOf(7, truths);
    const [ga, gb] = [await a.gradientsOn!(x, loss, true), await b.gradientsOn!(x, loss, true)];
    expect(Math.abs(ga.loss - gb.loss)).toBeLessThanOrEqual(1e-5);
    ga.grads.forEach((g, i) =>
      expect(maxDiff(g.data, gb.grads[i].data), g.name).toBeLessThanOrEqual(1e-5),
    );
    const [ha, hb] = [await a.forward(x), await b.forward(x)];
    expect(maxDiff(ha.data, fa.data)).toBeGreaterThan(1e-4);
    expect(maxDiff(ha.data, hb.data)).toBeLessThanOrEqual(1e-5);
  });
});

describe('data-parallel wasm of a model with two outputs', () => {
  const outputLosses = [
    { loss: 'categorical' as const, weight: 1 },
    { loss: 'mse' as const, weight: 0.3 },
  ];
  const labels = (s: number, n: number) =>
    Int32Array.from({ length: n }, (_, i) => (i * 7 + s * 3) % 5);

  it('1, 2 and 3 threads train to the same weighted losses', async () => {
    const runs = [];
    for (const threads of THREADS) {
      const engine = await open(TWO_HEADS, threads, { outputLosses });
      const losses: number[] = [];
      for (let s = 0; s < STEPS; s++) {
        const n = rowsOf(s);
        losses.push((await engine.trainStep(images(s, n, [8, 8, 2]), labels(s, n), 0.05)).loss);
      }
      runs.push({ losses, weights: engine.readWeights() });
    }
    expectSameRuns(runs);
  });

  it('evaluation, prediction and forwardAll give every output as on one thread', async () => {
    const a = await open(TWO_HEADS, 1, { outputLosses });
    const b = await open(TWO_HEADS, 3, { outputLosses });
    // Move the weights off their initial values first, on both alike.
    for (let s = 0; s < 3; s++) {
      const x = images(s, 6, [8, 8, 2]);
      await a.trainStep(x, labels(s, 6), 0.05);
      await b.trainStep(x, labels(s, 6), 0.05);
    }
    const x = images(77, 7, [8, 8, 2]);
    const y = labels(77, 7);
    const [ea, eb] = [await a.evalBatch(x, y), await b.evalBatch(x, y)];
    expect(Math.abs(ea.loss - eb.loss)).toBeLessThanOrEqual(1e-5);
    expect(maxDiff(ea.scores, eb.scores)).toBeLessThanOrEqual(1e-5);
    expect(eb.outputs).toHaveLength(2);
    ea.outputs!.forEach((o, k) => {
      const other = eb.outputs![k];
      expect(other.classes).toBe(o.classes);
      expect(Math.abs(other.loss! - o.loss!), `output ${k}`).toBeLessThanOrEqual(1e-5);
      expect(maxDiff(o.scores, other.scores)).toBeLessThanOrEqual(1e-5);
    });
    // The total is Σ weight · loss of the outputs.
    expect(eb.loss).toBeCloseTo(eb.outputs![0].loss! + 0.3 * eb.outputs![1].loss!, 5);

    const [pa, pb] = [await a.predict(x), await b.predict(x)];
    expect(pb.outputs).toHaveLength(2);
    pa.outputs!.forEach((o, k) =>
      expect(maxDiff(o.scores, pb.outputs![k].scores)).toBeLessThanOrEqual(1e-5),
    );

    const [fa, fb] = [await a.forwardAll(x), await b.forwardAll(x)];
    expect(fb.map((o) => o.shape)).toEqual([
      [7, 5],
      [7, 5],
    ]);
    fa.forEach((o, k) => expect(maxDiff(o.data, fb[k].data)).toBeLessThanOrEqual(1e-5));
  });
});

describe('data-parallel wasm of trainStepOn on a symbolic input size', () => {
  // The output size follows from the input (the exchange buffer is sized from one row's outputs).
  const ANY = `
model Any {
  input HxWx2
  conv 4 3x3 same, bn, relu
  conv 3 1x1
}`;
  /** Half the mean squared distance to a fixed target, and its gradient. */
  const squares = ([out]: readonly Images[]) => {
    const size = out.data.length;
    const grad = new Float32Array(size);
    let loss = 0;
    out.data.forEach((v, i) => {
      const d = v - Math.cos(i * 0.11);
      loss += (d * d) / (2 * size);
      grad[i] = d / size;
    });
    return { loss, grads: [grad] };
  };

  it('1 and 2 threads train to the same losses', async () => {
    const runs = [];
    for (const threads of [1, 2]) {
      const engine = await open(ANY, threads, { loss: 'mse' });
      const losses: number[] = [];
      for (let s = 0; s < STEPS; s++) {
        const x = images(s, rowsOf(s), [8, 8, 2]);
        losses.push((await engine.trainStepOn!(x, squares, 0.05)).loss);
      }
      runs.push({ losses, weights: engine.readWeights() });
    }
    expectSameRuns(runs);
  });
});
