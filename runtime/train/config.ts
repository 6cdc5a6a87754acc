/**
 * The train-settings schema lives in the compiler (compiler/train/settings.ts); the runtime and the
 * CLI read it through this module.
 */
export {
  AUGMENT_KEYS,
  DEFAULT_SETTINGS,
  describeAugment,
  describeSettings,
  resolveSettings,
  TRAIN_KEYS,
  type EarlyStopping,
  type FeatureMode,
  type FineTuneSettings,
  type LoopConfig,
  type LrGroup,
  type PretrainedWeights,
  type TrainSettings,
  type UnfreezeStep,
  type WeightMap,
} from '../../compiler/train/settings.js';
