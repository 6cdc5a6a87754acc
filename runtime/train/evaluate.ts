/** Evaluation of a model on a dataset: mean loss, accuracy, top-k accuracy and the full report. */
import type * as tfjs from '@tensorflow/tfjs';
import { batches, type Dataset } from '../data/dataset.js';
import { lossInput, lossOf, type LossKind } from './losses.js';
import {
  argmaxRows,
  confusionMatrix,
  reportFromConfusion,
  topKAccuracy,
  type ClassificationReport,
} from './metrics.js';
import type { TrainableModel } from './model.js';
import type { Tf } from './optimizers.js';

export interface EvalResult {
  readonly count: number;
  readonly loss: number;
  readonly accuracy: number;
  /** Top-k accuracy for k = `topK`. */
  readonly topK: { readonly k: number; readonly accuracy: number };
  readonly report: ClassificationReport;
}

/** Scores from a loss input: softmax of logits, outputs otherwise; [1 − p, p] for one output. */
function scoresOf(tf: Tf, out: tfjs.Tensor2D, fromLogits: boolean): tfjs.Tensor2D {
  if (out.shape[1] === 1) return tf.concat([tf.scalar(1).sub(out) as tfjs.Tensor2D, out], 1);
  return fromLogits ? (tf.softmax(out) as tfjs.Tensor2D) : out;
}

/** Class scores of n images (probabilities when the model ends in softmax or sigmoid). */
export async function predictScores(
  tf: Tf,
  model: TrainableModel,
  x: Float32Array,
  n: number,
): Promise<{ scores: Float32Array; classes: number }> {
  const [H, W, C] = model.inputShape;
  const out = tf.tidy(() => {
    const y = model.apply(tf.tensor4d(x, [n, H, W, C]), false).reshape([n, -1]) as tfjs.Tensor2D;
    return scoresOf(tf, y, !model.endsInSoftmax);
  });
  const scores = (await out.data()) as Float32Array;
  const classes = out.shape[1];
  out.dispose();
  return { scores, classes };
}

export async function evaluate(
  tf: Tf,
  model: TrainableModel,
  ds: Dataset,
  options: { batchSize: number; loss: LossKind; topK: number },
): Promise<EvalResult> {
  const [H, W, C] = ds.shape;
  let lossSum = 0;
  let classes = ds.numClasses;
  const labels = new Int32Array(ds.count);
  const predicted = new Int32Array(ds.count);
  let topHits = 0;
  let offset = 0;
  for (const b of batches(ds, options.batchSize)) {
    const r = tf.tidy(() => {
      const y = tf.tensor1d(b.y, 'int32');
      const out = lossInput(model, tf.tensor4d(b.x, [b.n, H, W, C]), options.loss, false);
      return {
        loss: lossOf(tf, out, y, options.loss),
        scores: scoresOf(tf, out, options.loss === 'categorical'),
      };
    });
    lossSum += (await r.loss.data())[0] * b.n;
    const scores = (await r.scores.data()) as Float32Array;
    const k = r.scores.shape[1];
    tf.dispose([r.loss, r.scores]);
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
