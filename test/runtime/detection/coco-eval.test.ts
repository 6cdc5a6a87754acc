/**
 * COCO evaluation on hand-worked cases. Each expected value is derived in the comment beside it from
 * COCOeval's definition: precision made monotone from the right, read at the recall points
 * 0, 0.01, …, 1 (the first detection whose recall reaches the point), averaged over points,
 * IoU thresholds 0.50, 0.55, …, 0.95 and classes.
 */
import { describe, expect, it } from 'vitest';
import type { Xywh } from '../../../runtime/detection/boxes.js';
import {
  cocoEvaluate,
  cocoSummaryText,
  IOU_THRESHOLDS,
  type GroundTruth,
  type ScoredBox,
} from '../../../runtime/detection/coco-eval.js';
import { nms } from '../../../runtime/detection/nms.js';

const gt = (imageId: number, bbox: Xywh, iscrowd = false, categoryId = 1): GroundTruth => ({
  imageId,
  categoryId,
  bbox,
  iscrowd,
});
const dt = (imageId: number, bbox: Xywh, score: number, categoryId = 1): ScoredBox => ({
  imageId,
  categoryId,
  bbox,
  score,
});

// pycocotools divides by tp + fp + np.spacing(1), so a precision of 1 is 1 − 2⁻⁵³: compare to 12 digits.
/** AP when the first k detections (score order) reach recall r ≥ point with precision p, else 0. */
const pointsUpTo = (recall: number) => Math.floor(recall * 100 + 1e-9) + 1;

describe('COCO evaluation, hand-worked', () => {
  it('a perfect detection: precision 1 at every recall point and threshold', () => {
    const s = cocoEvaluate([gt(1, [10, 10, 20, 20])], [dt(1, [10, 10, 20, 20], 0.9)]);
    expect(s.map).toBeCloseTo(1, 12);
    expect(s.map50).toBeCloseTo(1, 12);
    expect(s.map75).toBeCloseTo(1, 12);
    expect(s.perClass[0].ap).toBeCloseTo(1, 12);
    expect(s.perClass[0].recall).toBe(1);
    // 20×20 = 400 px² is "small" (< 32²): medium and large have no ground truth (−1).
    expect(s.stats.slice(3, 6).map((x) => Math.round(x * 1e9) / 1e9)).toEqual([1, -1, -1]);
  });

  it('a duplicate scored below the true detection costs nothing', () => {
    // Detections in score order: TP (0.9), FP (0.8). rc = [1, 1], pr = [1, 0.5] → monotone [1, 0.5];
    // every recall point ≤ 1 is first reached at index 0: precision 1.
    const s = cocoEvaluate(
      [gt(1, [0, 0, 10, 10])],
      [dt(1, [0, 0, 10, 10], 0.9), dt(1, [0, 0, 10, 10], 0.8)],
    );
    expect(s.map).toBeCloseTo(1, 12);
  });

  it('a looser duplicate scored above the true one: AP 1 up to its IoU, 0.5 above', () => {
    // B = [0, 0, 10, 7.2] overlaps the ground truth by 72/100 = 0.72, scored 0.9; A is exact, 0.8.
    // t ≤ 0.70 (5 thresholds): B matches, A is a duplicate → AP 1 as above.
    // t ≥ 0.75 (5 thresholds): B is FP, A TP: rc = [0, 1], pr = [0, 0.5] → monotone [0.5, 0.5]; AP 0.5.
    const s = cocoEvaluate(
      [gt(1, [0, 0, 10, 10])],
      [dt(1, [0, 0, 10, 10], 0.8), dt(1, [0, 0, 10, 7.2], 0.9)],
    );
    const expected = (5 * 1 + 5 * 0.5) / 10;
    expect(IOU_THRESHOLDS.filter((t) => t <= 0.72)).toHaveLength(5);
    expect(s.map).toBeCloseTo(expected, 12);
    expect(s.map50).toBeCloseTo(1, 12);
    expect(s.map75).toBeCloseTo(0.5, 12);
  });

  it('a miss: recall stops at 1/2, so only the points 0 … 0.50 count', () => {
    // 2 ground truths, one exact detection: rc = [0.5], pr = [1]; points 0, 0.01, …, 0.50 (51 of
    // 101) read precision 1, the rest 0.
    const s = cocoEvaluate(
      [gt(1, [0, 0, 10, 10]), gt(1, [50, 50, 10, 10])],
      [dt(1, [0, 0, 10, 10], 0.9)],
    );
    expect(pointsUpTo(0.5)).toBe(51);
    expect(s.map).toBeCloseTo(51 / 101, 12);
    expect(s.perClass[0].recall).toBeCloseTo(0.5, 12);
  });

  it('a detection inside a crowd region is ignored, not a false positive', () => {
    // The crowd box [20, 0, 40, 40] contains the detection [25, 5, 10, 10]: its overlap is
    // intersection / detection area = 100 / 100 = 1, so it matches the (ignored) crowd and is ignored.
    const gts = [gt(1, [0, 0, 10, 10]), gt(1, [20, 0, 40, 40], true)];
    const dts = [dt(1, [0, 0, 10, 10], 0.9), dt(1, [25, 5, 10, 10], 0.95)];
    expect(cocoEvaluate(gts, dts).map).toBeCloseTo(1, 12);
    // Without the crowd flag it is an ordinary ground truth: IoU 100/1600 → the 0.95 detection is an
    // FP ranked first and the second ground truth a miss: rc = [0, 0.5], pr = [0, 0.5] → monotone
    // [0.5, 0.5]; points 0 … 0.50 read 0.5: AP = 51 · 0.5 / 101.
    const plain = [gts[0], gt(1, [20, 0, 40, 40], false)];
    expect(cocoEvaluate(plain, dts).map).toBeCloseTo((51 * 0.5) / 101, 12);
  });

  it('ties in score are broken by image order, then by the order given', () => {
    // Image 1 holds an FP scored 0.5, image 2 a TP scored 0.5; two ground truths in all.
    // Image 1 first: FP then TP → rc = [0, 0.5], pr = [0, 0.5] → [0.5, 0.5]: AP = 51 · 0.5 / 101.
    const gts = [gt(1, [0, 0, 10, 10]), gt(2, [0, 0, 10, 10])];
    const fpFirst = cocoEvaluate(gts, [dt(1, [60, 60, 10, 10], 0.5), dt(2, [0, 0, 10, 10], 0.5)]);
    expect(fpFirst.map).toBeCloseTo((51 * 0.5) / 101, 12);
    // The TP in image 1: TP then FP → rc = [0.5, 0.5], pr = [1, 0.5]: AP = 51 · 1 / 101.
    const tpFirst = cocoEvaluate(gts, [dt(1, [0, 0, 10, 10], 0.5), dt(2, [60, 60, 10, 10], 0.5)]);
    expect(tpFirst.map).toBeCloseTo(51 / 101, 12);
  });

  it('maxDets keeps the best-scored detections of each image', () => {
    // FP 0.9 then TP 0.8 in one image: with 1 detection only the FP is seen (AR1 = 0); with 10 or
    // 100 both are (AR = 1).
    const s = cocoEvaluate(
      [gt(1, [0, 0, 10, 10])],
      [dt(1, [40, 40, 10, 10], 0.9), dt(1, [0, 0, 10, 10], 0.8)],
    );
    expect(s.stats.slice(6, 9)).toEqual([0, 1, 1]);
  });

  it('area ranges use the ground truth area, and classes are averaged', () => {
    // Class 1 medium (40×40 = 1600 px²) found; class 2 large (100×100) missed: AP 1 and 0, mean 0.5.
    const s = cocoEvaluate(
      [gt(1, [0, 0, 40, 40], false, 1), gt(1, [0, 0, 100, 100], false, 2)],
      [dt(1, [0, 0, 40, 40], 0.9, 1)],
    );
    expect(s.map).toBeCloseTo(0.5, 12);
    expect(s.stats.slice(3, 6).map((x) => Math.round(x * 1e9) / 1e9)).toEqual([-1, 1, 0]);
    expect(s.perClass.map((c) => Math.round(c.ap! * 1e9) / 1e9)).toEqual([1, 0]);
    expect(cocoSummaryText(s).split('\n')[0]).toBe(
      ' Average Precision  (AP) @[ IoU=0.50:0.95 | area=   all | maxDets=100 ] = 0.500',
    );
  });
});

describe('per-class NMS', () => {
  const a = { box: [0, 0, 10, 10] as Xywh, score: 0.9, label: 0 };
  it('drops an overlapping box of the same class, keeps one of another class', () => {
    const b = { box: [1, 0, 10, 10] as Xywh, score: 0.8, label: 0 }; // IoU 90/110 ≈ 0.82
    const c = { box: [1, 0, 10, 10] as Xywh, score: 0.7, label: 1 };
    const kept = nms([b, a, c], { iouThreshold: 0.5, scoreThreshold: 0.1, maxDetections: 10 });
    expect(kept).toEqual([a, c]);
  });
  it('keeps ties in the given order and honours the score threshold and max detections', () => {
    const t1 = { box: [0, 0, 10, 10] as Xywh, score: 0.5, label: 0 };
    const t2 = { box: [50, 0, 10, 10] as Xywh, score: 0.5, label: 0 };
    const low = { box: [90, 0, 10, 10] as Xywh, score: 0.05, label: 0 };
    expect(
      nms([t1, t2, low], { iouThreshold: 0.5, scoreThreshold: 0.1, maxDetections: 10 }),
    ).toEqual([t1, t2]);
    expect(nms([t2, t1], { iouThreshold: 0.5, scoreThreshold: 0.1, maxDetections: 1 })).toEqual([
      t2,
    ]);
  });
});
