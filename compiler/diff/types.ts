/**
 * The result of `cnnc diff`, which `--format json` prints as is (docs/ci.md documents the shape).
 * Numbers are raw (parameters, MACs per sample, bytes); null where a size is symbolic or a side is
 * missing. Counts are exact (compiler/sema/count.ts): in JSON, one beyond 2^53 − 1 is a string of
 * digits. Layer and file order is stable: the new model's layer order, removed layers where they
 * stood.
 */
import type { BudgetMetric } from '../ir/graph.js';
import type { Count } from '../sema/count.js';

export const DIFF_JSON_VERSION = 1;

/** A figure before and after; `delta` is after − before, with a missing side counted as 0. */
export interface Delta {
  readonly before: Count | null;
  readonly after: Count | null;
  readonly delta: Count | null;
}

/** Per layer and per model: what `cnnc summary` counts. */
export interface Figures<T = Delta> {
  readonly params: T;
  readonly trainable: T;
  /** Multiply-accumulates per sample. */
  readonly macs: T;
  /** Output bytes per sample (float32); for a model, every layer's but the input's. */
  readonly activations: T;
  /** Training memory at the model's batch and optimizer (compiler/sema/metrics.ts conventions). */
  readonly memory: T;
}

/** One side of a layer. */
export interface LayerSide {
  readonly name: string;
  /** The op and its key attributes, as `cnnc summary` prints them: `conv 64 3x3 /2 pad 1`. */
  readonly op: string;
  /** Output shape per sample: `28x28x6`. */
  readonly shape: string;
  readonly frozen: boolean;
  /** The names of its inputs. */
  readonly inputs: readonly string[];
  readonly figures: Figures<Count | null>;
}

export type LayerChangeKind =
  'renamed' | 'op' | 'attrs' | 'shape' | 'params' | 'macs' | 'frozen' | 'inputs';

export interface LayerChange {
  readonly change: 'added' | 'removed' | 'changed';
  /** The layer's name in the new model (the old one for a removed layer). */
  readonly name: string;
  /** How an old layer was paired with a new one: same IR name, or same op and attributes at the same place in the same-shaped scopes (a rename). */
  readonly matchedBy: 'name' | 'structure' | null;
  /** What differs, for a changed layer. */
  readonly what: readonly LayerChangeKind[];
  /** Attributes that differ: `kernel` `5x5` → `3x3`. */
  readonly attrs: readonly {
    readonly name: string;
    readonly before: string;
    readonly after: string;
  }[];
  readonly before: LayerSide | null;
  readonly after: LayerSide | null;
  readonly deltas: Figures;
}

export type BudgetStatus =
  'newly exceeded' | 'still exceeded' | 'now within' | 'within' | 'unknown';

export interface BudgetCheck {
  readonly metric: BudgetMetric;
  readonly limit: number;
  /** `<` rather than `<=`. */
  readonly strict: boolean;
  /** Where the budget is set. */
  readonly source: 'old file' | 'new file' | 'both files' | 'command line';
  readonly before: Count | null;
  readonly after: Count | null;
  readonly status: BudgetStatus;
}

export interface ModelSide {
  readonly file: string;
  readonly layers: number;
  readonly input: string;
  readonly output: string;
  readonly batch: number;
  readonly optimizer: string;
}

export interface ModelDiff {
  readonly model: string;
  readonly change: 'added' | 'removed' | 'changed' | 'unchanged';
  readonly before: ModelSide | null;
  readonly after: ModelSide | null;
  readonly totals: Figures;
  readonly counts: {
    readonly added: number;
    readonly removed: number;
    readonly changed: number;
    readonly renamed: number;
  };
  /** Only the layers that differ. */
  readonly layers: readonly LayerChange[];
  readonly budgets: readonly BudgetCheck[];
  /** `train { }` settings that differ, as written. */
  readonly train: readonly {
    readonly key: string;
    readonly before: string | null;
    readonly after: string | null;
  }[];
}

export interface FileDiff {
  /** Display paths; null for a file that is added or deleted. */
  readonly before: string | null;
  readonly after: string | null;
  readonly change: 'added' | 'deleted' | 'modified' | 'renamed';
  readonly models: readonly ModelDiff[];
}

export interface DiffReport {
  readonly version: typeof DIFF_JSON_VERSION;
  /** What was compared: two paths, or two git revisions. */
  readonly before: string;
  readonly after: string;
  readonly files: readonly FileDiff[];
}
