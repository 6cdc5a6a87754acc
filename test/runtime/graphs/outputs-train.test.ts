/**
 * Several outputs through both backends (issue 12). A model with an auxiliary head part-way
 * (`output aux { … }`) and a softmax main output:
 * - the reference executor, in float64, back-propagates Σ wₖ·Lₖ from both outputs at once: its
 *   gradients match central differences of the weighted sum, for weights of the trunk (reached
 *   by both losses), of the main path and of the head;
 * - one SGD step with `loss main categorical, aux mse 0.3` on the TensorFlow.js lowering (wasm) and
 *   on the reference executor gives the same loss, Σ wₖ·Lₖ of the per-output losses evalBatch
 *   reports, and the same updated weights;
 * - forwardAll returns every output, the first equal to forward's.
 */
import { describe, expect, it } from 'vitest';
import { compileFile } from '../../../compiler/program.js';
import { DEFAULT_OPTIMIZER } from '../../../compiler/train/optimizers.js';
import { resolveSettings } from '../../../compiler/train/settings.js';
import { openEngine, type EngineBackend } from '../../../runtime/engines.js';
import { seededRandom } from '../../../runtime/init.js';
import { ReferenceModel } from '../../../runtime/reference/executor.js';
import { lossAndGrad } from '../../../runtime/reference/losses.js';
import type { Tensor } from '../../../runtime/reference/tensor.js';
import { memoryHost, memPath } from '../../helpers/memory-host.js';

const SOURCE = `model Heads {
  input 6x6x2
  conv 3 3x3 same, relu
  mid: maxpool 2x2
  output aux { flatten, dense 4 }
  conv 4 3x3 same, tanh
  gap
  fc: dense 4
  softmax
  train { loss main categorical, aux mse 0.3 }
}
`;

function graphOf(source = SOURCE) {
  const r = compileFile(memPath('main.cnn'), memoryHost({ 'main.cnn': source }));
  expect(r.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  return r.models[0].graph;
}

const N = 3;
function batch(seed: number) {
  const random = seededRandom(seed);
  return {
    x: { data: Float32Array.from({ length: N * 72 }, () => random() * 2 - 1), shape: [N, 6, 6, 2] },
    y: Int32Array.from([0, 3, 1]),
  };
}

describe('several outputs', () => {
  it('the train block gives each output its loss and weight', () => {
    const s = resolveSettings(graphOf()).settings;
    expect(s.outputLosses).toEqual([
      { output: 'main', loss: 'categorical', weight: 1 },
      { output: 'aux', loss: 'mse', weight: 0.3 },
    ]);
  });

  it('the reference executor sums the gradients of both losses (float64, finite differences)', () => {
    const graph = graphOf();
    const model = new ReferenceModel(graph, { seed: 5, dtype: 'float64' });
    const { x, y } = batch(1);
    const weights = [1, 0.3];
    const kinds = ['categorical', 'mse'] as const;
    // The main output's logits (its softmax fused into the categorical loss), the aux's values.
    const lossAt = () => {
      const pass = model.forward(x, true, [true, false]);
      let total = 0;
      const dys = pass.outputs.map((o, k) => {
        const r = lossAndGrad(kinds[k], o, y);
        total += weights[k] * r.loss;
        return { shape: o.shape, data: r.grad.data.map((g) => g * weights[k]) } as Tensor;
      });
      return { total, pass, dys };
    };
    const { pass, dys } = lossAt();
    expect(pass.outputs.map((o) => o.shape)).toEqual([
      [N, 4],
      [N, 4],
    ]);
    const grads = pass.backward(dys);
    const h = 1e-6;
    let checked = 0;
    for (const key of ['conv1/kernel', 'conv2/kernel', 'fc/kernel', 'aux.dense1/kernel']) {
      const w = model.params.get(key)!;
      const g = grads.get(key)!;
      for (const i of [0, 5, w.data.length - 1]) {
        const v = w.data[i];
        w.data[i] = v + h;
        const up = lossAt().total;
        w.data[i] = v - h;
        const down = lossAt().total;
        w.data[i] = v;
        const numeric = (up - down) / (2 * h);
        expect(Math.abs(g.data[i] - numeric)).toBeLessThan(1e-6 + 1e-5 * Math.abs(numeric));
        checked++;
      }
    }
    expect(checked).toBe(12);
    // The trunk's gradient is the sum: without the aux loss it changes.
    const mainOnly = lossAt().pass.backward([dys[0], undefined]).get('conv1/kernel')!;
    expect(mainOnly.data[0]).not.toBeCloseTo(grads.get('conv1/kernel')!.data[0], 8);
  });

  it('trains a step on wasm and reference, which agree, with loss Σ w·L', async () => {
    const graph = graphOf();
    const outputLosses = resolveSettings(graph).settings.outputLosses;
    const { x, y } = batch(2);
    const results = [];
    for (const backend of ['wasm', 'reference'] as EngineBackend[]) {
      const engine = (
        await openEngine(backend, graph, {
          loss: 'categorical',
          outputLosses,
          optimizer: { ...DEFAULT_OPTIMIZER, name: 'sgd' },
          seed: 7,
        })
      ).engine!;
      const ev = await engine.evalBatch(x, y);
      expect(ev.outputs?.length).toBe(2);
      expect(ev.loss).toBeCloseTo(ev.outputs![0].loss! + 0.3 * ev.outputs![1].loss!, 5);
      const [main, aux] = await engine.forwardAll(x);
      expect(main.shape).toEqual([N, 4]);
      expect(aux.shape).toEqual([N, 4]);
      expect(Array.from(main.data)).toEqual(Array.from((await engine.forward(x)).data));
      const predicted = await engine.predict(x);
      expect(predicted.outputs?.map((o) => o.classes)).toEqual([4, 4]);
      const step = await engine.trainStep(x, y, 0.5);
      results.push({ eval: ev.loss, loss: step.loss, after: engine.readWeights() });
      engine.dispose();
    }
    const [tfjs, ref] = results;
    // Dropout-free and in training mode like evalBatch's weights: the step's loss is the same sum.
    expect(Math.abs(tfjs.loss - ref.loss) / ref.loss).toBeLessThan(1e-5);
    expect(Math.abs(tfjs.eval - ref.eval) / ref.eval).toBeLessThan(1e-5);
    let worst = 0;
    for (const w of ref.after) {
      const other = tfjs.after.find((t) => t.name === w.name)!;
      for (let i = 0; i < w.data.length; i++)
        worst = Math.max(worst, Math.abs(w.data[i] - other.data[i]));
    }
    expect(worst).toBeLessThan(1e-5);
  }, 120_000);
});
