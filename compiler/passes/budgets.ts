/**
 * Budgets from `budget` statements and from CLI flags (`--max-params 30M`): parameters, trainable
 * parameters, MACs, training memory at the configured batch, and forward activation memory.
 */
import { diag, type Diagnostic } from '../diagnostics/diagnostic.js';
import type { Budget, BudgetMetric, Graph } from '../ir/graph.js';
import type { ModelSummary } from '../sema/metrics.js';
import { formatBytes, formatCount, formatInt } from './format.js';

const CODE = {
  params: 'CNN4001',
  trainable: 'CNN4001',
  macs: 'CNN4002',
  memory: 'CNN4003',
  activations: 'CNN4003',
} as const;

const WHAT: Record<BudgetMetric, string> = {
  params: 'parameters',
  trainable: 'trainable parameters',
  macs: 'MACs',
  memory: 'training memory',
  activations: 'forward activation memory per sample',
};

export function checkBudgets(
  graph: Graph,
  summary: ModelSummary,
  batch: number,
  extra: readonly Budget[] = [],
): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const b of [...graph.budgets, ...extra]) {
    const actual = measure(b.metric, summary);
    const bytes = b.metric === 'memory' || b.metric === 'activations';
    const fmt = (n: number) => (bytes ? formatBytes(n) : `${formatCount(n)} (${formatInt(n)})`);
    if (actual === null) {
      out.push(
        diag(
          'CNN4005',
          `the ${WHAT[b.metric]} budget cannot be checked: the input size is symbolic`,
          {
            span: b.span,
            help: 'give the model a concrete input size, or check a derived model that has one',
          },
        ),
      );
      continue;
    }
    const over = b.strict ? actual >= b.limit : actual > b.limit;
    if (!over) continue;
    const notes = [
      `${WHAT[b.metric]}: ${fmt(actual)} ${b.strict ? '≥' : '>'} ${fmt(b.limit)}, over by ${fmt(actual - b.limit)} (${(((actual - b.limit) / b.limit) * 100).toFixed(1)}%)`,
    ];
    if (b.metric === 'memory') {
      const t = summary.memory.training;
      notes.push(
        `at batch ${batch}: activations ${formatBytes(t.activationsBytes)} + parameters ${formatBytes(t.parametersBytes)} + gradients ${formatBytes(t.gradientsBytes)} + optimizer state ${formatBytes(t.optimizerStateBytes)}`,
      );
    }
    const top = largest(b.metric, summary);
    if (top) notes.push(top);
    out.push(
      diag(
        CODE[b.metric],
        `${WHAT[b.metric]} ${fmt(actual)} exceed the budget of ${fmt(b.limit)}`,
        {
          span: b.span,
          spanLabel: 'budget set here',
          notes,
          help: help(b.metric),
        },
      ),
    );
  }
  return out;
}

/** The figure a budget limits, or null when the input size is symbolic. */
export function measure(metric: BudgetMetric, s: ModelSummary): number | null {
  switch (metric) {
    case 'params':
      return s.params.total;
    case 'trainable':
      return s.params.trainable;
    case 'macs':
      return s.macs;
    case 'memory':
      return s.memory.training.totalBytes;
    case 'activations':
      return s.memory.activationsPerSampleBytes;
  }
}

function largest(metric: BudgetMetric, s: ModelSummary): string | null {
  const key =
    metric === 'macs' ? 'macs' : metric === 'params' || metric === 'trainable' ? 'params' : null;
  if (!key) return null;
  const total = key === 'macs' ? (s.macs ?? 0) : s.params.total;
  if (!total) return null;
  const layers = [...s.layers]
    .filter((l) => (l[key] ?? 0) > 0)
    .sort((a, b) => (b[key] ?? 0) - (a[key] ?? 0))
    .slice(0, 3);
  return `largest: ${layers.map((l) => `${l.name} ${formatCount(l[key] ?? 0)} (${(((l[key] ?? 0) / total) * 100).toFixed(1)}%)`).join(', ')}`;
}

function help(metric: BudgetMetric): string {
  switch (metric) {
    case 'params':
    case 'trainable':
      return 'shrink the largest layers (a global average pool before the classifier removes most dense weights), or raise the budget';
    case 'macs':
      return 'downsample earlier (a stride of 2 quarters the MACs of every later layer), use fewer filters, or raise the budget';
    case 'memory':
    case 'activations':
      return 'use a smaller batch or input, downsample earlier, or raise the budget';
  }
}
