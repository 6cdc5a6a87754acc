/** Evaluation of a model on a dataset: mean loss, accuracy, top-k accuracy and the full report. */
import { batches, type Dataset } from '../data/dataset.js';
import type { Engine } from './engine.js';
import {
  argmaxRows,
  confusionMatrix,
  reportFromConfusion,
  topKAccuracy,
  type ClassificationReport,
} from './metrics.js';

export interface EvalResult {
  readonly count: number;
  readonly loss: number;
  readonly accuracy: number;
  /** Top-k accuracy for k = `topK`. */
  readonly topK: { readonly k: number; readonly accuracy: number };
  readonly report: ClassificationReport;
}

export async function evaluate(
  engine: Engine,
  ds: Dataset,
  options: { batchSize: number; topK: number },
): Promise<EvalResult> {
  const sample = engine.inputShape.every((d) => d > 0) ? engine.inputShape : ds.shape;
  let lossSum = 0;
  let classes = ds.numClasses;
  const labels = new Int32Array(ds.count);
  const predicted = new Int32Array(ds.count);
  let topHits = 0;
  let offset = 0;
  for (const b of batches(ds, options.batchSize)) {
    const r = await engine.evalBatch({ data: b.x, shape: [b.n, ...sample] }, b.y);
    lossSum += r.loss * b.n;
    const scores = r.scores;
    const k = r.classes;
    classes = Math.max(classes, k);
    predicted.set(argmaxRows(scores, k), offset);
    labels.set(b.y, offset);
    topHits += topKAccuracy(scores, b.y, k, options.topK) * b.n;
    offset += b.n;
  }
  const report = reportFromConfusion(confusionMatrix(labels, predicted, classes));
  return {
    count: ds.count,
    loss: ds.count ? lossSum / ds.count : 0,
    accuracy: report.accuracy,
    topK: { k: options.topK, accuracy: ds.count ? topHits / ds.count : 0 },
    report,
  };
}
