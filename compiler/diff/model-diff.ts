/**
 * The semantic difference of two compiled versions of one model: layers added, removed and changed
 * (paired by compiler/diff/match.ts), shapes that moved, the deltas of parameters, trainable
 * parameters, MACs, activations and training memory per layer and in total, the budgets newly
 * exceeded, and the `train { }` settings that differ. Pure.
 */
import type { BudgetMetric, Graph, Node } from '../ir/graph.js';
import { compareToLimit, measure } from '../passes/budgets.js';
import { opDetail } from '../report/op-detail.js';
import { addCounts, mulCounts, productCount, subCounts, type Count } from '../sema/count.js';
import { formatDim, type SymbolEnv } from '../sema/dim.js';
import {
  BYTES_PER_ELEMENT,
  OPTIMIZER_SLOTS,
  type ModelSummary,
  type TrainingMemory,
} from '../sema/metrics.js';
import { matchLayers } from './match.js';
import type {
  BudgetCheck,
  Delta,
  Figures,
  LayerChange,
  LayerChangeKind,
  LayerSide,
  ModelDiff,
  ModelSide,
} from './types.js';

/** One compiled version of a model (a CompiledModel with its summary). */
export interface ModelVersion {
  readonly graph: Graph;
  readonly summary: ModelSummary;
  readonly env: SymbolEnv | null;
}

export type CommandLineBudgets = Partial<Record<BudgetMetric, number>>;

const FIGURES = ['params', 'trainable', 'macs', 'activations', 'memory'] as const;

export function diffModel(
  before: ModelVersion | null,
  after: ModelVersion | null,
  budgets: CommandLineBudgets = {},
): ModelDiff {
  const model = (after ?? before)!.graph.model;
  const match =
    before && after
      ? matchLayers(before.graph, after.graph)
      : { oldOf: new Map(), newOf: new Map(), by: new Map() };
  const sidesOf = (v: ModelVersion | null) => (v ? v.graph.nodes.map((n) => layerSide(n, v)) : []);
  const oldSides = sidesOf(before);
  const newSides = sidesOf(after);

  const changes: LayerChange[] = [];
  const removedBefore = new Map<number, LayerChange[]>();
  const trailing: LayerChange[] = [];
  if (before) {
    for (const o of before.graph.nodes) {
      if (match.newOf.has(o.id)) continue;
      const change = layerChange('removed', oldSides[o.id], null, null, []);
      // Shown just before the new layer that follows it in the old order.
      let anchor: number | undefined;
      for (let i = o.id + 1; i < before.graph.nodes.length && anchor === undefined; i++)
        anchor = match.newOf.get(i);
      if (anchor === undefined) trailing.push(change);
      else removedBefore.set(anchor, [...(removedBefore.get(anchor) ?? []), change]);
    }
  }
  if (after) {
    for (const n of after.graph.nodes) {
      changes.push(...(removedBefore.get(n.id) ?? []));
      const o = match.oldOf.get(n.id);
      if (o === undefined) {
        changes.push(layerChange('added', null, newSides[n.id], null, []));
        continue;
      }
      // Inputs compare through the pairing: a renamed input is the same input.
      const sameInputs =
        before!.graph.nodes[o].inputs.map((i) => match.newOf.get(i) ?? -1).join() ===
        n.inputs.join();
      const what = differences(before!.graph.nodes[o], n, oldSides[o], newSides[n.id], sameInputs);
      if (what.length) {
        const attrs = attrChanges(before!.graph.nodes[o], n);
        changes.push(
          layerChange('changed', oldSides[o], newSides[n.id], match.by.get(n.id)!, what, attrs),
        );
      }
    }
  }
  changes.push(...trailing);

  const count = (kind: LayerChange['change']) => changes.filter((c) => c.change === kind).length;
  const train = trainChanges(before?.graph, after?.graph);
  const checks = budgetChecks(before, after, budgets);
  const side = (v: ModelVersion | null): ModelSide | null =>
    v && {
      file: v.graph.file,
      layers: v.graph.nodes.length,
      input: v.summary.input ? shapeText(v.summary.input, v.env) : '?',
      output: v.summary.output ? shapeText(v.summary.output, v.env) : '?',
      batch: v.summary.memory.training.batch,
      optimizer: v.summary.memory.training.optimizer,
    };
  // The file paths differ by construction; the figures follow from the layers and settings.
  const unchanged = changes.length === 0 && train.length === 0 && !budgetsChanged(checks);
  return {
    model,
    change: !before ? 'added' : !after ? 'removed' : unchanged ? 'unchanged' : 'changed',
    before: side(before),
    after: side(after),
    totals: totals(before?.summary ?? null, after?.summary ?? null),
    counts: {
      added: count('added'),
      removed: count('removed'),
      changed: count('changed'),
      renamed: changes.filter((c) => c.what.includes('renamed')).length,
    },
    layers: changes,
    budgets: checks,
    train,
  };
}

/** A budget newly exceeded or met, or one that only one version of the file sets. */
function budgetsChanged(checks: readonly BudgetCheck[]): boolean {
  return checks.some(
    (b) =>
      b.status === 'newly exceeded' ||
      b.status === 'now within' ||
      b.source === 'old file' ||
      b.source === 'new file',
  );
}

function shapeText(shape: NonNullable<Node['shape']>, env: SymbolEnv | null): string {
  return shape.map((d) => formatDim(d, env ?? undefined)).join('x');
}

function layerSide(node: Node, v: ModelVersion): LayerSide {
  const s = v.summary.layers[node.id];
  const t: TrainingMemory = v.summary.memory.training;
  const trainable = s.frozen ? 0 : s.params;
  const dims = node.shape?.every((d): d is number => typeof d === 'number') ? node.shape : null;
  const activations = dims === null ? null : mulCounts(productCount(dims), BYTES_PER_ELEMENT);
  // The layer's share of the training-memory total (compiler/sema/metrics.ts): its saved output at
  // the batch (for the input layer, the input), its parameters and buffers, and the gradients and
  // optimizer state of its trainable parameters. The shares add up to the model's total.
  const memory =
    activations === null
      ? null
      : addCounts(
          addCounts(
            mulCounts(activations, t.batch),
            mulCounts(addCounts(s.params, s.buffers), BYTES_PER_ELEMENT),
          ),
          mulCounts(trainable, BYTES_PER_ELEMENT * (1 + OPTIMIZER_SLOTS[t.optimizer])),
        );
  return {
    name: node.name,
    op: opDetail(node),
    shape: node.shape ? shapeText(node.shape, v.env) : '?',
    frozen: node.frozen,
    inputs: node.inputs.map((i) => v.graph.nodes[i].name),
    figures: { params: s.params, trainable, macs: s.macs, activations, memory },
  };
}

/** `undefined` stands for a missing side (an added or removed layer or model), counted as 0. */
function delta(before: Count | null | undefined, after: Count | null | undefined): Delta {
  const b = before ?? null;
  const a = after ?? null;
  let d: Count | null;
  if (before === undefined) d = a;
  else if (after === undefined) d = b === null ? null : subCounts(0, b);
  else d = a === null || b === null ? null : subCounts(a, b);
  return { before: b, after: a, delta: d };
}

function figureDeltas(
  before: Figures<Count | null> | null,
  after: Figures<Count | null> | null,
): Figures {
  const pick = (f: Figures<Count | null> | null, k: (typeof FIGURES)[number]) =>
    f === null ? undefined : f[k];
  return {
    params: delta(pick(before, 'params'), pick(after, 'params')),
    trainable: delta(pick(before, 'trainable'), pick(after, 'trainable')),
    macs: delta(pick(before, 'macs'), pick(after, 'macs')),
    activations: delta(pick(before, 'activations'), pick(after, 'activations')),
    memory: delta(pick(before, 'memory'), pick(after, 'memory')),
  };
}

function modelFigures(s: ModelSummary | null): Figures<Count | null> | null {
  return (
    s && {
      params: s.params.total,
      trainable: s.params.trainable,
      macs: s.macs,
      activations: s.memory.activationsPerSampleBytes,
      memory: s.memory.training.totalBytes,
    }
  );
}

function totals(before: ModelSummary | null, after: ModelSummary | null): Figures {
  return figureDeltas(modelFigures(before), modelFigures(after));
}

function layerChange(
  change: LayerChange['change'],
  before: LayerSide | null,
  after: LayerSide | null,
  matchedBy: LayerChange['matchedBy'],
  what: readonly LayerChangeKind[],
  attrs: LayerChange['attrs'] = [],
): LayerChange {
  return {
    change,
    name: (after ?? before)!.name,
    matchedBy,
    what,
    attrs,
    before,
    after,
    deltas: figureDeltas(before?.figures ?? null, after?.figures ?? null),
  };
}

function differences(
  o: Node,
  n: Node,
  os: LayerSide,
  ns: LayerSide,
  sameInputs: boolean,
): LayerChangeKind[] {
  const what: LayerChangeKind[] = [];
  if (o.name !== n.name) what.push('renamed');
  if (o.op !== n.op) what.push('op');
  else if (JSON.stringify(o.attrs) !== JSON.stringify(n.attrs)) what.push('attrs');
  if (os.shape !== ns.shape) what.push('shape');
  if (os.figures.params !== ns.figures.params) what.push('params');
  if (os.figures.macs !== ns.figures.macs) what.push('macs');
  if (o.frozen !== n.frozen) what.push('frozen');
  if (!sameInputs) what.push('inputs');
  return what;
}

function attrChanges(o: Node, n: Node): LayerChange['attrs'] {
  if (o.op !== n.op) return [];
  const a = o.attrs as Readonly<Record<string, unknown>>;
  const b = n.attrs as Readonly<Record<string, unknown>>;
  const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])];
  return keys
    .filter((k) => JSON.stringify(a[k]) !== JSON.stringify(b[k]))
    .map((k) => ({ name: k, before: attrText(a[k]), after: attrText(b[k]) }));
}

/** `[3, 3]` → `3x3`, a padding → `same` or `pad 1,1,1,1`, anything else as JSON. */
export function attrText(v: unknown): string {
  if (v === undefined) return '—';
  if (Array.isArray(v) && v.every((x) => typeof x === 'number')) return v.join('x');
  if (v && typeof v === 'object' && 'mode' in v) {
    const p = v as { mode: string; pads?: readonly number[] };
    return p.pads ? `pad ${p.pads.join(',')}` : p.mode;
  }
  return typeof v === 'string' ? v : JSON.stringify(v);
}

function trainChanges(before: Graph | undefined, after: Graph | undefined): ModelDiff['train'] {
  const settings = (g: Graph | undefined) =>
    new Map((g?.train ?? []).map((t) => [t.key, t.args.map(String).join(' ')]));
  const b = settings(before);
  const a = settings(after);
  if (!before || !after) return [];
  return [...new Set([...b.keys(), ...a.keys()])]
    .filter((k) => b.get(k) !== a.get(k))
    .map((key) => ({ key, before: b.get(key) ?? null, after: a.get(key) ?? null }));
}

function budgetChecks(
  before: ModelVersion | null,
  after: ModelVersion | null,
  commandLine: CommandLineBudgets,
): BudgetCheck[] {
  type Source = BudgetCheck['source'];
  const found = new Map<
    string,
    { metric: BudgetMetric; limit: number; strict: boolean; source: Source }
  >();
  const add = (metric: BudgetMetric, limit: number, strict: boolean, source: Source) => {
    const key = `${metric}|${limit}|${strict}`;
    const seen = found.get(key);
    if (!seen) found.set(key, { metric, limit, strict, source });
    else if (seen.source === 'old file' && source === 'new file')
      found.set(key, { ...seen, source: 'both files' });
  };
  for (const b of before?.graph.budgets ?? []) add(b.metric, b.limit, b.strict, 'old file');
  for (const b of after?.graph.budgets ?? []) add(b.metric, b.limit, b.strict, 'new file');
  for (const [metric, limit] of Object.entries(commandLine) as [BudgetMetric, number | undefined][])
    if (limit !== undefined) add(metric, limit, false, 'command line');
  return [...found.values()].map((b) => {
    const value = (v: ModelVersion | null) => (v ? measure(b.metric, v.summary) : null);
    const over = (x: Count | null) => {
      if (x === null) return null;
      const order = compareToLimit(x, b.limit);
      return b.strict ? order >= 0 : order > 0;
    };
    const [was, is] = [over(value(before)), over(value(after))];
    const status =
      is === null
        ? 'unknown'
        : is
          ? was === true
            ? 'still exceeded'
            : 'newly exceeded'
          : was === true
            ? 'now within'
            : 'within';
    return { ...b, before: value(before), after: value(after), status };
  });
}
