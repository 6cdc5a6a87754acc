/**
 * outputs.ts of an emitted TensorFlow.js project: a model's outputs as train.ts trains and
 * evaluates them, as `cnnc train` does (compiler/train/output-losses.ts, runtime/train/evaluate.ts):
 * each output has a loss and a weight, the training loss is Σ weight · loss (tfjs-layers 4.22's
 * `compile` has no lossWeights, so each loss function is multiplied by its weight), every output
 * is trained on the labels, and the test metrics are cnnc's: the weighted loss and the first
 * output's accuracy, then each output's own loss, accuracy, top-k and macro F1 in the lines
 * `cnnc evaluate` prints. A model with one output is the case of one output of weight 1.
 */

/** The text of outputs.ts (after the generated-file line). */
export const OUTPUTS_TS = String.raw`import * as tf from '@tensorflow/tfjs';

/** cnnc's losses: a train block's 'loss KIND', or 'loss NAME KIND [WEIGHT]' per output. */
export const LOSS_KINDS = ['categorical', 'binary', 'mse'] as const;
export type LossKind = (typeof LOSS_KINDS)[number];

/** An output of a model, in the order of model.outputs: its name in the .cnn file, its loss and the loss's weight. */
export interface OutputLoss {
  readonly name: string;
  readonly loss: LossKind;
  readonly weight: number;
}

/**
 * An output's loss times its weight. categorical: softmax cross-entropy from the scores (train.ts
 * trains an output that ends in softmax from the softmax's input); binary cross-entropy (clipped
 * to [1e-7, 1 - 1e-7]) and mse take the outputs, against one-hot targets (the 0/1 label for one unit).
 */
export function lossOf(o: OutputLoss): (y: tf.Tensor, p: tf.Tensor) => tf.Tensor {
  const loss =
    o.loss === 'binary'
      ? (y: tf.Tensor, p: tf.Tensor) => tf.metrics.binaryCrossentropy(y, p)
      : o.loss === 'mse'
        ? (y: tf.Tensor, p: tf.Tensor) => tf.metrics.meanSquaredError(y, p)
        : (y: tf.Tensor, logits: tf.Tensor) => tf.losses.softmaxCrossEntropy(y, logits);
  return o.weight === 1 ? loss : (y: tf.Tensor, p: tf.Tensor) => tf.mul(loss(y, p), o.weight);
}

/**
 * The outputs after --output-loss NAME=KIND and --output-weight NAME=W (each repeatable); a bad
 * flag calls fail with the message.
 */
export function overrideOutputs(
  outputs: readonly OutputLoss[],
  losses: readonly string[],
  weights: readonly string[],
  fail: (message: string) => never,
): OutputLoss[] {
  const result = outputs.map((o) => ({ ...o }));
  const split = (flag: string, v: string): [OutputLoss, string] => {
    const eq = v.indexOf('=');
    if (eq < 0) return fail('--' + flag + ' takes NAME=VALUE; got ' + JSON.stringify(v));
    const name = v.slice(0, eq);
    const o = result.find((x) => x.name === name);
    if (!o) return fail('--' + flag + ': the model has no output ' + JSON.stringify(name) + '; its outputs: ' + result.map((x) => x.name).join(', '));
    return [o, v.slice(eq + 1)];
  };
  for (const v of losses) {
    const [o, kind] = split('output-loss', v);
    if (!(LOSS_KINDS as readonly string[]).includes(kind)) fail('--output-loss: ' + JSON.stringify(kind) + ' is not a loss: ' + LOSS_KINDS.join(', '));
    result[result.indexOf(o)] = { ...o, loss: kind as LossKind };
  }
  for (const v of weights) {
    const [o, text] = split('output-weight', v);
    const w = Number(text);
    if (text.trim() === '' || !Number.isFinite(w) || w <= 0) fail('--output-weight: the weight of ' + o.name + ' must be a positive number; got ' + JSON.stringify(text));
    result[result.indexOf(o)] = { ...o, weight: w };
  }
  return result;
}

/** The number of values of an output per image (null sizes count 1). */
export const unitsOf = (shape: readonly (number | null)[]) => shape.slice(1).reduce<number>((a, d) => a * (d ?? 1), 1);

/** A batch's targets, one per output: the labels one-hot (the label itself for an output of one unit). */
export function targets(labels: Int32Array, shapes: readonly (readonly (number | null)[])[]): tf.Tensor[] {
  const n = labels.length;
  return shapes.map((shape) => {
    const units = unitsOf(shape);
    const dims = [n, ...shape.slice(1).map((d) => d ?? 1)];
    return units === 1
      ? tf.tensor(Float32Array.from(labels), dims)
      : tf.tidy(() => tf.oneHot(tf.tensor1d(labels, 'int32'), units).toFloat().reshape(dims));
  });
}

/**
 * Epoch logs under the outputs' names. With several outputs tfjs names an output's entries after
 * its layer ('fc_loss', 'val_fc_categoricalAccuracy') and its loss is weighted; here they are
 * 'main_loss' (the output's own loss, as cnnc reports it), 'val_main_categoricalAccuracy'. 'loss' is
 * the weighted sum.
 */
export function namedLogs(logs: tf.Logs, layers: readonly string[], outputs: readonly OutputLoss[]): Record<string, number> {
  if (outputs.length === 1) return { ...logs };
  // The longest layer name first: 'fc_2_loss' is fc_2's, not fc's.
  const order = layers.map((_, i) => i).sort((a, b) => layers[b].length - layers[a].length);
  const named: Record<string, number> = {};
  for (const [key, value] of Object.entries(logs)) {
    const val = key.startsWith('val_') ? 'val_' : '';
    const rest = key.slice(val.length);
    const i = order.find((k) => rest.startsWith(layers[k] + '_'));
    if (i === undefined) {
      named[key] = value;
      continue;
    }
    const metric = rest.slice(layers[i].length + 1);
    named[val + outputs[i].name + '_' + metric] = metric === 'loss' ? value / outputs[i].weight : value;
  }
  return named;
}

/** An output's test metrics, as 'cnnc evaluate' reports them. */
export interface OutputMetrics {
  readonly name: string;
  /** Its own loss, not weighted. */
  readonly loss: number;
  readonly accuracy: number;
  readonly topK: { readonly k: number; readonly accuracy: number };
  /** F1 averaged over the classes in the labels or the predictions. */
  readonly macroF1: number;
}

export interface TestMetrics {
  /** Σ weight · loss, the loss trained. */
  readonly loss: number;
  /** The first output's. */
  readonly accuracy: number;
  readonly images: number;
  readonly outputs: readonly OutputMetrics[];
}

/** Macro F1 of a confusion matrix (rows: true class, columns: predicted). */
function macroF1(confusion: readonly number[][]): number {
  let sum = 0;
  let present = 0;
  confusion.forEach((row, c) => {
    const support = row.reduce((a, b) => a + b, 0);
    const predicted = confusion.reduce((a, r) => a + r[c], 0);
    if (!support && !predicted) return;
    present++;
    const precision = predicted ? row[c] / predicted : 0;
    const recall = support ? row[c] / support : 0;
    sum += precision + recall ? (2 * precision * recall) / (precision + recall) : 0;
  });
  return present ? sum / present : 0;
}

/**
 * The test metrics of a model whose outputs are 'outputs' (scores for categorical losses), over
 * batches of images and their labels. A class tied with the label's score ranks above it in
 * top-k when its index is lower, as in cnnc; an output of one unit predicts class 1 from 0.5 up.
 */
export function evaluate(
  model: tf.LayersModel,
  outputs: readonly OutputLoss[],
  topK: number,
  batches: Iterable<{ xs: tf.Tensor; labels: Int32Array }>,
): TestMetrics {
  const shapes = model.outputs.map((o) => o.shape);
  const losses = outputs.map((o) => lossOf({ ...o, weight: 1 }));
  const sums = outputs.map(() => ({ loss: 0, correct: 0, top: 0 }));
  const confusions = shapes.map((s) => {
    const k = Math.max(2, unitsOf(s));
    return Array.from({ length: k }, () => new Array<number>(k).fill(0));
  });
  let images = 0;
  for (const { xs, labels } of batches) {
    const n = labels.length;
    const ys = targets(labels, shapes);
    const predicted = model.predict(xs);
    const ps = Array.isArray(predicted) ? predicted : [predicted];
    outputs.forEach((_, i) => {
      const loss = tf.tidy(() => tf.mean(losses[i](ys[i], ps[i])));
      sums[i].loss += loss.dataSync()[0] * n;
      loss.dispose();
      const units = unitsOf(shapes[i]);
      const scores = ps[i].dataSync();
      for (let j = 0; j < n; j++) {
        const label = labels[j];
        let guess = 0;
        let above = 0;
        if (units === 1) guess = scores[j] >= 0.5 ? 1 : 0;
        else {
          const row = scores.subarray(j * units, (j + 1) * units);
          for (let c = 1; c < units; c++) if (row[c] > row[guess]) guess = c;
          for (let c = 0; c < units; c++) if (row[c] > row[label] || (row[c] === row[label] && c < label)) above++;
        }
        if (guess === label) sums[i].correct++;
        if (units === 1 ? guess === label : above < topK) sums[i].top++;
        if (label < confusions[i].length) confusions[i][label][guess]++;
      }
    });
    tf.dispose([xs, ...ys, ...ps]);
    images += n;
  }
  const per = outputs.map((o, i): OutputMetrics => ({
    name: o.name,
    loss: images ? sums[i].loss / images : 0,
    accuracy: images ? sums[i].correct / images : 0,
    topK: { k: topK, accuracy: images ? sums[i].top / images : 0 },
    macroF1: macroF1(confusions[i]),
  }));
  return {
    loss: per.reduce((a, m, i) => a + outputs[i].weight * m.loss, 0),
    accuracy: per[0].accuracy,
    images,
    outputs: per,
  };
}

/**
 * The validation entries of an epoch's logs, from the evaluation of the validation split: val_loss
 * (Σ weight · loss), and the accuracy under tfjs's metric name (accuracy: per output) or, with
 * several outputs, each output's own loss and accuracy under its name, as namedLogs names them.
 */
export function validationLogs(m: TestMetrics, accuracy: readonly string[]): Record<string, number> {
  const logs: Record<string, number> = { val_loss: m.loss };
  if (m.outputs.length === 1) logs['val_' + accuracy[0]] = m.accuracy;
  else {
    for (const o of m.outputs) logs['val_' + o.name + '_loss'] = o.loss;
    m.outputs.forEach((o, i) => (logs['val_' + o.name + '_' + accuracy[i]] = o.accuracy));
  }
  return logs;
}

const percent = (x: number) => (100 * x).toFixed(2) + '%';

/** An output's line under the test metrics, as cnnc evaluate prints it. */
export function outputLine(m: OutputMetrics): string {
  return '  output ' + m.name + ': loss ' + m.loss.toFixed(4) + ' · accuracy ' + percent(m.accuracy) + ' · top-' + m.topK.k + ' ' + percent(m.topK.accuracy) + ' · macro F1 ' + m.macroF1.toFixed(4);
}
`;
