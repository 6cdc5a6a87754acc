/**
 * A diff report over files: the models of two versions of each file paired by name, and whether
 * anything changed semantically (`cnnc diff`'s exit status). Pure.
 */
import type { Diagnostic } from '../diagnostics/diagnostic.js';
import { diffModel, type CommandLineBudgets, type ModelVersion } from './model-diff.js';
import { DIFF_JSON_VERSION, type DiffReport, type FileDiff, type ModelDiff } from './types.js';

/** One version of a file: its display path and its compiled models. */
export interface FileVersion {
  readonly path: string;
  readonly models: readonly ModelVersion[];
}

export interface DiffOptions {
  /** Only this model. */
  readonly model?: string;
  readonly budgets?: CommandLineBudgets;
}

/** `change` says how the file itself changed (git's status; `modified` for two files named). */
export function diffFile(
  before: FileVersion | null,
  after: FileVersion | null,
  change: FileDiff['change'],
  options: DiffOptions = {},
): FileDiff {
  const pick = (f: FileVersion | null) =>
    (f?.models ?? []).filter((m) => options.model === undefined || m.graph.model === options.model);
  const oldModels = new Map(pick(before).map((m) => [m.graph.model, m]));
  const newModels = pick(after);
  const models: ModelDiff[] = newModels.map((m) =>
    diffModel(oldModels.get(m.graph.model) ?? null, m, options.budgets),
  );
  const kept = new Set(newModels.map((m) => m.graph.model));
  for (const [name, m] of oldModels)
    if (!kept.has(name)) models.push(diffModel(m, null, options.budgets));
  return {
    before: before?.path ?? null,
    after: after?.path ?? null,
    change,
    models,
  };
}

export function diffReport(
  beforeLabel: string,
  afterLabel: string,
  files: readonly FileDiff[],
): DiffReport {
  return { version: DIFF_JSON_VERSION, before: beforeLabel, after: afterLabel, files };
}

/** True when some model was added, removed or changed (formatting and comments are not changes). */
export function hasSemanticChange(report: DiffReport): boolean {
  return report.files.some((f) => f.models.some((m) => m.change !== 'unchanged'));
}

/** Budget diagnostics become the diff's budget checks; they do not stop it as errors do. */
const BUDGET_CODES: ReadonlySet<string> = new Set(['CNN4001', 'CNN4002', 'CNN4003', 'CNN4005']);

/** The diagnostics that stop a diff: errors other than exceeded budgets. */
export function stopsDiff(d: Diagnostic): boolean {
  return d.severity === 'error' && !BUDGET_CODES.has(d.code);
}
