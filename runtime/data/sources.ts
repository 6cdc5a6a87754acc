/**
 * Loads a data source by name, as the train block's `data` key and `--data` give them (the names
 * and their meanings: compiler/train/data-sources.ts). Relative paths are resolved from the
 * working directory.
 */
import * as path from 'node:path';
import { checkDataSource } from '../../compiler/train/data-sources.js';
import { DataError, type DataSplits } from './dataset.js';
import { loadCifar10 } from './cifar10.js';
import { loadImageFolder } from './image-folder.js';
import { loadIdxDir, loadMnist, loadMnistJson } from './mnist.js';

export { checkDataSource, DATA_SOURCES } from '../../compiler/train/data-sources.js';

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
