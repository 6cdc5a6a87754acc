/**
 * Training and evaluating a detector over its yolo heads (yoloHeadsOf, compiler/ir/yolo-heads.ts:
 * one per output, several for a multi-scale detector): a training loop over a COCO data set with
 * box-aware augmentation whose loss is detectionLoss on the raw grids (both backends, through
 * Engine.trainStepOn), and COCO evaluation of every head's decoded boxes, per-class NMS'd over their
 * union and mapped back to each image's own pixels.
 */
import type { AugmentConfig } from '../../compiler/train/augment.js';
import type { TrainSettings } from '../../compiler/train/settings.js';
import { learningRate } from '../../compiler/train/schedules.js';
import { augmentDetection } from '../data/box-augment.js';
import type { BoxLabel, DetectionDataset } from '../data/coco.js';
import { permutation, rng } from '../data/dataset.js';
import type { Engine } from '../train/engine.js';
import { unmapBox } from './boxes.js';
import { cocoEvaluate, type CocoStats, type GroundTruth, type ScoredBox } from './coco-eval.js';
import { nms, type NmsOptions } from './nms.js';
import { decodeDetections, detectionLoss, type LossWeights, type YoloHead } from './yolo.js';

export interface DetectorFitConfig {
  readonly epochs: number;
  readonly batchSize: number;
  /** Learning rate of step `step` of `steps` (`perEpoch` steps an epoch). */
  readonly lr: (step: number, steps: number, perEpoch: number) => number;
  readonly seed: number;
  readonly weights: LossWeights;
  readonly augment: AugmentConfig | null;
}

/** The fit of a train block's settings (`cnnc train` and the example script). */
export function detectorFitConfig(s: TrainSettings): DetectorFitConfig {
  return {
    epochs: s.epochs,
    batchSize: s.batchSize,
    lr: (step, steps, perEpoch) => learningRate(s.lr, s.schedule, step, perEpoch, steps),
    seed: s.seed,
    weights: { lambdaCoord: s.detection.lambdaCoord, lambdaNoobj: s.detection.lambdaNoobj },
    augment: s.augment,
  };
}

/** The NMS options of a train block's settings. */
export const detectorNms = (s: TrainSettings): NmsOptions => ({
  iouThreshold: s.detection.nmsIou,
  scoreThreshold: s.detection.scoreThreshold,
  maxDetections: s.detection.maxDetections,
});

/** What fitDetector reports after each epoch. */
export interface DetectorEpoch {
  readonly epoch: number;
  /** Mean training loss of the epoch. */
  readonly loss: number;
  readonly seconds: number;
  readonly imagesPerSecond: number;
  /** Steps taken since the start (epoch 1). */
  readonly globalStep: number;
  /** The learning rate of the epoch's last step. */
  readonly lr: number;
}

export async function fitDetector(
  engine: Engine,
  heads: readonly YoloHead[],
  data: DetectionDataset,
  config: DetectorFitConfig,
  onEpoch?: (e: DetectorEpoch) => void | Promise<void>,
  /** Epochs already done (a resumed run, or earlier phases): training goes on from the next one. */
  startEpoch = 0,
  /** The last epoch of this call (a phase of `at epoch N unfreeze`); default the run's last. */
  endEpoch = config.epochs,
): Promise<void> {
  if (!engine.trainStepOn) throw new Error(`the ${engine.backend} engine cannot train a detector`);
  const per = data.shape[0] * data.shape[1] * data.shape[2];
  const perEpoch = Math.ceil(data.count / config.batchSize);
  const steps = perEpoch * config.epochs;
  let step = perEpoch * startEpoch;
  for (let epoch = startEpoch + 1; epoch <= endEpoch; epoch++) {
    const t0 = performance.now();
    const order = permutation(data.count, rng(config.seed * 1000003 + epoch));
    const aug = rng((config.seed ^ 0x0de7ec7) * 1000003 + epoch);
    let sum = 0;
    let seen = 0;
    let lr = 0;
    for (let b = 0; b < data.count; b += config.batchSize) {
      const idx = order.slice(b, b + config.batchSize);
      const x = new Float32Array(idx.length * per);
      const truths: BoxLabel[][] = [];
      idx.forEach((i, k) => {
        const img = data.images.subarray(i * per, (i + 1) * per);
        const copy = Float32Array.from(img);
        truths.push(
          config.augment
            ? augmentDetection(copy, data.shape, data.boxes[i], config.augment, aug)
            : [...data.boxes[i]],
        );
        x.set(copy, k * per);
      });
      const r = await engine.trainStepOn(
        { data: x, shape: [idx.length, ...data.shape] },
        (outs) =>
          detectionLoss(
            heads,
            outs.map((o) => o.data),
            idx.length,
            truths,
            config.weights,
          ),
        (lr = config.lr(step++, steps, perEpoch)),
      );
      if (!Number.isFinite(r.loss)) throw new Error(`the loss became ${r.loss} at step ${step}`);
      sum += r.loss * idx.length;
      seen += idx.length;
    }
    const seconds = (performance.now() - t0) / 1000;
    await onEpoch?.({
      epoch,
      loss: sum / seen,
      seconds,
      imagesPerSecond: seen / seconds,
      globalStep: step,
      lr,
    });
  }
}

export interface DetectionResult {
  readonly stats: CocoStats;
  /** COCO result JSON entries: image_id, category_id, bbox in the image's pixels, score. */
  readonly results: readonly ScoredBox[];
}

/** Detections of every image, decoded, NMS'd and mapped to the image's own pixels; COCO numbers. */
export async function evaluateDetector(
  engine: Engine,
  heads: readonly YoloHead[],
  data: DetectionDataset,
  options: NmsOptions,
  batchSize = 64,
): Promise<DetectionResult> {
  const per = data.shape[0] * data.shape[1] * data.shape[2];
  const results: ScoredBox[] = [];
  for (let b = 0; b < data.count; b += batchSize) {
    const n = Math.min(batchSize, data.count - b);
    const outs = await engine.forwardAll({
      data: data.images.subarray(b * per, (b + n) * per),
      shape: [n, ...data.shape],
    });
    const grids = outs.map((o) => o.data);
    for (let k = 0; k < n; k++) {
      const i = b + k;
      for (const d of nms(decodeDetections(heads, grids, k, options.scoreThreshold), options)) {
        results.push({
          imageId: data.imageIds[i],
          categoryId: data.categoryIds[d.label],
          bbox: unmapBox(d.box, data.letterboxes[i]),
          score: d.score,
        });
      }
    }
  }
  const gts: GroundTruth[] = data.truth.flatMap((list, i) =>
    list.map((g) => ({
      imageId: data.imageIds[i],
      categoryId: g.categoryId,
      bbox: g.bbox,
      area: g.area,
      iscrowd: g.iscrowd,
    })),
  );
  const stats = cocoEvaluate(gts, results, {
    imageIds: data.imageIds,
    categoryIds: data.categoryIds,
  });
  return { stats, results };
}
