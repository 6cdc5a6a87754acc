/**
 * The training loop: seeded per-epoch shuffling, one optimiser step per batch, validation after
 * every epoch, early stopping, and a stop at the first non-finite loss (the caller keeps the last
 * good checkpoint, since the epoch callback that saves one never runs for that epoch). The loop
 * sees the backend only through the Engine contract (engine.ts), so both backends share it.
 */
import { augmentBatch } from '../data/augment.js';
import { batches, permutation, rng, type Dataset } from '../data/dataset.js';
import type { Engine, Images } from './engine.js';
import { evaluate, type EvalResult } from './evaluate.js';
import type { LoopConfig } from '../../compiler/train/settings.js';
import { learningRate } from './schedules.js';

export type { EarlyStopping, LoopConfig } from '../../compiler/train/settings.js';

export interface StepProgress {
  readonly epoch: number;
  readonly epochs: number;
  /** 1-based step within the epoch. */
  readonly step: number;
  readonly steps: number;
  readonly globalStep: number;
  /** Running means over the epoch so far. */
  readonly loss: number;
  readonly accuracy: number;
  readonly lr: number;
  readonly imagesPerSecond: number;
  /** Seconds left in the whole run at the current speed. */
  readonly eta: number;
}

export interface EpochResult {
  /** 1-based; the number of epochs completed. */
  readonly epoch: number;
  readonly globalStep: number;
  readonly lr: number;
  readonly train: { readonly loss: number; readonly accuracy: number };
  readonly validation: EvalResult | null;
  readonly seconds: number;
  readonly imagesPerSecond: number;
}

export interface FitResult {
  readonly epochs: readonly EpochResult[];
  readonly stoppedEarly: boolean;
  /** Set when a loss was NaN or infinite: training stopped there. */
  readonly nonFinite: {
    readonly epoch: number;
    readonly step: number;
    readonly globalStep: number;
  } | null;
  readonly seconds: number;
  readonly imagesPerSecond: number;
}

export interface FitOptions {
  readonly validation: Dataset | null;
  /** Epochs already done (resume): training continues with epoch startEpoch + 1. */
  readonly startEpoch?: number;
  /**
   * Stop after this epoch (default config.epochs): one phase of a run whose layers change between
   * phases (gradual unfreezing). Schedules and the ETA still count config.epochs.
   */
  readonly endEpoch?: number;
  readonly onStep?: (p: StepProgress) => void;
  /** Runs after each completed epoch, e.g. to save a checkpoint; awaited. */
  readonly onEpoch?: (r: EpochResult) => void | Promise<void>;
  readonly now?: () => number;
}

export async function fit(
  engine: Engine,
  train: Dataset,
  config: LoopConfig,
  options: FitOptions,
): Promise<FitResult> {
  const now = options.now ?? (() => performance.now() / 1000);
  // The engine's own input shape where it is fixed (cached features may be [C]), else the data's.
  const sample = engine.inputShape.every((d) => d > 0) ? engine.inputShape : train.shape;
  const steps = Math.ceil(train.count / config.batchSize);
  const start = options.startEpoch ?? 0;
  const total = steps * config.epochs;
  const results: EpochResult[] = [];
  const t0 = now();
  let images = 0;
  let best = Infinity;
  let sinceBest = 0;
  let globalStep = start * steps;
  const end = Math.min(options.endEpoch ?? config.epochs, config.epochs);
  for (let epoch = start + 1; epoch <= end; epoch++) {
    const order = permutation(train.count, rng(config.seed * 1000003 + epoch));
    const augRandom = rng((config.seed ^ 0x0a06e17) * 1000003 + epoch);
    const e0 = now();
    let lossSum = 0;
    let correctSum = 0;
    let seen = 0;
    let step = 0;
    let lr = config.lr;
    for (const b of batches(train, config.batchSize, order)) {
      step++;
      lr = learningRate(config.lr, config.schedule, globalStep, steps, total);
      // Augmentation works in place on the batch's own copy; its stream is seeded per epoch, apart
      // from the shuffle's, so a resumed run draws the same transforms.
      if (config.augment) augmentBatch(b.x, b.n, train.shape, config.augment, augRandom);
      const x: Images = { data: b.x, shape: [b.n, ...sample] };
      const { loss: batchLoss, correct: batchCorrect } = await engine.trainStep(x, b.y, lr);
      globalStep++;
      if (!Number.isFinite(batchLoss)) return finish(results, false, { epoch, step, globalStep });
      lossSum += batchLoss * b.n;
      correctSum += batchCorrect;
      seen += b.n;
      images += b.n;
      if (options.onStep) {
        const ips = seen / Math.max(1e-9, now() - e0);
        options.onStep({
          epoch,
          epochs: config.epochs,
          step,
          steps,
          globalStep,
          loss: lossSum / seen,
          accuracy: correctSum / seen,
          lr,
          imagesPerSecond: ips,
          eta: (((config.epochs - epoch) * steps + (steps - step)) * config.batchSize) / ips,
        });
      }
    }
    const seconds = now() - e0;
    const validation = options.validation
      ? await evaluate(engine, options.validation, {
          batchSize: Math.max(256, config.batchSize),
          topK: config.topK,
        })
      : null;
    const result: EpochResult = {
      epoch,
      globalStep,
      lr,
      train: { loss: lossSum / seen, accuracy: correctSum / seen },
      validation,
      seconds,
      imagesPerSecond: seen / Math.max(1e-9, seconds),
    };
    results.push(result);
    await options.onEpoch?.(result);
    if (config.earlyStopping) {
      const monitored = validation ? validation.loss : result.train.loss;
      if (monitored < best - config.earlyStopping.minDelta) {
        best = monitored;
        sinceBest = 0;
      } else if (++sinceBest >= config.earlyStopping.patience) {
        return finish(results, true, null);
      }
    }
  }
  return finish(results, false, null);

  function finish(
    epochs: EpochResult[],
    stoppedEarly: boolean,
    nonFinite: FitResult['nonFinite'],
  ): FitResult {
    const seconds = now() - t0;
    return {
      epochs,
      stoppedEarly,
      nonFinite,
      seconds,
      imagesPerSecond: images / Math.max(1e-9, seconds),
    };
  }
}

/** The results of consecutive fits (the phases of one run) as one. */
export function combineFits(fits: readonly FitResult[]): FitResult {
  const seconds = fits.reduce((s, f) => s + f.seconds, 0);
  const images = fits.reduce((s, f) => s + f.imagesPerSecond * f.seconds, 0);
  return {
    epochs: fits.flatMap((f) => f.epochs),
    stoppedEarly: fits.some((f) => f.stoppedEarly),
    nonFinite: fits.find((f) => f.nonFinite)?.nonFinite ?? null,
    seconds,
    imagesPerSecond: images / Math.max(1e-9, seconds),
  };
}
