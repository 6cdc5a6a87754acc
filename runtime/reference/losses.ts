/**
 * The losses of runtime/train/losses.ts on reference tensors, each a function of the model output
 * [n, ...] (seen as [n, k]) and integer labels, returning the mean loss and dL/d(output) of it:
 *
 *   categorical  softmax cross-entropy from the logits, through log-sum-exp (stable for any logits)
 *   binary       binary cross-entropy of the outputs (probabilities clipped to [1e-7, 1 − 1e-7]; the
 *                gradient is zero outside that range, as tfjs's clip), mean over n·k
 *   mse          mean squared error, mean over n·k
 *
 * The target of a label is its one-hot row when k > 1, or the label itself when k = 1 (so binary
 * classification with one output takes 0/1 labels). Sums run in float64; the gradient takes the
 * output's dtype. Also the prediction helpers the training loop needs: predicted classes, correct
 * counts and class scores, as runtime/tfjs does them.
 */
import type { LossKind } from '../train/losses.js';
import { softmaxRows } from './kernels/activation.js';
import { alloc, dtypeOf, type FloatArray, type Tensor } from './tensor.js';

export interface LossResult {
  /** Mean loss of the batch. */
  readonly loss: number;
  /** dL/d(output), the output's shape and dtype. */
  readonly grad: Tensor;
}

export type LossFn = (output: Tensor, labels: Int32Array) => LossResult;

/** n and k of an output [n, ...] seen as [n, k]; checks the labels (our caller's bug if wrong). */
function rowsOf(output: Tensor, labels: Int32Array): [number, number] {
  const n = output.shape[0];
  const k = n > 0 ? output.data.length / n : 0;
  if (labels.length !== n) throw new Error(`loss: ${labels.length} labels for ${n} outputs`);
  if (k > 1) {
    for (let i = 0; i < n; i++) {
      if (!(labels[i] >= 0 && labels[i] < k))
        throw new RangeError(`loss: label ${labels[i]} of sample ${i} is not a class 0…${k - 1}`);
    }
  }
  return [n, k];
}

/** Target of class j for a label: one-hot when k > 1, the label itself when k = 1. */
function target(k: number, label: number, j: number): number {
  return k === 1 ? label : j === label ? 1 : 0;
}

function gradLike(output: Tensor): { shape: number[]; data: FloatArray } {
  return { shape: [...output.shape], data: alloc(output.data.length, dtypeOf(output.data)) };
}

export const categoricalLoss: LossFn = (output, labels) => {
  const [n, k] = rowsOf(output, labels);
  const x = output.data;
  const grad = gradLike(output);
  const g = grad.data;
  let total = 0;
  for (let i = 0; i < n; i++) {
    const r = i * k;
    let max = -Infinity;
    for (let j = 0; j < k; j++) if (x[r + j] > max) max = x[r + j];
    let sum = 0;
    for (let j = 0; j < k; j++) sum += Math.exp(x[r + j] - max);
    const lse = max + Math.log(sum);
    let tsum = 0;
    for (let j = 0; j < k; j++) {
      const t = target(k, labels[i], j);
      tsum += t;
      if (t !== 0) total -= t * (x[r + j] - lse);
    }
    for (let j = 0; j < k; j++)
      g[r + j] = (Math.exp(x[r + j] - lse) * tsum - target(k, labels[i], j)) / n;
  }
  return { loss: n > 0 ? total / n : 0, grad };
};

export const binaryLoss: LossFn = (output, labels) => {
  const [n, k] = rowsOf(output, labels);
  const x = output.data;
  const f32 = dtypeOf(x) === 'float32';
  // The bounds tfjs clips to, in the output's precision.
  const lo = f32 ? Math.fround(1e-7) : 1e-7;
  const hi = f32 ? Math.fround(1 - 1e-7) : 1 - 1e-7;
  const grad = gradLike(output);
  const g = grad.data;
  const m = n * k;
  let total = 0;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < k; j++) {
      const o = x[i * k + j];
      const t = target(k, labels[i], j);
      const p = o < lo ? lo : o > hi ? hi : o;
      total -= t * Math.log(p) + (1 - t) * Math.log(1 - p);
      g[i * k + j] = o >= lo && o <= hi ? -(t / p - (1 - t) / (1 - p)) / m : 0;
    }
  }
  return { loss: m > 0 ? total / m : 0, grad };
};

export const mseLoss: LossFn = (output, labels) => {
  const [n, k] = rowsOf(output, labels);
  const x = output.data;
  const grad = gradLike(output);
  const g = grad.data;
  const m = n * k;
  let total = 0;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < k; j++) {
      const d = x[i * k + j] - target(k, labels[i], j);
      total += d * d;
      g[i * k + j] = (2 * d) / m;
    }
  }
  return { loss: m > 0 ? total / m : 0, grad };
};

export const LOSS_FUNCTIONS: { readonly [K in LossKind]: LossFn } = {
  categorical: categoricalLoss,
  binary: binaryLoss,
  mse: mseLoss,
};

/** The loss `kind` of outputs [n, ...] against labels, with dL/d(output). */
export function lossAndGrad(kind: LossKind, output: Tensor, labels: Int32Array): LossResult {
  return LOSS_FUNCTIONS[kind](output, labels);
}

/** Predicted class of each row of [n, k] outputs: the first argmax, or output > 0.5 when k = 1. */
export function predictions(output: Tensor): Int32Array {
  const n = output.shape[0];
  const k = n > 0 ? output.data.length / n : 0;
  const x = output.data;
  const pred = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    if (k === 1) {
      pred[i] = x[i] > 0.5 ? 1 : 0;
      continue;
    }
    let best = 0;
    for (let j = 1; j < k; j++) if (x[i * k + j] > x[i * k + best]) best = j;
    pred[i] = best;
  }
  return pred;
}

/** Samples whose predicted class is their label. */
export function countCorrect(output: Tensor, labels: Int32Array): number {
  const pred = predictions(output);
  let hits = 0;
  for (let i = 0; i < pred.length; i++) if (pred[i] === labels[i]) hits++;
  return hits;
}

/**
 * Class scores [n, classes] of outputs: softmax of logits (fromLogits) or the outputs themselves;
 * [1 − p, p] for one output (runtime/tfjs/engine.ts scoresOf).
 */
export function classScores(
  output: Tensor,
  fromLogits: boolean,
): { scores: Float32Array; classes: number } {
  const n = output.shape[0];
  const k = n > 0 ? output.data.length / n : 0;
  const x = output.data;
  if (k === 1) {
    const scores = new Float32Array(2 * n);
    for (let i = 0; i < n; i++) {
      scores[2 * i] = 1 - x[i];
      scores[2 * i + 1] = x[i];
    }
    return { scores, classes: 2 };
  }
  const scores = new Float32Array(n * k);
  if (fromLogits) softmaxRows(x, scores, k);
  else scores.set(x);
  return { scores, classes: k };
}
