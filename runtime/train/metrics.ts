/**
 * Classification metrics from predictions, all pure: a confusion matrix (rows: true class, columns:
 * predicted class), accuracy, top-k accuracy and per-class precision, recall and F1. A class with no
 * predictions has precision 0, with no samples recall 0; F1 of 0 and 0 is 0. Macro averages are
 * over classes that occur in the labels or the predictions.
 */

export interface ClassMetrics {
  readonly precision: number;
  readonly recall: number;
  readonly f1: number;
  /** Samples of this class. */
  readonly support: number;
}

export interface ClassificationReport {
  readonly count: number;
  readonly accuracy: number;
  readonly perClass: readonly ClassMetrics[];
  readonly macro: { readonly precision: number; readonly recall: number; readonly f1: number };
  /** confusion[true][predicted]. */
  readonly confusion: readonly (readonly number[])[];
}

export function confusionMatrix(
  labels: ArrayLike<number>,
  predicted: ArrayLike<number>,
  numClasses: number,
): number[][] {
  const m = Array.from({ length: numClasses }, () => new Array<number>(numClasses).fill(0));
  for (let i = 0; i < labels.length; i++) m[labels[i]][predicted[i]]++;
  return m;
}

export function reportFromConfusion(
  confusion: readonly (readonly number[])[],
): ClassificationReport {
  const k = confusion.length;
  let total = 0;
  let correct = 0;
  const perClass: ClassMetrics[] = [];
  const present: number[] = [];
  for (let c = 0; c < k; c++) {
    const tp = confusion[c][c];
    let support = 0;
    let predicted = 0;
    for (let j = 0; j < k; j++) {
      support += confusion[c][j];
      predicted += confusion[j][c];
    }
    total += support;
    correct += tp;
    const precision = predicted ? tp / predicted : 0;
    const recall = support ? tp / support : 0;
    const f1 = precision + recall ? (2 * precision * recall) / (precision + recall) : 0;
    perClass.push({ precision, recall, f1, support });
    if (support || predicted) present.push(c);
  }
  const mean = (f: (m: ClassMetrics) => number) =>
    present.length ? present.reduce((s, c) => s + f(perClass[c]), 0) / present.length : 0;
  return {
    count: total,
    accuracy: total ? correct / total : 0,
    perClass,
    macro: {
      precision: mean((m) => m.precision),
      recall: mean((m) => m.recall),
      f1: mean((m) => m.f1),
    },
    confusion,
  };
}

/**
 * Fraction of samples whose label is among the k highest scores. scores: n·numClasses values;
 * a class tied with the label's score ranks above it when its index is lower.
 */
export function topKAccuracy(
  scores: ArrayLike<number>,
  labels: ArrayLike<number>,
  numClasses: number,
  k: number,
): number {
  const n = labels.length;
  if (!n) return 0;
  let hits = 0;
  for (let i = 0; i < n; i++) {
    const o = i * numClasses;
    const s = scores[o + labels[i]];
    let above = 0;
    for (let j = 0; j < numClasses; j++) {
      const v = scores[o + j];
      if (v > s || (v === s && j < labels[i])) above++;
    }
    if (above < k) hits++;
  }
  return hits / n;
}

/** argmax per row of an n·numClasses score array. */
export function argmaxRows(scores: ArrayLike<number>, numClasses: number): Int32Array {
  const n = Math.floor(scores.length / numClasses);
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let j = 1; j < numClasses; j++)
      if (scores[i * numClasses + j] > scores[i * numClasses + best]) best = j;
    out[i] = best;
  }
  return out;
}

/** The k best classes of one row with their scores, best first. */
export function topK(row: ArrayLike<number>, k: number): { cls: number; score: number }[] {
  return Array.from(row, (score, cls) => ({ cls, score }))
    .sort((a, b) => b.score - a.score || a.cls - b.cls)
    .slice(0, k);
}
