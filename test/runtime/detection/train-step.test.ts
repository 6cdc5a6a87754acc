/**
 * Engine.trainStepOn with the yolo loss: one step on the reference executor and on tfjs (cpu) from
 * the same weights gives the same loss and the same updated weights, and the loss falls over a few
 * steps on the reference executor.
 */
import { describe, expect, it } from 'vitest';
import { yoloLoss } from '../../../runtime/detection/yolo.js';
import { openEngine } from '../../../runtime/engines.js';
import { compileDetector, seededImages, stepOptions, twinEngines } from './step-setup.js';

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
    const { graph, heads } = compileDetector(SOURCE);
    const [head] = heads;
    expect(head.grid).toEqual([4, 4]);
    const { ref, tf } = await twinEngines(graph, stepOptions('sgd'));
    const x = seededImages(2);
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
    const { graph } = compileDetector(SOURCE);
    const opened = await openEngine('wasm', graph, { loss: 'mse', seed: 1, threads: 2 });
    expect(opened.detail).toContain('2 threads, data-parallel');
    expect(opened.detail).not.toContain('one thread');
    expect(opened.engine!.trainStepOn).toBeTypeOf('function');
    expect(opened.engine!.gradientsOn).toBeTypeOf('function');
    opened.engine!.dispose();
  });
});
