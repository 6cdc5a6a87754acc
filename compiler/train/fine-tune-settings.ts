/**
 * The fine-tuning settings of a train block as data: learning-rate groups, unfreezing steps,
 * `features cache`, pretrained weights. compiler/passes/fine-tune.ts reads them from a graph's train
 * block; the runtime (runtime/fine-tune.ts, runtime/weights/load.ts) uses them, and imports them
 * from here so that it depends on no compiler pass.
 */
import type { Span } from '../diagnostics/diagnostic.js';

/** A group of layers with its own learning rate. */
export interface LrGroup {
  /** The target as written: `stage4`, `block_1*`, `..stage3`. */
  readonly target: string;
  readonly lr: number;
  /** IR names of the nodes it matches (in model order), as `freeze` would. */
  readonly nodes: readonly string[];
  readonly span: Span;
}

/** `at epoch E unfreeze TARGET [lr X]`. */
export interface UnfreezeStep {
  /** 1-based: the layers train from the start of this epoch on. */
  readonly epoch: number;
  readonly target: string;
  readonly nodes: readonly string[];
  /** The unfrozen layers' rate from then on; null: their group's rate, else the plain `lr`. */
  readonly lr: number | null;
  readonly span: Span;
}

export const WEIGHT_MAPS = ['none', 'torchvision'] as const;
export type WeightMap = (typeof WEIGHT_MAPS)[number];

export interface PretrainedWeights {
  /** As written in the file (relative paths are relative to the .cnn file). */
  readonly path: string;
  readonly map: WeightMap;
  readonly span: Span;
}

export const FEATURE_MODES = ['off', 'cache'] as const;
export type FeatureMode = (typeof FEATURE_MODES)[number];

export interface FineTuneSettings {
  /** In file order; a layer in several groups takes the rate of the last one. */
  readonly lrGroups: readonly LrGroup[];
  /** Sorted by epoch (file order within an epoch). */
  readonly unfreeze: readonly UnfreezeStep[];
  readonly features: FeatureMode;
  readonly weights: PretrainedWeights | null;
}

export const NO_FINE_TUNE: FineTuneSettings = {
  lrGroups: [],
  unfreeze: [],
  features: 'off',
  weights: null,
};

/** Node name → learning rate from the groups (the last group containing a node wins). */
export function groupRates(settings: FineTuneSettings): Map<string, number> {
  const rates = new Map<string, number>();
  for (const g of settings.lrGroups) for (const n of g.nodes) rates.set(n, g.lr);
  return rates;
}
