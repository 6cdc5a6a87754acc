/**
 * train.py's flags: one per train-block setting, with the block's value as the default
 * (SETTINGS in train.py) and the range or choices that `cnnc train` checks
 * (compiler/train/settings.ts NUMBER_SETTINGS, CHOICE_SETTINGS). The table below says only what
 * the schema does not: which help group a flag goes in and its help text.
 */
import { WEIGHT_MAPS } from '../../passes/fine-tune.js';
import {
  CHOICE_SETTINGS,
  NUMBER_SETTINGS,
  type NumberRange,
  type NumberSetting,
  type TrainSettings,
} from '../../train/settings.js';
import { NO_AUGMENT } from '../../train/augment.js';
import { pyNumber, pyString } from '../python-text.js';
import { call, INDENT, inline, type PyValue } from './py-layout.js';

type ChoiceSetting = keyof typeof CHOICE_SETTINGS;

/** The keys of SETTINGS that are flags: the schema's, plus the data source and fine-tuning. */
export type FlagKey = Exclude<NumberSetting, 'zoom'> | ChoiceSetting | 'data' | 'map';

const GROUPS = ['optimizer', 'schedule', 'loss and evaluation', 'data', 'augmentation'] as const;

interface FlagHelp {
  readonly group: (typeof GROUPS)[number] | 'fine-tuning';
  readonly help: string;
  /** The flag also takes `none`: the setting off (SETTINGS holds None). */
  readonly off?: true;
}

const FLAGS: { readonly [K in FlagKey]: FlagHelp } = {
  optimizer: { group: 'optimizer', help: "the update rule (cnnc's: cnnc_train.py)" },
  lr: { group: 'optimizer', help: 'the learning rate that the schedule starts from' },
  momentum: { group: 'optimizer', help: 'mu of momentum and nesterov' },
  beta1: { group: 'optimizer', help: "Adam's beta1" },
  beta2: { group: 'optimizer', help: "Adam's beta2" },
  rho: { group: 'optimizer', help: "RMSprop's decay rate" },
  epsilon: { group: 'optimizer', help: "Adam's and RMSprop's epsilon" },
  weight_decay: {
    group: 'optimizer',
    help: 'L2 weight decay, added to the gradient of every trainable parameter',
  },
  batch: { group: 'optimizer', help: 'samples per step in each process' },
  epochs: { group: 'optimizer', help: 'passes over the training set' },
  seed: {
    group: 'optimizer',
    help: 'seed of the initial weights, the shuffles, the validation split and augmentation',
  },
  schedule: { group: 'schedule', help: 'how the learning rate changes over the run' },
  gamma: { group: 'schedule', help: 'decay factor of the step and exponential schedules' },
  step_every: { group: 'schedule', help: 'epochs between the decays of the step schedule' },
  min_lr: { group: 'schedule', help: 'the final rate of the cosine schedule' },
  warmup: { group: 'schedule', help: 'steps of linear warm-up' },
  clip: { group: 'schedule', help: 'largest global gradient norm (none: no clipping)', off: true },
  loss: {
    group: 'loss and evaluation',
    help: 'the loss of every output without its own (categorical is computed from logits)',
  },
  validation: {
    group: 'loss and evaluation',
    help: 'fraction of the training set held out for validation',
  },
  early_stopping: {
    group: 'loss and evaluation',
    help: 'stop after this many epochs without improvement (none: never)',
    off: true,
  },
  min_delta: { group: 'loss and evaluation', help: 'the least change that is an improvement' },
  top_k: { group: 'loss and evaluation', help: 'k of the top-k accuracy' },
  init: {
    group: 'loss and evaluation',
    help: "initial weights: cnnc's scheme, drawn as cnnc does",
  },
  data: {
    group: 'data',
    help: 'mnist, mnist-json, idx:DIR, cifar10:DIR or folder:DIR (DIR from the working folder)',
  },
  flip: { group: 'augmentation', help: 'random mirroring of training images' },
  rotation: { group: 'augmentation', help: 'random rotation, up to this many degrees' },
  zoom_min: { group: 'augmentation', help: 'smallest random scale' },
  zoom_max: { group: 'augmentation', help: 'largest random scale' },
  translate: { group: 'augmentation', help: 'random shift, up to this fraction of the size' },
  brightness: { group: 'augmentation', help: 'random brightness factor 1 +- X' },
  contrast: { group: 'augmentation', help: 'random contrast factor 1 +- X' },
  channel_shift: { group: 'augmentation', help: 'random shift of each channel, up to +- X' },
  fill: { group: 'augmentation', help: 'pixels from outside the image: the border or 0' },
  map: {
    group: 'fine-tuning',
    help: "how the weights file (--weights, or the block's) names its tensors",
  },
};

/** Each flag's default: the resolved train-block settings as SETTINGS values. */
export function settingValues(s: TrainSettings): { readonly [K in FlagKey]: PyValue } {
  const a = s.augment ?? NO_AUGMENT;
  const flip =
    a.flipHorizontal && a.flipVertical
      ? 'both'
      : a.flipHorizontal
        ? 'horizontal'
        : a.flipVertical
          ? 'vertical'
          : 'none';
  return {
    optimizer: s.optimizer.name,
    lr: s.lr,
    momentum: s.optimizer.momentum,
    beta1: s.optimizer.beta1,
    beta2: s.optimizer.beta2,
    rho: s.optimizer.rho,
    epsilon: s.optimizer.epsilon,
    weight_decay: s.optimizer.weightDecay,
    batch: s.batchSize,
    epochs: s.epochs,
    seed: s.seed,
    schedule: s.schedule.kind,
    gamma: s.schedule.gamma,
    step_every: s.schedule.every,
    min_lr: s.schedule.minLr,
    warmup: s.schedule.warmupSteps,
    clip: s.clipNorm,
    loss: s.loss,
    validation: s.validation,
    early_stopping: s.earlyStopping?.patience ?? null,
    min_delta: s.earlyStopping?.minDelta ?? 0,
    top_k: s.topK,
    init: s.init,
    data: s.data,
    flip,
    rotation: a.rotation,
    zoom_min: a.zoom[0],
    zoom_max: a.zoom[1],
    translate: a.translate,
    brightness: a.brightness,
    contrast: a.contrast,
    channel_shift: a.channelShift,
    fill: a.fill,
    map: s.fineTune.weights?.map ?? 'none',
  };
}

/** `number(0, 1)`, `number(1, integer=True)`: the argparse type of a range. */
function numberType(r: NumberRange): string {
  const args = [pyNumber(r.min)];
  if (r.max !== undefined) args.push(pyNumber(r.max));
  if (r.integer) args.push('integer=True');
  return `number(${args.join(', ')})`;
}

function flagType(key: FlagKey): string {
  if (key in NUMBER_SETTINGS) {
    const t = numberType(NUMBER_SETTINGS[key as NumberSetting]);
    return FLAGS[key].off ? `type=optional(${t})` : `type=${t}`;
  }
  if (key in CHOICE_SETTINGS) return `choices=${inline(CHOICE_SETTINGS[key as ChoiceSetting])}`;
  if (key === 'map') return `choices=${inline(WEIGHT_MAPS)}`;
  return 'metavar="SRC"';
}

const flagName = (key: string) => `--${key.replace(/_/g, '-')}`;

/**
 * --output-loss OUTPUT=KIND and --output-weight OUTPUT=W, repeatable: one output's loss and weight
 * in the training loss (the block's `loss OUTPUT KIND WEIGHT`). train.py checks the output names
 * against the model's (parse_args).
 */
function outputLossFlags(): string[] {
  const flag = (name: string, parse: string, metavar: string, help: string) =>
    call(
      'g.add_argument',
      [
        pyString(name),
        `type=output_setting(${parse})`,
        'action="append"',
        'default=[]',
        `metavar=${pyString(metavar)}`,
        `help=${pyString(help)}`,
      ],
      INDENT,
    );
  return [
    ...flag(
      '--output-loss',
      `one_of(${inline(CHOICE_SETTINGS.loss)})`,
      'OUTPUT=LOSS',
      "one output's loss (default: the block's `loss OUTPUT LOSS`, else --loss)",
    ),
    ...flag(
      '--output-weight',
      'positive',
      'OUTPUT=W',
      "one output's weight in the sum of weight * loss (default: the block's)",
    ),
  ];
}

/** The add_setting_flags function of train.py. */
export function emitSettingFlags(): string[] {
  const lines = [
    'def add_setting_flags(p, s):',
    `${INDENT}"""The train block's settings as flags, with the model's values (s) as defaults."""`,
  ];
  const keys = Object.keys(FLAGS) as FlagKey[];
  for (const group of [...GROUPS, 'fine-tuning'] as const) {
    lines.push(`${INDENT}g = p.add_argument_group(${pyString(group)})`);
    for (const key of keys.filter((k) => FLAGS[k].group === group)) {
      if (key === 'zoom_min')
        lines.push(
          ...call(
            'g.add_argument',
            [
              pyString('--zoom'),
              `type=${numberType(NUMBER_SETTINGS.zoom)}`,
              'default=None',
              `help=${pyString('random scale in 1 +- X (sets --zoom-min and --zoom-max)')}`,
            ],
            INDENT,
          ),
        );
      lines.push(
        ...call(
          'g.add_argument',
          [
            pyString(flagName(key)),
            flagType(key),
            `default=s[${pyString(key)}]`,
            `help=${pyString(FLAGS[key].help)}`,
          ],
          INDENT,
        ),
      );
      if (key === 'loss') lines.push(...outputLossFlags());
    }
  }
  lines.push(
    ...call(
      'g.add_argument',
      [
        pyString('--group-lr'),
        'type=pairs',
        'action="append"',
        'default=[]',
        'metavar="GROUP=RATE"',
        `help=${pyString('the learning rate of a group of the train block (`lr GROUP RATE`)')}`,
      ],
      INDENT,
    ),
    ...call(
      'g.add_argument',
      [
        pyString('--unfreeze-at'),
        'type=pairs',
        'action="append"',
        'default=[]',
        'metavar="GROUP=EPOCH"',
        `help=${pyString('the epoch of an `at epoch N unfreeze GROUP` of the train block')}`,
      ],
      INDENT,
    ),
  );
  return lines;
}
