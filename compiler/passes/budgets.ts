/**
 * Budgets from `budget` statements and from CLI flags (`--max-params 30M`): parameters, trainable
 * parameters, MACs, training memory at the configured batch, and forward activation memory; and
 * the sizes no machine holds (CNN4013), budget or not.
 */
import { diag, type Diagnostic } from '../diagnostics/diagnostic.js';
import type { Budget, BudgetMetric, Graph } from '../ir/graph.js';
import { mulCounts, subCounts, toNumber, type Count } from '../sema/count.js';
import type { Dim } from '../sema/dim.js';
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
    const fmt = (n: Count) => (bytes ? formatBytes(n) : `${formatCount(n)} (${formatInt(n)})`);
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
    const order = compareToLimit(actual, b.limit);
    const over = b.strict ? order >= 0 : order > 0;
    if (!over) continue;
    const by = Number.isInteger(b.limit) ? subCounts(actual, b.limit) : toNumber(actual) - b.limit;
    const notes = [
      `${WHAT[b.metric]}: ${fmt(actual)} ${b.strict ? '≥' : '>'} ${fmt(b.limit)}, over by ${fmt(by)} (${(((toNumber(actual) - b.limit) / b.limit) * 100).toFixed(1)}%)`,
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

/**
 * The sign of actual − limit, exact when the limit is an integer (every integral double is exact;
 * an actual count beyond 2^53 rounded to a double may equal a limit it passes).
 */
export function compareToLimit(actual: Count, limit: number): number {
  if (Number.isInteger(limit) && typeof actual === 'bigint') {
    const l = BigInt(limit);
    return actual > l ? 1 : actual < l ? -1 : 0;
  }
  const a = toNumber(actual);
  return a > limit ? 1 : a < limit ? -1 : 0;
}

/**
 * Beyond any machine: one sample's activations, or the parameters, above 1 TiB (2^40 bytes; the
 * largest single machines hold a few TiB, and a training step needs the activations of a whole
 * batch). Such a model is almost always a typo in a size.
 */
export const BEYOND_ANY_MACHINE_BYTES = 2 ** 40;

export function checkResources(graph: Graph, summary: ModelSummary): Diagnostic[] {
  const out: Diagnostic[] = [];
  const limit = formatBytes(BEYOND_ANY_MACHINE_BYTES);
  const largest = (size: (i: number) => number) => {
    let best = -1;
    for (let i = 0; i < graph.nodes.length; i++) if (best < 0 || size(i) > size(best)) best = i;
    return graph.nodes[best];
  };
  const activations = summary.memory.activationsPerSampleBytes;
  if (activations !== null && compareToLimit(activations, BEYOND_ANY_MACHINE_BYTES) > 0) {
    const elements = (i: number) =>
      summary.layers[i].op === 'input' || !summary.layers[i].shape
        ? 0
        : toNumber(productOf(summary.layers[i].shape!));
    const top = largest(elements);
    out.push(
      diag(
        'CNN4013',
        `one sample's activations take ${formatBytes(activations)}: beyond the ${limit} of any machine`,
        {
          span: top.span,
          spanLabel: `the largest output, ${formatBytes(elements(top.id) * 4)} per sample`,
          notes: [`input ${formatBytes(summary.memory.inputPerSampleBytes)} per sample`],
          help: 'check the input size and the strides: a size is probably mistyped',
        },
      ),
    );
  }
  const params = summary.memory.paramsBytes;
  if (compareToLimit(params, BEYOND_ANY_MACHINE_BYTES) > 0) {
    const top = largest((i) => toNumber(summary.layers[i].params));
    out.push(
      diag(
        'CNN4013',
        `the parameters take ${formatBytes(params)} (${formatInt(summary.params.total)}): beyond the ${limit} of any machine`,
        {
          span: top.span,
          spanLabel: `the largest layer, ${formatCount(summary.layers[top.id].params)} parameters`,
          help: 'check the kernel sizes and the units of dense layers: a size is probably mistyped',
        },
      ),
    );
  }
  return out;
}

function productOf(shape: readonly Dim[]): Count {
  let p: Count = 1;
  for (const d of shape) if (typeof d === 'number') p = mulCounts(p, d);
  return p;
}

/** The figure a budget limits, or null when the input size is symbolic. */
export function measure(metric: BudgetMetric, s: ModelSummary): Count | null {
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
  const total = toNumber(key === 'macs' ? (s.macs ?? 0) : s.params.total);
  if (!total) return null;
  const size = (l: ModelSummary['layers'][number]) => toNumber(l[key] ?? 0);
  const layers = s.layers
    .filter((l) => size(l) > 0)
    .sort((a, b) => size(b) - size(a))
    .slice(0, 3);
  return `largest: ${layers.map((l) => `${l.name} ${formatCount(l[key] ?? 0)} (${((size(l) / total) * 100).toFixed(1)}%)`).join(', ')}`;
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
