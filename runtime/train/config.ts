/**
 * Training settings: defaults, then the model's `train { … }` block, then command-line overrides.
 * A train statement is a key and its value, and may go on with more key–value pairs:
 * `optimizer sgd lr 0.05 momentum 0.9` sets optimizer, lr and momentum. Keys:
 *
 *   optimizer sgd|momentum|nesterov|adam|rmsprop   lr X   momentum X   beta1 X   beta2 X   rho X
 *   epsilon X   weight_decay X (alias wd)   batch N   epochs N   seed N
 *   schedule constant|step|exponential|cosine   gamma X   step_every N (epochs)   min_lr X
 *   warmup N (steps)   clip X (global gradient norm)   loss categorical|binary|mse
 *   validation X (fraction held out of the training set)   early_stopping N (patience, epochs)
 *   min_delta X   top_k N   data mnist|mnist-json|"idx:DIR"
 */
import { diag, type Diagnostic, type Span } from '../../compiler/diagnostics/diagnostic.js';
import type { Graph } from '../../compiler/ir/graph.js';
import { LOSSES } from './losses.js';
import type { LoopConfig } from './loop.js';
import { DEFAULT_OPTIMIZER, OPTIMIZERS, type OptimizerConfig } from './optimizers.js';
import { DEFAULT_SCHEDULE, SCHEDULES, type ScheduleConfig } from './schedules.js';

export interface TrainSettings extends LoopConfig {
  readonly optimizer: OptimizerConfig;
  readonly validation: number;
  readonly data: string;
}

export const DEFAULT_SETTINGS: TrainSettings = {
  optimizer: DEFAULT_OPTIMIZER,
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
};

type Value = number | string | boolean;

/** A mutable draft of the settings that set(key, value) updates; errors name the key. */
class Draft {
  s: { -readonly [K in keyof TrainSettings]: TrainSettings[K] };
  opt: { -readonly [K in keyof OptimizerConfig]: OptimizerConfig[K] };
  sched: { -readonly [K in keyof ScheduleConfig]: ScheduleConfig[K] };
  patience: number | null = null;
  minDelta = 0;

  constructor(base: TrainSettings) {
    this.s = { ...base };
    this.opt = { ...base.optimizer };
    this.sched = { ...base.schedule };
    this.patience = base.earlyStopping?.patience ?? null;
    this.minDelta = base.earlyStopping?.minDelta ?? 0;
  }

  /** Returns an error message, or null when the setting was applied. */
  set(key: string, v: Value): string | null {
    const num = (min: number, max = Infinity, integer = false): number | string => {
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
        return choose(OPTIMIZERS, (x) => (this.opt.name = x));
      case 'schedule':
        return choose(SCHEDULES, (x) => (this.sched.kind = x));
      case 'loss':
        return choose(LOSSES, (x) => (this.s.loss = x));
      case 'data':
        if (typeof v !== 'string') return `\`data\` expects mnist, mnist-json or "idx:DIR"`;
        this.s.data = v;
        return null;
      case 'lr':
        return numeric(num(0), (x) => (this.s.lr = x));
      case 'momentum':
        return numeric(num(0, 1), (x) => (this.opt.momentum = x));
      case 'beta1':
        return numeric(num(0, 1), (x) => (this.opt.beta1 = x));
      case 'beta2':
        return numeric(num(0, 1), (x) => (this.opt.beta2 = x));
      case 'rho':
        return numeric(num(0, 1), (x) => (this.opt.rho = x));
      case 'epsilon':
        return numeric(num(0), (x) => (this.opt.epsilon = x));
      case 'weight_decay':
      case 'wd':
        return numeric(num(0), (x) => (this.opt.weightDecay = x));
      case 'batch':
        return numeric(num(1, Infinity, true), (x) => (this.s.batchSize = x));
      case 'epochs':
        return numeric(num(1, Infinity, true), (x) => (this.s.epochs = x));
      case 'seed':
        return numeric(num(0, 2 ** 31 - 1, true), (x) => (this.s.seed = x));
      case 'gamma':
        return numeric(num(0), (x) => (this.sched.gamma = x));
      case 'step_every':
        return numeric(num(1e-9), (x) => (this.sched.every = x));
      case 'min_lr':
        return numeric(num(0), (x) => (this.sched.minLr = x));
      case 'warmup':
        return numeric(num(0, Infinity, true), (x) => (this.sched.warmupSteps = x));
      case 'clip':
        return numeric(num(1e-12), (x) => (this.s.clipNorm = x));
      case 'validation':
        return numeric(num(0, 0.9), (x) => (this.s.validation = x));
      case 'early_stopping':
        return numeric(num(1, Infinity, true), (x) => (this.patience = x));
      case 'min_delta':
        return numeric(num(0), (x) => (this.minDelta = x));
      case 'top_k':
        return numeric(num(1, Infinity, true), (x) => (this.s.topK = x));
      default:
        return `unknown training setting \`${key}\``;
    }
  }

  done(): TrainSettings {
    return {
      ...this.s,
      optimizer: { ...this.opt },
      schedule: { ...this.sched },
      earlyStopping:
        this.patience === null ? null : { patience: this.patience, minDelta: this.minDelta },
    };
  }
}

export const TRAIN_KEYS =
  'optimizer, lr, momentum, beta1, beta2, rho, epsilon, weight_decay, batch, epochs, seed, schedule, gamma, step_every, min_lr, warmup, clip, loss, validation, early_stopping, min_delta, top_k, data';

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
  const report = (msg: string, span: Span) => {
    const unknown = msg.startsWith('unknown');
    diagnostics.push(
      diag(unknown ? 'CNN2002' : 'CNN2005', msg, {
        span,
        help: unknown ? `training settings: ${TRAIN_KEYS}` : undefined,
      }),
    );
  };
  for (const t of graph.train ?? []) {
    const items: Value[] = [t.key, ...t.args];
    if (items.length % 2 !== 0) {
      report(
        `\`${String(items[items.length - 1])}\` has no value: write settings as key value pairs`,
        t.span,
      );
      continue;
    }
    for (let i = 0; i < items.length; i += 2) {
      const err = draft.set(String(items[i]), items[i + 1]);
      if (err) report(err, t.span);
    }
  }
  const errors: string[] = [];
  for (const [k, v] of overrides) {
    const err = draft.set(k, v);
    if (err) errors.push(err.replace(`\`${k}\``, `--${k}`));
  }
  return { settings: draft.done(), diagnostics, errors };
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
  parts.push(
    `batch ${s.batchSize}`,
    `${s.epochs} epoch${s.epochs === 1 ? '' : 's'}`,
    `seed ${s.seed}`,
  );
  return parts.join(', ');
}
