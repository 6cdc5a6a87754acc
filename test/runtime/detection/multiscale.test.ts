/**
 * Multi-scale detectors (one yolo head per output): each truth goes to the one best anchor over all
 * heads at that head's cell, the loss is the sum of the heads' losses with its gradient per output,
 * decoding gathers every head's boxes before NMS, and both engines train the model's outputs
 * together (Engine.trainStepOn with every output).
 */
import { describe, expect, it } from 'vitest';
import { yoloHeadsOf } from '../../../compiler/ir/yolo-heads.js';
import { compileFile } from '../../../compiler/program.js';
import { rng } from '../../../runtime/data/dataset.js';
import { nms } from '../../../runtime/detection/nms.js';
import {
  channelsOf,
  decodeDetections,
  detectionLoss,
  yoloLoss,
  type YoloHead,
} from '../../../runtime/detection/yolo.js';
import { memoryHost, memPath } from '../../helpers/memory-host.js';
import { compileDetector, seededImages, stepOptions, twinEngines } from './step-setup.js';

// A 16x16 image: a fine 8x8 grid (stride 2) with a 3 px anchor, a coarse 4x4 grid (stride 4) with
// an 8 px anchor, 2 classes: 1·(5 + 2) = 7 channels each.
const fine: YoloHead = { grid: [8, 8], classes: 2, boxes: 1, anchors: [[3, 3]], image: [16, 16] };
const coarse: YoloHead = { grid: [4, 4], classes: 2, boxes: 1, anchors: [[8, 8]], image: [16, 16] };
const heads = [fine, coarse];
const weights = { lambdaCoord: 5, lambdaNoobj: 0.5 };
const small = { box: [1, 1, 3, 3] as const, label: 0 }; // centre (2.5, 2.5): fine cell (1, 1)
const large = { box: [6, 5, 8, 9] as const, label: 1 }; // centre (10, 9.5): coarse cell (2, 2)

const random = (head: YoloHead, n: number, seed: number) => {
  const r = rng(seed);
  return Float64Array.from(
    { length: n * head.grid[0] * head.grid[1] * channelsOf(head) },
    () => r() * 2 - 1,
  );
};

describe('the loss of several yolo heads', () => {
  it('assigns each truth to the best anchor over all heads, and sums the heads’ losses', () => {
    const outs = [random(fine, 2, 1), random(coarse, 2, 2)];
    const truths = [[small, large], [large]];
    const r = detectionLoss(heads, outs, 2, truths, weights);
    // The small box fits the fine head's anchor (IoU 1), the large one the coarse head's.
    const a = yoloLoss(fine, outs[0], 2, [[small], []], weights);
    const b = yoloLoss(coarse, outs[1], 2, [[large], [large]], weights);
    expect(r.loss).toBeCloseTo(a.loss + b.loss, 10);
    expect(r.grads).toHaveLength(2);
    expect(Array.from(r.grads[0])).toEqual(Array.from(a.grad));
    expect(Array.from(r.grads[1])).toEqual(Array.from(b.grad));
    // Not assigned to the fine head: its cell (4, 5) has only the no-object term.
    const at = (4 * 8 + 5) * 7;
    expect(Array.from(r.grads[0].subarray(at, at + 4))).toEqual([0, 0, 0, 0]);
  });

  it('is yoloLoss exactly for one head', () => {
    const out = random(coarse, 2, 3);
    const truths = [[small, large], [large]];
    const one = detectionLoss([coarse], [out], 2, truths, weights);
    const plain = yoloLoss(coarse, out, 2, truths, weights);
    expect(one.loss).toBe(plain.loss);
    expect(one.parts).toEqual(plain.parts);
    expect(Array.from(one.grads[0])).toEqual(Array.from(plain.grad));
  });

  it('has the gradient finite differences give, for every output', () => {
    const outs = [random(fine, 2, 4), random(coarse, 2, 5)];
    const truths = [[small, large], [{ box: [8, 2, 5, 4] as const, label: 1 }]];
    const { grads } = detectionLoss(heads, outs, 2, truths, weights);
    const h = 1e-6;
    let worst = 0;
    const pick = rng(9);
    for (const [k, out] of outs.entries()) {
      for (let s = 0; s < 60; s++) {
        const j = Math.floor(pick() * out.length);
        const shifted = (d: number) =>
          outs.map((o, i) => (i === k ? o.map((v, q) => (q === j ? v + d : v)) : o));
        const fd =
          (detectionLoss(heads, shifted(h), 2, truths, weights).loss -
            detectionLoss(heads, shifted(-h), 2, truths, weights).loss) /
          (2 * h);
        worst = Math.max(worst, Math.abs(fd - grads[k][j]) / Math.max(1, Math.abs(fd)));
      }
    }
    expect(worst).toBeLessThan(1e-4);
  });

  it('assigns v1 heads by the predicted box over all heads, with the gradient finite differences give', () => {
    const v1 = (grid: number): YoloHead => ({
      grid: [grid, grid],
      classes: 2,
      boxes: 2,
      anchors: [],
      image: [16, 16],
    });
    const pair = [v1(4), v1(2)];
    const r = rng(11);
    // Box sizes near the truths' √w so that the responsible slot does not flip within ±h.
    const outs = pair.map((h) =>
      Float64Array.from(
        { length: 2 * h.grid[0] * h.grid[1] * channelsOf(h) },
        () => r() * 0.8 + 0.1,
      ),
    );
    const truths = [[small, large], [large]];
    const { grads, parts } = detectionLoss(pair, outs, 2, truths, weights);
    // Three truths, each responsible for exactly one box over both heads: three (C − 1)² terms.
    const owned = grads.flatMap((g, k) => {
      const h = pair[k];
      const cells = 2 * h.grid[0] * h.grid[1];
      const C = channelsOf(h);
      return Array.from({ length: cells * 2 }, (_, i) => {
        const [cell, b] = [Math.floor(i / 2), i % 2];
        return g[cell * C + b * 5] !== 0 ? 1 : 0;
      });
    });
    expect(owned.reduce((a: number, b: number) => a + b, 0)).toBe(3);
    expect(parts.obj).toBeGreaterThan(0);
    const h = 1e-6;
    let worst = 0;
    for (const [k, out] of outs.entries()) {
      for (let j = 0; j < out.length; j++) {
        const shifted = (d: number) =>
          outs.map((o, i) => (i === k ? o.map((v, q) => (q === j ? v + d : v)) : o));
        const fd =
          (detectionLoss(pair, shifted(h), 2, truths, weights).loss -
            detectionLoss(pair, shifted(-h), 2, truths, weights).loss) /
          (2 * h);
        worst = Math.max(worst, Math.abs(fd - grads[k][j]) / Math.max(1, Math.abs(fd)));
      }
    }
    expect(worst).toBeLessThan(1e-4);
  });

  it('decodes every head’s boxes, and NMS runs per class over their union', () => {
    // One confident box per head, both on the same 8x8 object: NMS keeps the better one.
    const outs = [new Float32Array(64 * 7).fill(-10), new Float32Array(16 * 7).fill(-10)];
    const put = (o: Float32Array, cell: number, tw: number, score: number) =>
      o.set([0, 0, tw, tw, score, score, -10], cell * 7);
    put(outs[0], 3 * 8 + 3, Math.log(8 / 3), 3); // fine cell (3, 3): centre (7, 7), 8x8
    put(outs[1], 1 * 4 + 1, 0, 4); // coarse cell (1, 1): centre (6, 6), 8x8
    const all = decodeDetections(heads, outs, 0, 0.5);
    expect(all.map((d) => d.box.map((v) => Math.round(v)))).toEqual([
      [3, 3, 8, 8],
      [2, 2, 8, 8],
    ]);
    const kept = nms(all, { iouThreshold: 0.5, scoreThreshold: 0.5, maxDetections: 10 });
    expect(kept).toHaveLength(1);
    expect(kept[0].box.map((v) => Math.round(v))).toEqual([2, 2, 8, 8]);
  });
});

const SOURCE = `model MS {
  input 16x16x3
  conv 6 3x3 /2 same
  relu
  output fine {
    conv 7 1x1
    yolo 2 anchors (3, 3) stride 2
  }
  conv 8 3x3 /2 same
  relu
  conv 7 1x1
  yolo 2 anchors (8, 8) stride 4
}
`;

describe('engines train a multi-scale detector', () => {
  it('finds one head per output, in the outputs’ order', () => {
    const file = memPath('ms.cnn');
    const r = compileFile(file, memoryHost({ [file]: SOURCE }));
    expect(r.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    const found = yoloHeadsOf(r.models[0].graph)!;
    expect(found.map((h) => h.grid)).toEqual([
      [4, 4],
      [8, 8],
    ]);
    expect(found.map((h) => h.anchors)).toEqual([[[8, 8]], [[3, 3]]]);
  });

  it('reference and tfjs agree on a step of both heads’ loss, and the loss falls', async () => {
    const { graph, heads: found } = compileDetector(SOURCE);
    const { ref, tf } = await twinEngines(graph, stepOptions('sgd'));
    const x = seededImages(2);
    const truths = [[small, large], [large]];
    let seen: number[][] = [];
    const lossOf = (outs: readonly { data: Float32Array; shape: readonly number[] }[]) => {
      seen = outs.map((o) => [...o.shape]);
      return detectionLoss(
        found,
        outs.map((o) => o.data),
        2,
        truths,
        weights,
      );
    };
    const a = await ref.trainStepOn!(x, lossOf, 0.01);
    expect(seen).toEqual([
      [2, 4, 4, 7],
      [2, 8, 8, 7],
    ]);
    const b = await tf.trainStepOn!(x, lossOf, 0.01);
    expect(b.loss).toBeCloseTo(a.loss, 4);
    const wb = new Map(tf.readWeights().map((w) => [w.name, w.data]));
    const wa = ref.readWeights();
    // Both heads' layers and the shared trunk moved, the same way on both engines.
    for (const w of wa) {
      const other = wb.get(w.name)!;
      w.data.forEach((v, i) => expect(other[i]).toBeCloseTo(v, 4));
    }
    const g2 = await ref.gradientsOn!(x, lossOf, true);
    for (const t of g2.grads)
      expect(
        t.data.some((v) => v !== 0),
        t.name,
      ).toBe(true);
    let last = a.loss;
    for (let i = 0; i < 5; i++) last = (await ref.trainStepOn!(x, lossOf, 0.01)).loss;
    expect(last).toBeLessThan(a.loss);
    tf.dispose();
  });
});
