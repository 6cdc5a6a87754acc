/**
 * The YOLO loss: its gradient against central finite differences (float64 outputs, both head
 * styles), hand-worked values on a one-cell grid, and decoding of a grid written by hand.
 */
import { describe, expect, it } from 'vitest';
import {
  decodeYolo,
  yoloLoss,
  channelsOf,
  type YoloHead,
} from '../../../runtime/detection/yolo.js';
import { rng } from '../../../runtime/data/dataset.js';

const v1: YoloHead = { grid: [3, 3], classes: 2, boxes: 2, anchors: [], image: [48, 48] };
const anchored: YoloHead = {
  grid: [3, 3],
  classes: 2,
  boxes: 2,
  anchors: [
    [10, 10],
    [24, 16],
  ],
  image: [48, 48],
};
const truths = [
  [
    { box: [4, 6, 10, 8] as const, label: 0 },
    { box: [20, 18, 16, 20] as const, label: 1 },
  ],
  [{ box: [30, 2, 12, 12] as const, label: 1 }],
];
const weights = { lambdaCoord: 5, lambdaNoobj: 0.5 };

describe.each([
  ['v1', v1],
  ['anchors', anchored],
])('yolo loss (%s head)', (_name, head) => {
  it('has the gradient finite differences give', () => {
    const n = 2;
    const size = n * 9 * channelsOf(head);
    const r = rng(7);
    // v1 box sizes near the truths' √w so that the responsible box does not flip within ±h.
    const out = Float64Array.from({ length: size }, () => r() * 0.8 + 0.1);
    const { grad } = yoloLoss(head, out, n, truths, weights);
    const h = 1e-6;
    let worst = 0;
    for (let j = 0; j < size; j++) {
      const plus = Float64Array.from(out);
      const minus = Float64Array.from(out);
      plus[j] += h;
      minus[j] -= h;
      const fd =
        (yoloLoss(head, plus, n, truths, weights).loss -
          yoloLoss(head, minus, n, truths, weights).loss) /
        (2 * h);
      worst = Math.max(worst, Math.abs(fd - grad[j]) / Math.max(1, Math.abs(fd)));
    }
    expect(worst).toBeLessThan(1e-4);
  });
});

describe('yolo loss, hand-worked (v1, one cell)', () => {
  const head: YoloHead = { grid: [1, 1], classes: 2, boxes: 1, anchors: [], image: [10, 10] };
  it('is zero for a perfect prediction and counts each error with its weight', () => {
    // Truth [2, 3, 4, 4] in a 10×10 image: centre (4, 5) → x = 0.4, y = 0.5, √w = √h = √0.4.
    const t = [[{ box: [2, 3, 4, 4] as const, label: 1 }]];
    const s = Math.sqrt(0.4);
    const perfect = [0.4, 0.5, s, s, 1, 0, 1];
    expect(yoloLoss(head, perfect, 1, t, weights).loss).toBeCloseTo(0, 12);
    // x off by 0.1 → 5·0.01; confidence 0.5 → 0.25; class 0 score 0.5 → 0.25.
    const off = [0.5, 0.5, s, s, 0.5, 0.5, 1];
    const r = yoloLoss(head, off, 1, t, weights);
    expect(r.parts.coord).toBeCloseTo(5 * 0.01, 12);
    expect(r.parts.obj).toBeCloseTo(0.25, 12);
    expect(r.parts.cls).toBeCloseTo(0.25, 12);
    expect(r.loss).toBeCloseTo(0.55, 12);
    // No truth: only λ_noobj · C² = 0.5 · 0.25.
    expect(yoloLoss(head, off, 1, [[]], weights).loss).toBeCloseTo(0.125, 12);
  });

  it('decodes a grid into boxes in input pixels with score C · p_c', () => {
    const s = Math.sqrt(0.4);
    const dets = decodeYolo(head, [0.4, 0.5, s, s, 0.8, 0.25, 0.5], 0, 0.1);
    expect(dets.map((d) => d.label)).toEqual([0, 1]);
    expect(dets[1].score).toBeCloseTo(0.4, 12);
    dets[1].box.forEach((v, i) => expect(v).toBeCloseTo([2, 3, 4, 4][i], 9));
  });
});
