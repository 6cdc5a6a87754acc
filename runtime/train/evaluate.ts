/**
 * Evaluation of a model on a dataset: mean loss, accuracy, top-k accuracy and the full report; for
 * a model with several outputs, the same for each output (its own loss, unweighted), beside the
 * totals of the first (the training loss Σ weight · loss, the first output's accuracy).
 */
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
  /** With several outputs: each one's metrics, in the graph's order. */
  readonly outputs?: readonly OutputEval[];
}

export interface OutputEval {
  readonly name: string;
  readonly loss: number;
  readonly accuracy: number;
  readonly topK: { readonly k: number; readonly accuracy: number };
  readonly report: ClassificationReport;
}

/** Sums over the batches of one output's scores. */
class Tally {
  lossSum = 0;
  topHits = 0;
  readonly predicted: Int32Array;
  constructor(
    count: number,
    public classes: number,
  ) {
    this.predicted = new Int32Array(count);
  }

  add(
    r: { readonly loss?: number; readonly scores: Float32Array; readonly classes: number },
    y: Int32Array,
    offset: number,
    topK: number,
  ): void {
    this.lossSum += (r.loss ?? 0) * y.length;
    this.classes = Math.max(this.classes, r.classes);
    this.predicted.set(argmaxRows(r.scores, r.classes), offset);
    this.topHits += topKAccuracy(r.scores, y, r.classes, topK) * y.length;
  }

  result(labels: Int32Array, topK: number) {
    const n = labels.length;
    const report = reportFromConfusion(confusionMatrix(labels, this.predicted, this.classes));
    return {
      loss: n ? this.lossSum / n : 0,
      accuracy: report.accuracy,
      topK: { k: topK, accuracy: n ? this.topHits / n : 0 },
      report,
    };
  }
}

export async function evaluate(
  engine: Engine,
  ds: Dataset,
  options: { batchSize: number; topK: number; outputNames?: readonly string[] },
): Promise<EvalResult> {
  const sample = engine.inputShape.every((d) => d > 0) ? engine.inputShape : ds.shape;
  const labels = new Int32Array(ds.count);
  const total = new Tally(ds.count, ds.numClasses);
  let each: Tally[] | undefined;
  let offset = 0;
  for (const b of batches(ds, options.batchSize)) {
    const r = await engine.evalBatch({ data: b.x, shape: [b.n, ...sample] }, b.y);
    total.add(r, b.y, offset, options.topK);
    if (r.outputs) {
      each ??= r.outputs.map(() => new Tally(ds.count, ds.numClasses));
      r.outputs.forEach((o, k) => each![k].add(o, b.y, offset, options.topK));
    }
    labels.set(b.y, offset);
    offset += b.n;
  }
  const result = { count: ds.count, ...total.result(labels, options.topK) };
  if (!each) return result;
  const outputs = each.map((t, k) => ({
    name: options.outputNames?.[k] ?? `output_${k}`,
    ...t.result(labels, options.topK),
  }));
  return { ...result, outputs };
}
