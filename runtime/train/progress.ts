/** Text for training progress: the live bar, per-epoch lines and evaluation reports. Pure. */
import type { EvalResult } from './evaluate.js';
import type { EpochResult, StepProgress } from './loop.js';

export function duration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '?';
  const s = Math.max(0, Math.round(seconds));
  const m = Math.floor(s / 60);
  return m ? `${m}m${String(s % 60).padStart(2, '0')}s` : `${s}s`;
}

const pct = (x: number) => `${(100 * x).toFixed(2)}%`;

/** `epoch 1/3 [#####.....] 420/844 loss 0.2143 acc 93.51% 1,234 img/s ETA 1m02s`. */
export function progressBar(p: StepProgress, width = 24): string {
  const filled = Math.round((width * p.step) / p.steps);
  const bar = `${'#'.repeat(filled)}${'.'.repeat(width - filled)}`;
  return (
    `epoch ${p.epoch}/${p.epochs} [${bar}] ${p.step}/${p.steps} loss ${p.loss.toFixed(4)} ` +
    `acc ${pct(p.accuracy)} ${Math.round(p.imagesPerSecond).toLocaleString('en-US')} img/s ` +
    `ETA ${duration(p.eta)}`
  );
}

export function epochLine(r: EpochResult, epochs: number): string {
  const v = r.validation;
  return (
    `epoch ${r.epoch}/${epochs}: loss ${r.train.loss.toFixed(4)} acc ${pct(r.train.accuracy)}` +
    (v ? ` · val loss ${v.loss.toFixed(4)} acc ${pct(v.accuracy)}` : '') +
    ` · ${Math.round(r.imagesPerSecond).toLocaleString('en-US')} img/s · ${duration(r.seconds)}`
  );
}

/** The headline of an evaluation and, when `perClass`, a per-class precision/recall/F1 table. */
export function evalReport(
  title: string,
  r: EvalResult,
  perClass: boolean,
  classNames?: readonly string[],
): string {
  const lines = [
    `${title}: loss ${r.loss.toFixed(4)} · accuracy ${pct(r.accuracy)} · top-${r.topK.k} ${pct(r.topK.accuracy)} · macro F1 ${r.report.macro.f1.toFixed(4)} (${r.count.toLocaleString('en-US')} images)`,
  ];
  // Several outputs: the line above has the weighted training loss and the first output's
  // accuracy; each output's own metrics follow.
  for (const o of r.outputs ?? []) {
    lines.push(
      `  output ${o.name}: loss ${o.loss.toFixed(4)} · accuracy ${pct(o.accuracy)} · top-${o.topK.k} ${pct(o.topK.accuracy)} · macro F1 ${o.report.macro.f1.toFixed(4)}`,
    );
  }
  if (perClass) {
    const name = (c: number) => classNames?.[c] ?? String(c);
    const w = r.report.perClass.reduce((m, _, c) => Math.max(m, name(c).length), 5);
    lines.push(`  ${'class'.padEnd(w)}  precision  recall     F1  support`);
    r.report.perClass.forEach((m, c) => {
      if (!m.support && !r.report.confusion.some((row) => row[c])) return;
      lines.push(
        `  ${name(c).padEnd(w)}  ${m.precision.toFixed(4).padStart(9)}  ${m.recall.toFixed(4).padStart(6)}  ${m.f1.toFixed(4).padStart(6)}  ${String(m.support).padStart(7)}`,
      );
    });
  }
  return lines.join('\n');
}

/** The confusion matrix as text: rows are true classes, columns predictions. */
export function confusionText(confusion: readonly (readonly number[])[]): string {
  // Loops, not Math.max(...): 400 classes make a confusion matrix too large to spread.
  let w = 3;
  for (const row of confusion) for (const n of row) w = Math.max(w, String(n).length);
  const head = `true\\pred ${confusion.map((_, c) => String(c).padStart(w)).join(' ')}`;
  return [
    head,
    ...confusion.map(
      (row, c) => `${String(c).padStart(9)} ${row.map((n) => String(n).padStart(w)).join(' ')}`,
    ),
  ].join('\n');
}
