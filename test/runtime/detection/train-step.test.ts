/**
 * Engine.trainStepOn with the yolo loss: one step on the reference executor and on tfjs (cpu) from
 * the same weights gives the same loss and the same updated weights, and the loss falls over a few
 * steps on the reference executor.
 */
import { describe, expect, it } from 'vitest';
import { yoloHeadsOf } from '../../../compiler/ir/yolo-heads.js';
import { compileFile } from '../../../compiler/program.js';
import { openEngine } from '../../../runtime/engines.js';
import { yoloLoss } from '../../../runtime/detection/yolo.js';
import { rng } from '../../../runtime/data/dataset.js';
import { memoryHost, memPath } from '../../helpers/memory-host.js';

const SOURCE = `model D {
  input 16x16x3
  conv 4 3x3 /2 same
  relu
  conv 8 3x3 /2 same
  relu
  conv 12 1x1
  yolo 2 boxes 2 stride 4
}
`;

describe('yolo training step on both backends', () => {
  it('reference and tfjs agree on a step', async () => {
    const file = memPath('d.cnn');
    const r = compileFile(file, memoryHost({ [file]: SOURCE }));
    const graph = r.models[0].graph;
    const [head] = yoloHeadsOf(graph)!;
    expect(head.grid).toEqual([4, 4]);
    const options = {
      loss: 'mse' as const,
      optimizer: {
        name: 'sgd' as const,
        beta1: 0.9,
        beta2: 0.999,
        epsilon: 1e-7,
        momentum: 0,
        rho: 0.9,
        weightDecay: 0,
      },
      seed: 3,
    };
    const ref = (await openEngine('reference', graph, options)).engine!;
    const tf = (await openEngine('cpu', graph, options)).engine!;
    tf.writeWeights(ref.readWeights());
    const g = rng(5);
    const x = {
      data: Float32Array.from({ length: 2 * 16 * 16 * 3 }, () => g()),
      shape: [2, 16, 16, 3],
    };
    const truths = [
      [{ box: [2, 3, 6, 5] as const, label: 1 }],
      [{ box: [9, 8, 5, 7] as const, label: 0 }],
    ];
    const lossOf = ([out]: readonly { data: Float32Array }[]) => {
      const r = yoloLoss(head, out.data, 2, truths, { lambdaCoord: 5, lambdaNoobj: 0.5 });
      return { loss: r.loss, grads: [r.grad] };
    };
    const a = await ref.trainStepOn!(x, lossOf, 0.01);
    const b = await tf.trainStepOn!(x, lossOf, 0.01);
    expect(b.loss).toBeCloseTo(a.loss, 4);
    const wa = ref.readWeights();
    const wb = new Map(tf.readWeights().map((w) => [w.name, w.data]));
    for (const w of wa) {
      const other = wb.get(w.name)!;
      w.data.forEach((v, i) => expect(other[i]).toBeCloseTo(v, 4));
    }
    let last = a.loss;
    for (let i = 0; i < 5; i++) last = (await ref.trainStepOn!(x, lossOf, 0.01)).loss;
    expect(last).toBeLessThan(a.loss);
    tf.dispose();
  });

  it('opens data-parallel on wasm when asked for more threads (test/runtime/tfjs/data-parallel-outputs.test.ts trains it)', async () => {
    const file = memPath('d.cnn');
    const graph = compileFile(file, memoryHost({ [file]: SOURCE })).models[0].graph;
    const opened = await openEngine('wasm', graph, { loss: 'mse', seed: 1, threads: 2 });
    expect(opened.detail).toContain('2 threads, data-parallel');
    expect(opened.detail).not.toContain('one thread');
    expect(opened.engine!.trainStepOn).toBeTypeOf('function');
    expect(opened.engine!.gradientsOn).toBeTypeOf('function');
    opened.engine!.dispose();
  });
});
