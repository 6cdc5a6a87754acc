/**
 * A detector's yolo heads as its trainers read them from the IR: each head's grid (its output
 * shape), classes, boxes and anchors (its attributes) and the image (the input's shape). One source
 * for `cnnc train`, `evaluate`, `predict` and `verify` (runtime/detection) and for the emitted
 * PyTorch project's SETTINGS (compiler/codegen/pytorch/train-detect-py.ts).
 */
import type { Graph } from './graph.js';

export interface YoloHead {
  /** Grid rows and columns. */
  readonly grid: readonly [number, number];
  readonly classes: number;
  /** Boxes per cell (v1), or the anchor count. */
  readonly boxes: number;
  /** Anchor sizes [w, h] in input pixels; empty for v1. */
  readonly anchors: readonly (readonly [number, number])[];
  /** The image (model input) [H, W] in pixels. */
  readonly image: readonly [number, number];
}

/**
 * The graph's yolo heads, one per output in `graph.outputs` order (a multi-scale detector has
 * several), or null when it is not a detector: no output is a yolo head, or one output is not
 * (a model mixing them is refused by the checker, CNN2137: its outputs cannot all train with the
 * yolo loss, so it is no detector to train, and none of its outputs is left out silently), or a
 * head's grid or the image size is not a fixed number (CNN3102).
 */
export function yoloHeadsOf(graph: Graph): YoloHead[] | null {
  const input = graph.nodes.find((n) => n.op === 'input');
  if (!input?.shape) return null;
  const [H, W] = input.shape;
  if (typeof H !== 'number' || typeof W !== 'number') return null;
  const heads: YoloHead[] = [];
  for (const id of graph.outputs) {
    const head = graph.nodes[id];
    if (head?.op !== 'yolo' || !head.shape) return null;
    const [S1, S2] = head.shape;
    if (typeof S1 !== 'number' || typeof S2 !== 'number') return null;
    heads.push({
      grid: [S1, S2],
      classes: head.attrs.classes,
      boxes: head.attrs.boxes,
      anchors: head.attrs.anchors,
      image: [H, W],
    });
  }
  return heads.length ? heads : null;
}
