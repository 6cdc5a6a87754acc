/**
 * train.ts of an emitted TensorFlow.js project: each model's train { } block (cnnc's defaults, then
 * the block) as SETTINGS, then the fixed training script (train-body-ts.ts) that trains with
 * model.fitDataset as `cnnc train` does. A setting train.ts cannot honour is a CNN61xx diagnostic
 * at the train statement:
 *
 *   CNN6100  `weights "FILE" map torchvision`: train.ts reads weights under cnnc's names only
 *   CNN6101  `data "folder:DIR"`: image folders need an image decoder the project does not have
 *   CNN6102  a detector (a yolo head): train.ts trains classifiers, and leaves it out
 *
 * A model with several outputs trains each with its loss and weight (outputs.ts); one with a
 * single output is the case of one output `main` of weight 1.
 */
import { diag, type Diagnostic, type Span } from '../../diagnostics/diagnostic.js';
import type { Graph } from '../../ir/graph.js';
import { tsComment, tsNumber, tsString } from '../ts-text.js';
import { isDetector } from '../../train/detection-settings.js';
import { resolveSettings, type TrainSettings } from '../../train/settings.js';
import { namedOutputs } from '../../sema/outputs.js';
import { TRAIN_TS_BODY, TRAIN_TS_HEAD } from './train-body-ts.js';

export interface TrainInput {
  readonly graph: Graph;
  /** Where train.ts finds a train block's weights file (relative to the .cnn file as written). */
  readonly weightsFile: (file: string) => string;
}

export interface EmittedTrain {
  /** Null when no model is left to train (every one is a detector). */
  readonly text: string | null;
  /** The models train.ts leaves out (detectors), by name. */
  readonly leftOut: readonly string[];
  /** Per model: its resolved settings (model.ts takes the initialisation scheme from them). */
  readonly settings: ReadonlyMap<string, TrainSettings>;
  readonly diagnostics: readonly Diagnostic[];
}

/** The span of the train statement that sets `key`, else the model's. */
function spanOf(graph: Graph, key: string): Span {
  const s = graph.train?.find((t) => t.key === key || t.args.some((a) => a === key));
  return s?.span ?? graph.span;
}

const num = tsNumber;
const strings = (xs: readonly string[]) => `[${xs.map(tsString).join(', ')}]`;

/** Each output's loss and weight: the train block's per-output losses, else the plain loss. */
function outputsLiteral(graph: Graph, s: TrainSettings): string {
  const outputs = s.outputLosses.length
    ? s.outputLosses.map((o) => ({ name: o.output, loss: o.loss, weight: o.weight }))
    : namedOutputs(graph).map((o) => ({ name: o.name, loss: s.loss, weight: 1 }));
  return `[${outputs.map((o) => `{ name: ${tsString(o.name)}, loss: ${tsString(o.loss)}, weight: ${num(o.weight)} }`).join(', ')}]`;
}

function settingsLiteral(graph: Graph, s: TrainSettings, weights: string | null): string {
  const o = s.optimizer;
  const c = s.schedule;
  const fields: [string, string][] = [
    ['optimizer', tsString(o.name)],
    ['lr', num(s.lr)],
    ['momentum', num(o.momentum)],
    ['beta1', num(o.beta1)],
    ['beta2', num(o.beta2)],
    ['rho', num(o.rho)],
    ['epsilon', num(o.epsilon)],
    ['weightDecay', num(o.weightDecay)],
    ['epochs', num(s.epochs)],
    ['batch', num(s.batchSize)],
    ['seed', num(s.seed)],
    [
      'schedule',
      `{ kind: ${tsString(c.kind)}, gamma: ${num(c.gamma)}, every: ${num(c.every)}, minLr: ${num(c.minLr)}, warmup: ${num(c.warmupSteps)} }`,
    ],
    ['clip', s.clipNorm === null ? 'null' : num(s.clipNorm)],
    ['outputs', outputsLiteral(graph, s)],
    ['topK', num(s.topK)],
    ['validation', num(s.validation)],
    [
      'earlyStopping',
      s.earlyStopping === null
        ? 'null'
        : `{ patience: ${num(s.earlyStopping.patience)}, minDelta: ${num(s.earlyStopping.minDelta)} }`,
    ],
    ['data', tsString(s.data)],
    [
      'lrGroups',
      `[${s.fineTune.lrGroups.map((g) => `{ layers: ${strings(g.nodes)}, lr: ${num(g.lr)} }`).join(', ')}]`,
    ],
    [
      'unfreeze',
      `[${s.fineTune.unfreeze
        .map(
          (u) =>
            `{ epoch: ${num(u.epoch)}, layers: ${strings(u.nodes)}, lr: ${u.lr === null ? 'null' : num(u.lr)} }`,
        )
        .join(', ')}]`,
    ],
    ['weights', weights === null ? 'null' : tsString(weights)],
    ['augment', augmentLiteral(s)],
  ];
  return `{ ${fields.map(([k, v]) => `${k}: ${v}`).join(', ')} }`;
}

function augmentLiteral(s: TrainSettings): string {
  const a = s.augment;
  if (a === null) return 'null';
  return (
    `{ flipHorizontal: ${a.flipHorizontal}, flipVertical: ${a.flipVertical}, rotation: ${num(a.rotation)}, ` +
    `zoom: [${num(a.zoom[0])}, ${num(a.zoom[1])}], translate: ${num(a.translate)}, brightness: ${num(a.brightness)}, ` +
    `contrast: ${num(a.contrast)}, channelShift: ${num(a.channelShift)}, fill: ${tsString(a.fill)} }`
  );
}

/** train.ts for the models of one file (the first is the default of --model). */
export function emitTrainTs(models: readonly TrainInput[], entry: string): EmittedTrain {
  const diagnostics: Diagnostic[] = [];
  const settings = new Map<string, TrainSettings>();
  const leftOut: string[] = [];
  const entries: string[] = [];
  for (const m of models) {
    const resolved = resolveSettings(m.graph);
    diagnostics.push(...resolved.diagnostics);
    const s = resolved.settings;
    settings.set(m.graph.model, s);
    if (isDetector(m.graph)) {
      diagnostics.push(
        leftOutDetector(
          m.graph,
          models.every((x) => isDetector(x.graph)),
        ),
      );
      leftOut.push(m.graph.model);
      continue;
    }
    const w = s.fineTune.weights;
    if (w && w.map === 'torchvision')
      diagnostics.push(
        diag(
          'CNN6100',
          `train.ts loads weights under cnnc's names; \`weights "${w.path}" map torchvision\` names them after torchvision`,
          {
            span: w.span,
            help:
              'name a file with cnnc names instead: the PyTorch project (--emit pytorch) converts one ' +
              '(cnnc_io.py: load_weights_file(model, FILE, names="torchvision"), then write_safetensors)',
          },
        ),
      );
    if (s.data.startsWith('folder:'))
      diagnostics.push(
        diag(
          'CNN6101',
          `train.ts reads mnist, mnist-json, idx:DIR and cifar10:DIR; \`data ${s.data}\` needs an image decoder`,
          {
            span: spanOf(m.graph, 'data'),
            help: 'convert the images to IDX files (idx:DIR), or train with cnnc train',
          },
        ),
      );
    entries.push(
      `[${tsString(m.graph.model)}, ${settingsLiteral(m.graph, s, w ? m.weightsFile(w.path) : null)}]`,
    );
  }
  if (entries.length === 0) return { text: null, leftOut, settings, diagnostics };
  const text = [
    `// Generated by cnnc from ${tsComment(entry)} (cnnc compile --emit tfjs). DO NOT EDIT: compile again.`,
    '/**',
    " * Trains a model of model.ts as its .cnn file's train { } block says (flags override it), with",
    " * model.fitDataset on cnnc's data in cnnc's order, and saves it after every epoch",
    " * (model.save('file://OUT/checkpoint')). npm run train -- --help lists the flags.",
    ' */',
    TRAIN_TS_HEAD,
    "/** Each model's settings: cnnc's defaults, then its train { } block. */",
    `const SETTINGS: ReadonlyMap<string, Settings> = new Map<string, Settings>([${entries.join(', ')}]);`,
    '',
    TRAIN_TS_BODY,
  ].join('\n');
  return { text, leftOut, settings, diagnostics };
}

/**
 * CNN6102: train.ts trains classifiers (a loss per output against the labels); a detector's loss
 * is the yolo loss over its raw grid against boxes, which it does not have, so it leaves the model
 * out rather than train it as a classifier. model.ts still builds it (the raw grid, as cnnc run).
 */
function leftOutDetector(graph: Graph, only: boolean): Diagnostic {
  const head = graph.nodes.find((n) => n.op === 'yolo');
  return diag(
    'CNN6102',
    `train.ts trains classifiers; ${graph.model} is a detector (a yolo head) and is left out of it` +
      (only ? ', so the project has no train.ts' : ''),
    {
      span: head?.span ?? graph.span,
      notes: [
        "a detector's loss is the yolo loss over its raw grid against boxes; model.ts builds the model (its output is the raw grid, as `cnnc run` gives it)",
      ],
      help: 'train it with `cnnc train` (docs/detection.md), then load the checkpoint with loadWeights (weights.ts)',
    },
  );
}
