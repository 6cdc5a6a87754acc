/**
 * The emitted cnnc_data.py and cnnc_train.py against cnnc's TypeScript, case by case (rules.py runs
 * the Python side in one process): the seeded generator and permutations, the sampler's order
 * under torchrun, the validation split, augmentation with its random draws, fitting images to the
 * input, the data sources (IDX, gzip, CIFAR-10, image folders, mnist-json), initial weights of the
 * three schemes and the learning-rate schedules. A model trained by train.py sees the data cnnc
 * would, so it evaluates the same in cnnc.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileFile } from '../../../compiler/program.js';
import { nodeHost } from '../../../compiler/cli/host.js';
import { NO_AUGMENT, type AugmentConfig } from '../../../compiler/train/augment.js';
import { DEFAULT_SCHEDULE, learningRate } from '../../../compiler/train/schedules.js';
import { augmentBatch } from '../../../runtime/data/augment.js';
import {
  fitToInput,
  makeDataset,
  permutation,
  rng,
  splitValidation,
} from '../../../runtime/data/dataset.js';
import { loadSource } from '../../../runtime/data/sources.js';
import { initialValue, type InitScheme } from '../../../runtime/init.js';
import { REPO } from '../../helpers/memory-host.js';
import { canTrain, emitPytorch, PYTHON, SKIP_REASON, tempDir } from './train-helpers.js';

const work = tempDir('train-rules');
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

type Case = { readonly kind: string } & Record<string, unknown>;

/** Runs the cases through rules.py; one result (or DataError message) per case. */
function python(project: string, cases: readonly Case[]): { ok?: unknown; error?: string }[] {
  const spec = path.join(work, `cases-${Math.random().toString(36).slice(2)}.json`);
  fs.writeFileSync(spec, JSON.stringify(cases));
  const r = spawnSync(PYTHON, [path.join(REPO, 'test/codegen/train/rules.py'), project, spec], {
    encoding: 'utf8',
    maxBuffer: 1 << 28,
    env: { ...process.env, OMP_NUM_THREADS: '1', PYTHONDONTWRITEBYTECODE: '1' },
  });
  if (r.status !== 0) throw new Error(`rules.py failed (${r.status}):\n${r.stderr}`);
  return JSON.parse(r.stdout) as { ok?: unknown; error?: string }[];
}

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i] - b[i]));
  return d;
}

const randomImages = (n: number, shape: readonly number[], seed: number) => {
  const r = rng(seed);
  return Float32Array.from({ length: n * shape.reduce((a, b) => a * b, 1) }, () => r());
};

const AUGMENTS: readonly { name: string; config: AugmentConfig }[] = [
  {
    name: 'everything, edge fill',
    config: {
      flipHorizontal: true,
      flipVertical: true,
      rotation: 20,
      zoom: [0.8, 1.3],
      translate: 0.1,
      brightness: 0.2,
      contrast: 0.3,
      channelShift: 0.1,
      fill: 'edge',
    },
  },
  {
    name: 'rotation and zoom, zero fill',
    config: { ...NO_AUGMENT, rotation: 45, zoom: [0.5, 0.9], fill: 'zero' },
  },
  { name: 'flips only', config: { ...NO_AUGMENT, flipHorizontal: true, flipVertical: true } },
  { name: 'colour only', config: { ...NO_AUGMENT, brightness: 0.5, contrast: 0.5 } },
];

const flip = (c: AugmentConfig) =>
  c.flipHorizontal && c.flipVertical
    ? 'both'
    : c.flipHorizontal
      ? 'horizontal'
      : c.flipVertical
        ? 'vertical'
        : 'none';

const settingsOf = (c: AugmentConfig) => ({
  flip: flip(c),
  rotation: c.rotation,
  zoom_min: c.zoom[0],
  zoom_max: c.zoom[1],
  translate: c.translate,
  brightness: c.brightness,
  contrast: c.contrast,
  channel_shift: c.channelShift,
  fill: c.fill,
});

function idx(code: number, dims: readonly number[], values: ArrayLike<number>): Buffer {
  const size = code === 0x0d ? 4 : 1;
  const out = Buffer.alloc(4 + 4 * dims.length + values.length * size);
  out.set([0, 0, code, dims.length]);
  dims.forEach((d, i) => out.writeUInt32BE(d, 4 + 4 * i));
  for (let i = 0; i < values.length; i++) {
    if (code === 0x0d) out.writeFloatBE(values[i], 4 + 4 * dims.length + 4 * i);
    else out[4 + 4 * dims.length + i] = values[i];
  }
  return out;
}

describe.runIf(canTrain)('cnnc_data.py and cnnc_train.py compute what cnnc computes', () => {
  const project = path.join(work, 'project');
  beforeAll(async () => {
    expect((await emitPytorch('examples/lenet5.cnn', project)).code).toBe(0);
  });

  it('draws the same random numbers, permutations, shuffles and validation splits', () => {
    const seeds = [0, 42, 2 ** 31 - 1, 42 * 1000003 + 3];
    const perms = [
      [1000, 7],
      [1, 3],
      [2, 5],
    ];
    const splits = [
      [50, 0.1, 42],
      [7, 0.25, 1],
      [2, 0.25, 9],
      [10, 0, 3],
    ];
    const cases: Case[] = [
      ...seeds.map((seed) => ({ kind: 'random', seed, count: 20 })),
      ...perms.map(([n, seed]) => ({ kind: 'permutation', n, seed })),
      ...[0, 1].map((rank) => ({ kind: 'sampler', n: 101, world: 2, rank, seed: 42, epoch: 3 })),
      { kind: 'sampler', n: 101, world: 1, rank: 0, seed: 42, epoch: 3 },
      ...splits.map(([n, fraction, seed]) => ({ kind: 'split', n, fraction, seed })),
    ];
    const got = python(project, cases).map((r) => r.ok);
    let i = 0;
    for (const seed of seeds) {
      const r = rng(seed);
      expect(got[i++]).toEqual(Array.from({ length: 20 }, () => r()));
    }
    for (const [n, seed] of perms) expect(got[i++]).toEqual(Array.from(permutation(n, rng(seed))));
    const order = Array.from(permutation(101, rng(42 * 1000003 + 3)));
    const padded = [...order, order[0]];
    expect(got[i++]).toEqual(padded.filter((_, k) => k % 2 === 0));
    expect(got[i++]).toEqual(padded.filter((_, k) => k % 2 === 1));
    expect(got[i++]).toEqual(order);
    for (const [n, fraction, seed] of splits) {
      const labels = Int32Array.from({ length: n }, (_, k) => k);
      const ds = makeDataset('d', new Float32Array(n), labels, [1, 1, 1], n);
      const s = splitValidation(ds, fraction, seed);
      expect(got[i++]).toEqual({
        train: Array.from(s.train.labels),
        validation: s.validation ? Array.from(s.validation.labels) : null,
      });
    }
  });

  it('augments a batch as runtime/data/augment.ts does, draw for draw', () => {
    const shape = [9, 7, 2] as const;
    const images = randomImages(6, shape, 11);
    const got = python(
      project,
      AUGMENTS.map((a, k) => ({
        kind: 'augment',
        images: Array.from(images),
        shape,
        settings: settingsOf(a.config),
        seed: 100 + k,
      })),
    );
    AUGMENTS.forEach((a, k) => {
      const x = images.slice();
      augmentBatch(x, 6, shape, a.config, rng(100 + k));
      expect(maxDiff(got[k].ok as number[], x), a.name).toBeLessThanOrEqual(1e-6);
      expect(maxDiff(x, images), a.name).toBeGreaterThan(0.01);
    });
  });

  it('fits images to the model input: zero padding around the centre, bilinear resizing', () => {
    const fits: readonly [readonly [number, number, number], readonly number[]][] = [
      [
        [5, 6, 1],
        [8, 8, 1],
      ],
      [
        [9, 7, 2],
        [4, 5, 2],
      ],
      [
        [5, 9, 1],
        [8, 6, 1],
      ],
      [
        [6, 6, 3],
        [-1, -1, 3],
      ],
    ];
    const got = python(
      project,
      fits.map(([shape, input], k) => ({
        kind: 'fit',
        images: Array.from(randomImages(2, shape, k)),
        shape,
        input,
      })),
    );
    fits.forEach(([shape, input], k) => {
      const ds = makeDataset('d', randomImages(2, shape, k), new Int32Array(2), shape, 2);
      const fitted = fitToInput(
        ds,
        input.map((d, i) => (d < 0 ? shape[i] : d)),
      );
      expect(maxDiff(got[k].ok as number[], fitted.images)).toBeLessThanOrEqual(1e-6);
    });
  });

  it('reads IDX (plain, gzip, float), CIFAR-10, image folders and mnist-json as cnnc does', async () => {
    const idxDir = path.join(work, 'idx');
    fs.mkdirSync(idxDir, { recursive: true });
    const bytes = Uint8Array.from(randomImages(6 * 5 * 4, [1], 3), (v) => Math.floor(v * 256));
    fs.writeFileSync(path.join(idxDir, 'train-images-idx3-ubyte'), idx(8, [6, 5, 4], bytes));
    fs.writeFileSync(path.join(idxDir, 'train-labels-idx1-ubyte'), idx(8, [6], [0, 1, 2, 3, 1, 0]));
    fs.writeFileSync(
      path.join(idxDir, 't10k-images-idx3-ubyte.gz'),
      zlib.gzipSync(idx(0x0d, [2, 5, 4], randomImages(2, [5, 4], 4))),
    );
    fs.writeFileSync(path.join(idxDir, 't10k-labels-idx1-ubyte'), idx(8, [2], [3, 2]));
    const cifarDir = path.join(work, 'cifar', 'cifar-10-batches-bin');
    fs.mkdirSync(cifarDir, { recursive: true });
    const record = (label: number, seed: number) =>
      Uint8Array.from([label, ...Array.from(randomImages(3072, [1], seed), (v) => v * 256)]);
    for (let b = 1; b <= 5; b++)
      fs.writeFileSync(
        path.join(cifarDir, `data_batch_${b}.bin`),
        Buffer.concat([record(b, b), record(9 - b, 10 + b)]),
      );
    fs.writeFileSync(path.join(cifarDir, 'test_batch.bin'), record(7, 99));
    const folder = path.join(work, 'pictures');
    const picture = async (file: string, w: number, h: number, channels: 1 | 3 | 4, s: number) => {
      fs.mkdirSync(path.dirname(file), { recursive: true });
      const raw = Uint8Array.from(randomImages(w * h * channels, [1], s), (v) => v * 256);
      await sharp(raw, { raw: { width: w, height: h, channels } })
        .png()
        .toFile(file);
    };
    await picture(path.join(folder, 'train', 'cat', 'a.png'), 6, 5, 3, 1);
    await picture(path.join(folder, 'train', 'cat', 'sub', 'b.png'), 8, 8, 1, 2);
    await picture(path.join(folder, 'train', 'dog', 'c.png'), 4, 7, 4, 3);
    await picture(path.join(folder, 'test', 'dog', 'd.png'), 8, 8, 3, 4);
    const sources: readonly [string, readonly number[]][] = [
      [`idx:${idxDir}`, [5, 4, 1]],
      [`cifar10:${path.join(work, 'cifar')}`, [32, 32, 3]],
      [`folder:${folder}`, [8, 8, 3]],
      [`folder:${folder}`, [8, 8, 1]],
      ['mnist-json', [28, 28, 1]],
    ];
    const got = python(
      project,
      sources.map(([spec, input]) => ({
        kind: 'load',
        spec,
        which: ['train', 'test'],
        input,
        cwd: REPO,
        first: 3,
      })),
    );
    for (const [k, [spec, input]] of sources.entries()) {
      const want = await loadSource(spec, REPO, ['train', 'test'], { input });
      const mine = got[k].ok as Record<string, Record<string, unknown>>;
      for (const split of ['train', 'test'] as const) {
        const ds = want[split]!;
        const py = mine[split];
        expect(py.name, spec).toBe(ds.name);
        expect(py.shape, spec).toEqual([...ds.shape]);
        expect(py.labels, spec).toEqual(Array.from(ds.labels));
        expect(py.classes, spec).toBe(ds.numClasses);
        expect(py.classNames ?? null, spec).toEqual(ds.classNames ? [...ds.classNames] : null);
        const per = ds.shape[0] * ds.shape[1] * ds.shape[2];
        const first = ds.images.subarray(0, Math.min(3, ds.count) * per);
        expect(maxDiff(py.images as number[], first), spec).toBeLessThanOrEqual(1e-7);
        const sum = ds.images.reduce((a, b) => a + b, 0);
        expect(Math.abs((py.sum as number) - sum), spec).toBeLessThanOrEqual(1e-3);
      }
    }
  });

  it('reports a truncated IDX file as a data error naming the file', () => {
    const dir = path.join(work, 'broken');
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, 'train-images-idx3-ubyte'), idx(8, [6, 5, 4], [1, 2, 3]));
    fs.writeFileSync(path.join(dir, 'train-labels-idx1-ubyte'), idx(8, [6], [0, 1, 2, 3, 1, 0]));
    const [r] = python(project, [
      { kind: 'load', spec: `idx:${dir}`, which: ['train'], input: [5, 4, 1], cwd: REPO },
    ]);
    expect(r.error).toContain(path.join(dir, 'train-images-idx3-ubyte'));
    expect(r.error).toMatch(/truncated: dimensions 6x5x4 need 136 bytes, the file has 19/);
  });

  it("draws cnnc's initial weights for each scheme", () => {
    const file = path.join(work, 'init.cnn');
    fs.writeFileSync(
      file,
      'model I {\n  input 9x9x3\n  conv 4 3x3\n  dwconv 3x3 x2\n  bn\n  deconv 5 2x2 /2\n  flatten\n  dense 7\n}\n',
    );
    const graph = compileFile(file, nodeHost(work)).models[0].graph;
    const weights = graph.nodes.flatMap((n) => (n.weights ?? []).map((w) => ({ n, w })));
    const schemes: InitScheme[] = ['default', 'he', 'glorot'];
    const shapes = weights.map(({ n, w }) => [`${n.name}/${w.name}`, w.shape]);
    const got = python(
      project,
      schemes.map((scheme) => ({ kind: 'init', shapes, seed: 17, scheme })),
    );
    schemes.forEach((scheme, k) => {
      const py = got[k].ok as Record<string, number[]>;
      for (const { n, w } of weights) {
        const want = initialValue(n, w, 17, scheme);
        const scale = Math.max(1e-30, ...Array.from(want, Math.abs));
        const name = `${scheme} ${n.name}/${w.name}`;
        expect(maxDiff(py[`${n.name}/${w.name}`], want) / scale, name).toBeLessThanOrEqual(1e-6);
      }
    });
  });

  it('schedules the learning rate as cnnc does', () => {
    const schedules = [
      { ...DEFAULT_SCHEDULE, kind: 'step' as const, gamma: 0.5, every: 2, warmupSteps: 3 },
      { ...DEFAULT_SCHEDULE, kind: 'exponential' as const, gamma: 0.9 },
      { ...DEFAULT_SCHEDULE, kind: 'cosine' as const, minLr: 0.001, warmupSteps: 5 },
      { ...DEFAULT_SCHEDULE, kind: 'constant' as const, warmupSteps: 4 },
    ];
    const got = python(
      project,
      schedules.map((s) => ({
        kind: 'lr',
        settings: {
          lr: 0.1,
          schedule: s.kind,
          gamma: s.gamma,
          step_every: s.every,
          min_lr: s.minLr,
          warmup: s.warmupSteps,
        },
        stepsPerEpoch: 7,
        total: 35,
      })),
    );
    schedules.forEach((s, k) => {
      const want = Array.from({ length: 35 }, (_, step) => learningRate(0.1, s, step, 7, 35));
      expect(maxDiff(got[k].ok as number[], want), s.kind).toBeLessThanOrEqual(1e-15);
    });
  });
});

if (!canTrain) {
  describe('cnnc_data.py and cnnc_train.py', () => {
    it.skip(SKIP_REASON, () => {});
  });
}
