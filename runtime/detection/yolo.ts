/**
 * The YOLO head's layout, its decoding into boxes, and its loss with the gradient, as pure functions
 * of the raw grid the network outputs ([n, S_h, S_w, channels], channels last). Both backends train
 * through `yoloLoss` (the reference executor back-propagates its gradient; tfjs wraps it as a custom
 * gradient op), and `cnnc evaluate` and `cnnc predict` decode through `decodeYolo` and nms.ts.
 *
 * v1 head (Redmon et al. 2016), per cell: B boxes of (x, y, √w, √h, confidence), then C class
 * scores. x, y are the centre's offset within the cell in [0, 1]; √w, √h are the square roots of the
 * box size as a fraction of the image; all outputs are linear. Loss, summed over cells and averaged
 * over the batch:
 *
 *   λ_coord Σ 1obj_ij [(x − x̂)² + (y − ŷ)² + (√w − √ŵ)² + (√h − √ĥ)²]
 *   + Σ 1obj_ij (C − 1)² + λ_noobj Σ 1noobj_ij C² + Σ 1obj_i Σ_c (p_c − p̂_c)²
 *
 * where box j of cell i is responsible for a ground truth centred in cell i when its prediction
 * overlaps that truth most among the cell's free boxes (ties: the lower j). The confidence target of
 * a responsible box is 1 (the paper uses the IoU; 1 keeps the loss a smooth function of the outputs
 * so that finite differences check its gradient). Score of a box for class c: C · p_c, clipped to
 * [0, 1].
 *
 * Anchor head (v2/v3), per anchor: (tx, ty, tw, th, objectness, C class logits); centre
 * ((col + σ(tx)) / S_w, (row + σ(ty)) / S_h), size anchor · exp(tw, th). The anchor whose shape
 * overlaps a truth most (both centred) in the truth's cell is responsible. Loss:
 *
 *   λ_coord Σ 1obj [(σ(tx) − tx*)² + (σ(ty) − ty*)² + (tw − log(w/a_w))² + (th − log(h/a_h))²]
 *   + Σ 1obj BCE(objectness, 1) + λ_noobj Σ 1noobj BCE(objectness, 0) + Σ 1obj Σ_c BCE(class_c, 1[c])
 *
 * with BCE on logits. Score: σ(objectness) · σ(class_c).
 *
 * Several heads (one per model output, e.g. a 12x12 grid at stride 8 and a 6x6 grid at stride 16,
 * as YOLOv3 and FPN detectors have): each truth is assigned to the one slot over every head's
 * slots at the truth's cell of that head (anchor heads: the best anchor by shape over all heads'
 * anchors); the loss is the sum of the heads' terms with the single-head normalisation, and
 * decoding gathers every head's boxes before NMS (detectionLoss, decodeDetections).
 */
import { iou, type Xywh } from './boxes.js';
import { rng } from '../data/dataset.js';
import type { Detection } from './nms.js';
import type { YoloHead } from '../../compiler/ir/yolo-heads.js';

/** A head's geometry, read from the IR by yoloHeadsOf (compiler/ir/yolo-heads.ts). */
export type { YoloHead };

export interface LossWeights {
  readonly lambdaCoord: number;
  readonly lambdaNoobj: number;
}

/** A truth box in input pixels with its class. */
export interface TruthBox {
  readonly box: Xywh;
  readonly label: number;
}

export const channelsOf = (h: YoloHead) =>
  h.anchors.length ? h.anchors.length * (5 + h.classes) : h.boxes * 5 + h.classes;

const sigmoid = (z: number) => (z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z)));
/** BCE of logit z against target y: softplus(z) − y·z, computed stably. */
const bce = (z: number, y: number) => Math.max(z, 0) - z * y + Math.log1p(Math.exp(-Math.abs(z)));

/** The cell a truth's centre falls in (clamped to the grid). */
function cellOf(h: YoloHead, b: Xywh): [number, number] {
  const [S1, S2] = h.grid;
  const [H, W] = h.image;
  const r = Math.min(S1 - 1, Math.max(0, Math.floor(((b[1] + b[3] / 2) / H) * S1)));
  const c = Math.min(S2 - 1, Math.max(0, Math.floor(((b[0] + b[2] / 2) / W) * S2)));
  return [r, c];
}

/** The box slot k of cell (r, c) as predicted, in input pixels. */
function predictedBox(
  h: YoloHead,
  out: ArrayLike<number>,
  base: number,
  r: number,
  c: number,
  k: number,
): Xywh {
  const [S1, S2] = h.grid;
  const [H, W] = h.image;
  if (h.anchors.length) {
    const o = base + k * (5 + h.classes);
    const cx = ((c + sigmoid(out[o])) / S2) * W;
    const cy = ((r + sigmoid(out[o + 1])) / S1) * H;
    const w = h.anchors[k][0] * Math.exp(Math.min(out[o + 2], 10));
    const hh = h.anchors[k][1] * Math.exp(Math.min(out[o + 3], 10));
    return [cx - w / 2, cy - hh / 2, w, hh];
  }
  const o = base + k * 5;
  const cx = ((c + out[o]) / S2) * W;
  const cy = ((r + out[o + 1]) / S1) * H;
  const w = out[o + 2] * out[o + 2] * W;
  const hh = out[o + 3] * out[o + 3] * H;
  return [cx - w / 2, cy - hh / 2, w, hh];
}

/**
 * Which truth each (cell, slot) of each head is responsible for, for image `i`: per head, key
 * r·S2·B + c·B + k → truth. Each truth goes to the one free slot, over every head, that overlaps
 * it most at the truth's cell of that head: by anchor shape (both centred, YOLOv3) on anchor heads,
 * by the predicted box on v1 heads; ties go to the earlier head, then the lower slot.
 */
function assign(
  heads: readonly YoloHead[],
  outs: readonly ArrayLike<number>[],
  i: number,
  truths: readonly TruthBox[],
): Map<number, TruthBox>[] {
  const owners = heads.map(() => new Map<number, TruthBox>());
  for (const t of truths) {
    if (!(t.box[2] > 0 && t.box[3] > 0)) continue;
    let best = -1;
    let bestKey = -1;
    let bestIou = -Infinity;
    for (const [j, h] of heads.entries()) {
      const [S1, S2] = h.grid;
      const C = channelsOf(h);
      const B = h.boxes;
      const [r, c] = cellOf(h, t.box);
      const base = i * S1 * S2 * C + (r * S2 + c) * C;
      for (let k = 0; k < B; k++) {
        const key = (r * S2 + c) * B + k;
        if (owners[j].has(key)) continue;
        const overlap = h.anchors.length
          ? iou([0, 0, h.anchors[k][0], h.anchors[k][1]], [0, 0, t.box[2], t.box[3]])
          : iou(predictedBox(h, outs[j], base, r, c, k), t.box);
        if (overlap > bestIou) [best, bestKey, bestIou] = [j, key, overlap];
      }
    }
    if (best >= 0) owners[best].set(bestKey, t);
  }
  return owners;
}

/** The loss's parts, summed over boxes (and heads). */
interface Parts {
  coord: number;
  obj: number;
  noobj: number;
  cls: number;
}

/** Adds one image's terms of head `h` (its grid at `offset` of `out`) to `parts` and `grad`. */
function addHeadTerms(
  h: YoloHead,
  out: ArrayLike<number>,
  grad: Float32Array,
  offset: number,
  owner: ReadonlyMap<number, TruthBox>,
  weights: LossWeights,
  parts: Parts,
): void {
  const [S1, S2] = h.grid;
  const [H, W] = h.image;
  const C = channelsOf(h);
  const B = h.boxes;
  const K = h.classes;
  const { lambdaCoord: lc, lambdaNoobj: ln } = weights;
  for (let r = 0; r < S1; r++) {
    for (let c = 0; c < S2; c++) {
      const base = offset + (r * S2 + c) * C;
      let cellTruth: TruthBox | null = null;
      for (let k = 0; k < B; k++) {
        const t = owner.get((r * S2 + c) * B + k);
        if (h.anchors.length) {
          const o = base + k * (5 + K);
          const z = out[o + 4];
          if (!t) {
            parts.noobj += ln * bce(z, 0);
            grad[o + 4] += ln * sigmoid(z);
            continue;
          }
          const tx = ((t.box[0] + t.box[2] / 2) / W) * S2 - c;
          const ty = ((t.box[1] + t.box[3] / 2) / H) * S1 - r;
          const tw = Math.log(t.box[2] / h.anchors[k][0]);
          const th = Math.log(t.box[3] / h.anchors[k][1]);
          const sx = sigmoid(out[o]);
          const sy = sigmoid(out[o + 1]);
          parts.coord +=
            lc *
            ((sx - tx) ** 2 + (sy - ty) ** 2 + (out[o + 2] - tw) ** 2 + (out[o + 3] - th) ** 2);
          grad[o] += lc * 2 * (sx - tx) * sx * (1 - sx);
          grad[o + 1] += lc * 2 * (sy - ty) * sy * (1 - sy);
          grad[o + 2] += lc * 2 * (out[o + 2] - tw);
          grad[o + 3] += lc * 2 * (out[o + 3] - th);
          parts.obj += bce(z, 1);
          grad[o + 4] += sigmoid(z) - 1;
          for (let q = 0; q < K; q++) {
            const y = q === t.label ? 1 : 0;
            parts.cls += bce(out[o + 5 + q], y);
            grad[o + 5 + q] += sigmoid(out[o + 5 + q]) - y;
          }
          continue;
        }
        const o = base + k * 5;
        const conf = out[o + 4];
        if (!t) {
          parts.noobj += ln * conf * conf;
          grad[o + 4] += ln * 2 * conf;
          continue;
        }
        cellTruth ??= t;
        const tx = ((t.box[0] + t.box[2] / 2) / W) * S2 - c;
        const ty = ((t.box[1] + t.box[3] / 2) / H) * S1 - r;
        const tw = Math.sqrt(t.box[2] / W);
        const th = Math.sqrt(t.box[3] / H);
        const d = [out[o] - tx, out[o + 1] - ty, out[o + 2] - tw, out[o + 3] - th];
        parts.coord += lc * (d[0] ** 2 + d[1] ** 2 + d[2] ** 2 + d[3] ** 2);
        for (let q = 0; q < 4; q++) grad[o + q] += lc * 2 * d[q];
        parts.obj += (conf - 1) ** 2;
        grad[o + 4] += 2 * (conf - 1);
      }
      if (!h.anchors.length && cellTruth) {
        for (let q = 0; q < K; q++) {
          const d = out[base + B * 5 + q] - (q === cellTruth.label ? 1 : 0);
          parts.cls += d * d;
          grad[base + B * 5 + q] += 2 * d;
        }
      }
    }
  }
}

export interface YoloLossResult {
  /** Mean over the batch. */
  readonly loss: number;
  /** dL/d(output), the output's layout. */
  readonly grad: Float32Array;
  /** The loss's parts (means over the batch): coord, obj, noobj, class. */
  readonly parts: { coord: number; obj: number; noobj: number; cls: number };
}

export interface DetectionLossResult {
  /** Mean over the batch: the sum of the heads' losses. */
  readonly loss: number;
  /** dL/d(output) of each head, its output's layout. */
  readonly grads: Float32Array[];
  /** The loss's parts (means over the batch, summed over the heads): coord, obj, noobj, class. */
  readonly parts: { coord: number; obj: number; noobj: number; cls: number };
}

/**
 * The loss of a batch of a detector's raw grids, one per head (`outs[j]`: [n, S_h, S_w, channels]
 * of head j), against truth boxes per image: each truth is assigned to one slot over all heads
 * (`assign`), and the loss is the sum of every head's terms, averaged over the batch — for one
 * head, exactly yoloLoss.
 */
export function detectionLoss(
  heads: readonly YoloHead[],
  outs: readonly ArrayLike<number>[],
  n: number,
  truths: readonly (readonly TruthBox[])[],
  weights: LossWeights,
): DetectionLossResult {
  if (outs.length !== heads.length)
    throw new Error(`yolo loss: ${outs.length} outputs for ${heads.length} heads`);
  const pers = heads.map((h, j) => {
    const per = h.grid[0] * h.grid[1] * channelsOf(h);
    if (outs[j].length !== n * per)
      throw new Error(`yolo loss: output of ${outs[j].length} values for ${n}×${per}`);
    return per;
  });
  const grads = outs.map((o) => new Float32Array(o.length));
  const parts: Parts = { coord: 0, obj: 0, noobj: 0, cls: 0 };
  for (let i = 0; i < n; i++) {
    const owners = assign(heads, outs, i, truths[i] ?? []);
    heads.forEach((h, j) =>
      addHeadTerms(h, outs[j], grads[j], i * pers[j], owners[j], weights, parts),
    );
  }
  const scale = n > 0 ? 1 / n : 0;
  for (const grad of grads) for (let j = 0; j < grad.length; j++) grad[j] *= scale;
  const loss = (parts.coord + parts.obj + parts.noobj + parts.cls) * scale;
  return {
    loss,
    grads,
    parts: {
      coord: parts.coord * scale,
      obj: parts.obj * scale,
      noobj: parts.noobj * scale,
      cls: parts.cls * scale,
    },
  };
}

/** The loss of a batch of raw grids `out` ([n, S_h, S_w, channels]) of one head against truth boxes per image. */
export function yoloLoss(
  h: YoloHead,
  out: ArrayLike<number>,
  n: number,
  truths: readonly (readonly TruthBox[])[],
  weights: LossWeights,
): YoloLossResult {
  const r = detectionLoss([h], [out], n, truths, weights);
  return { loss: r.loss, grad: r.grads[0], parts: r.parts };
}

/**
 * The boxes of one image's raw grid (`out` from `offset`), in input pixels, clipped to the image:
 * every box slot and class whose score reaches `scoreThreshold` (before NMS).
 */
export function decodeYolo(
  h: YoloHead,
  out: ArrayLike<number>,
  offset: number,
  scoreThreshold: number,
): Detection[] {
  const [S1, S2] = h.grid;
  const [H, W] = h.image;
  const C = channelsOf(h);
  const K = h.classes;
  const dets: Detection[] = [];
  for (let r = 0; r < S1; r++) {
    for (let c = 0; c < S2; c++) {
      const base = offset + (r * S2 + c) * C;
      for (let k = 0; k < h.boxes; k++) {
        const raw = predictedBox(h, out, base, r, c, k);
        const x0 = Math.max(0, raw[0]);
        const y0 = Math.max(0, raw[1]);
        const box: Xywh = [
          x0,
          y0,
          Math.min(W, raw[0] + raw[2]) - x0,
          Math.min(H, raw[1] + raw[3]) - y0,
        ];
        if (!(box[2] > 0 && box[3] > 0)) continue;
        for (let q = 0; q < K; q++) {
          const score = h.anchors.length
            ? sigmoid(out[base + k * (5 + K) + 4]) * sigmoid(out[base + k * (5 + K) + 5 + q])
            : clamp01(out[base + k * 5 + 4]) * clamp01(out[base + h.boxes * 5 + q]);
          if (score >= scoreThreshold && score > 0) dets.push({ box, score, label: q });
        }
      }
    }
  }
  return dets;
}

/**
 * The boxes of image `image` of a batch of a detector's raw grids, one per head (`outs[j]`: head
 * j's [n, S_h, S_w, channels]): every head's decoded boxes together, before NMS (which then runs
 * per class over the union).
 */
export function decodeDetections(
  heads: readonly YoloHead[],
  outs: readonly ArrayLike<number>[],
  image: number,
  scoreThreshold: number,
): Detection[] {
  return heads.flatMap((h, j) =>
    decodeYolo(h, outs[j], image * h.grid[0] * h.grid[1] * channelsOf(h), scoreThreshold),
  );
}

/**
 * The detection loss of a batch of `n` raw grids per head against 1–3 seeded truth boxes per
 * image (each 10–60% of the image side, anywhere inside it, of a seeded class): what `cnnc verify`
 * differentiates on both engines, shaped as Engine.gradientsOn takes it.
 */
export function seededDetectionLoss(
  heads: readonly YoloHead[],
  n: number,
  seed: number,
  weights: LossWeights,
): (outs: readonly { data: ArrayLike<number> }[]) => { loss: number; grads: Float32Array[] } {
  const r = rng((seed ^ 0x7010) >>> 0);
  const [H, W] = heads[0].image;
  const classes = heads[0].classes;
  const truths = Array.from({ length: n }, () =>
    Array.from({ length: 1 + Math.floor(r() * 3) }, (): TruthBox => {
      const w = W * (0.1 + 0.5 * r());
      const hh = H * (0.1 + 0.5 * r());
      return {
        box: [r() * (W - w), r() * (H - hh), w, hh],
        label: Math.floor(r() * classes),
      };
    }),
  );
  return (outs) =>
    detectionLoss(
      heads,
      outs.map((o) => o.data),
      n,
      truths,
      weights,
    );
}

const clamp01 = (x: number) => (x < 0 ? 0 : x > 1 ? 1 : x);
