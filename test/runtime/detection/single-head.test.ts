/**
 * A single-head detector trains exactly as before several outputs reached Engine.trainStepOn: the
 * losses of six steps on both engines (v1 and anchor heads, Adam) and the weights after them, to the
 * last bit. The baseline test/baselines/detection/single-head-steps.txt was written by this test's
 * twin on the code before the change (commit 01e18c7, where trainStepOn's loss took one output and
 * yoloLoss assigned truths within one head); do not rewrite it to make a change pass.
 */
import { describe, it } from 'vitest';
import { detectionLoss } from '../../../runtime/detection/yolo.js';
import { openEngine } from '../../../runtime/engines.js';
import type { Engine } from '../../../runtime/train/engine.js';
import { expectBaseline } from '../../helpers/baseline.js';
import { compileDetector, seededImages, stepOptions } from './step-setup.js';

const MODEL = (head: string, channels: number) => `model D {
  input 16x16x3
  conv 4 3x3 /2 same
  bn
  relu
  conv ${channels} 3x3 /2 same
  ${head}
}
`;

const CASES = [
  ['v1', MODEL('yolo 2 boxes 2 stride 4', 12)],
  ['anchors', MODEL('yolo 2 anchors (4, 4, 9, 7) stride 4', 14)],
] as const;

/** Float32 bits of every weight, as one hex digest-like sum line per weight (order-stable). */
function weightLines(engine: Engine): string[] {
  return engine.readWeights().map((w) => {
    const bits = new Uint32Array(w.data.buffer, w.data.byteOffset, w.data.length);
    let h = 0x811c9dc5;
    for (const b of bits) h = Math.imul(h ^ b, 0x01000193) >>> 0;
    return `  ${w.name} ${h.toString(16).padStart(8, '0')}`;
  });
}

describe('a single-head detector trains as before', () => {
  it('gives the same losses and weights, bit for bit, on both engines', async () => {
    const lines: string[] = [];
    for (const [name, source] of CASES) {
      const { graph, heads } = compileDetector(source);
      const options = stepOptions('adam');
      for (const backend of ['reference', 'cpu'] as const) {
        const engine = (await openEngine(backend, graph, options)).engine!;
        const x = seededImages(3);
        const truths = [
          [
            { box: [2, 3, 6, 5] as const, label: 1 },
            { box: [3, 2, 5, 6] as const, label: 0 },
          ],
          [{ box: [9, 8, 5, 7] as const, label: 0 }],
          [],
        ];
        const losses: number[] = [];
        for (let step = 0; step < 6; step++) {
          const r = await engine.trainStepOn!(
            x,
            (outs) =>
              detectionLoss(
                heads,
                outs.map((o) => o.data),
                3,
                truths,
                { lambdaCoord: 5, lambdaNoobj: 0.5 },
              ),
            0.01,
          );
          losses.push(r.loss);
        }
        lines.push(`${name} ${backend}: losses ${losses.map((l) => l.toPrecision(17)).join(' ')}`);
        lines.push(...weightLines(engine));
        engine.dispose();
      }
    }
    expectBaseline('detection/single-head-steps.txt', lines.join('\n'));
  }, 60_000);
});
