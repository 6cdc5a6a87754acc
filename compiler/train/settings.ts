/**
 * The train-settings schema: defaults, then the model's `train { … }` block, then command-line
 * overrides. The compiler owns it (`cnnc train` reads it through runtime/train/config.ts, the PyTorch
 * code generator reads it to emit train.py's defaults).
 * A train statement is a key and its value, and may go on with more key–value pairs:
 * `optimizer sgd lr 0.05 momentum 0.9` sets optimizer, lr and momentum. Keys:
 *
 *   optimizer sgd|momentum|nesterov|adam|rmsprop   lr X   momentum X   beta1 X   beta2 X   rho X
 *   epsilon X   weight_decay X (alias wd)   batch N   epochs N   seed N
 *   schedule constant|step|exponential|cosine   gamma X   step_every N (epochs)   min_lr X
 *   warmup N (steps)   clip X (global gradient norm)   loss categorical|binary|mse
 *   validation X (fraction held out of the training set)   early_stopping N (patience, epochs)
 *   min_delta X   top_k N   data mnist|mnist-json|"idx:DIR"|"cifar10:DIR"|"folder:DIR"
 *
 * Augmentation of training batches (runtime/data/augment.ts): flip none|horizontal|vertical|both
 * rotation DEG   zoom X (scale in 1 ± X)   zoom_min X   zoom_max X   translate X (fraction of the
 * size)   brightness X   contrast X   channel_shift X   fill edge|zero
 */
import { diag, type Diagnostic, type Span } from '../diagnostics/diagnostic.js';
import type { Graph } from '../ir/graph.js';
import {
  isFineTuneSetting,
  NO_FINE_TUNE,
  readFineTune,
  type FineTuneSettings,
} from '../passes/fine-tune.js';
import { didYouMean, suggestedEdit } from '../sema/suggest.js';
import { isIdentity, NO_AUGMENT, type AugmentConfig } from './augment.js';
import { checkDataSource } from './data-sources.js';
import {
  DEFAULT_DETECTION,
  DETECTION_LOSS,
  detectionRangeError,
  detectorLoss,
  isDetectionKey,
  isDetector,
  notADetector,
  setDetection,
  type DetectionSettings,
} from './detection-settings.js';
import { INIT_SCHEMES, type InitScheme } from './init-schemes.js';
import { LOSSES, type LossKind } from './losses.js';
import {
  hasOutputLosses,
  isOutputLossSetting,
  readOutputLosses,
  type OutputLoss,
} from './output-losses.js';
import { DEFAULT_OPTIMIZER, OPTIMIZERS, type OptimizerConfig } from './optimizers.js';
import { DEFAULT_SCHEDULE, SCHEDULES, type ScheduleConfig } from './schedules.js';

export type {
  FeatureMode,
  FineTuneSettings,
  LrGroup,
  PretrainedWeights,
  UnfreezeStep,
  WeightMap,
} from './fine-tune-settings.js';

export interface EarlyStopping {
  /** Epochs without improvement before stopping. */
  readonly patience: number;
  readonly minDelta: number;
}

/** What the training loop (runtime/train/loop.ts) needs of the settings. */
export interface LoopConfig {
  readonly epochs: number;
  readonly batchSize: number;
  readonly lr: number;
  readonly schedule: ScheduleConfig;
  readonly clipNorm: number | null;
  readonly loss: LossKind;
  readonly seed: number;
  readonly earlyStopping: EarlyStopping | null;
  readonly topK: number;
  /** Data augmentation of training batches, or null. */
  readonly augment?: AugmentConfig | null;
}

export interface TrainSettings extends LoopConfig {
  readonly optimizer: OptimizerConfig;
  /**
   * Learning rates per group (`lr stage4 1e-4, head 1e-3`), gradual unfreezing (`at epoch 3
   * unfreeze stage4 lr 1e-4`), `features cache` and `weights "FILE" map torchvision`, from the train
   * block only (compiler/passes/fine-tune.ts reads them; groups are resolved to node names).
   */
  readonly fineTune: FineTuneSettings;
  readonly validation: number;
  readonly data: string;
  /** Augmentation of training batches; null when off. */
  readonly augment: AugmentConfig | null;
  /** Weight initialisation scheme: default (PyTorch's), he or glorot. */
  readonly init: InitScheme;
  /** A detector's loss weights and decoding settings (compiler/train/detection-settings.ts). */
  readonly detection: DetectionSettings;
  /**
   * Per output, in the graph's order, its loss and weight (output-losses.ts); empty for a model
   * with one output and no `loss NAME …` setting, which trains on the plain `loss`.
   */
  readonly outputLosses: readonly OutputLoss[];
}

export const DEFAULT_SETTINGS: TrainSettings = {
  optimizer: DEFAULT_OPTIMIZER,
  fineTune: NO_FINE_TUNE,
  lr: 1e-3,
  epochs: 3,
  batchSize: 32,
  schedule: DEFAULT_SCHEDULE,
  clipNorm: null,
  loss: 'categorical',
  seed: 42,
  earlyStopping: null,
  topK: 5,
  validation: 0.1,
  data: 'mnist',
  augment: null,
  init: 'default',
  detection: DEFAULT_DETECTION,
  outputLosses: [],
};

type Value = number | string | boolean;

/** The range of a numeric setting (inclusive); `integer` settings take whole numbers only. */
export interface NumberRange {
  readonly min: number;
  readonly max?: number;
  readonly integer?: boolean;
}

/** Every numeric key of a train block and its range: one table for `cnnc train` and train.py. */
export const NUMBER_SETTINGS = {
  rotation: { min: 0, max: 180 },
  zoom: { min: 0, max: 0.9 },
  zoom_min: { min: 0.1, max: 10 },
  zoom_max: { min: 0.1, max: 10 },
  translate: { min: 0, max: 0.5 },
  brightness: { min: 0, max: 1 },
  contrast: { min: 0, max: 1 },
  channel_shift: { min: 0, max: 1 },
  lr: { min: 0 },
  momentum: { min: 0, max: 1 },
  beta1: { min: 0, max: 1 },
  beta2: { min: 0, max: 1 },
  rho: { min: 0, max: 1 },
  epsilon: { min: 0 },
  weight_decay: { min: 0 },
  batch: { min: 1, integer: true },
  epochs: { min: 1, integer: true },
  seed: { min: 0, max: 2 ** 31 - 1, integer: true },
  gamma: { min: 0 },
  step_every: { min: 1e-9 },
  min_lr: { min: 0 },
  warmup: { min: 0, integer: true },
  clip: { min: 1e-12 },
  validation: { min: 0, max: 0.9 },
  early_stopping: { min: 1, integer: true },
  min_delta: { min: 0 },
  top_k: { min: 1, integer: true },
} as const satisfies Record<string, NumberRange>;
export type NumberSetting = keyof typeof NUMBER_SETTINGS;

/** Every key of a train block that names one of a few words, and the words. */
export const CHOICE_SETTINGS = {
  optimizer: OPTIMIZERS,
  schedule: SCHEDULES,
  loss: LOSSES,
  init: INIT_SCHEMES,
  flip: ['none', 'horizontal', 'vertical', 'both'],
  fill: ['edge', 'zero'],
} as const;

/** A mutable draft of the settings that set(key, value) updates; errors name the key. */
class Draft {
  s: { -readonly [K in keyof TrainSettings]: TrainSettings[K] };
  opt: { -readonly [K in keyof OptimizerConfig]: OptimizerConfig[K] };
  sched: { -readonly [K in keyof ScheduleConfig]: ScheduleConfig[K] };
  patience: number | null = null;
  minDelta = 0;
  aug: { -readonly [K in keyof AugmentConfig]: AugmentConfig[K] };
  det: { -readonly [K in keyof DetectionSettings]: DetectionSettings[K] };

  constructor(base: TrainSettings) {
    this.s = { ...base };
    this.opt = { ...base.optimizer };
    this.sched = { ...base.schedule };
    this.patience = base.earlyStopping?.patience ?? null;
    this.minDelta = base.earlyStopping?.minDelta ?? 0;
    this.aug = { ...(base.augment ?? NO_AUGMENT) };
    this.det = { ...base.detection };
  }

  /** Returns an error message, or null when the setting was applied. */
  set(key: string, v: Value): string | null {
    const num = (setting: NumberSetting): number | string => {
      const range: NumberRange = NUMBER_SETTINGS[setting];
      const { min, max = Infinity, integer = false } = range;
      if (typeof v !== 'number' || (integer && !Number.isInteger(v)))
        return `\`${key}\` expects ${integer ? 'an integer' : 'a number'}; found ${JSON.stringify(v)}`;
      if (v < min || v > max)
        return `\`${key}\` must be in ${min}..${max === Infinity ? '∞' : max}; found ${v}`;
      return v;
    };
    const choose = <T extends string>(choices: readonly T[], f: (x: T) => void): string | null => {
      const w = String(v);
      const hit = choices.find((c) => c === w);
      if (hit === undefined)
        return `\`${key}\` must be one of ${choices.join(', ')}; found ${JSON.stringify(v)}`;
      f(hit);
      return null;
    };
    const numeric = (r: number | string, f: (x: number) => void): string | null => {
      if (typeof r === 'string') return r;
      f(r);
      return null;
    };
    switch (key) {
      case 'optimizer':
        return choose(CHOICE_SETTINGS.optimizer, (x) => (this.opt.name = x));
      case 'schedule':
        return choose(CHOICE_SETTINGS.schedule, (x) => (this.sched.kind = x));
      case 'loss':
        if (v === DETECTION_LOSS) return null; // a detector's loss: checked against the graph
        return choose(CHOICE_SETTINGS.loss, (x) => (this.s.loss = x));
      case 'data': {
        if (typeof v !== 'string')
          return `\`data\` expects mnist, mnist-json, "idx:DIR", "cifar10:DIR" or "folder:DIR"; found ${JSON.stringify(v)}`;
        const problem = checkDataSource(v);
        if (problem)
          return problem.replace('unknown data source', `\`${key}\` names an unknown source`);
        this.s.data = v;
        return null;
      }
      case 'flip':
        return choose(CHOICE_SETTINGS.flip, (x) => {
          this.aug.flipHorizontal = x === 'horizontal' || x === 'both';
          this.aug.flipVertical = x === 'vertical' || x === 'both';
        });
      case 'rotation':
        return numeric(num('rotation'), (x) => (this.aug.rotation = x));
      case 'zoom':
        return numeric(num('zoom'), (x) => (this.aug.zoom = [1 - x, 1 + x]));
      case 'zoom_min':
        return numeric(num('zoom_min'), (x) => (this.aug.zoom = [x, this.aug.zoom[1]]));
      case 'zoom_max':
        return numeric(num('zoom_max'), (x) => (this.aug.zoom = [this.aug.zoom[0], x]));
      case 'translate':
        return numeric(num('translate'), (x) => (this.aug.translate = x));
      case 'brightness':
        return numeric(num('brightness'), (x) => (this.aug.brightness = x));
      case 'contrast':
        return numeric(num('contrast'), (x) => (this.aug.contrast = x));
      case 'channel_shift':
      case 'channel-shift':
        return numeric(num('channel_shift'), (x) => (this.aug.channelShift = x));
      case 'fill':
        return choose(CHOICE_SETTINGS.fill, (x) => (this.aug.fill = x));
      case 'weights':
      case 'map':
      case 'features':
        return null; // read with the groups by readFineTune
      case 'lr':
        return numeric(num('lr'), (x) => (this.s.lr = x));
      case 'momentum':
        return numeric(num('momentum'), (x) => (this.opt.momentum = x));
      case 'beta1':
        return numeric(num('beta1'), (x) => (this.opt.beta1 = x));
      case 'beta2':
        return numeric(num('beta2'), (x) => (this.opt.beta2 = x));
      case 'rho':
        return numeric(num('rho'), (x) => (this.opt.rho = x));
      case 'epsilon':
        return numeric(num('epsilon'), (x) => (this.opt.epsilon = x));
      case 'weight_decay':
      case 'wd':
        return numeric(num('weight_decay'), (x) => (this.opt.weightDecay = x));
      case 'batch':
        return numeric(num('batch'), (x) => (this.s.batchSize = x));
      case 'epochs':
        return numeric(num('epochs'), (x) => (this.s.epochs = x));
      case 'seed':
        return numeric(num('seed'), (x) => (this.s.seed = x));
      case 'gamma':
        return numeric(num('gamma'), (x) => (this.sched.gamma = x));
      case 'step_every':
        return numeric(num('step_every'), (x) => (this.sched.every = x));
      case 'min_lr':
        return numeric(num('min_lr'), (x) => (this.sched.minLr = x));
      case 'warmup':
        return numeric(num('warmup'), (x) => (this.sched.warmupSteps = x));
      case 'clip':
        return numeric(num('clip'), (x) => (this.s.clipNorm = x));
      case 'validation':
        return numeric(num('validation'), (x) => (this.s.validation = x));
      case 'early_stopping':
        return numeric(num('early_stopping'), (x) => (this.patience = x));
      case 'min_delta':
        return numeric(num('min_delta'), (x) => (this.minDelta = x));
      case 'top_k':
        return numeric(num('top_k'), (x) => (this.s.topK = x));
      case 'init':
        return choose(CHOICE_SETTINGS.init, (x) => (this.s.init = x));
      default:
        if (isDetectionKey(key)) return setDetection(this.det, key, v);
        return `unknown training setting \`${key}\``;
    }
  }

  /** A check across keys, run after each group of settings. */
  zoomError(): string | null {
    const [lo, hi] = this.aug.zoom;
    return lo > hi ? `\`zoom_min\` ${lo} is above \`zoom_max\` ${hi}` : null;
  }

  done(): TrainSettings {
    const aug: AugmentConfig = { ...this.aug, zoom: [...this.aug.zoom] };
    return {
      ...this.s,
      augment: isIdentity(aug) ? null : aug,
      optimizer: { ...this.opt },
      schedule: { ...this.sched },
      detection: { ...this.det },
      earlyStopping:
        this.patience === null ? null : { patience: this.patience, minDelta: this.minDelta },
    };
  }
}

export const TRAIN_KEYS =
  'optimizer, lr, lr LAYERS RATE, at epoch N unfreeze LAYERS [lr RATE], features, weights, map, momentum, beta1, beta2, rho, epsilon, weight_decay, batch, epochs, seed, schedule, gamma, step_every, min_lr, warmup, clip, loss, validation, early_stopping, min_delta, top_k, init, data, lambda_coord, lambda_noobj, nms_iou, score_threshold, max_detections, flip, rotation, zoom, zoom_min, zoom_max, translate, brightness, contrast, channel_shift, fill';

/** The single-word setting keys, for did-you-mean. */
const SETTING_WORDS = TRAIN_KEYS.split(', ').filter((k) => /^\w+$/.test(k));

/** The augmentation keys; each is also a `cnnc train` flag (`--channel-shift` for channel_shift). */
export const AUGMENT_KEYS = [
  'flip',
  'rotation',
  'zoom',
  'zoom_min',
  'zoom_max',
  'translate',
  'brightness',
  'contrast',
  'channel-shift',
  'fill',
] as const;

/**
 * Settings from the defaults, the graph's train block and then `overrides` (key → value, as the
 * command line gives them). Errors in the train block are diagnostics at their statement; errors
 * in the overrides come back as messages.
 */
export function resolveSettings(
  graph: Graph,
  overrides: readonly [string, Value][] = [],
  base: TrainSettings = DEFAULT_SETTINGS,
): { settings: TrainSettings; diagnostics: Diagnostic[]; errors: string[] } {
  const draft = new Draft(base);
  const diagnostics: Diagnostic[] = [];
  const report = (msg: string, span: Span, key?: string) => {
    const unknown = msg.startsWith('unknown');
    const s = unknown && key !== undefined ? didYouMean(key, SETTING_WORDS) : undefined;
    diagnostics.push(
      diag(unknown ? 'CNN2002' : 'CNN2005', msg, {
        span,
        help: unknown
          ? s
            ? `did you mean \`${s}\`?`
            : `training settings: ${TRAIN_KEYS}`
          : undefined,
        edit: suggestedEdit(span, s),
      }),
    );
  };
  let zoomSpan: Span | null = null;
  const detector = isDetector(graph);
  for (const t of graph.train ?? []) {
    if (isFineTuneSetting(t)) continue; // `lr LAYERS RATE`, `at epoch …`: readFineTune
    // `loss NAME KIND [WEIGHT]`: readOutputLosses; a detector's heads all train with `loss yolo`.
    if (isOutputLossSetting(t)) {
      if (detector)
        diagnostics.push(detectorLoss(`${String(t.args[0])} ${String(t.args[1])}`, t.span));
      continue;
    }
    const items: Value[] = [t.key, ...t.args];
    if (items.length % 2 !== 0) {
      report(
        `\`${String(items[items.length - 1])}\` has no value: write settings as key value pairs`,
        t.span,
      );
      continue;
    }
    for (let i = 0; i < items.length; i += 2) {
      const key = String(items[i]);
      const err = draft.set(key, items[i + 1]);
      // The first key starts the statement: its own span (and a did-you-mean edit) is known; the
      // detection settings (CNN2122–CNN2124) point at it too.
      const keySpan = i === 0 ? { ...t.span, end: t.span.start + key.length } : t.span;
      if (isDetectionKey(key) && !detector) diagnostics.push(notADetector(`\`${key}\``, keySpan));
      else if (isDetectionKey(key) && err) diagnostics.push(detectionRangeError(key, err, t.span));
      else if (key === 'loss' && items[i + 1] === DETECTION_LOSS && !detector)
        diagnostics.push(notADetector('`loss yolo`', t.span));
      else if (key === 'loss' && detector && !err && items[i + 1] !== DETECTION_LOSS)
        diagnostics.push(detectorLoss(String(items[i + 1]), t.span));
      else if (err) report(err, err.startsWith('unknown') ? keySpan : t.span, key);
      if (String(items[i]).startsWith('zoom')) zoomSpan = t.span;
    }
  }
  const zoomError = draft.zoomError();
  if (zoomError && zoomSpan) report(zoomError, zoomSpan);
  const errors: string[] = [];
  for (const [k, v] of overrides) {
    const err = draft.set(k, v);
    if (err) errors.push(err.replace(`\`${k}\``, `--${k}`));
  }
  const flagZoom = draft.zoomError();
  if (flagZoom && !zoomError) errors.push(flagZoom.replace(/`(zoom_\w+)`/g, '--$1'));
  const fineTune = readFineTune(graph);
  diagnostics.push(...fineTune.diagnostics);
  let settings: TrainSettings = { ...draft.done(), fineTune: fineTune.settings };
  if (hasOutputLosses(graph) && !detector) {
    const per = readOutputLosses(graph, settings.loss);
    diagnostics.push(...per.diagnostics);
    settings = { ...settings, outputLosses: per.losses };
  }
  if (settings.fineTune.features === 'cache' && settings.augment && fineTune.featuresSpan)
    diagnostics.push(
      diag(
        'CNN2004',
        "`features cache` computes each image's features once, but augmentation changes the images every epoch",
        {
          span: fineTune.featuresSpan,
          help: 'drop the augmentation settings, or use `features off`',
        },
      ),
    );
  return { settings, diagnostics, errors };
}

/** One line describing the optimiser setup: `adam lr 0.001 batch 64, 3 epochs`. */
export function describeSettings(s: TrainSettings): string {
  const o = s.optimizer;
  const parts = [`${o.name} lr ${s.lr}`];
  if (o.name === 'momentum' || o.name === 'nesterov') parts.push(`momentum ${o.momentum}`);
  if (o.weightDecay) parts.push(`weight decay ${o.weightDecay}`);
  if (s.schedule.kind !== 'constant') parts.push(`${s.schedule.kind} schedule`);
  if (s.schedule.warmupSteps) parts.push(`warm-up ${s.schedule.warmupSteps} steps`);
  if (s.clipNorm !== null) parts.push(`clip ${s.clipNorm}`);
  if (s.augment) parts.push(`augment ${describeAugment(s.augment)}`);
  if (s.init !== 'default') parts.push(`${s.init} init`);
  parts.push(
    `batch ${s.batchSize}`,
    `${s.epochs} epoch${s.epochs === 1 ? '' : 's'}`,
    `seed ${s.seed}`,
  );
  return parts.join(', ');
}

/** `flip horizontal, rotation ±10°, zoom 0.9–1.1` (only what is on). */
export function describeAugment(a: AugmentConfig): string {
  const parts: string[] = [];
  const flips = [a.flipHorizontal && 'horizontal', a.flipVertical && 'vertical'].filter(Boolean);
  if (flips.length) parts.push(`flip ${flips.join('+')}`);
  if (a.rotation) parts.push(`rotation ±${a.rotation}°`);
  if (a.zoom[0] !== 1 || a.zoom[1] !== 1) parts.push(`zoom ${a.zoom[0]}–${a.zoom[1]}`);
  if (a.translate) parts.push(`translate ±${a.translate}`);
  if (a.brightness) parts.push(`brightness ±${a.brightness}`);
  if (a.contrast) parts.push(`contrast ±${a.contrast}`);
  if (a.channelShift) parts.push(`channel shift ±${a.channelShift}`);
  return parts.join(' ');
}
