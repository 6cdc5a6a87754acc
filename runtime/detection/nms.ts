/**
 * Non-maximum suppression per class, shared by `cnnc evaluate` and `cnnc predict`: detections are
 * taken in decreasing score (ties: the earlier one first, so the result is deterministic), and a
 * detection is dropped when it overlaps a kept one of the same class by more than `iouThreshold`.
 */
import { iou, type Xywh } from './boxes.js';

export interface Detection {
  readonly box: Xywh;
  readonly score: number;
  /** Class index, 0-based. */
  readonly label: number;
}

export interface NmsOptions {
  /** Overlap above which the lower-scored detection is dropped (default 0.5). */
  readonly iouThreshold: number;
  /** Detections scoring below it are dropped before NMS (default 0.01). */
  readonly scoreThreshold: number;
  /** At most this many detections per image are kept, the best-scored (default 100). */
  readonly maxDetections: number;
}

export const DEFAULT_NMS: NmsOptions = {
  iouThreshold: 0.5,
  scoreThreshold: 0.01,
  maxDetections: 100,
};

/** Indices of `dets` in decreasing score, ties by index. */
export function byScore(dets: readonly { readonly score: number }[]): number[] {
  return dets.map((_, i) => i).sort((a, b) => dets[b].score - dets[a].score || a - b);
}

export function nms(dets: readonly Detection[], options: NmsOptions = DEFAULT_NMS): Detection[] {
  const kept: Detection[] = [];
  for (const i of byScore(dets)) {
    const d = dets[i];
    if (!(d.score >= options.scoreThreshold)) continue;
    if (kept.some((k) => k.label === d.label && iou(k.box, d.box) > options.iouThreshold)) continue;
    kept.push(d);
    if (kept.length >= options.maxDetections) break;
  }
  return kept;
}
