/**
 * The weights plan: which of a model's weights a file provides, before anything is loaded. Per
 * weight: loaded, shape mismatch (both shapes), missing from the file (keeps its initial value), and
 * per file tensor that no weight takes: unused. A frozen layer that the plan would leave at its
 * initial value is an error whatever the options: training would never change it. Pure: no files,
 * no backend.
 */
import type { Graph } from '../../compiler/ir/graph.js';
import { sameShape, shapeText, type NamedTensor } from './tensor.js';

/** A weight the model expects, from the IR. */
export interface ExpectedWeight {
  /** `${node}/${weight}`. */
  readonly name: string;
  readonly node: string;
  readonly shape: readonly number[];
  readonly kind: 'param' | 'buffer';
  readonly frozen: boolean;
}

/** A tensor a file offers under a cnnc name (after any name mapping), read only when loaded. */
export interface SourceTensor {
  readonly name: string;
  /** The shape in cnnc's layout. */
  readonly shape: readonly number[];
  /** The file's own name where a mapping renamed it (`layer1.0.conv1.weight`), else null. */
  readonly source: string | null;
  /** The values in cnnc's layout. */
  read(): Float32Array;
}

/** A file tensor offered under its own name and layout (cnnc checkpoints, Keras-named files). */
export function asSource(t: NamedTensor): SourceTensor {
  return { name: t.name, shape: t.shape, source: null, read: () => t.data };
}

export type PlanStatus = 'loaded' | 'mismatch' | 'missing' | 'unused';

export interface PlanEntry {
  readonly status: PlanStatus;
  /** The cnnc name; for `unused`, the name the file tensor has after mapping (if any). */
  readonly name: string;
  readonly source: string | null;
  readonly modelShape: readonly number[] | null;
  readonly fileShape: readonly number[] | null;
  /** The weight belongs to a frozen layer (false for unused tensors). */
  readonly frozen: boolean;
  readonly kind: 'param' | 'buffer' | null;
}

export interface WeightPlan {
  /** Model weights in graph order, then unused file tensors in file order. */
  readonly entries: readonly PlanEntry[];
  readonly counts: Readonly<Record<PlanStatus, number>>;
  /** File tensors left out on purpose (PyTorch's `num_batches_tracked`), by file name. */
  readonly ignored: readonly string[];
  /** Frozen weights the plan leaves at their initial value: always an error. */
  readonly frozenReinitialised: readonly PlanEntry[];
}

/** Every weight of an analysed graph, in graph order (a node's params, then its buffers). */
export function expectedWeights(graph: Graph): ExpectedWeight[] {
  const out: ExpectedWeight[] = [];
  for (const node of graph.nodes)
    for (const w of node.weights ?? [])
      out.push({
        name: `${node.name}/${w.name}`,
        node: node.name,
        shape: w.shape,
        kind: w.kind,
        frozen: node.frozen,
      });
  return out;
}

export function planWeights(
  expected: readonly ExpectedWeight[],
  available: readonly Pick<SourceTensor, 'name' | 'shape' | 'source'>[],
  ignored: readonly string[] = [],
): WeightPlan {
  const byName = new Map<string, Pick<SourceTensor, 'name' | 'shape' | 'source'>>();
  for (const t of available) if (!byName.has(t.name)) byName.set(t.name, t);
  const used = new Set<string>();
  const entries: PlanEntry[] = [];
  for (const w of expected) {
    const t = byName.get(w.name);
    if (t) used.add(w.name);
    entries.push({
      status: !t ? 'missing' : sameShape(t.shape, w.shape) ? 'loaded' : 'mismatch',
      name: w.name,
      source: t?.source ?? null,
      modelShape: w.shape,
      fileShape: t?.shape ?? null,
      frozen: w.frozen,
      kind: w.kind,
    });
  }
  const seen = new Set<string>();
  for (const t of available) {
    if (used.has(t.name) || seen.has(`${t.source}\0${t.name}`)) continue;
    seen.add(`${t.source}\0${t.name}`);
    entries.push({
      status: 'unused',
      name: t.name,
      source: t.source,
      modelShape: null,
      fileShape: t.shape,
      frozen: false,
      kind: null,
    });
  }
  const counts = { loaded: 0, mismatch: 0, missing: 0, unused: 0 };
  for (const e of entries) counts[e.status]++;
  return {
    entries,
    counts,
    ignored,
    frozenReinitialised: entries.filter((e) => e.frozen && e.status !== 'loaded'),
  };
}

/**
 * Why a plan cannot be used, one line each; empty when it can. A shape mismatch is refused unless
 * partial loading is allowed; missing weights are refused only when `requireAll` (a forward pass
 * must not run on initial values by accident); re-initialising a frozen weight is always refused.
 */
export function planProblems(
  plan: WeightPlan,
  options: { readonly allowPartial?: boolean; readonly requireAll?: boolean } = {},
): string[] {
  const out: string[] = [];
  for (const e of plan.frozenReinitialised) {
    const layer = e.name.slice(0, e.name.lastIndexOf('/'));
    out.push(
      `${e.name} is in the frozen layer ${layer} but the file ${
        e.status === 'missing'
          ? 'does not have it'
          : `has ${shapeText(e.fileShape ?? [])} for its ${shapeText(e.modelShape ?? [])}`
      }: it would keep its initial value through training (unfreeze it, or fix the file)`,
    );
  }
  if (!options.allowPartial) {
    const bad = plan.entries.filter(
      (e) => e.status === 'mismatch' || (options.requireAll && e.status === 'missing'),
    );
    const mismatches = bad.filter((e) => e.status === 'mismatch').length;
    const missing = bad.length - mismatches;
    if (bad.length)
      out.push(
        [
          mismatches ? `${mismatches} shape mismatch${mismatches === 1 ? '' : 'es'}` : '',
          missing ? `${missing} weight${missing === 1 ? '' : 's'} missing from the file` : '',
        ]
          .filter(Boolean)
          .join(' and ') + ' (--allow-partial keeps their initial values)',
      );
  }
  return out;
}

/** The tensors a plan loads: the file's values of every `loaded` weight, in cnnc's layout. */
export function tensorsToLoad(plan: WeightPlan, available: readonly SourceTensor[]): NamedTensor[] {
  const byName = new Map(available.map((t) => [t.name, t]));
  return plan.entries
    .filter((e) => e.status === 'loaded')
    .map((e) => {
      const t = byName.get(e.name)!;
      return { name: e.name, shape: t.shape, data: t.read() };
    });
}
