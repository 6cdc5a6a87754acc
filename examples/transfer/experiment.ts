/**
 * The transfer example's four conditions, each one `cnnc train` run (in-process, through the CLI's
 * mainAsync) on a few-shot IDX folder from few-shot-data.ts:
 *
 *   raw-pixels         a linear classifier on the 64x64x3 pixels
 *   random-frozen      MobileNetV2 cut after block_13_expand_relu, random weights, frozen; new head
 *   pretrained-frozen  the same with nsfwjs's pretrained weights (feature extraction)
 *   fine-tuned         pretrained-frozen, then block_12 and block_13's expansion unfrozen at a 10x
 *                      smaller rate
 *
 * scripts/transfer-results.ts runs them all and writes RESULTS.md; test/examples/transfer.test.ts
 * runs a reduced version.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { nodeHost, packageRoot } from '../../compiler/cli/host.js';
import { mainAsync } from '../../compiler/cli/main.js';
import type { Graph } from '../../compiler/ir/graph.js';
import { compileFile } from '../../compiler/program.js';
import { readIdxFile } from '../../runtime/data/idx.js';
import { forward } from '../../runtime/weights/forward.js';
import { loadNsfwjsWeights, writeWeightsDir } from './load-nsfwjs.js';

export type ConditionId = 'raw-pixels' | 'random-frozen' | 'pretrained-frozen' | 'fine-tuned';

export interface Condition {
  readonly id: ConditionId;
  /** The model file, relative to examples/transfer. */
  readonly file: string;
  readonly title: string;
  /** Trained from the nsfwjs weights (`--weights`). */
  readonly pretrained: boolean;
}

export const CONDITIONS: readonly Condition[] = [
  {
    id: 'raw-pixels',
    file: 'raw-pixels.cnn',
    title: 'linear head on raw pixels',
    pretrained: false,
  },
  {
    id: 'random-frozen',
    file: 'random-frozen.cnn',
    title: 'MobileNetV2, random init, frozen',
    pretrained: false,
  },
  {
    id: 'pretrained-frozen',
    file: 'pretrained-frozen.cnn',
    title: 'MobileNetV2, pretrained, frozen (feature extraction)',
    pretrained: true,
  },
  {
    id: 'fine-tuned',
    file: 'fine-tuned.cnn',
    title: 'MobileNetV2, pretrained, last blocks fine-tuned',
    pretrained: true,
  },
];

export function condition(id: ConditionId): Condition {
  const c = CONDITIONS.find((k) => k.id === id);
  if (!c) throw new Error(`no condition ${id}`);
  return c;
}

/** The repository root (where package.json and stdlib/ are), from the sources or from dist/. */
export const ROOT = packageRoot();
export const EXAMPLE_DIR = path.join(ROOT, 'examples', 'transfer');

/**
 * Writes nsfwjs's MobileNetV2 weights (dequantised, under cnnc names) to `dir` as a TensorFlow.js
 * weights folder, unless a complete one is already there. Returns the number of tensors, or null
 * when the folder was reused.
 */
export function ensurePretrainedWeights(dir: string): number | null {
  if (fs.existsSync(path.join(dir, 'model.json'))) return null;
  const { weights } = loadNsfwjsWeights();
  const tmp = `${dir}.partial`;
  fs.rmSync(tmp, { recursive: true, force: true });
  writeWeightsDir(weights, tmp);
  fs.rmSync(dir, { recursive: true, force: true });
  fs.renameSync(tmp, dir);
  return weights.size;
}

export interface RunOptions {
  /** An IDX folder from writeFewShot. */
  readonly dataDir: string;
  /** The pretrained weights folder (ensurePretrainedWeights), for the pretrained conditions. */
  readonly weightsDir: string;
  /** Checkpoints, metrics log and report go here. */
  readonly outDir: string;
  readonly seed: number;
  /** Override the train block's epochs and batch size. */
  readonly epochs?: number;
  readonly batch?: number;
  readonly backend?: string;
  /** More `cnnc train` arguments. */
  readonly extra?: readonly string[];
}

export interface RunResult {
  readonly condition: ConditionId;
  /** Test accuracy in [0, 1]. */
  readonly accuracy: number;
  readonly testCount: number;
  readonly epochs: number;
  readonly trainSeconds: number;
  readonly wallSeconds: number;
  /** The backend as the CLI describes it: `wasm (SIMD, 1 thread)`. */
  readonly backend: string;
  /** The training settings the run used (from its report). */
  readonly settings: RunSettings;
  /** What `cnnc train --quiet` printed: the summary line, the data and the test metrics. */
  readonly output: string;
}

/**
 * The batch size for `count` training images: about 32 steps an epoch whatever the shot count
 * (⌈count / 32⌉), so that a run of 10 images per class takes as many optimizer steps as one of 100.
 */
export function batchFor(count: number): number {
  return Math.max(2, Math.ceil(count / 32));
}

/** A `cnnc train` run that did not finish: its exit code and what it printed. */
export class TrainFailed extends Error {
  override readonly name = 'TrainFailed';
}

/** The `cnnc train` arguments of one run. */
export function trainArgs(c: Condition, o: RunOptions): string[] {
  return [
    'train',
    path.join(EXAMPLE_DIR, c.file),
    '--data',
    `idx:${o.dataDir}`,
    ...(c.pretrained ? ['--weights', o.weightsDir] : []),
    '--seed',
    String(o.seed),
    ...(o.epochs === undefined ? [] : ['--epochs', String(o.epochs)]),
    ...(o.batch === undefined ? [] : ['--batch', String(o.batch)]),
    '--backend',
    o.backend ?? 'wasm',
    '--out',
    o.outDir,
    '--report',
    path.join(o.outDir, 'report.json'),
    '--quiet',
    ...(o.extra ?? []),
  ];
}

export interface RunSettings {
  readonly optimizer: string;
  readonly lr: number;
  readonly batch: number;
  readonly features: string;
  readonly unfreeze: readonly {
    readonly epoch: number;
    readonly target: string;
    readonly lr: number | null;
  }[];
}

interface Report {
  readonly backend: { readonly detail: string };
  readonly settings: {
    readonly optimizer: { readonly name: string };
    readonly lr: number;
    readonly batchSize: number;
    readonly fineTune: {
      readonly features: string;
      readonly unfreeze: readonly {
        readonly epoch: number;
        readonly target: string;
        readonly lr: number | null;
      }[];
    };
  };
  readonly epochs: number;
  readonly test: { readonly accuracy: number; readonly count: number } | null;
  readonly trainSeconds: number;
  readonly wallSeconds: number;
}

/** Trains one condition through the CLI and reads its report. */
export async function runCondition(c: Condition, o: RunOptions): Promise<RunResult> {
  fs.rmSync(o.outDir, { recursive: true, force: true });
  fs.mkdirSync(o.outDir, { recursive: true });
  let output = '';
  const args = trainArgs(c, o);
  const code = await mainAsync(args, {
    cwd: ROOT,
    env: {},
    stdoutIsTTY: false,
    stderrIsTTY: false,
    host: nodeHost(ROOT),
    out: (t) => void (output += t),
    err: (t) => void (output += t),
    writeFile: (p, text) => fs.writeFileSync(p, text),
  });
  const reportFile = path.join(o.outDir, 'report.json');
  if (code !== 0 || !fs.existsSync(reportFile))
    throw new TrainFailed(`cnnc ${args.join(' ')} exited with ${code}:\n${output}`);
  const r = JSON.parse(fs.readFileSync(reportFile, 'utf8')) as Report;
  if (!r.test) throw new TrainFailed(`${c.id}: the report has no test metrics:\n${output}`);
  return {
    condition: c.id,
    accuracy: r.test.accuracy,
    testCount: r.test.count,
    epochs: r.epochs,
    trainSeconds: r.trainSeconds,
    wallSeconds: r.wallSeconds,
    backend: r.backend.detail,
    settings: {
      optimizer: r.settings.optimizer.name,
      lr: r.settings.lr,
      batch: r.settings.batchSize,
      features: r.settings.fineTune.features,
      unfreeze: r.settings.fineTune.unfreeze.map((u) => ({
        epoch: u.epoch,
        target: u.target,
        lr: u.lr,
      })),
    },
    output,
  };
}

/** The layer whose output the heads read. */
export const CUT = 'block_13_expand_relu';

export interface FeatureScale {
  /** Root mean square of the features. */
  readonly rms: number;
  /** How much the features differ between images: √(mean over features of their variance). */
  readonly spread: number;
}

/**
 * The scale of the backbone's features (the output of CUT) on the first `n` test images of a
 * few-shot folder, with the pretrained weights or with the random initial ones.
 */
export async function featureScale(
  dataDir: string,
  pretrained: boolean,
  n = 100,
  backend: 'wasm' | 'cpu' = 'wasm',
): Promise<FeatureScale> {
  const compiled = compileFile(path.join(EXAMPLE_DIR, 'pretrained-frozen.cnn'), nodeHost(ROOT));
  const full = compiled.models[0]?.graph;
  if (!full) throw new Error('pretrained-frozen.cnn does not compile');
  const id = full.nodes.findIndex((k) => k.name === CUT);
  const graph: Graph = { ...full, nodes: full.nodes.slice(0, id + 1), outputs: [id] };
  const images = readIdxFile(path.join(dataDir, 't10k-images-idx3-ubyte'));
  const [count, h, w, c] = images.dims;
  const m = Math.min(n, count);
  const x = new Float32Array(m * h * w * c);
  for (let i = 0; i < x.length; i++) x[i] = images.data[i] / 255;
  const weights = pretrained
    ? [...loadNsfwjsWeights().weights]
        .filter(([name]) => graph.nodes.some((k) => name.startsWith(`${k.name}/`)))
        .map(([name, t]) => ({ name, ...t }))
    : [];
  const y = await forward(backend, graph, weights, { data: x, shape: [m, h, w, c] });
  const per = y.data.length / m;
  let squares = 0;
  let variance = 0;
  for (let f = 0; f < per; f++) {
    let sum = 0;
    let sum2 = 0;
    for (let i = 0; i < m; i++) {
      const v = y.data[i * per + f];
      sum += v;
      sum2 += v * v;
    }
    squares += sum2;
    variance += sum2 / m - (sum / m) ** 2;
  }
  return {
    rms: Math.sqrt(squares / y.data.length),
    spread: Math.sqrt(Math.max(0, variance / per)),
  };
}
