/**
 * Words and numbers shared by the pretty and markdown renderings of a diff: signed deltas, the rows
 * of the totals table, what a changed layer's change is, and a budget's line. Plain text: each
 * renderer escapes what it places.
 */
import type { BudgetMetric } from '../ir/graph.js';
import { formatBytes, formatCount, formatInt } from '../passes/format.js';
import { subCounts, toNumber, type Count } from '../sema/count.js';
import type { BudgetCheck, Delta, Figures, LayerChange } from './types.js';

type FigureKey = keyof Figures;

export const FIGURE_ROWS: readonly { readonly key: FigureKey; readonly label: string }[] = [
  { key: 'params', label: 'Parameters' },
  { key: 'trainable', label: 'Trainable parameters' },
  { key: 'macs', label: 'MACs' },
  { key: 'activations', label: 'Activations per sample' },
  { key: 'memory', label: 'Training memory' },
];

const isBytes = (key: FigureKey | BudgetMetric) => key === 'activations' || key === 'memory';

/** A figure: `61,706`, `44.59 MiB`, `?` when symbolic, `—` when the side is missing. */
export function figure(key: FigureKey | BudgetMetric, v: Count | null, missing = false): string {
  if (missing) return '—';
  if (v === null) return '?';
  return isBytes(key) ? formatBytes(v) : formatInt(v);
}

/** `+300`, `−1,536`, `+1.25 MiB`, `0`; with the relative change when asked: `+300 (+0.5%)`. */
export function signed(key: FigureKey, d: Delta, percent = false): string {
  if (d.delta === null) return '?';
  if (d.delta === 0) return '0';
  const sign = d.delta > 0 ? '+' : '−';
  const abs = magnitude(d.delta);
  const text = `${sign}${isBytes(key) ? formatBytes(abs) : formatInt(abs)}`;
  if (!percent || !d.before) return text;
  return `${text} (${sign}${((toNumber(abs) / toNumber(d.before)) * 100).toFixed(1)}%)`;
}

/** `+1.2M`, `−96`, for narrow table cells. */
export function signedShort(key: FigureKey, d: Delta): string {
  if (d.delta === null) return '?';
  if (d.delta === 0) return '';
  const sign = d.delta > 0 ? '+' : '−';
  const abs = magnitude(d.delta);
  return `${sign}${isBytes(key) ? formatBytes(abs) : formatCount(abs)}`;
}

/** |c|, exactly. */
function magnitude(c: Count): Count {
  return c < 0 ? subCounts(0, c) : c;
}

/** The parts of a layer's change: `conv 16 5x5 → conv 16 3x3`, `output 10x10x16 → 12x12x16`… */
export function layerParts(c: LayerChange): string[] {
  const { before: b, after: a } = c;
  if (c.change === 'added' && a)
    return [a.op, `output ${a.shape}`, ...(a.frozen ? ['frozen'] : [])];
  if (c.change === 'removed' && b) return [b.op, `output ${b.shape}`];
  if (!a || !b) return [];
  const parts: string[] = [];
  if (c.what.includes('renamed')) parts.push(`renamed from ${b.name}`);
  // The attributes that differ when the op is the same (`filters 64 → 96`), else the op itself.
  if (c.what.includes('op')) parts.push(`${b.op} → ${a.op}`);
  else if (c.attrs.length)
    parts.push(c.attrs.map((x) => `${x.name} ${x.before} → ${x.after}`).join(', '));
  if (c.what.includes('shape')) parts.push(`output ${b.shape} → ${a.shape}`);
  if (c.what.includes('frozen')) parts.push(a.frozen ? 'frozen' : 'unfrozen');
  if (c.what.includes('inputs'))
    parts.push(`inputs ${b.inputs.join(', ')} → ${a.inputs.join(', ')}`);
  return parts;
}

const METRIC_WORDS: Record<BudgetMetric, string> = {
  params: 'params',
  trainable: 'trainable',
  macs: 'macs',
  memory: 'memory',
  activations: 'activations',
};

/** `params <= 250K`, as a budget statement writes it. */
export function budgetText(b: BudgetCheck): string {
  const limit = isBytes(b.metric) ? formatBytes(b.limit) : formatCount(b.limit);
  return `${METRIC_WORDS[b.metric]} ${b.strict ? '<' : '<='} ${limit}`;
}

/** `243,000 → 251,000`. */
export function budgetValues(b: BudgetCheck): string {
  return `${figure(b.metric, b.before)} → ${figure(b.metric, b.after)}`;
}

const LAYER_FIGURES: readonly { readonly key: FigureKey; readonly label: string }[] = [
  { key: 'params', label: 'params' },
  { key: 'trainable', label: 'trainable' },
  { key: 'macs', label: 'MACs' },
  { key: 'activations', label: 'activations' },
  { key: 'memory', label: 'memory' },
];

/**
 * A layer's figures that differ: `params 2,416 → 880 (−1,536)` for a changed layer, `params 2,320`
 * for an added or removed one. Trainable parameters only where they differ from the parameters
 * (a layer frozen or unfrozen).
 */
export function figureParts(c: LayerChange): string[] {
  const parts: string[] = [];
  for (const { key, label } of LAYER_FIGURES) {
    const d = c.deltas[key];
    // Unchanged, or unknown on both sides (a size that depends on a symbolic input).
    if (d.delta === 0 || (d.before === null && d.after === null)) continue;
    if (key === 'trainable' && d.delta === c.deltas.params.delta) continue;
    if (c.change === 'changed')
      parts.push(`${label} ${figure(key, d.before)} → ${figure(key, d.after)} (${signed(key, d)})`);
    else parts.push(`${label} ${figure(key, c.change === 'added' ? d.after : d.before)}`);
  }
  return parts;
}

/** `a.cnn`, or `a.cnn → b.cnn` when the two versions have different paths. */
export function filePair(before: string | null, after: string | null): [string] | [string, string] {
  if (before !== null && after !== null && before !== after) return [before, after];
  return [(after ?? before)!];
}
