/**
 * The fixed parts of an emitted train.ts (train-ts.ts writes the file): the imports and the
 * settings' type before the models' SETTINGS, and cnnc's optimisers and schedules, the flags, the
 * data pipeline (tf.data.generator in cnnc's shuffled order) and model.fitDataset with its
 * callbacks after them.
 */

import { CHECKPOINT_FILE_NAMES } from '../../train/run-folder-text.js';
import { tsString } from '../ts-text.js';

const tsArray = (items: readonly string[]) => `[${items.map(tsString).join(', ')}]`;

/** Imports and the Settings type. */
export const TRAIN_TS_HEAD = String.raw`import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import { fillText, LEFT_BY_SAVE, SAVE_NOTES, useFileScheme } from './io.js';
import { BACKENDS, useBackend, type BackendName } from './backend.js';
import { checkSource, fitToInput, loadSource, permutation, rng, splitValidation, take, type Dataset } from './data.js';
import { MODELS, type ModelSpec } from './model.js';
import { CnncOptimizer, learningRate, OPTIMIZERS, type OptimizerName, type OptimizerSettings } from './optimizer.js';
import { augmentBatch, type AugmentConfig } from './augment.js';
import { loadWeights } from './weights.js';
import { evaluate, lossOf, namedLogs, outputLine, overrideOutputs, targets, unitsOf, validationLogs, type OutputLoss } from './outputs.js';

/** A model's training settings (cnnc's defaults, then its train { } block). */
interface Settings extends OptimizerSettings {
  readonly epochs: number;
  readonly batch: number;
  readonly seed: number;
  /** The model's outputs, each with its loss and weight (outputs.ts): the training loss is the weighted sum. */
  readonly outputs: readonly OutputLoss[];
  /** k of the test metrics' top-k accuracy. */
  readonly topK: number;
  /** Fraction of the training set held out for validation. */
  readonly validation: number;
  readonly earlyStopping: { readonly patience: number; readonly minDelta: number } | null;
  readonly data: string;
  /** Layers with their own learning rate (the last group naming a layer wins). */
  readonly lrGroups: readonly { readonly layers: readonly string[]; readonly lr: number }[];
  /** Layers unfrozen at the start of an epoch (1-based), with their rate from then on. */
  readonly unfreeze: readonly { readonly epoch: number; readonly layers: readonly string[]; readonly lr: number | null }[];
  /** Pretrained weights to start from (a cnnc checkpoint, model.json or .safetensors), or null. */
  readonly weights: string | null;
  /** Augmentation of training batches (augment.ts), or null. */
  readonly augment: AugmentConfig | null;
}
`;

/** Everything after SETTINGS. */
export const TRAIN_TS_BODY = String.raw`const HELP = [
  'usage: npm run train -- [options]     (or, after npm run build: node dist/train.js [options])',
  '',
  "Trains a model of model.ts with its .cnn file's train { } settings; these options override them.",
  '',
  'options:',
  '  --model NAME      the model to train: ' + [...SETTINGS.keys()].join(', '),
  '  --epochs N  --batch N  --lr X  --seed N',
  '  --optimizer O     ' + OPTIMIZERS.join(', '),
  '  --data SRC        mnist, mnist-json, idx:DIR or cifar10:DIR',
  '  --limit N         only the first N training and N test images (quick runs)',
  '  --out DIR         checkpoints and metrics log (default runs/<model>); a folder that holds a',
  '                    previous run is refused unless --overwrite (train.ts has no --resume)',
  '  --overwrite       start afresh in --out, replacing its run: removes its checkpoint/ and',
  '                    metrics.jsonl, never other files',
  '  --weights FILE    start from weights: a cnnc checkpoint, a model.json or a .safetensors file',
  '  --output-loss NAME=KIND    the loss of the output NAME: categorical, binary or mse (repeatable)',
  '  --output-weight NAME=W     the weight of its loss in the training loss, a sum (repeatable)',
  '  --backend B       wasm (default), cpu or tensorflow (needs @tensorflow/tfjs-node)',
  '  --report FILE     write the final metrics, images/s and wall time as JSON',
  '  --quiet           print only the final metrics',
].join('\n');

class UsageError extends Error {}

function intFlag(v: string | undefined, name: string, min: number): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) throw new UsageError('--' + name + ' must be an integer of at least ' + min + '; got ' + JSON.stringify(v));
  return n;
}

function numberFlag(v: string | undefined, name: string): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n) || n < 0) throw new UsageError('--' + name + ' must be a number of at least 0; got ' + JSON.stringify(v));
  return n;
}

/** The files of a checkpoint folder: model.save's, cnnc.json (and cnnc's optimizer.bin). */
const CHECKPOINT_FILES = new Set(${tsArray(CHECKPOINT_FILE_NAMES)});
const isCheckpointFile = (dir: string, name: string) =>
  (CHECKPOINT_FILES.has(name) || /^\.cnnc\.json\.tmp-\d+$/.test(name)) && fs.lstatSync(path.join(dir, name)).isFile();

/** Whether each line of a metrics log is an epoch record (what train.ts and cnnc write). */
function epochLines(text: string): boolean {
  return text.split('\n').every((line) => {
    if (line.trim() === '') return true;
    try {
      return typeof JSON.parse(line)?.epoch === 'number';
    } catch {
      return false;
    }
  });
}

/** Who holds a run folder's lock, as its .cnnc-lock says, or null. */
function lockHolder(file: string): { pid: number; host: string; started?: string; by?: string } | null {
  try {
    const j = JSON.parse(fs.readFileSync(file, 'utf8'));
    return typeof j?.pid === 'number' && typeof j.host === 'string' ? j : null;
  } catch {
    return null;
  }
}

function processRuns(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Takes the run folder's lock, .cnnc-lock (the one cnnc train takes), created exclusively: a second
 * run of train.ts or cnnc train is refused; a lock whose process no longer runs on this host is taken
 * over. The lock goes when this process exits. Returns a note for the log, or null.
 */
function takeLock(dir: string): string | null {
  const file = path.join(dir, '.cnnc-lock');
  const me = { pid: process.pid, host: os.hostname(), started: new Date().toISOString(), by: 'train.ts' };
  let note: string | null = null;
  for (let attempt = 0; ; attempt++) {
    try {
      fs.writeFileSync(file, JSON.stringify(me) + '\n', { flag: 'wx' });
      process.once('exit', () => releaseLock(dir));
      return note;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    const holder = lockHolder(file);
    if (attempt === 0 && holder && holder.host === me.host && !processRuns(holder.pid)) {
      note = 'took over the lock of ' + dir + ' from process ' + holder.pid + ', which no longer runs';
      fs.rmSync(file, { force: true });
      continue;
    }
    if (!holder) throw new UsageError(dir + ' is locked (' + file + ' names no process); if no run uses it, delete it');
    const by = typeof holder.by === 'string' && holder.by ? holder.by.slice(0, 40) : 'a run';
    const who = by + ' (process ' + holder.pid + ' on ' + holder.host + ', started ' + holder.started + ')';
    throw new UsageError(dir + ' is in use by another run: ' + who + '; wait for it to end or choose another --out');
  }
}

/** Gives the run folder's lock back, when this process holds it. */
function releaseLock(dir: string): void {
  const file = path.join(dir, '.cnnc-lock');
  if (lockHolder(file)?.pid === process.pid) fs.rmSync(file, { force: true });
}

/**
 * Locks, recovers and judges the run folder before any data is read, as cnnc train does: a fresh
 * run into a folder that holds a previous run (a checkpoint, epoch lines in metrics.jsonl) is a
 * usage error unless --overwrite, which removes those two and nothing else; files train.ts did not
 * write are never replaced. Creates the folder; logs what it did (a lock taken over, a checkpoint
 * recovered, a run replaced) as it goes, so a refusal comes after those notes.
 */
function openRunFolder(dir: string, overwrite: boolean, log: (line: string) => void): void {
  if (fs.statSync(dir, { throwIfNoEntry: false })?.isDirectory() === false) throw new UsageError('--out ' + dir + ' is not a folder');
  fs.mkdirSync(dir, { recursive: true });
  const taken = takeLock(dir);
  try {
    for (const note of [taken, ...recoverRunFolder(dir)]) if (note !== null) log('note: ' + note);
    const judged = judgeRunFolder(dir, overwrite);
    if (judged !== null) log('note: ' + judged);
  } catch (e) {
    releaseLock(dir);
    throw e;
  }
}

/** Whether dir is a folder (not a link) holding checkpoint files only. */
function ownCheckpoint(dir: string): boolean {
  if (!fs.lstatSync(dir, { throwIfNoEntry: false })?.isDirectory()) return false;
  return fs.readdirSync(dir).every((f) => isCheckpointFile(dir, f));
}

/**
 * The epoch of the checkpoint in dir when it holds checkpoint files only and its cnnc.json is a
 * cnnc checkpoint's; -1 for one model.save wrote that has no cnnc.json (a model with renamed
 * layers gets none: writeCnncMeta); else null.
 */
function checkpointEpoch(dir: string): number | null {
  if (!ownCheckpoint(dir)) return null;
  const has = (f: string) => fs.existsSync(path.join(dir, f));
  if (!has('cnnc.json')) return has('model.json') && has('weights.bin') ? -1 : null;
  try {
    const meta = JSON.parse(fs.readFileSync(path.join(dir, 'cnnc.json'), 'utf8'));
    return meta?.format === 'cnnc-checkpoint' && typeof meta.epoch === 'number' ? meta.epoch : null;
  } catch {
    return null;
  }
}

/**
 * Puts back the checkpoint that a process dying between the two renames of its save (io.ts) left
 * in .checkpoint.old-PID (the latest epoch's, when there are several), and removes the
 * .checkpoint.tmp-PID and .checkpoint.old-PID folders such processes left, when they hold
 * checkpoint files only; others stay, with a note. Runs under the lock, so no live run owns them.
 * Returns the notes.
 */
function recoverRunFolder(dir: string): string[] {
  const notes: string[] = [];
  const left = fs.readdirSync(dir).filter((f) => LEFT_BY_SAVE.test(f)).sort();
  const checkpoint = path.join(dir, 'checkpoint');
  if (!fs.lstatSync(checkpoint, { throwIfNoEntry: false })) {
    let best: { name: string; epoch: number } | null = null;
    for (const name of left) {
      const epoch = LEFT_BY_SAVE.exec(name)?.[1] === 'old' ? checkpointEpoch(path.join(dir, name)) : null;
      if (epoch !== null && (best === null || epoch >= best.epoch)) best = { name, epoch };
    }
    if (best !== null) {
      fs.renameSync(path.join(dir, best.name), checkpoint);
      const note = best.epoch < 0 ? SAVE_NOTES.recoveredWithoutEpoch : SAVE_NOTES.recovered;
      notes.push(fillText(note, { epoch: best.epoch, name: best.name }));
    }
  }
  for (const name of left) {
    const folder = path.join(dir, name);
    if (!fs.lstatSync(folder, { throwIfNoEntry: false })) continue;
    if (!ownCheckpoint(folder)) {
      notes.push(fillText(SAVE_NOTES.leftInPlace, { path: folder, program: 'train.ts' }));
      continue;
    }
    // One file at a time (each checked above), never a folder recursively.
    for (const f of fs.readdirSync(folder)) fs.rmSync(path.join(folder, f));
    fs.rmdirSync(folder);
  }
  return notes;
}

/** What openRunFolder does once the folder is locked. */
function judgeRunFolder(dir: string, overwrite: boolean): string | null {
  const checkpoint = path.join(dir, 'checkpoint');
  const metrics = path.join(dir, 'metrics.jsonl');
  const ckStat = fs.lstatSync(checkpoint, { throwIfNoEntry: false });
  const logStat = fs.lstatSync(metrics, { throwIfNoEntry: false });
  const found = [
    ...(ckStat && (!ckStat.isDirectory() || fs.readdirSync(checkpoint).length > 0) ? ['checkpoint/'] : []),
    ...(logStat && (!logStat.isFile() || logStat.size > 0) ? ['metrics.jsonl'] : []),
  ];
  if (found.length === 0) return null;
  const refuse = (why: string) => new UsageError('will not replace the run in ' + dir + ': ' + why + '; move it away, or choose another --out');
  if (ckStat && !ckStat.isDirectory()) throw refuse(checkpoint + ' is not a checkpoint folder');
  const others = ckStat ? fs.readdirSync(checkpoint).filter((f) => !isCheckpointFile(checkpoint, f)) : [];
  if (others.length > 0) throw refuse(checkpoint + ' holds ' + others.sort().join(', ') + ', which train.ts did not write');
  if (logStat && (!logStat.isFile() || !epochLines(fs.readFileSync(metrics, 'utf8')))) throw refuse(metrics + ' is not a log of epoch records');
  const fix = 'replace it with --overwrite, or choose another --out (train.ts cannot continue a run: it has no --resume)';
  if (!overwrite) throw new UsageError(dir + ' holds a previous run (' + found.join(', ') + '): ' + fix);
  if (ckStat) {
    // One file at a time (each checked above), never a folder recursively.
    for (const f of fs.readdirSync(checkpoint)) fs.rmSync(path.join(checkpoint, f));
    fs.rmdirSync(checkpoint);
  }
  fs.rmSync(metrics, { force: true });
  return 'replacing the run in ' + dir + ' (--overwrite): removed ' + found.join(', ');
}

/** Applies a layer's name change (model.ts 'renamed'). */
const layerName = (spec: ModelSpec, cnnc: string) => spec.renamed.get(cnnc) ?? cnnc;

/** [from, to] epochs of each phase, and the layers unfrozen and rates set at its start. */
function phases(s: Settings): { from: number; to: number; unfreeze: { layers: readonly string[]; lr: number | null }[] }[] {
  const starts = [...new Set(s.unfreeze.map((u) => u.epoch))].filter((e) => e > 1 && e <= s.epochs).sort((a, b) => a - b);
  const bounds = [1, ...starts, s.epochs + 1];
  return bounds.slice(0, -1).map((from, i) => ({
    from,
    to: bounds[i + 1] - 1,
    unfreeze: s.unfreeze.filter((u) => u.epoch === from || (from === 1 && u.epoch <= 1)),
  }));
}

/**
 * cnnc.json beside the saved model.json and weights.bin: with it the folder is a cnnc checkpoint
 * too (cnnc evaluate / predict / run --weights OUT), since the weights already have cnnc's names.
 * A model with renamed layers (model.ts 'renamed') has other names, and gets none.
 */
function writeCnncMeta(dir: string, model: tf.LayersModel, spec: ModelSpec, epoch: number, globalStep: number, metrics: Record<string, number>): void {
  if (spec.renamed.size > 0) return;
  const weights: Record<string, number[]> = Object.create(null);
  for (const w of model.weights) weights[w.originalName] = w.shape.map(Number);
  const meta = {
    format: 'cnnc-checkpoint',
    version: 1,
    model: spec.name,
    sourceHash: spec.sourceHash,
    irHash: spec.irHash,
    weights,
    optimizer: null,
    epoch,
    globalStep,
    metrics,
    generatedBy: 'train.ts (TensorFlow.js)',
  };
  const tmp = path.join(dir, '.cnnc.json.tmp-' + process.pid);
  fs.writeFileSync(tmp, JSON.stringify(meta, null, 2) + '\n');
  fs.renameSync(tmp, path.join(dir, 'cnnc.json'));
}

/** The images and labels of a batch. */
function batchImages(ds: Dataset, indices: ArrayLike<number>, input: readonly number[], augment: ((x: Float32Array, n: number) => void) | null): { xs: tf.Tensor; labels: Int32Array } {
  const per = ds.shape[0] * ds.shape[1] * ds.shape[2];
  const x = new Float32Array(indices.length * per);
  const labels = new Int32Array(indices.length);
  for (let i = 0; i < indices.length; i++) {
    x.set(ds.images.subarray(indices[i] * per, (indices[i] + 1) * per), i * per);
    labels[i] = ds.labels[indices[i]];
  }
  augment?.(x, indices.length);
  return { xs: tf.tensor(x, [indices.length, ...input]), labels };
}

/** A dataset's batches in stored order. */
function* inOrder(ds: Dataset, batch: number, input: readonly number[]) {
  for (let start = 0; start < ds.count; start += batch)
    yield batchImages(ds, Array.from({ length: Math.min(batch, ds.count - start) }, (_, i) => start + i), input, null);
}

/**
 * The batches of a dataset with the targets of each output (shapes: the outputs'): an epoch's
 * order (null: as stored), and for training batches the epoch's augmentation (null: none), both
 * drawn when the epoch starts.
 */
function batches(ds: Dataset, batch: number, input: readonly number[], shapes: readonly (readonly (number | null)[])[], order: () => Int32Array | null, augment: () => ((x: Float32Array, n: number) => void) | null = () => null) {
  return tf.data.generator(function* () {
    const p = order();
    const a = augment();
    for (let start = 0; start < ds.count; start += batch) {
      const n = Math.min(batch, ds.count - start);
      const idx = p ? p.subarray(start, start + n) : Array.from({ length: n }, (_, i) => start + i);
      const { xs, labels } = batchImages(ds, idx, input, a);
      yield { xs, ys: targets(labels, shapes) };
    }
  });
}

function flags(argv: string[]) {
  try {
    return parseArgs({
      args: argv,
      options: {
        model: { type: 'string' }, epochs: { type: 'string' }, batch: { type: 'string' }, lr: { type: 'string' },
        seed: { type: 'string' }, optimizer: { type: 'string' }, data: { type: 'string' }, limit: { type: 'string' },
        out: { type: 'string' }, weights: { type: 'string' }, backend: { type: 'string' }, report: { type: 'string' },
        'output-loss': { type: 'string', multiple: true }, 'output-weight': { type: 'string', multiple: true },
        overwrite: { type: 'boolean' }, quiet: { type: 'boolean' }, help: { type: 'boolean', short: 'h' },
      },
    }).values;
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}

async function main(argv: string[]): Promise<number> {
  const values = flags(argv);
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  const name = values.model ?? [...SETTINGS.keys()][0];
  const spec = MODELS.get(name);
  const base = SETTINGS.get(name);
  if (spec && !base) throw new UsageError(JSON.stringify(name) + ' is a detector, which train.ts does not train (README.md says how to): ' + [...SETTINGS.keys()].join(', '));
  if (!spec || !base) throw new UsageError('no model ' + JSON.stringify(name) + ' in model.ts: ' + [...MODELS.keys()].join(', '));
  const optimizerName = values.optimizer ?? base.optimizer;
  if (!(OPTIMIZERS as readonly string[]).includes(optimizerName)) throw new UsageError('--optimizer must be one of ' + OPTIMIZERS.join(', '));
  const s: Settings = {
    ...base,
    optimizer: optimizerName as OptimizerName,
    epochs: intFlag(values.epochs, 'epochs', 1) ?? base.epochs,
    batch: intFlag(values.batch, 'batch', 1) ?? base.batch,
    lr: numberFlag(values.lr, 'lr') ?? base.lr,
    seed: intFlag(values.seed, 'seed', 0) ?? base.seed,
    data: values.data ?? base.data,
    weights: values.weights ?? base.weights,
    outputs: overrideOutputs(base.outputs, values['output-loss'] ?? [], values['output-weight'] ?? [], (m: string): never => {
      throw new UsageError(m);
    }),
  };
  const problem = checkSource(s.data);
  if (problem) throw new UsageError('--data: ' + problem);
  const backend = (values.backend ?? 'wasm') as BackendName;
  if (!BACKENDS.includes(backend)) throw new UsageError('--backend must be one of ' + BACKENDS.join(', '));
  const limit = intFlag(values.limit, 'limit', 1);
  const out = values.out ?? path.join('runs', name);
  const log = (line: string) => {
    if (!values.quiet) console.log(line);
  };
  // The run folder is judged before any data is loaded or any training time spent.
  openRunFolder(out, values.overwrite ?? false, log);
  const t0 = performance.now();
  const history: Record<string, number>[] = [];

  await useBackend(backend);
  useFileScheme();
  let { train, test } = loadSource(s.data);
  if (limit !== undefined) [train, test] = [take(train, limit), take(test, limit)];
  [train, test] = [fitToInput(train, spec.input), fitToInput(test, spec.input)];
  // The images' size where the model leaves it open (input HxWx1 takes MNIST's 28x28).
  const input = train.shape;
  const split = splitValidation(train, s.validation, s.seed);
  const model = spec.build({ seed: s.seed });
  if (s.weights !== null) loadWeights(model, spec, s.weights);
  const shapes = model.outputs.map((o) => o.shape);
  log(name + ' on ' + s.data + ': ' + split.train.count + ' training, ' + (split.validation?.count ?? 0) + ' validation, ' + test.count + ' test images; ' + backend);

  // cnnc's categorical loss is softmax cross-entropy from the scores (a stable log-softmax): an
  // output that ends in softmax trains without it, as the same layers up to it (the full model is
  // what is saved). Binary cross-entropy and mse take the outputs. Every output learns the labels;
  // the training loss is the sum of the outputs' losses times their weights (outputs.ts).
  const scores = model.outputs.map((o, i) => {
    const last = o.sourceLayer;
    return s.outputs[i].loss === 'categorical' && last.getConfig()['activation'] === 'softmax' ? (last.input as tf.SymbolicTensor) : o;
  });
  const trained = scores.every((o, i) => o === model.outputs[i]) ? model : tf.model({ inputs: model.inputs, outputs: scores });
  const loss = s.outputs.map(lossOf);
  const accuracy = shapes.map((shape) => (unitsOf(shape) === 1 ? 'binaryAccuracy' : 'categoricalAccuracy'));
  const metrics = Object.fromEntries(trained.outputNames.map((layer, i) => [layer, accuracy[i]]));

  const metricsLog = path.join(out, 'metrics.jsonl');
  const stepsPerEpoch = Math.ceil(split.train.count / s.batch);
  const totalSteps = stepsPerEpoch * s.epochs;
  const rates = new Map<string, number>();
  for (const g of s.lrGroups) for (const l of g.layers) rates.set(l, g.lr);
  const optimizer = new CnncOptimizer(s);
  const cnncLayer = new Map([...spec.renamed].map(([cnnc, layer]) => [layer, cnnc]));
  let epoch = 1;
  let globalStep = 0;
  let stopped = false;
  const augment = s.augment;
  const trainBatches = batches(
    split.train,
    s.batch,
    input,
    shapes,
    () => permutation(split.train.count, rng(s.seed * 1000003 + epoch)),
    () => {
      if (augment === null) return null;
      // cnnc's augmentation stream: seeded per epoch, apart from the shuffle's.
      const random = rng((s.seed ^ 0x0a06e17) * 1000003 + epoch);
      return (x: Float32Array, n: number) => augmentBatch(x, n, train.shape, augment, random);
    },
  );
  // Validation is cnnc's evaluation after each epoch (outputs.ts), not fitDataset's validationData:
  // tfjs-layers 4.22 misaligns the validation metrics of a model with several outputs (its test
  // function pushes a running total per output), so val_loss would be the first output's alone.
  const validation = split.validation;
  const monitor = validation ? 'val_loss' : 'loss';
  let best = Infinity;
  let wait = 0;
  for (const phase of phases(s)) {
    // Layers unfrozen from this phase on train, at their rate; tfjs collects the trainable
    // weights when the model is compiled.
    for (const u of phase.unfreeze)
      for (const l of u.layers) {
        model.getLayer(layerName(spec, l)).trainable = true;
        if (u.lr !== null) rates.set(l, u.lr);
      }
    const scales = new Map<string, number>();
    for (const w of model.trainableWeights) {
      const layer = w.originalName.slice(0, w.originalName.lastIndexOf('/'));
      const rate = rates.get(cnncLayer.get(layer) ?? layer);
      if (rate !== undefined) scales.set(w.name, rate / s.lr);
    }
    optimizer.scales = scales;
    trained.compile({ optimizer, loss, metrics });
    let epochStart = 0;
    const callbacks: tf.CustomCallbackArgs = {
      onEpochBegin: async (e: number) => {
        epoch = e + 1;
        epochStart = performance.now();
      },
      onBatchBegin: async () => {
        optimizer.learningRate = learningRate(s, globalStep, stepsPerEpoch, totalSteps);
      },
      onBatchEnd: async (_batch: number, logs?: tf.Logs) => {
        globalStep++;
        if (logs && !Number.isFinite(logs['loss'])) {
          console.error('the loss is ' + logs['loss'] + ' at step ' + globalStep + ': stopping (the last checkpoint is kept)');
          trained.stopTraining = true;
          stopped = true;
        }
      },
      onEpochEnd: async (e: number, tfLogs?: tf.Logs) => {
        if (stopped) return;
        const seconds = (performance.now() - epochStart) / 1000;
        const validated = validation ? validationLogs(evaluate(trained, s.outputs, s.topK, inOrder(validation, 256, input)), accuracy) : {};
        const logs = { ...validated, ...namedLogs(tfLogs ?? {}, trained.outputNames, s.outputs) };
        const row: Record<string, number> = { epoch: e + 1, ...logs, seconds, imagesPerSecond: split.train.count / seconds };
        history.push(row);
        const checkpoint = path.join(out, 'checkpoint');
        await model.save('file://' + checkpoint);
        writeCnncMeta(checkpoint, model, spec, e + 1, globalStep, row);
        fs.appendFileSync(metricsLog, JSON.stringify(row) + '\n');
        log('epoch ' + (e + 1) + '/' + s.epochs + '  ' + Object.entries(logs).map(([k, v]) => k + ' ' + v.toFixed(4)).join('  ') + '  ' + seconds.toFixed(1) + ' s');
        // Early stopping on the (validation) loss, Σ weight · loss: patience epochs without an
        // improvement of more than minDelta, counted over the whole run.
        if (s.earlyStopping) {
          if (logs[monitor] + s.earlyStopping.minDelta < best) [best, wait] = [logs[monitor], 0];
          else if (++wait >= s.earlyStopping.patience) trained.stopTraining = true;
        }
      },
    };
    await trained.fitDataset(trainBatches, {
      epochs: phase.to,
      initialEpoch: phase.from - 1,
      verbose: 0,
      callbacks: [new tf.CustomCallback(callbacks)],
    });
    if (stopped || trained.stopTraining) break;
  }
  if (stopped) return 1;
  // The weighted loss and the first output's accuracy; with several outputs, each output's own
  // metrics follow, as cnnc evaluate prints them.
  const metricsOfTest = evaluate(trained, s.outputs, s.topK, inOrder(test, 256, input));
  const seconds = (performance.now() - t0) / 1000;
  console.log('test: loss ' + metricsOfTest.loss.toFixed(4) + ', accuracy ' + (100 * metricsOfTest.accuracy).toFixed(2) + '% (' + test.count + ' images), ' + seconds.toFixed(1) + ' s');
  if (s.outputs.length > 1) for (const o of metricsOfTest.outputs) console.log(outputLine(o));
  if (values.report)
    fs.writeFileSync(values.report, JSON.stringify({ model: name, backend, data: s.data, epochs: history, test: metricsOfTest, seconds }, null, 2) + '\n');
  return 0;
}
main(process.argv.slice(2)).then(
  (code) => (process.exitCode = code),
  (e: unknown) => {
    console.error(e instanceof UsageError ? 'train.ts: ' + e.message + '\n(see --help)' : e instanceof Error ? e.name + ': ' + e.message : String(e));
    process.exitCode = e instanceof UsageError ? 2 : 1;
  },
);
`;
